"""newscrawl: a Scrapy crawler and SQL archive for news sites."""

__version__ = "0.1.0"

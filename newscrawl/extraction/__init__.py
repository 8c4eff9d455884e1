"""Extraction: pure functions from a page's HTML and URL to an Article record (no Scrapy, no storage)."""

from newscrawl.extraction.article import (
    ExtractionError,
    extract_article,
    extract_comment_page,
    parse_fetched_at,
)

__all__ = ["ExtractionError", "extract_article", "extract_comment_page", "parse_fetched_at"]

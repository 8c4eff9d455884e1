"""Scrapy settings of newscrawl: polite production defaults.

``newscrawl crawl`` starts from these; a site profile's ``crawl_settings`` override them for that
site, and command-line options (``--set NAME=VALUE``, ``--user-agent`` ...) override both. The same
module serves ``scrapy crawl site -a target=...`` and scrapyd (see ``scrapy.cfg``).

Settings of our own are prefixed ``NEWSCRAWL_``.
"""

import os

from newscrawl import __version__

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"

USER_AGENT = os.environ.get("NEWSCRAWL_USER_AGENT") or (
    f"newscrawl/{__version__} (news archive crawler; +https://github.com/newscrawl/newscrawl)"
)

# ---------------------------------------------------------------- politeness
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
NEWSCRAWL_OBEY_CRAWL_DELAY = True
"""A robots.txt ``Crawl-delay`` (for our user agent, else ``*``) spaces the requests to its host at least
that far apart, AutoThrottle included; a longer ``DOWNLOAD_DELAY`` still wins. False: ignored."""
NEWSCRAWL_MAX_CRAWL_DELAY = 30.0
"""Longest ``Crawl-delay`` obeyed, in seconds: a robots.txt asking for more (an hour ...) gets this,
with a warning line, rather than stalling the crawl."""
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# ---------------------------------------------------------------- correctness
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
DOWNLOAD_FAIL_ON_DATALOSS = True  # a truncated page is retried, never archived
REDIRECT_MAX_TIMES = 8
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_GIVE_UP_LOG_LEVEL = "INFO"  # the spider logs one line per page given up, with its context
RETRY_BACKOFF_BASE = 2.0
"""Seconds before the first retry; doubled each time (1st retry 2 s, 2nd 4 s, 3rd 8 s)."""
RETRY_BACKOFF_MAX = 60.0
"""Cap of one wait, ``Retry-After`` included."""

DOWNLOAD_HANDLERS = {
    "http": "newscrawl.middlewares.ResolvingDownloadHandler",
    "https": "newscrawl.middlewares.ResolvingDownloadHandler",
}
DOWNLOADER_MIDDLEWARES = {
    "newscrawl.middlewares.IncrementalMiddleware": 60,  # before robots.txt: a skipped page costs nothing
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newscrawl.middlewares.RobotsTxtMiddleware": 100,  # Scrapy's place
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newscrawl.middlewares.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "newscrawl.middlewares.HttpCompressionMiddleware": 590,  # Scrapy's place
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "newscrawl.middlewares.MetaRefreshMiddleware": 580,  # Scrapy's place
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "newscrawl.middlewares.RedirectMiddleware": 600,  # Scrapy's place
    "newscrawl.stopping.RequeueNotSent": 1000,  # nearest the downloader: sees its exceptions first
}
ITEM_PIPELINES = {
    "newscrawl.pipelines.ValidationPipeline": 100,
    "newscrawl.pipelines.ArchivePipeline": 300,
}
CONCURRENT_ITEMS = 1
"""A callback yields at most one item and the pipelines are synchronous, so nothing runs in parallel;
Scrapy still starts this many asyncio tasks per response (the default 100 cost ~0.6 ms a page)."""
EXTENSIONS = {
    "scrapy.extensions.throttle.AutoThrottle": None,
    "newscrawl.extensions.CrawlDelayAutoThrottle": 0,  # Scrapy's place
    "newscrawl.extensions.CrawlDelay": 10,
    "newscrawl.extensions.Progress": 500,
    "newscrawl.extensions.WarcWriter": 510,
    "newscrawl.extensions.TidyLogs": 520,
    "newscrawl.stopping.PromptStop": 530,
}
ADDONS = {
    "newscrawl.frontier.FrontierAddon": 0,  # NEWSCRAWL_FRONTIER set: the shared Redis scheduler
    "newscrawl.deploy.EggSupport": 10,  # run from a scrapyd egg: archive migrations extracted from the zip
}
LOG_FORMATTER = "newscrawl.extensions.ShortLogFormatter"
LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 0  # the Progress extension reports instead
FEED_EXPORT_ENCODING = "utf-8"

# ---------------------------------------------------------------- newscrawl
NEWSCRAWL_DB = None
"""Archive URL (``sqlite:///PATH``, ``postgresql://...``); None: ``$NEWSCRAWL_DB`` or ``./newscrawl.sqlite``."""
NEWSCRAWL_DB_BUSY_TIMEOUT = 10.0
NEWSCRAWL_ARCHIVE = True
"""False: nothing is written (``newscrawl scrape`` without ``--save``)."""
NEWSCRAWL_ARCHIVE_FAILURES_TO_STOP = 5
"""Consecutive failed archive writes after which the crawl stops (database gone or locked for good)."""
NEWSCRAWL_RESOLVE = {}
"""``{host: "http://127.0.0.1:PORT"}``: fetch that host's URLs from a local server (``--resolve``)."""
NEWSCRAWL_INCREMENTAL = False
NEWSCRAWL_REVISIT_POLICY = "2d:6h,14d:1d"
"""Comment revisits of archived articles by age (see ``discovery.RevisitPolicy``)."""
NEWSCRAWL_LISTING_HOPS = 2
"""How far from a start page or sitemap the crawl walks through non-article pages (pagination aside)."""
NEWSCRAWL_MAX_LISTING_PAGES = 200
"""Pages followed along one listing's pagination."""
NEWSCRAWL_MAX_COMMENT_PAGES = 200
"""Comment pages fetched for one article beyond its own (a bound against endless comment pagination;
an article that has more gets a warning line, and the comments of the pages left are not archived)."""
NEWSCRAWL_READ_WORKERS = "auto"
"""Processes that read pages (extraction) beside the crawl's event loop: ``auto`` is one per CPU, at
most 3 (none on one CPU, none for ``scrape``); 0 reads in the crawl process."""
NEWSCRAWL_WARC_DIR = None
NEWSCRAWL_PROGRESS = False
"""The status line on stderr (``newscrawl crawl`` turns it on unless ``--quiet``)."""
NEWSCRAWL_PROGRESS_INTERVAL = 2.0
NEWSCRAWL_FRONTIER = None
"""``redis://HOST:PORT/DB``: share the request queue and duplicate filter with the job's other workers
(``--frontier``, see ``newscrawl/frontier.py``); the job is ``NEWSCRAWL_JOB``, by default the site."""
NEWSCRAWL_FRONTIER_LEASE_TIMEOUT = 30.0
"""Seconds without a heartbeat after which a worker counts as dead and its requests go back to the queue."""
NEWSCRAWL_FRONTIER_POLL_INTERVAL = 0.5
"""How often a worker with nothing to do looks at the frontier again."""
NEWSCRAWL_JOB = None
"""Name of the job this process belongs to: processes of the same job share the site's crawl lock (the
workers of a distributed crawl); None: the process is a job of its own (see ``newscrawl/run_guard.py``)."""
NEWSCRAWL_LOCK_TTL = 600.0
"""Seconds without a heartbeat after which a site's crawl lock is stale and the next run takes it over."""
NEWSCRAWL_LOCK_HEARTBEAT = 60.0
"""How often a crawl refreshes its site's lock (at most a third of the TTL)."""
REMOTE_CONTROL_ENABLED = False  # an HTTP code-execution console: never in a crawler run from cron

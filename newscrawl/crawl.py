"""Run a crawl from Python: ``run_crawl(CrawlOptions(target="blog-auto-info"))``.

The CLI's ``crawl``, ``scrape`` and ``demo`` commands are this module plus argument parsing. Options
are checked before Scrapy starts (:func:`check_options`), so a user's mistake is one line
(:class:`CrawlSetupError`), never a traceback. A Scrapy reactor runs once per process: call
:func:`run_crawl` once per process (the tests run crawls in subprocesses).
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscrawl.discovery import RevisitPolicy, SiteScope, parse_since
from newscrawl.middlewares import ResolveError, parse_resolve
from newscrawl.run_guard import lock_settings
from newscrawl.spiders.reading import reader_processes
from newscrawl.spiders.site import TargetError, crawl_scope, resolve_target

__all__ = ["CrawlOptions", "CrawlResult", "CrawlSetupError", "build_settings", "check_options", "run_crawl"]


class CrawlSetupError(ValueError):
    """A crawl that cannot start (bad target, option, database); the message is one line."""


@dataclass(slots=True)
class CrawlOptions:
    target: str
    """A site profile name or any URL of the site (``scrape``: the article URL)."""
    mode: str = "crawl"
    db: str | None = None
    archive: bool = True
    """False: nothing is written (``scrape`` without ``--save``)."""
    max_articles: int | None = None
    since: str | None = None
    incremental: bool = False
    generic: bool = False
    resolve: dict[str, str] | list[str] = field(default_factory=dict)
    warc_dir: Path | None = None
    jobdir: Path | None = None
    frontier: str | None = None
    """``redis://HOST:PORT/DB``: be one worker of a distributed crawl (see ``newscrawl.frontier``)."""
    job: str | None = None
    """The distributed job's name (default: the site); workers of one job share its frontier."""
    user_agent: str | None = None
    progress: bool = True
    log_level: str = "WARNING"
    settings: dict[str, Any] = field(default_factory=dict)
    """Any Scrapy or NEWSCRAWL_ setting, highest priority (``--set NAME=VALUE``)."""
    collect_items: bool = False


@dataclass(slots=True)
class CrawlResult:
    reason: str
    """Scrapy's close reason (finished, max_articles, shutdown, archive_unavailable ...)."""
    status: str
    """The crawl run's status: finished, interrupted or failed."""
    stats: dict[str, Any]
    items: list[Any] = field(default_factory=list)

    @property
    def run_id(self) -> int | None:
        return self.stats.get("newscrawl/crawl_run_id")


def check_options(options: CrawlOptions) -> dict[str, str]:
    """Validate everything a user can get wrong; returns the parsed ``--resolve`` mapping."""
    if options.mode == "scrape" and "://" not in options.target:
        raise CrawlSetupError(f"not an http(s) URL: {options.target!r}")
    try:
        profile, start_pages = resolve_target(options.target, options.generic)
    except TargetError as error:
        raise CrawlSetupError(str(error)) from None
    try:
        mapping = parse_resolve(options.resolve)
    except ResolveError as error:
        raise CrawlSetupError(str(error)) from None
    _check_resolve_in_scope(mapping, crawl_scope(profile, start_pages))
    if options.since:
        try:
            parse_since(options.since)
        except ValueError as error:
            raise CrawlSetupError(f"--since: {error}") from None
    if options.max_articles is not None and options.max_articles < 1:
        raise CrawlSetupError("--max-articles must be at least 1")
    policy = options.settings.get("NEWSCRAWL_REVISIT_POLICY")
    if policy:
        try:
            RevisitPolicy.parse(str(policy))
        except ValueError as error:
            raise CrawlSetupError(f"NEWSCRAWL_REVISIT_POLICY: {error}") from None
    try:
        lock_settings(options.settings)
        reader_processes(options.settings.get("NEWSCRAWL_READ_WORKERS"), mode=options.mode)
    except ValueError as error:
        raise CrawlSetupError(str(error)) from None
    _check_setting_values(options.settings)  # after the checks of our own settings, which say more
    _check_settings_without_a_type(options.settings)
    if options.frontier or options.job:
        _check_frontier(options)
    if options.archive:
        from storage import Archive, StorageError

        try:
            Archive(options.db).close()
        except StorageError as error:
            raise CrawlSetupError(str(error)) from None
    for name, path in (("--jobdir", options.jobdir), ("--warc", options.warc_dir)):
        if path is not None:
            try:
                Path(path).mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise CrawlSetupError(f"{name} {path}: {error.strerror}") from None
    return mapping


def _check_resolve_in_scope(mapping: dict[str, str], scope: SiteScope) -> None:
    """A ``--resolve`` that maps none of the crawl's hosts (a typo) would be left unused, every page
    fetched from the network. Mapping an outside host besides the site's own is fine: a test does so,
    so that a link or redirect off the site that the crawl wrongly followed would not leave the machine."""
    if not mapping or any(scope.contains(f"http://{host}/") for host in mapping):
        return
    their = "its" if len(scope.domains) == 1 else "their"
    raise CrawlSetupError(
        f"--resolve maps {', '.join(mapping)}, none of the crawl's hosts ({', '.join(scope.domains)} and {their} "
        "subdomains): its pages would be fetched from the network"
    )


def _check_setting_values(overrides: dict[str, Any]) -> None:
    """``-s NAME=VALUE`` arrives as text (or JSON): a value Scrapy cannot read as its setting's type
    (a number, true or false, a JSON object) stopped the crawl at start with a traceback. Checked
    against the type of the value newscrawl or Scrapy sets by default; settings without a default
    are the user's own."""
    from scrapy.settings import BaseSettings, Settings

    kinds = (  # (type of the default, what to say, how Scrapy reads it); bool before int, its base class
        (bool, "true or false", Settings.getbool),
        (int | float, "a number", Settings.getfloat),
        (dict | BaseSettings, 'a JSON object ({"name": value, ...})', Settings.getdict),
    )
    defaults = Settings()
    defaults.setmodule("newscrawl.settings", priority="project")
    for name, value in overrides.items():
        default = defaults.get(name)
        for kind, expected, read in kinds:
            if isinstance(default, kind):
                try:
                    read_value = read(Settings({name: value}), name)
                except (ValueError, TypeError):
                    raise CrawlSetupError(f"-s {name}={value}: {name} takes {expected}") from None
                if isinstance(read_value, float):  # (getfloat's: a number)
                    _check_number(name, value, read_value)
                break


POSITIVE_SETTINGS = frozenset(
    {"NEWSCRAWL_MAX_CRAWL_DELAY", "CONCURRENT_REQUESTS_PER_DOMAIN", "CONCURRENT_ITEMS"}
)
"""Numbers that mean nothing at 0 or below: a maximum delay of 0 s divided by zero at every request; no
request per domain hung the crawl for good; no item at a time fetched the start pages and ended,
"finished", without following a link."""

NON_NEGATIVE_SETTINGS = frozenset(
    {"NEWSCRAWL_MAX_COMMENT_PAGES", "NEWSCRAWL_MAX_LISTING_PAGES", "NEWSCRAWL_LISTING_HOPS"}
)
"""Counts (pages, hops) for which 0 means none and a number below it means nothing: -1 comment pages
was taken, and every article with a comment page got a warning "stop after -1 more"."""

UNSUPPORTED_SETTINGS = {"CONCURRENT_REQUESTS_PER_IP": "CONCURRENT_REQUESTS_PER_DOMAIN"}
"""Scrapy settings the crawl's scheduler cannot honour (it stopped at start with a traceback and
"interrupted"), with what to set instead: only 0 (off) is accepted."""


def _check_number(name: str, value: Any, number: float) -> None:
    if not math.isfinite(number):
        raise CrawlSetupError(f"-s {name}={value}: {name} takes a finite number")
    if name in POSITIVE_SETTINGS and number <= 0:
        raise CrawlSetupError(f"-s {name}={value}: {name} takes a number above 0")
    if name in NON_NEGATIVE_SETTINGS and number < 0:
        raise CrawlSetupError(f"-s {name}={value}: {name} takes a number of 0 or more")


def _check_settings_without_a_type(overrides: dict[str, Any]) -> None:
    """What :func:`_check_setting_values` cannot tell by a default's type: a setting Scrapy has none
    for any more, a log level (logging's name for it, a traceback at start otherwise)."""
    for name, instead in UNSUPPORTED_SETTINGS.items():
        if str(overrides.get(name, 0)).strip() not in ("0", ""):
            raise CrawlSetupError(
                f"-s {name}={overrides[name]}: not supported by the crawl's queue, set {instead}"
            )
    if "LOG_LEVEL" in overrides and _level_number(overrides["LOG_LEVEL"]) is None:
        raise CrawlSetupError(
            f"-s LOG_LEVEL={overrides['LOG_LEVEL']}: LOG_LEVEL takes DEBUG, INFO, WARNING, ERROR or CRITICAL"
        )


def _check_frontier(options: CrawlOptions) -> None:
    from newscrawl.frontier import (
        FrontierError,
        check_archive_for_frontier,
        check_frontier_url,
        check_job_name,
        ping_frontier,
    )

    if not options.frontier:
        raise CrawlSetupError("--job names a distributed job: give --frontier redis://HOST:PORT/DB too")
    if options.mode != "crawl":
        raise CrawlSetupError("--frontier is for crawls, not for scraping one article")
    if options.jobdir is not None:
        raise CrawlSetupError(
            "--jobdir and --frontier exclude each other: the frontier keeps the job's state"
        )
    try:
        check_frontier_url(options.frontier)
        if options.job is not None:
            check_job_name(options.job)
        if options.archive:
            check_archive_for_frontier(options.db)
        ping_frontier(options.frontier)
    except FrontierError as error:
        raise CrawlSetupError(str(error)) from None


def build_settings(options: CrawlOptions, resolve: dict[str, str]) -> Any:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    values: dict[str, Any] = {
        "NEWSCRAWL_DB": options.db,
        "NEWSCRAWL_ARCHIVE": options.archive,
        "NEWSCRAWL_RESOLVE": resolve,
        "NEWSCRAWL_INCREMENTAL": options.incremental,
        "NEWSCRAWL_PROGRESS": options.progress,
        "LOG_LEVEL": options.log_level,
        "LOG_FORMAT": "%(asctime)s %(levelname)s %(message)s",
        "LOG_DATEFORMAT": "%H:%M:%S",
    }
    if options.warc_dir is not None:
        values["NEWSCRAWL_WARC_DIR"] = str(options.warc_dir)
    if options.jobdir is not None:
        values["JOBDIR"] = str(options.jobdir)
    if options.frontier:
        values["NEWSCRAWL_FRONTIER"] = options.frontier
        if options.job:
            values["NEWSCRAWL_JOB"] = options.job  # else the frontier add-on names the job after the site
    if options.user_agent:
        values["USER_AGENT"] = options.user_agent
    if options.mode == "scrape":
        values["ROBOTSTXT_OBEY"] = settings.getbool("ROBOTSTXT_OBEY")
        values["AUTOTHROTTLE_ENABLED"] = False
        values["DOWNLOAD_DELAY"] = 0
    settings.setdict(values, priority="cmdline")
    settings.setdict(dict(options.settings), priority="cmdline")
    level = settings.get("LOG_LEVEL")
    if isinstance(level, str):  # logging knows its level names in capitals only (-s LOG_LEVEL=info)
        settings.set("LOG_LEVEL", level.upper(), priority="cmdline")
    return settings


FINISHED_JOB_MARK = "newscrawl.finished"
"""Written in a ``--jobdir`` when its crawl ran to its end: the next run with it starts anew."""
RUNNING_JOB_MARK = "newscrawl.running"
"""Written in a ``--jobdir`` as a crawl starts, removed once Scrapy has written the job's state (the
spider closed, finished or interrupted). Found by the next run, it says the last one was killed (kill -9,
a crash, a second Ctrl-C) before it could: Scrapy's queue files and seen-list are then half-written,
and resuming them hung the crawl for good (a queue file whose header never reached the disk)."""
JOB_LOCK_FILE = "newscrawl.lock"
"""Locked (``flock``) by the run using a ``--jobdir``; the system lets go of it however the run ends."""
JOB_TARGET_FILE = "newscrawl.target"
"""The crawl a ``--jobdir`` holds the state of (JSON: its target as given, the domains it keeps to):
another site's crawl would take that state for its own, its queued requests dropped as off-site or
fetched without their ``--resolve``, and mark it finished for the next run to clear."""
SCRAPY_JOB_FILES = ("requests.queue", "requests.seen", "spider.state")
"""What Scrapy keeps in a job directory: the crawl's state."""


def start_anew_if_unusable(jobdir: Path) -> str | None:
    """Clear a job directory whose state is of no use to the next run, so that it is a new crawl: its
    crawl ran to its end (Scrapy would skip every page as already seen and fetch nothing), or was killed
    before writing its state. Returns ``"finished"`` or ``"killed"``, else None: an interrupted crawl's
    state is resumed (it may hold an empty queue, its next requests not made yet). Only Scrapy's own
    files and the marks are removed."""
    finished, running = jobdir / FINISHED_JOB_MARK, jobdir / RUNNING_JOB_MARK
    why = "finished" if finished.exists() else "killed" if running.exists() else None
    if why is None:
        return None
    for name in ("requests.seen", "spider.state"):
        (jobdir / name).unlink(missing_ok=True)
    shutil.rmtree(jobdir / "requests.queue", ignore_errors=True)
    finished.unlink(missing_ok=True)
    running.unlink(missing_ok=True)
    return why


class JobDirectoryInUse(Exception):
    """Another live run uses the ``--jobdir``; the message says which."""


class JobDirectory:
    """A ``--jobdir`` held by this run: locked against other runs (two crawls writing one Scrapy state
    spoil it), cleared when its state is of no use, refused to a crawl of another site while it holds
    a crawl to resume, marked while the crawl may change it."""

    def __init__(self, path: Path, target: str | None = None, domains: tuple[str, ...] = ()) -> None:
        self.path = path
        self.target = target
        """The crawl's target as given (None: no check of whose state the directory holds)."""
        self.domains = domains
        self._lock: Any = None

    def claim(self) -> str | None:
        """Lock the directory (:class:`JobDirectoryInUse` if another run holds it) and ready it; returns
        a warning line when the last run left it unusable."""
        import fcntl

        try:
            lock = open(self.path / JOB_LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115 (held until release)
        except OSError as error:  # a read-only directory, another user's ...
            raise CrawlSetupError(f"--jobdir {self.path}: {error.strerror}") from None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "?"
            lock.close()
            raise JobDirectoryInUse(
                f"the job directory {self.path} is in use by another run (pid {holder})"
            ) from None
        except OSError as error:  # a file system without locks
            lock.close()
            raise CrawlSetupError(f"--jobdir {self.path}: cannot lock it ({error.strerror})") from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        self._lock = lock
        warning = None
        if start_anew_if_unusable(self.path) == "killed":
            warning = (
                f"the crawl state in {self.path} was left half-written by a run killed or forced to stop: "
                "starting the crawl anew (what is archived stays)"
            )
        if self.target is not None:
            self._refuse_another_crawls_state()
            owner = {"target": self.target, "domains": list(self.domains)}
            (self.path / JOB_TARGET_FILE).write_text(json.dumps(owner) + "\n", encoding="utf-8")
        (self.path / RUNNING_JOB_MARK).write_text(f"{os.getpid()}\n", encoding="utf-8")
        return warning

    def _refuse_another_crawls_state(self) -> None:
        """CrawlSetupError (the directory released) when it holds an unfinished crawl of other domains."""
        if not any((self.path / name).exists() for name in SCRAPY_JOB_FILES):
            return
        try:
            owner = json.loads((self.path / JOB_TARGET_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):  # no owner written (an earlier version's state): resumed as it is
            return
        if not isinstance(owner, dict) or sorted(owner.get("domains") or ()) == sorted(self.domains):
            return
        self.release()
        raise CrawlSetupError(
            f"--jobdir {self.path} holds the unfinished crawl of {owner.get('target')}: resume it with "
            f"that target, or empty the directory (or give another) to crawl {self.target}"
        )

    def closed(self, reason: str) -> None:
        """The spider closed: Scrapy wrote the state. A crawl that ran to its end marks it for a new start."""
        (self.path / RUNNING_JOB_MARK).unlink(missing_ok=True)
        if reason == "finished":
            (self.path / FINISHED_JOB_MARK).write_text(f"{reason}\n", encoding="utf-8")

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _level_number(level: Any) -> int | None:
    """A logging level given as a number or a name (as ``LOG_LEVEL`` may be); None if unknown."""
    if isinstance(level, int):
        return level
    number = logging.getLevelName(str(level).upper())
    return number if isinstance(number, int) else None


def run_crawl(options: CrawlOptions) -> CrawlResult:
    """Run one crawl to its end (or Ctrl-C) in this process; raises CrawlSetupError before starting."""
    resolve = check_options(options)
    if options.jobdir is None:
        return _crawl(options, resolve, None)
    from newscrawl.run_guard import LOCKED_REASON, LOCKED_STAT

    profile, start_pages = resolve_target(options.target, options.generic)
    job = JobDirectory(Path(options.jobdir), options.target, crawl_scope(profile, start_pages).domains)
    try:
        warning = job.claim()
    except JobDirectoryInUse as refusal:  # skipped like a run that finds the site's lock taken
        return CrawlResult(reason=LOCKED_REASON, status="failed", stats={LOCKED_STAT: str(refusal)})
    try:
        return _crawl(options, resolve, job, warning)
    finally:
        job.release()


def _crawl(
    options: CrawlOptions, resolve: dict[str, str], job: JobDirectory | None, warning: str | None = None
) -> CrawlResult:
    from scrapy import signals
    from scrapy.crawler import AsyncCrawlerProcess

    from newscrawl.pipelines import run_status
    from newscrawl.spiders.site import SiteSpider

    settings = build_settings(options, resolve)
    process = AsyncCrawlerProcess(settings)
    if warning:
        logging.getLogger(__name__).warning("%s", warning)
    # Scrapy filters at its root handler and leaves its loggers open to DEBUG (and the root logger to
    # everything): each page would still build the records of its DEBUG lines ("Crawled", "Scraped")
    # and of the pipeline's INFO line only for the handler to drop them. Filter where they are made.
    quieted = [logging.root, logging.getLogger("scrapy")]
    levels = [logger.level for logger in quieted]
    shown = _level_number(settings.get("LOG_LEVEL"))

    def quiet_loggers() -> None:
        if settings.getbool("LOG_ENABLED") and shown is not None:
            for logger, level in zip(quieted, levels, strict=True):
                logger.setLevel(max(level, shown))

    quiet_loggers()
    crawler = process.create_crawler(SiteSpider)
    # Starting the crawl puts Scrapy's root handler in again, and the root logger back to NOTSET:
    # filter again once the engine runs, before the first page.
    crawler.signals.connect(lambda **_: quiet_loggers(), signal=signals.engine_started, weak=False)
    items: list[Any] = []
    outcome: dict[str, str] = {}
    if options.collect_items:
        crawler.signals.connect(lambda item, **_: items.append(item), signal=signals.item_scraped, weak=False)
    crawler.signals.connect(
        lambda reason, **_: outcome.setdefault("reason", reason), signal=signals.spider_closed, weak=False
    )
    if job is not None:
        crawler.signals.connect(
            lambda reason, **_: job.closed(reason), signal=signals.spider_closed, weak=False
        )
    started = process.crawl(
        crawler,
        target=options.target,
        mode=options.mode,
        max_articles=options.max_articles,
        since=options.since,
        incremental=options.incremental,
        generic=options.generic,
    )
    start_errors: list[BaseException] = []

    def note_start_error(task: Any) -> None:
        # Taking the exception here also keeps asyncio from printing it as a traceback at exit.
        if not task.cancelled() and task.exception() is not None:
            start_errors.append(task.exception())

    started.add_done_callback(note_start_error)
    try:
        process.start()
    finally:
        for logger, level in zip(quieted, levels, strict=True):
            logger.setLevel(level)
    # Scrapy closes the spider ("shutdown") when opening it fails (a job directory whose state cannot be
    # read ...): not an interrupt, the crawl could not start.
    could_not_start = bool(start_errors) and not (
        crawler.stats and crawler.stats.get_value("response_received_count")
    )
    if "reason" not in outcome and crawler.spider is not None:
        # Ctrl-C while the engine was still opening the spider (or a second Ctrl-C): Scrapy stops
        # without closing it, no spider_closed. The archive pipeline closed the crawl run and released
        # the site's lock as the reactor shut down; the reader processes are left to close here.
        outcome["reason"] = "shutdown"
        crawler.spider.reader_done()
    if could_not_start:
        error = start_errors[0]
        damaged = f" (a damaged crawl state in {job.path}? empty it to start over)" if job is not None else ""
        raise CrawlSetupError(f"the crawl could not start: {type(error).__name__}: {error}{damaged}")
    logging.getLogger(__name__).debug("crawl done: %s", outcome)
    reason = outcome.get("reason") or (crawler.stats.get_value("finish_reason") if crawler.stats else None)
    reason = reason or "failed"
    stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    return CrawlResult(reason=reason, status=run_status(reason, stats), stats=stats, items=items)

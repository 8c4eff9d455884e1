"""What a crawl run keeps beside its articles: its site's crawl lock, and the coverage of what it read.

The archive pipeline owns one :class:`RunGuard` per crawl, so this works the same under
``newscrawl crawl``, ``scrapy crawl site`` and scrapyd:

* **Lock.** In the transaction that records the crawl run, the site's lock is taken
  (``storage.locks``). The holder is the ``NEWSCRAWL_JOB`` setting when set (the workers of one
  distributed job share the lock), else a token of this process (``host:pid:random``). Another
  holder's live lock refuses the run: nothing is recorded, nothing fetched, the spider closes with
  reason ``crawl_locked`` and the one-line explanation in the stat ``newscrawl/crawl_locked``
  (``newscrawl crawl`` prints it and exits with status 75). While crawling, the lock is
  heartbeated every ``NEWSCRAWL_LOCK_HEARTBEAT`` seconds; a lock without a heartbeat for
  ``NEWSCRAWL_LOCK_TTL`` seconds is stale and the next run takes it over (with a warning), and so is
  at once the lock of a process of this machine that is gone (killed, or ended without reaching the
  database to release it). A run
  that finds its lock taken over stops (reason ``crawl_lock_lost``). The lock is released when the
  run ends, however it ends, in the transaction that closes the run.
* **Abandoned runs.** The run's own row is heartbeated with the lock (``crawl_runs.heartbeat_at``
  and ``process``). As it starts and with each heartbeat, a run closes the site's other ``running``
  runs whose heartbeat is older than the TTL or whose process of this machine is gone, as
  ``failed`` (one warning line each): the run of a distributed worker that was killed while its
  peers crawled on, which the shared lock cannot reveal. A run does it once more as it ends, so a
  job does not leave a dead worker's share of the lock behind.
* **Health.** The run is tagged with its site and :func:`extractor_version`; every record archived
  is counted in a :class:`~storage.health.CoverageTally`, stored when the run ends.

Scrape runs (one article, ``newscrawl scrape --save``) record coverage but take no lock: they do not
crawl the site.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
import uuid
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from newscrawl import __version__
from storage import StorageError
from storage.health import CoverageTally, store_coverage, tag_crawl_run
from storage.locks import (
    AbandonedRun,
    CrawlLocked,
    LockGrant,
    acquire_crawl_lock,
    close_abandoned_runs,
    crawl_locks,
    heartbeat_crawl_run,
    refresh_crawl_lock,
    release_crawl_lock,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from sqlalchemy.orm import Session

    from storage import Archive

log = logging.getLogger(__name__)

LOCKED_REASON = "crawl_locked"
"""Close reason of a run refused because another run crawls the site."""
LOCK_LOST_REASON = "crawl_lock_lost"
"""Close reason of a run whose lock went stale and was taken over by another run."""
LOCKED_STAT = "newscrawl/crawl_locked"
"""Stat holding the one-line explanation of a refusal."""
DEFAULT_LOCK_TTL = 600.0
DEFAULT_LOCK_HEARTBEAT = 60.0


@cache
def extractor_version() -> str:
    """``newscrawl-VERSION+HASH``: the package version and a short hash of the extraction code, so
    runs made with a changed extractor are told apart even when the version number is not bumped."""
    digest = hashlib.sha256()
    # importlib.resources reads the sources from a zipped egg too (scrapyd runs the project from one).
    for name, source in sorted(_python_sources(resources.files("newscrawl.extraction"), "")):
        digest.update(name.encode() + b"\0" + source)
    return f"newscrawl-{__version__}+{digest.hexdigest()[:8]}"


def _python_sources(folder: Any, prefix: str) -> Iterator[tuple[str, bytes]]:
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _python_sources(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".py"):
            yield f"{prefix}{entry.name}", entry.read_bytes()


def lock_holder(job: str | None) -> str:
    """The lock holder: the job name when the run is part of a named job, else this process."""
    return job or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lock_settings(settings: Any) -> tuple[float, float]:
    """``(ttl, heartbeat interval)`` in seconds; ValueError (one line) when they make no sense."""
    try:
        ttl = float(settings.get("NEWSCRAWL_LOCK_TTL") or DEFAULT_LOCK_TTL)
        heartbeat = float(settings.get("NEWSCRAWL_LOCK_HEARTBEAT") or DEFAULT_LOCK_HEARTBEAT)
    except (TypeError, ValueError):
        raise ValueError("NEWSCRAWL_LOCK_TTL and NEWSCRAWL_LOCK_HEARTBEAT are numbers of seconds") from None
    if ttl <= 0 or heartbeat <= 0:
        raise ValueError("NEWSCRAWL_LOCK_TTL and NEWSCRAWL_LOCK_HEARTBEAT must be positive")
    # A few heartbeats per TTL, so one late or failed heartbeat does not make the lock stale.
    return ttl, min(heartbeat, ttl / 3)


_PROCESS_HOLDER = re.compile(r"^(?P<host>.+):(?P<pid>\d+):[0-9a-f]{8}$")


def holder_is_gone(holder: str) -> bool:
    """True when ``holder`` is a process of this machine (``host:pid:token``) that no longer runs.

    (A reused pid only makes us wait for the TTL, as for a holder on another machine.)
    """
    match = _PROCESS_HOLDER.match(holder)
    if match is None or match["host"] != socket.gethostname():
        return False
    pid = int(match["pid"])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def crawl_site(spider: Any) -> str:
    """The site key a crawl is for: the profile's site, else the start URL's host (like records)."""
    from newscrawl.sites import site_key

    profile = getattr(spider, "profile", None)
    if profile is not None:
        return profile.site
    return site_key(spider.start_pages[0]) or spider.start_pages[0]


class RunGuard:
    """Lock, heartbeat and coverage of one crawl run (see the module doc); driven by the pipeline."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.ttl, self.heartbeat_interval = lock_settings(crawler.settings)
        job = crawler.settings.get("NEWSCRAWL_JOB")
        self.holder = lock_holder(job)
        self.process = lock_holder(None) if job else self.holder
        """This process (``host:pid:token``), whatever job it belongs to."""
        self.run_id: int | None = None
        self.abandoned: list[AbandonedRun] = []
        self.tally = CoverageTally()
        self.site: str | None = None
        self.locked_site: str | None = None
        self.grant: LockGrant | None = None
        self.archive: Archive | None = None
        self.task: Any = None

    # ------------------------------------------------------------------ start

    def start(self, session: Session, run_id: int, spider: Any) -> None:
        """In the transaction that records the run: tag it, take the site's lock (raises CrawlLocked,
        which rolls the run back)."""
        self.site = crawl_site(spider)
        tag_crawl_run(session, run_id, site=self.site, extractor_version=extractor_version())
        if getattr(spider, "mode", "crawl") != "crawl":
            return
        try:
            self.grant = acquire_crawl_lock(
                session, self.site, self.holder, ttl=self.ttl, crawl_run_id=run_id
            )
        except CrawlLocked as refusal:
            if not holder_is_gone(refusal.lock.holder):
                raise
            self.grant = acquire_crawl_lock(
                session,
                self.site,
                self.holder,
                ttl=self.ttl,
                crawl_run_id=run_id,
                dead_holder=refusal.lock.holder,
            )
        self.locked_site = self.site
        self.run_id = run_id
        heartbeat_crawl_run(session, run_id, self.process, lock_holder=self.holder)
        self.abandoned = self._close_abandoned(session)

    def _close_abandoned(self, session: Session) -> list[AbandonedRun]:
        assert self.site is not None
        return close_abandoned_runs(session, self.site, ttl=self.ttl, gone=holder_is_gone, keep=self.run_id)

    def _report_abandoned(self, abandoned: list[AbandonedRun]) -> None:
        for run in abandoned:
            log.warning(
                "closed crawl run %d of %s as failed: its process %s was last active at %s UTC",
                run.run_id,
                self.site,
                run.process or "(unknown)",
                f"{run.last_active_at or run.heartbeat_at:%Y-%m-%d %H:%M:%S}",
            )

    def started(self, archive: Archive) -> None:
        """The run is recorded: say how the lock was got, and heartbeat it from now on."""
        self.archive = archive
        if self.grant is None:
            return
        self._report_abandoned(self.abandoned)
        previous = self.grant.taken_over
        if previous is not None:
            log.warning(
                "took over the crawl lock of %s from %s, %s (held since %s UTC, last heartbeat %s UTC)",
                self.locked_site,
                previous.holder,
                "whose process is gone" if holder_is_gone(previous.holder) else "stale",
                f"{previous.acquired_at:%Y-%m-%d %H:%M:%S}",
                f"{previous.heartbeat_at:%Y-%m-%d %H:%M:%S}",
            )
        elif self.grant.shared:
            log.info(
                "sharing the crawl lock of %s with the other processes of %s", self.locked_site, self.holder
            )
        from scrapy.utils.asyncio import create_looping_call

        self.task = create_looping_call(self.heartbeat)
        self.task.start(self.heartbeat_interval, now=False)

    def refused(self, refusal: CrawlLocked) -> str:
        """A live lock of another holder: record why, and the reason to close the spider with."""
        self.crawler.stats.set_value(LOCKED_STAT, str(refusal))
        log.info("not crawling: %s", refusal)
        return LOCKED_REASON

    # ------------------------------------------------------------------ during the run

    def count(self, record: dict[str, Any]) -> None:
        """An article archived by this run."""
        self.tally.add(record)

    def heartbeat(self) -> None:
        if self.archive is None or self.locked_site is None:
            return
        try:
            with self.archive.transaction() as repo:
                still_ours = refresh_crawl_lock(repo.session, self.locked_site, self.holder)
                now_held_by = None if still_ours else crawl_locks(repo.session).get(self.locked_site)
                abandoned = []
                if still_ours is not None and self.run_id is not None:
                    heartbeat_crawl_run(repo.session, self.run_id, self.process)
                    abandoned = self._close_abandoned(repo.session)
        except StorageError as error:
            # The next heartbeat may get through; the TTL allows for a few missed ones.
            log.warning("could not refresh the crawl lock of %s: %s", self.locked_site, error)
            return
        if still_ours is not None:
            self._report_abandoned(abandoned)
            return
        holder = now_held_by.holder if now_held_by else "nobody (it was released)"
        because = (
            f"the crawl lock of {self.locked_site} was taken over by {holder} "
            "after this run missed its heartbeats"
        )
        # A warning: the crawl's last line (`Error: crawl stopped: crawl lock lost`) is the error, with
        # the reason under --quiet, which shows no warning.
        log.warning("%s: stopping", because)
        self.locked_site = None
        self.stop()
        self.crawler.stats.set_value("newscrawl/stopped_by", LOCK_LOST_REASON)
        self.crawler.stats.set_value("newscrawl/stopped_because", because)
        engine = self.crawler.engine
        if engine is not None:
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(engine.close_spider_async(reason=LOCK_LOST_REASON))

    # ------------------------------------------------------------------ end

    def stop(self) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    def finish(self, session: Session, run_id: int) -> None:
        """In the transaction that closes the run: store its coverage, release the lock."""
        self.stop()
        if self.tally:
            store_coverage(session, run_id, self.tally)
        if self.locked_site is not None:
            # A peer of the job killed since the last heartbeat: its share of the lock would keep the
            # site locked after the job, for the lock's TTL
            self._report_abandoned(self._close_abandoned(session))
            if not release_crawl_lock(session, self.locked_site, self.holder):
                log.warning("the crawl lock of %s was not this run's any more", self.locked_site)
            self.locked_site = None

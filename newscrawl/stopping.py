"""A prompt stop: requests not sent yet go back to the queue instead of being waited for.

Scrapy's graceful stop (the first Ctrl-C, SIGTERM, ``--max-articles`` reached) waits for every request
it has taken from its queue, and with a download delay most of those are not being fetched: they wait
in the downloader's slot for their turn, one per delay (AutoThrottle's delay can reach
``AUTOTHROTTLE_MAX_DELAY``), up to ``CONCURRENT_REQUESTS`` of them. A Ctrl-C took 10-30 s on a polite
crawl, minutes on a slow site, while the pages being transferred finish in well under a second. A
retry waiting out its backoff (up to ``RETRY_BACKOFF_MAX``) held the stop as long.

When the crawl stops (:data:`crawl_stopping`), :class:`PromptStop` takes the requests still waiting
for their turn out of the downloader and fails them with :class:`NotSentYet`, which
:class:`RequeueNotSent` (the downloader middleware nearest the downloader) turns back into the same
request, scheduled again: ``--jobdir`` keeps it for the next run, the shared frontier hands it to the
job's other workers, and without either it is dropped with the rest of the queue, as Scrapy drops
its queue at a stop. No callback or errback sees it, so nothing counts it as an error. The
pages being transferred finish and are read and archived as usual. Requests made outside the
scheduler (robots.txt, fetched for the request that waits on it) are left to finish.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http.request import NO_CALLBACK

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)

crawl_stopping = object()
"""Signal sent when the crawl starts to stop (no arguments; it may come more than once): a first
Ctrl-C or SIGTERM, or the spider closing itself early (``--max-articles``). Components waiting on a
timer (the retry backoff) give up waiting."""


class NotSentYet(IgnoreRequest):
    """The crawl stopped before this request was sent: it goes back to the queue."""


class PromptStop:
    """Extension: on a stop, the requests waiting in the downloader go back to the scheduler."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stopping = False
        graceful_stop = crawler.stop_async

        async def stop_async() -> None:
            # Crawler.stop_async is what Scrapy's first Ctrl-C / SIGTERM handler calls, for every runner.
            stop_soon(crawler)
            await graceful_stop()

        crawler.stop_async = stop_async  # type: ignore[method-assign]
        crawler.signals.connect(self.release_waiting, signal=crawl_stopping)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PromptStop:
        return cls(crawler)

    def release_waiting(self) -> None:
        engine = self.crawler.engine
        if self.stopping or engine is None or engine.spider is None:
            return
        self.stopping = True
        engine.pause()  # nothing more taken from the scheduler, nor those put back
        released = 0
        for slot in list(engine.downloader.slots.values()):
            kept: deque[tuple[Request, Any]] = deque()
            waiting = []
            for entry in slot.queue:
                (waiting if _from_the_scheduler(entry[0]) else kept).append(entry)
            slot.queue = kept
            for _request, deferred in waiting:
                deferred.errback(NotSentYet("the crawl stopped before it was sent"))
            released += len(waiting)
        if not released:
            return
        self.crawler.stats.inc_value("newscrawl/stop/requests_put_back", released)
        if self.crawler.settings.get("JOBDIR") or self.crawler.settings.get("NEWSCRAWL_FRONTIER"):
            log.info("stopping: %d requests not sent yet go back to the job's queue", released)
        else:
            log.info("stopping: %d requests not sent yet are dropped (--jobdir would keep them)", released)


def stop_soon(crawler: Crawler) -> None:
    """Announce that the crawl is stopping (see :data:`crawl_stopping`; its receivers act once)."""
    crawler.signals.send_catch_log(signal=crawl_stopping)


def _from_the_scheduler(request: Request) -> bool:
    # Requests a component fetches itself through the engine (robots.txt) have no callback.
    return request.callback is not NO_CALLBACK


class RequeueNotSent:
    """Downloader middleware, nearest the downloader: a request failed with :class:`NotSentYet` is
    scheduled again as it was (past the duplicate filter, which has seen it)."""

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if isinstance(exception, NotSentYet):
            return request.replace(dont_filter=True)
        return None

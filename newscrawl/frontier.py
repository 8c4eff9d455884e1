"""A crawl frontier shared in Redis: N workers, on any machines, run one crawl together.

``newscrawl crawl TARGET --frontier redis://HOST:PORT/DB`` (the Scrapy setting ``NEWSCRAWL_FRONTIER``)
replaces Scrapy's scheduler with :class:`FrontierScheduler`, a scrapy-redis scheduler whose request
queue and duplicate filter live in Redis under ``newscrawl:<job>:``. Every worker started with the
same job name (``--job NAME``, by default the site profile's name or the site's host) pulls its
requests from, and pushes the requests it discovers to, the same frontier. Every worker seeds the
frontier (robots.txt, sitemaps, home page) when it starts: the shared duplicate filter keeps one of
each, so workers can start in any order, and a worker joining late or re-started simply joins in.

What scrapy-redis does not do, and this module adds:

* **Leases.** Popping a request moves it, in one Redis script, from the queue into the worker's
  lease hash. The lease is released when Scrapy's engine is done with the request: downloaded, its
  callback's requests pushed to the frontier and its items through the pipelines (archived). A
  worker refreshes a heartbeat key (TTL ``NEWSCRAWL_FRONTIER_LEASE_TIMEOUT``); when a worker dies
  (SIGKILL, machine lost) its key expires and any other worker puts its leases back in the queue,
  bypassing the duplicate filter that already holds their fingerprints. A comment-page request
  carries its article's partial record in its meta, so a re-delivered one continues the chain.
  A new request is marked seen and queued in one step too: scrapy-redis does it in two, and a
  worker killed in between would leave a fingerprint whose request is nowhere.
* **A shared end.** A worker whose engine runs dry while others still work does not quit: it waits
  and polls. The job is over when the queue is empty, no worker holds a lease and every live worker
  is idle; the worker that sees this marks the job done and clears its duplicate filter, and every
  worker then closes with ``finished``. A worker started after that begins a new run of the job.

Delivery is at least once: a request whose worker vanished is fetched again, possibly after the
dead worker had archived its article; the archive's upsert is idempotent (same content: unchanged),
so the article is still stored once. A frontier left by workers that were all stopped (Ctrl-C, or
killed) is resumed by the next worker of the same job.

Scrapy has no public hook for "the engine is done with this request", so :class:`FrontierScheduler`
wraps the engine slot's ``remove_request`` (checked at start; a Scrapy that changed it is refused
with a clear error rather than losing requests silently).

A Redis blip of a second or two is ridden out (client retries; every script is safe to re-send; a
lease whose release failed is released at the next sync, and an idle worker puts back in the queue
the leases it never heard of, pops whose reply was lost); a Redis gone for good stops the worker
with ``frontier_unavailable``, its leases left for the others.
Requests are pickled into Redis (scrapy-redis's serializer): keep Redis private to the workers.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import socket
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, ScrapyDeprecationWarning
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

log = logging.getLogger(__name__)

SCHEDULER_PATH = "newscrawl.frontier.FrontierScheduler"
JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")
DONE_MARKER_TTL = 7 * 24 * 3600
"""Seconds a finished job's marker stays (workers of that run still idle see it and close)."""


class FrontierError(ValueError):
    """A frontier that cannot be used (bad URL, Redis unreachable, SQLite archive); one line."""


# ---------------------------------------------------------------------- checks (before Scrapy starts)


def shown_url(url: str) -> str:
    """``url`` as messages and logs show it: its password, if any, as ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def check_frontier_url(url: str) -> str:
    """The URL if it names a Redis database (``redis://``, ``rediss://``, ``unix://``); FrontierError if not."""
    parts = urlsplit(url)
    shown = shown_url(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise FrontierError(f"--frontier {shown}: expected a Redis URL like redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url)
    except ValueError as error:
        raise FrontierError(f"--frontier {shown}: {error}") from None
    if parts.scheme != "unix" and parts.path.strip("/") and not parts.path.strip("/").isdigit():
        raise FrontierError(f"--frontier {shown}: the database must be a number (redis://HOST:PORT/0)")
    return url


def check_job_name(job: str) -> str:
    if not JOB_NAME.match(job or ""):
        raise FrontierError(
            f"--job {job!r}: use letters, digits and . _ : - (it names the job's keys in Redis)"
        )
    return job


def connect(url: str) -> redis.Redis:
    """A client that rides out a Redis blip of a second or two (every script here is safe to re-send)."""
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(
        url,
        socket_connect_timeout=3,
        socket_timeout=15,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.1), 4),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )


def ping_frontier(url: str) -> None:
    """FrontierError (one line) when the Redis server of ``url`` does not answer."""
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        raise _unusable(url, client, error) from None
    finally:
        client.close()


def _unusable(url: str, client: redis.Redis, error: redis.RedisError) -> FrontierError:
    """The one line for a frontier whose ping failed: a database the server refuses, or no answer."""
    if isinstance(error, redis.ResponseError) and "DB index" in str(error):
        database = client.connection_pool.connection_kwargs.get("db", 0)
        return FrontierError(
            f"frontier {shown_url(url)}: the Redis server refuses database {database} ({_one_line(error)})"
        )
    return FrontierError(f"frontier {shown_url(url)} not reachable: {_one_line(error)}")


def check_archive_for_frontier(db_url: str | None) -> None:
    """Several workers, maybe on several machines, write one archive: it must be PostgreSQL."""
    from storage import StorageError
    from storage.db import database_url, parse_database_url

    url = database_url(db_url)
    try:
        backend = parse_database_url(url).get_backend_name()
    except StorageError as error:
        raise FrontierError(str(error)) from None
    if backend == "sqlite":
        raise FrontierError(
            f"--frontier needs a PostgreSQL archive (--db postgresql+psycopg://USER@HOST/DB), not {url}: "
            "the workers of a job, on any machines, write one archive at the same time, and SQLite "
            "is a file on one machine that takes one writer at a time"
        )


def default_job_name(spider: Any) -> str:
    """The site profile's name, else the site's host: workers started the same way share a job."""
    profile = getattr(spider, "profile", None)
    if profile is not None and not getattr(spider, "generic", False):
        return profile.name
    pages = getattr(spider, "start_pages", None) or [getattr(spider, "target", "")]
    return urlsplit(pages[0]).hostname or spider.name


# ---------------------------------------------------------------------- keys and scripts


@dataclass(frozen=True, slots=True)
class FrontierKeys:
    """The Redis keys of one job (all under ``newscrawl:<job>:``)."""

    job: str

    @property
    def prefix(self) -> str:
        return f"newscrawl:{self.job}"

    @property
    def queue(self) -> str:
        return f"{self.prefix}:requests"

    @property
    def seen(self) -> str:
        return f"{self.prefix}:dupefilter"

    @property
    def workers(self) -> str:
        return f"{self.prefix}:workers"

    @property
    def idle(self) -> str:
        return f"{self.prefix}:idle"

    @property
    def generation(self) -> str:
        return f"{self.prefix}:generation"

    @property
    def done(self) -> str:
        return f"{self.prefix}:done"

    def leases(self, worker: str) -> str:
        return f"{self.prefix}:leases:{worker}"

    def alive(self, worker: str) -> str:
        return f"{self.prefix}:alive:{worker}"

    def all_static(self) -> list[str]:
        return [self.queue, self.seen, self.workers, self.idle, self.generation, self.done]


# A lease is a field of the worker's hash ``leases:<worker>``: token -> "<score>|<pickled request>".
# Putting a dead worker's leases back restores their priority (the sorted set's score).
_REQUEUE = """
local function requeue(prefix, queue, worker)
  local key = prefix .. ':leases:' .. worker
  local values = redis.call('HVALS', key)
  for _, value in ipairs(values) do
    local bar = string.find(value, '|', 1, true)
    redis.call('ZADD', queue, string.sub(value, 1, bar - 1), string.sub(value, bar + 1))
  end
  redis.call('DEL', key)
  return #values
end
"""

# KEYS: generation, done, queue, seen, workers, idle   ARGV: prefix, worker, ttl_ms
# A job marked done for the current generation starts over: new generation, empty filter and queue.
_JOIN = """
local generation = tonumber(redis.call('GET', KEYS[1]) or '0')
local done = redis.call('GET', KEYS[2])
if generation == 0 or (done and tonumber(done) == generation) then
  generation = redis.call('INCR', KEYS[1])
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
end
redis.call('SADD', KEYS[5], ARGV[2])
redis.call('SREM', KEYS[6], ARGV[2])
redis.call('SET', ARGV[1] .. ':alive:' .. ARGV[2], generation, 'PX', ARGV[3])
return {generation, redis.call('ZCARD', KEYS[3]), redis.call('SCARD', KEYS[5])}
"""

# KEYS: seen, queue   ARGV: fingerprint ('' for dont_filter requests), score, pickled request
# Marked seen and queued in one step: a worker killed in between would otherwise leave a fingerprint
# without its request, and the re-delivered parent's callback would find the request "seen".
_PUSH = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# KEYS: leases(worker), queue   ARGV: the tokens of the requests the worker has in progress
# An idle worker's other leases are pops whose reply it never got (the connection dropped after
# Redis ran them): back in the queue, or the job would wait for them for ever.
_RECLAIM = """
local held = {}
for _, token in ipairs(ARGV) do held[token] = true end
local entries = redis.call('HGETALL', KEYS[1])
local count = 0
for i = 1, #entries, 2 do
  if not held[entries[i]] then
    local bar = string.find(entries[i + 1], '|', 1, true)
    redis.call('ZADD', KEYS[2], string.sub(entries[i + 1], 1, bar - 1), string.sub(entries[i + 1], bar + 1))
    redis.call('HDEL', KEYS[1], entries[i])
    count = count + 1
  end
end
return count
"""

# KEYS: queue, leases(worker), idle, workers   ARGV: token, worker, alive key, ttl_ms
# Pop and lease in one step: a worker killed in between cannot lose the request. A token already
# used means the client re-sent this call after a lost reply: the first lease stays, nothing else.
_POP = """
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return false end
local item = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #item == 0 then return false end
redis.call('ZREM', KEYS[1], item[1])
redis.call('HSET', KEYS[2], ARGV[1], item[2] .. '|' .. item[1])
redis.call('SREM', KEYS[3], ARGV[2])
redis.call('SADD', KEYS[4], ARGV[2])
redis.call('SET', ARGV[3], '1', 'PX', ARGV[4])
return item[1]
"""

# KEYS: queue, workers, idle, generation, done, seen
# ARGV: prefix, worker, generation, mark_idle (0/1), check_end (0/1), ttl_ms, done_ttl_s
# Re-queues the leases of workers whose heartbeat expired; with check_end, says whether the job is
# over: queue empty, no lease anywhere, every live worker idle. Returns {state, requeued, w1, n1, ...}.
_SYNC = (
    _REQUEUE
    + """
local prefix, me = ARGV[1], ARGV[2]
redis.call('SET', prefix .. ':alive:' .. me, '1', 'PX', ARGV[6])
redis.call('SADD', KEYS[2], me)
local result = {'busy', 0}
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if worker ~= me and redis.call('EXISTS', prefix .. ':alive:' .. worker) == 0 then
    local count = requeue(prefix, KEYS[1], worker)
    redis.call('SREM', KEYS[2], worker)
    redis.call('SREM', KEYS[3], worker)
    result[2] = result[2] + count
    table.insert(result, worker)
    table.insert(result, count)
  end
end
if ARGV[4] == '1' then redis.call('SADD', KEYS[3], me) end
if redis.call('GET', KEYS[4]) ~= ARGV[3] then
  result[1] = 'over'
elseif redis.call('GET', KEYS[5]) == ARGV[3] then
  result[1] = 'done'
elseif ARGV[5] == '1' then
  if redis.call('ZCARD', KEYS[1]) > 0 then
    result[1] = 'work'
  else
    result[1] = 'done'
    for _, worker in ipairs(redis.call('SMEMBERS', KEYS[2])) do
      if redis.call('HLEN', prefix .. ':leases:' .. worker) > 0 or redis.call('SISMEMBER', KEYS[3], worker) == 0 then
        result[1] = 'wait'
        break
      end
    end
    if result[1] == 'done' then
      redis.call('SET', KEYS[5], ARGV[3], 'EX', ARGV[7])
      redis.call('DEL', KEYS[6])
    end
  end
end
return result
"""
)

# KEYS: queue, workers, idle   ARGV: prefix, worker
_LEAVE = (
    _REQUEUE
    + """
local count = requeue(ARGV[1], KEYS[1], ARGV[2])
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('SREM', KEYS[3], ARGV[2])
redis.call('DEL', ARGV[1] .. ':alive:' .. ARGV[2])
return count
"""
)


# ---------------------------------------------------------------------- scrapy-redis, with leases


class LeasedPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue, whose pops lease the request to one worker until acknowledged."""

    def __init__(self, server: redis.Redis, spider: Spider, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self._pop_script = server.register_script(_POP)
        self._push_script = server.register_script(_PUSH)
        self.keys: FrontierKeys | None = None
        self.worker = ""
        self.lease_ms = 30_000

    def bind(self, keys: FrontierKeys, worker: str, lease_ms: int) -> None:
        self.keys, self.worker, self.lease_ms = keys, worker, lease_ms

    def push_unseen(self, request: Request, seen_key: str, fingerprint: str | None) -> bool:
        """Queue ``request`` unless its fingerprint is already in ``seen_key`` (None: always queue)."""
        data = self._encode_request(request)
        return bool(
            self._push_script(keys=[seen_key, self.key], args=[fingerprint or "", -request.priority, data])
        )

    def pop_leased(self, token: str) -> bytes | None:
        """The raw entry of the highest-priority request, now leased under ``token``; None if empty."""
        assert self.keys is not None, "bind() first"
        return self._pop_script(
            keys=[self.key, self.keys.leases(self.worker), self.keys.idle, self.keys.workers],
            args=[token, self.worker, self.keys.alive(self.worker), self.lease_ms],
        )

    def decode(self, data: bytes) -> Request:
        return self._decode_request(data)

    def ack(self, *tokens: str) -> None:
        assert self.keys is not None, "bind() first"
        self.server.hdel(self.keys.leases(self.worker), *tokens)

    def pop(self, timeout: int = 0) -> Request | None:  # pragma: no cover - the scheduler leases instead
        raise NotImplementedError("LeasedPriorityQueue pops through pop_leased()")


class FrontierScheduler(Scheduler):
    """scrapy-redis's scheduler on a job's keys, with leases, heartbeats and a shared end (module doc)."""

    def __init__(self, crawler: Crawler, server: redis.Redis, url: str, keys: FrontierKeys) -> None:
        settings = crawler.settings
        super().__init__(
            server=server,
            persist=True,  # the frontier belongs to the job, not to this worker: the job's end clears it
            queue_key=keys.queue,
            queue_cls="newscrawl.frontier.LeasedPriorityQueue",
            dupefilter=RFPDupeFilter(server, key=keys.seen, debug=settings.getbool("DUPEFILTER_DEBUG")),
            dupefilter_key=keys.seen,
            serializer=picklecompat,
        )
        self.crawler = crawler
        self.stats = crawler.stats
        self.url = shown_url(url)
        """The frontier's URL as logs show it (no password)."""
        self.keys = keys
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"
        self.lease_timeout = max(1.0, settings.getfloat("NEWSCRAWL_FRONTIER_LEASE_TIMEOUT", 30.0))
        self.poll_interval = max(0.05, settings.getfloat("NEWSCRAWL_FRONTIER_POLL_INTERVAL", 0.5))
        self.generation = ""
        self.leases: dict[Request, str] = {}
        """Requests this worker popped and the engine has not finished, with their lease tokens."""
        self._tokens = itertools.count(1)
        self._unacked: set[str] = set()
        """Tokens of requests done while Redis did not answer: their leases are released at the next sync."""
        self._sync_script = server.register_script(_SYNC)
        self._join_script = server.register_script(_JOIN)
        self._leave_script = server.register_script(_LEAVE)
        self._reclaim_script = server.register_script(_RECLAIM)
        self._heartbeat: Any = None
        self._wakeup: Any = None
        self._unreachable_since: float | None = None
        self._broken = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierScheduler:
        settings = crawler.settings
        url = check_frontier_url(settings.get("NEWSCRAWL_FRONTIER") or "")
        keys = FrontierKeys(check_job_name(settings.get("NEWSCRAWL_JOB") or ""))
        server = connect(url)
        try:
            server.ping()
        except redis.RedisError as error:
            raise _unusable(url, server, error) from None
        return cls(crawler, server, url, keys)

    @property
    def _lease_ms(self) -> int:
        return int(self.lease_timeout * 1000)

    # ------------------------------------------------------------------ open and close

    def open(self, spider: Spider) -> None:
        self.attach(spider)
        self._hook_engine()
        self.crawler.signals.connect(self._spider_idle, signal=signals.spider_idle)
        from scrapy.utils.asyncio import create_looping_call

        self._heartbeat = create_looping_call(self._beat)
        self._heartbeat.start(self.lease_timeout / 3, now=False)

    def attach(self, spider: Spider) -> None:
        """Open the queue and join the job in Redis (no engine needed: the tests drive this part)."""
        with warnings.catch_warnings():
            # scrapy_redis says "Resuming crawl" through Spider.log(), which Scrapy deprecates with a
            # warning on the terminal of every worker that joins a job; its message is logged anyway
            warnings.filterwarnings("ignore", r"Spider\.log\(\) is deprecated", ScrapyDeprecationWarning)
            super().open(spider)
        self.queue.bind(self.keys, self.worker, self._lease_ms)
        generation, queued, workers = self._join_script(
            keys=[
                self.keys.generation,
                self.keys.done,
                self.keys.queue,
                self.keys.seen,
                self.keys.workers,
                self.keys.idle,
            ],
            args=[self.keys.prefix, self.worker, self._lease_ms],
        )
        self.generation = str(generation)
        self.stats.set_value("newscrawl/frontier/job", self.keys.job)
        self.stats.set_value("newscrawl/frontier/worker", self.worker)
        log.info(
            "frontier %s: worker %s joins job %s (run %s) with %d other worker(s), %d requests queued",
            self.url,
            self.worker,
            self.keys.job,
            self.generation,
            int(workers) - 1,
            int(queued),
        )

    def close(self, reason: str) -> None:
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        if self._wakeup is not None:
            self._wakeup.cancel()
            self._wakeup = None
        try:
            # Normally nothing is left: the engine finishes its requests before closing the scheduler.
            returned = self._leave_script(
                keys=[self.keys.queue, self.keys.workers, self.keys.idle],
                args=[self.keys.prefix, self.worker],
            )
        except redis.RedisError as error:
            log.warning(
                "frontier %s: could not leave the job (%s); the other workers re-queue this worker's "
                "requests once its heartbeat expires",
                self.url,
                _one_line(error),
            )
        else:
            if returned:
                log.info("frontier: %d unfinished requests handed back to the job", returned)
        self.leases.clear()
        super().close(reason)
        self.server.close()

    # ------------------------------------------------------------------ requests

    def enqueue_request(self, request: Request) -> bool:
        """scrapy-redis's duplicate filter and queue, in one Redis step (see ``_PUSH``)."""
        if self._broken:  # stopping: the parent's lease is kept, so its re-delivery brings this back
            return False
        fingerprint = None if request.dont_filter else self.df.request_fingerprint(request)
        try:
            queued = self.queue.push_unseen(request, self.keys.seen, fingerprint)
        except redis.RedisError as error:
            # The request is lost for this worker; its parent's lease must not be released then.
            self._frontier_failed(f"could not queue {request.url}: {_one_line(error)}")
            return False
        if not queued:
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self._broken:
            return None
        token = str(next(self._tokens))
        try:
            data = self.queue.pop_leased(token)
        except redis.RedisError as error:
            self._unreachable(error)
            return None
        if data is None:
            return None
        try:
            request = self.queue.decode(data)
        except Exception as error:  # a request another newscrawl version wrote, say: drop it, say so
            log.error("frontier: a queued request cannot be read and is dropped: %s", _one_line(error))
            self.stats.inc_value("newscrawl/frontier/unreadable")
            self.queue.ack(token)
            return None
        self.leases[request] = token
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        if self._broken:
            return False
        try:
            return super().has_pending_requests()
        except redis.RedisError as error:
            self._unreachable(error)
            return False

    def request_finished(self, request: Request) -> None:
        """The engine is done with ``request``: release its lease (the engine slot hook calls this)."""
        token = self.leases.pop(request, None)
        if token is None or self._broken:
            return
        try:
            self.queue.ack(token)
        except redis.RedisError as error:
            # Released at the next sync that gets through: held, it would keep the job from ending.
            self._unacked.add(token)
            self._unreachable(error)

    def _hook_engine(self) -> None:
        """Learn when the engine is done with a request: its slot's ``remove_request`` (no public hook)."""
        slot = getattr(self.crawler.engine, "_slot", None)
        remove = getattr(slot, "remove_request", None)
        if slot is None or not callable(remove) or not isinstance(getattr(slot, "inprogress", None), set):
            raise FrontierError(
                "this Scrapy version's engine has no slot.remove_request(): the frontier cannot tell "
                "when a request is done, so it would lose requests of killed workers"
            )

        def remove_request(request: Request) -> None:
            try:
                self.request_finished(request)
            finally:
                remove(request)

        slot.remove_request = remove_request

    # ------------------------------------------------------------------ heartbeat, idleness, the end

    def _sync(self, *, idle: bool) -> str:
        """Heartbeat, re-queue dead workers' leases; ``idle``: mark this worker idle, check the end."""
        flag = "1" if idle else "0"
        if self._unacked:
            self.queue.ack(*self._unacked)
            self._unacked.clear()
        if idle:
            self._reclaim_unknown_leases()
        result = self._sync_script(
            keys=[
                self.keys.queue,
                self.keys.workers,
                self.keys.idle,
                self.keys.generation,
                self.keys.done,
                self.keys.seen,
            ],
            args=[
                self.keys.prefix,
                self.worker,
                self.generation,
                flag,
                flag,
                self._lease_ms,
                DONE_MARKER_TTL,
            ],
        )
        self._reachable()
        state = result[0].decode() if isinstance(result[0], bytes) else str(result[0])
        requeued = int(result[1])
        if requeued:
            self.stats.inc_value("newscrawl/frontier/redelivered", requeued)
            for worker, count in zip(result[2::2], result[3::2], strict=True):
                name = worker.decode() if isinstance(worker, bytes) else worker
                log.warning(
                    "frontier: worker %s stopped answering (no heartbeat for %.0f s); its %d unfinished "
                    "requests are back in the queue",
                    name,
                    self.lease_timeout,
                    int(count),
                )
        return state

    def _reclaim_unknown_leases(self) -> None:
        reclaimed = self._reclaim_script(
            keys=[self.keys.leases(self.worker), self.keys.queue], args=list(self.leases.values())
        )
        if reclaimed:
            log.warning(
                "frontier: %d requests leased to this worker in a lost reply from Redis are back in the queue",
                int(reclaimed),
            )

    def _beat(self) -> None:
        if self._broken:
            return
        try:
            self._sync(idle=False)
        except redis.RedisError as error:
            self._unreachable(error)

    def _spider_idle(self, spider: Spider | None = None) -> None:
        """The engine ran dry: close only when the whole job is over, else wait and poll."""
        if self._broken:
            return
        try:
            state = self._sync(idle=True)
        except redis.RedisError as error:
            self._unreachable(error)
            state = "wait"
        if state in ("done", "over"):
            self.stats.set_value("newscrawl/frontier/job_finished", True)
            log.info("frontier: job %s is finished (queue drained, no worker busy)", self.keys.job)
            return
        self._wake_engine(0 if state == "work" else self.poll_interval)
        raise DontCloseSpider

    def _wake_engine(self, delay: float) -> None:
        """Make the engine look at the queue again soon (by itself it looks every 5 s when idle)."""
        if self._wakeup is not None:
            return
        from scrapy.utils.asyncio import call_later

        def wake() -> None:
            self._wakeup = None
            slot = getattr(self.crawler.engine, "_slot", None)
            if slot is not None and slot.closing is None:
                slot.nextcall.schedule()

        self._wakeup = call_later(delay, wake)

    # ------------------------------------------------------------------ Redis trouble

    def _reachable(self) -> None:
        if self._unreachable_since is not None:
            log.warning("frontier %s reachable again", self.url)
        self._unreachable_since = None

    def _unreachable(self, error: Exception) -> None:
        """Redis did not answer: keep trying for one lease timeout, then stop this worker."""
        now = time.monotonic()
        if self._unreachable_since is None:
            self._unreachable_since = now
            log.warning("frontier %s not answering (%s); retrying", self.url, _one_line(error))
        elif now - self._unreachable_since > self.lease_timeout:
            self._frontier_failed(
                f"not answering for {now - self._unreachable_since:.0f} s ({_one_line(error)})"
            )

    def _frontier_failed(self, problem: str) -> None:
        if self._broken:
            return
        self._broken = True
        because = f"frontier {self.url}: {problem}"
        # A warning: the crawl's last line (`Error: crawl stopped: ...`) is the error, with the reason
        # under --quiet, which shows no warning.
        log.warning("%s; stopping this worker (its leased requests go back to the job)", because)
        self.stats.set_value("newscrawl/stopped_by", "frontier_unavailable")
        self.stats.set_value("newscrawl/stopped_because", because)
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(self.crawler.engine.close_spider_async(reason="frontier_unavailable"))


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


# ---------------------------------------------------------------------- settings


class FrontierAddon:
    """``ADDONS`` entry: with ``NEWSCRAWL_FRONTIER`` set, use :class:`FrontierScheduler` for this crawl.

    Runs after every settings source (command line, scrapyd's ``setting=``) and after the spider is
    built, so the job name can default to the spider's site: ``scrapy crawl site -a target=X -s
    NEWSCRAWL_FRONTIER=redis://...`` and scrapyd need nothing else. ``NEWSCRAWL_JOB`` is set to the
    job name: the archive's crawl lock lets processes of the same job share a site.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierAddon:
        return cls(crawler)

    def update_settings(self, settings: BaseSettings) -> None:
        url = settings.get("NEWSCRAWL_FRONTIER")
        if not url:
            return
        check_frontier_url(url)
        if settings.getbool("NEWSCRAWL_ARCHIVE", True):
            check_archive_for_frontier(settings.get("NEWSCRAWL_DB"))
        job = check_job_name(settings.get("NEWSCRAWL_JOB") or default_job_name(self.crawler.spider))
        _set(settings, "NEWSCRAWL_JOB", job)
        _set(settings, "SCHEDULER", SCHEDULER_PATH)


def _set(settings: BaseSettings, name: str, value: Any) -> None:
    """Set above the defaults and project settings, never below what is there already."""
    priority = max(settings.getpriority(name) or 0, SETTINGS_PRIORITIES["addon"])
    settings.set(name, value, priority=priority)

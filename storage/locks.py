"""One crawl per site at a time: a lock row per site in ``crawl_locks``, held by a named holder.

A crawl run takes its site's lock when it starts and releases it when it ends::

    with archive.transaction() as repo:            # SQLite: BEGIN IMMEDIATE, one writer at a time
        grant = acquire_crawl_lock(repo.session, "blog-auto-info.com", holder, ttl=600, crawl_run_id=run_id)
    ...                                            # every minute or so:
    with archive.transaction() as repo:
        still_mine = refresh_crawl_lock(repo.session, "blog-auto-info.com", holder)
    ...
    with archive.transaction() as repo:
        release_crawl_lock(repo.session, "blog-auto-info.com", holder)

* **Holders.** Processes presenting the same holder share the lock (the N workers of one
  distributed job); ``processes`` counts them and the row goes when the last one releases it. A
  different holder is refused with :class:`CrawlLocked` while the lock is live.
* **Staleness.** A holder refreshes ``heartbeat_at`` while it crawls. A lock whose heartbeat is
  older than the taker's ``ttl`` belongs to a process that died: it is taken over
  (``LockGrant.taken_over`` says from whom), so a crash never blocks a site for good. A caller
  that knows the holder is dead (its process is gone) names it as ``dead_holder`` and takes the
  lock over at once. The dead run that took it, still ``running`` in ``crawl_runs``, is marked
  ``failed`` as of its last heartbeat.
* **Runs.** Each crawl run heartbeats its own row too (``crawl_runs.heartbeat_at``, with its
  ``process``): the workers of one job share the lock, so the lock alone cannot tell that one of
  them died. :func:`close_abandoned_runs` closes the site's ``running`` runs whose heartbeat is
  stale (or whose process is known gone) as ``failed``, and gives back the dead run's share of its
  job's lock; a run calls it as it starts and with each heartbeat, so a dead worker's run is closed
  by its live peers or by the next run, and the lock goes with the job's last live worker.
* **Atomicity.** Taking the lock is one ``INSERT ... ON CONFLICT (site_id) DO UPDATE ... WHERE``
  (the holder is the same, or the lock is stale) on both backends. PostgreSQL serializes it on the
  row (a concurrent taker waits, then sees the new holder); on SQLite the caller's write
  transaction (``BEGIN IMMEDIATE``) already excludes other writers.
* **Clocks.** On PostgreSQL the server's clock is used, so workers on several machines agree on
  what is stale; SQLite lives on one machine, whose clock it is.

Nothing here commits: the caller's unit of work does (``Archive.transaction()``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, select, text, update
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.orm import Session

from storage.models import Article, CrawlLock, CrawlRun, Site

__all__ = [
    "ABANDONED_REASON",
    "AbandonedRun",
    "CrawlLocked",
    "HeldLock",
    "LockGrant",
    "acquire_crawl_lock",
    "close_abandoned_runs",
    "crawl_locks",
    "ensure_site",
    "heartbeat_crawl_run",
    "refresh_crawl_lock",
    "release_crawl_lock",
]

_ARTICLES = Article.__table__
_LOCKS = CrawlLock.__table__
_RUNS = CrawlRun.__table__
_SITES = Site.__table__
_INSERT = {"postgresql": postgresql_dialect.insert, "sqlite": sqlite_dialect.insert}


@dataclass(frozen=True, slots=True)
class HeldLock:
    """A lock row as read back: which site, who holds it, since when, last sign of life."""

    site: str
    holder: str
    acquired_at: datetime
    heartbeat_at: datetime
    processes: int
    crawl_run_id: int | None

    def is_stale(self, ttl: float, now: datetime) -> bool:
        return self.heartbeat_at < now - timedelta(seconds=ttl)


@dataclass(frozen=True, slots=True)
class LockGrant:
    """The lock was granted: ``lock`` as it is now, and how it came to be held."""

    lock: HeldLock
    shared: bool
    """Another process of the same holder had it already (and still heartbeats)."""
    taken_over: HeldLock | None
    """The stale lock of another holder that was replaced, if any."""


class CrawlLocked(Exception):
    """Another holder's live lock is on the site; ``str()`` is one line for the user."""

    def __init__(self, lock: HeldLock, now: datetime, ttl: float) -> None:
        self.lock = lock
        self.now = now
        self.ttl = ttl
        silent = max(0, int((now - lock.heartbeat_at).total_seconds()))
        run = f"crawl run {lock.crawl_run_id}, " if lock.crawl_run_id is not None else ""
        super().__init__(
            f"{lock.site} is already being crawled by {lock.holder} since "
            f"{lock.acquired_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC ({run}last heartbeat {silent} s ago; "
            f"the lock is taken over after {_duration(ttl)} without one)"
        )


def _duration(seconds: float) -> str:
    if seconds >= 120 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"


def database_now(session: Session) -> datetime:
    """The time by the database's clock (PostgreSQL's, so every worker agrees; the machine's for SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(text("SELECT clock_timestamp()")).scalar_one().astimezone(UTC)
    return datetime.now(UTC)


def ensure_site(session: Session, key: str) -> int:
    """The id of the site ``key`` (``blog-auto-info.com``), created if the archive has none yet."""
    dialect = session.get_bind().dialect.name
    session.execute(
        _INSERT[dialect](_SITES)
        .values(key=key, first_seen_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=[_SITES.c.key])
    )
    return session.execute(select(_SITES.c.id).where(_SITES.c.key == key)).scalar_one()


def _held(session: Session, site_id: int, *, for_update: bool = False) -> HeldLock | None:
    query = (
        select(_LOCKS, _SITES.c.key)
        .join(_SITES, _SITES.c.id == _LOCKS.c.site_id)
        .where(_LOCKS.c.site_id == site_id)
    )
    if for_update:
        # PostgreSQL; on SQLite the IMMEDIATE write transaction already excludes other writers.
        query = query.with_for_update(of=_LOCKS)
    row = session.execute(query).one_or_none()
    return None if row is None else _as_held(row)


def _as_held(row: Any) -> HeldLock:
    return HeldLock(
        site=row.key,
        holder=row.holder,
        acquired_at=row.acquired_at,
        heartbeat_at=row.heartbeat_at,
        processes=row.processes,
        crawl_run_id=row.crawl_run_id,
    )


def acquire_crawl_lock(
    session: Session,
    site: str,
    holder: str,
    *,
    ttl: float,
    crawl_run_id: int | None = None,
    dead_holder: str | None = None,
    now: datetime | None = None,
) -> LockGrant:
    """Take (or share, or take over) the crawl lock of ``site``; raises :class:`CrawlLocked`.

    ``ttl`` (seconds): a lock without a heartbeat for that long is stale. ``dead_holder``: a holder
    known to be dead, whose lock is taken over however recent its heartbeat. ``now`` is for tests;
    by default the database's clock.
    """
    if ttl <= 0:
        raise ValueError(f"the lock TTL must be positive, not {ttl!r}")
    now = now or database_now(session)
    site_id = ensure_site(session, site)
    before = _held(session, site_id, for_update=True)
    stale_before = now - timedelta(seconds=ttl)
    live = _LOCKS.c.heartbeat_at >= stale_before
    same_live_holder = (_LOCKS.c.holder == holder) & live
    insert = _INSERT[session.get_bind().dialect.name](_LOCKS).values(
        site_id=site_id,
        holder=holder,
        acquired_at=now,
        heartbeat_at=now,
        processes=1,
        crawl_run_id=crawl_run_id,
    )
    statement = insert.on_conflict_do_update(
        index_elements=[_LOCKS.c.site_id],
        set_={
            "holder": holder,
            "heartbeat_at": now,
            "acquired_at": case((same_live_holder, _LOCKS.c.acquired_at), else_=insert.excluded.acquired_at),
            "processes": case((same_live_holder, _LOCKS.c.processes + 1), else_=1),
            "crawl_run_id": case(
                (same_live_holder, _LOCKS.c.crawl_run_id), else_=insert.excluded.crawl_run_id
            ),
        },
        # Granted to the same holder, or over a stale or dead lock; a live lock of another holder stays.
        where=(_LOCKS.c.holder == holder) | ~live | (_LOCKS.c.holder == (dead_holder or holder)),
    ).returning(_LOCKS.c.site_id)
    if session.execute(statement).one_or_none() is None:
        current = _held(session, site_id) or before
        assert current is not None  # the conflict that refused us is a row
        raise CrawlLocked(current, now, ttl)
    granted = _held(session, site_id)
    assert granted is not None
    live_before = before is not None and not before.is_stale(ttl, now) and before.holder != dead_holder
    shared = before is not None and live_before and before.holder == holder
    taken_over = before if before is not None and not live_before and before.holder != holder else None
    if before is not None and not live_before and before.crawl_run_id is not None:
        # The process that took the stale lock died without closing its run: closed as an abandoned
        # run of a job's worker is (close_abandoned_runs), as of its last sign of life.
        session.execute(
            update(_RUNS)
            .where(_RUNS.c.id == before.crawl_run_id, _RUNS.c.status == "running")
            .values(
                status="failed",
                finished_at=_last_active(session, before.crawl_run_id, before.heartbeat_at),
                stats={"finish_reason": ABANDONED_REASON},
            )
        )
    return LockGrant(lock=granted, shared=shared, taken_over=taken_over)


def refresh_crawl_lock(
    session: Session, site: str, holder: str, *, now: datetime | None = None
) -> HeldLock | None:
    """Heartbeat: the lock is still ours and alive now. Returns it, or None when it is not ours any
    more (taken over after our heartbeat went stale, or released)."""
    now = now or database_now(session)
    site_id = session.execute(select(_SITES.c.id).where(_SITES.c.key == site)).scalar_one_or_none()
    if site_id is None:
        return None
    updated = session.execute(
        update(_LOCKS).where(_LOCKS.c.site_id == site_id, _LOCKS.c.holder == holder).values(heartbeat_at=now)
    )
    return _held(session, site_id) if updated.rowcount else None


def release_crawl_lock(session: Session, site: str, holder: str) -> bool:
    """This process is done with the lock: one fewer process of ``holder``; the row goes with the
    last one. False when the lock was not ours (any more)."""
    site_id = session.execute(select(_SITES.c.id).where(_SITES.c.key == site)).scalar_one_or_none()
    if site_id is None:
        return False
    return _give_back_share(session, site_id, holder)


def _give_back_share(session: Session, site_id: int, holder: str, *conditions: Any) -> bool:
    """One process fewer of ``holder`` on the site's lock (and ``conditions``); the row goes with the
    last. False when no such lock."""
    share = and_((_LOCKS.c.site_id == site_id) & (_LOCKS.c.holder == holder), *conditions)
    updated = session.execute(update(_LOCKS).where(share).values(processes=_LOCKS.c.processes - 1))
    if not updated.rowcount:
        return False
    session.execute(delete(_LOCKS).where(share, _LOCKS.c.processes <= 0))
    return True


def crawl_locks(session: Session) -> dict[str, HeldLock]:
    """Every lock row (live or stale), by site key."""
    rows = session.execute(select(_LOCKS, _SITES.c.key).join(_SITES, _SITES.c.id == _LOCKS.c.site_id))
    return {row.key: _as_held(row) for row in rows}


@dataclass(frozen=True, slots=True)
class AbandonedRun:
    """A crawl run closed as ``failed`` because its process stopped heartbeating."""

    run_id: int
    process: str | None
    heartbeat_at: datetime
    lock_holder: str | None = None
    last_active_at: datetime | None = None
    """Its last heartbeat, or the last article it archived when that came later (its ``finished_at``)."""


ABANDONED_REASON = "abandoned"
"""``finish_reason`` in the stats of a run closed by another process."""


def heartbeat_crawl_run(
    session: Session,
    run_id: int,
    process: str,
    *,
    lock_holder: str | None = None,
    now: datetime | None = None,
) -> None:
    """The run's process (``host:pid:token``) is alive now; ``lock_holder``: the holder it presented
    for its site's lock."""
    now = now or database_now(session)
    values: dict[str, Any] = {"process": process, "heartbeat_at": now}
    if lock_holder is not None:
        values["lock_holder"] = lock_holder
    session.execute(update(_RUNS).where(_RUNS.c.id == run_id).values(**values))


def _last_active(session: Session, run_id: int, heartbeat_at: datetime) -> datetime:
    """A run's last heartbeat, or the last article it archived when that came later (heartbeats are a
    minute apart: a worker killed 40 s in had not heartbeated since it started)."""
    last_article = session.execute(
        select(func.max(_ARTICLES.c.last_seen_at)).where(_ARTICLES.c.last_crawl_run_id == run_id)
    ).scalar_one_or_none()
    return max(heartbeat_at, last_article) if last_article is not None else heartbeat_at


def close_abandoned_runs(
    session: Session,
    site: str,
    *,
    ttl: float,
    gone: Callable[[str], bool] | None = None,
    keep: int | None = None,
    now: datetime | None = None,
) -> list[AbandonedRun]:
    """Close as ``failed``, as of their last activity (:func:`_last_active`), the ``running`` runs of
    ``site`` whose heartbeat is older than ``ttl`` seconds, or whose process ``gone(process)`` says has
    ended. ``keep``: the caller's own run. Runs that keep no heartbeat (imports, re-extractions, runs
    recorded before heartbeats) are left alone."""
    now = now or database_now(session)
    site_id = session.execute(select(_SITES.c.id).where(_SITES.c.key == site)).scalar_one_or_none()
    if site_id is None:
        return []
    query = select(_RUNS.c.id, _RUNS.c.process, _RUNS.c.heartbeat_at, _RUNS.c.lock_holder).where(
        _RUNS.c.site_id == site_id, _RUNS.c.status == "running", _RUNS.c.heartbeat_at.is_not(None)
    )
    if keep is not None:
        query = query.where(_RUNS.c.id != keep)
    stale_before = now - timedelta(seconds=ttl)
    stale = [
        row
        for row in session.execute(query.order_by(_RUNS.c.id))
        if row.heartbeat_at < stale_before or (gone is not None and row.process and gone(row.process))
    ]
    abandoned = [
        AbandonedRun(
            row.id,
            row.process,
            row.heartbeat_at,
            row.lock_holder,
            _last_active(session, row.id, row.heartbeat_at),
        )
        for row in stale
    ]
    for run in abandoned:
        session.execute(
            update(_RUNS)
            .where(_RUNS.c.id == run.run_id, _RUNS.c.status == "running")
            .values(
                status="failed", finished_at=run.last_active_at, stats={"finish_reason": ABANDONED_REASON}
            )
        )
        if run.lock_holder is not None:
            # Only a run counted in the current lock: it heartbeated since that lock was taken.
            _give_back_share(session, site_id, run.lock_holder, _LOCKS.c.acquired_at <= run.heartbeat_at)
    return abandoned

"""The per-site crawl lock (storage/locks.py), on both backends."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from storage.locks import (
    AbandonedRun,
    CrawlLocked,
    acquire_crawl_lock,
    close_abandoned_runs,
    crawl_locks,
    heartbeat_crawl_run,
    refresh_crawl_lock,
    release_crawl_lock,
)
from storage.models import CrawlLock

SITE = "blog-auto-info.com"
TTL = 600.0
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def lock_rows(session) -> int:
    return session.scalar(select(func.count()).select_from(CrawlLock))


def test_first_run_takes_the_lock(session) -> None:
    grant = acquire_crawl_lock(session, SITE, "cron:1", ttl=TTL, now=T0)
    assert (grant.shared, grant.taken_over) == (False, None)
    assert grant.lock.site == SITE and grant.lock.holder == "cron:1"
    assert grant.lock.acquired_at == grant.lock.heartbeat_at == T0
    assert grant.lock.processes == 1
    assert set(crawl_locks(session)) == {SITE}


def test_a_second_run_of_another_holder_is_refused_with_who_and_since_when(session) -> None:
    acquire_crawl_lock(session, SITE, "web1:4242:ab12", ttl=TTL, now=T0)
    with pytest.raises(CrawlLocked) as refused:
        acquire_crawl_lock(session, SITE, "web1:5151:cd34", ttl=TTL, now=at(30))
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(
        "blog-auto-info.com is already being crawled by web1:4242:ab12 since 2026-11-26 09:00:00 UTC"
    )
    assert "last heartbeat 30 s ago" in message and "taken over after 10 min" in message
    assert refused.value.lock.holder == "web1:4242:ab12"
    assert crawl_locks(session)[SITE].holder == "web1:4242:ab12"


def test_other_sites_are_not_concerned(session) -> None:
    acquire_crawl_lock(session, SITE, "cron:1", ttl=TTL, now=T0)
    grant = acquire_crawl_lock(session, "autoplus.fr", "cron:2", ttl=TTL, now=T0)
    assert grant.lock.holder == "cron:2"
    assert lock_rows(session) == 2


def test_processes_of_the_same_holder_share_it_until_the_last_releases(session) -> None:
    first = acquire_crawl_lock(session, SITE, "job-7", ttl=TTL, crawl_run_id=None, now=T0)
    second = acquire_crawl_lock(session, SITE, "job-7", ttl=TTL, now=at(5))
    assert (first.shared, second.shared) == (False, True)
    assert second.lock.processes == 2
    assert second.lock.acquired_at == T0  # still held since the first took it
    assert release_crawl_lock(session, SITE, "job-7")
    assert crawl_locks(session)[SITE].processes == 1
    with pytest.raises(CrawlLocked):  # one worker still crawls
        acquire_crawl_lock(session, SITE, "other", ttl=TTL, now=at(10))
    assert release_crawl_lock(session, SITE, "job-7")
    assert lock_rows(session) == 0


def test_heartbeats_keep_it_live_past_the_ttl(session) -> None:
    acquire_crawl_lock(session, SITE, "cron:1", ttl=TTL, now=T0)
    refreshed = refresh_crawl_lock(session, SITE, "cron:1", now=at(TTL - 1))
    assert refreshed is not None and refreshed.heartbeat_at == at(TTL - 1)
    with pytest.raises(CrawlLocked):
        acquire_crawl_lock(session, SITE, "cron:2", ttl=TTL, now=at(TTL + 60))


def test_a_stale_lock_is_taken_over_and_its_old_holder_learns_it(session) -> None:
    acquire_crawl_lock(session, SITE, "crashed:1", ttl=TTL, now=T0)
    grant = acquire_crawl_lock(session, SITE, "cron:2", ttl=TTL, crawl_run_id=None, now=at(TTL + 1))
    assert grant.taken_over is not None and grant.taken_over.holder == "crashed:1"
    assert grant.taken_over.heartbeat_at == T0
    assert grant.lock.holder == "cron:2" and grant.lock.acquired_at == at(TTL + 1)
    assert grant.lock.processes == 1
    # The old holder, should it still be alive, finds the lock gone from it.
    assert refresh_crawl_lock(session, SITE, "crashed:1", now=at(TTL + 2)) is None
    assert not release_crawl_lock(session, SITE, "crashed:1")
    assert crawl_locks(session)[SITE].holder == "cron:2"


def test_the_dead_run_of_a_stale_lock_is_closed_as_failed(session, repo) -> None:
    dead = repo.start_crawl_run("blog-auto-info", started_at=T0)
    acquire_crawl_lock(session, SITE, "crashed:1", ttl=TTL, crawl_run_id=dead, now=T0)
    refresh_crawl_lock(session, SITE, "crashed:1", now=at(120))
    acquire_crawl_lock(session, SITE, "cron:2", ttl=TTL, now=at(TTL + 200))
    run = repo.get_crawl_run(dead)
    assert (run.status, run.finished_at) == ("failed", at(120))  # as of its last sign of life


def test_a_run_that_did_close_is_left_as_it_ended(session, repo) -> None:
    # Workers of one job share a lock: the run that took it may have closed while others crawled on.
    closed = repo.start_crawl_run("blog-auto-info", started_at=T0)
    acquire_crawl_lock(session, SITE, "job-7", ttl=TTL, crawl_run_id=closed, now=T0)
    acquire_crawl_lock(session, SITE, "job-7", ttl=TTL, now=T0)
    repo.finish_crawl_run(closed, status="finished", finished_at=at(60))
    release_crawl_lock(session, SITE, "job-7")
    acquire_crawl_lock(session, SITE, "cron:2", ttl=TTL, now=at(TTL + 1))
    assert repo.get_crawl_run(closed).status == "finished"


def test_the_lock_of_a_holder_known_dead_is_taken_over_at_once(session, repo) -> None:
    dead = repo.start_crawl_run("blog-auto-info", started_at=T0)
    acquire_crawl_lock(session, SITE, "web1:4242:ab12cd34", ttl=TTL, crawl_run_id=dead, now=T0)
    with pytest.raises(CrawlLocked):  # naming another holder as dead changes nothing
        acquire_crawl_lock(session, SITE, "web1:5151:0", ttl=TTL, dead_holder="web1:1:0", now=at(5))
    grant = acquire_crawl_lock(
        session, SITE, "web1:5151:0", ttl=TTL, dead_holder="web1:4242:ab12cd34", now=at(5)
    )
    assert grant.taken_over is not None and grant.taken_over.holder == "web1:4242:ab12cd34"
    assert (grant.lock.holder, grant.shared) == ("web1:5151:0", False)
    assert repo.get_crawl_run(dead).status == "failed"


def test_a_stale_lock_of_the_same_holder_starts_afresh(session) -> None:
    acquire_crawl_lock(session, SITE, "job-7", ttl=TTL, now=T0)
    acquire_crawl_lock(session, SITE, "job-7", ttl=TTL, now=T0)
    again = acquire_crawl_lock(session, SITE, "job-7", ttl=TTL, now=at(TTL + 1))
    assert not again.shared
    assert again.lock.processes == 1  # the two dead workers are not counted any more
    assert again.lock.acquired_at == at(TTL + 1)


def test_the_ttl_is_the_takers(session) -> None:
    acquire_crawl_lock(session, SITE, "cron:1", ttl=TTL, now=T0)
    grant = acquire_crawl_lock(session, SITE, "impatient", ttl=60, now=at(61))
    assert grant.taken_over is not None
    with pytest.raises(ValueError, match="TTL must be positive"):
        acquire_crawl_lock(session, SITE, "x", ttl=0)


def test_release_of_a_lock_never_taken_is_false(session) -> None:
    assert not release_crawl_lock(session, "never-crawled.example", "cron:1")
    assert refresh_crawl_lock(session, "never-crawled.example", "cron:1") is None


def test_the_lock_names_the_run_that_took_it(session, repo) -> None:
    run_id = repo.start_crawl_run("blog-auto-info")
    grant = acquire_crawl_lock(session, SITE, "cron:1", ttl=TTL, crawl_run_id=run_id, now=T0)
    assert grant.lock.crawl_run_id == run_id
    shared = acquire_crawl_lock(session, SITE, "cron:1", ttl=TTL, crawl_run_id=run_id + 1, now=T0)
    assert shared.lock.crawl_run_id == run_id


def test_by_default_the_database_clock_is_used(session) -> None:
    before = datetime.now(UTC)
    grant = acquire_crawl_lock(session, SITE, "cron:1", ttl=TTL)
    assert before - timedelta(seconds=5) <= grant.lock.acquired_at <= datetime.now(UTC) + timedelta(seconds=5)


def test_concurrent_takers_get_it_once(fresh_archive) -> None:
    """Six processes' worth of transactions race for the same free lock: exactly one wins."""
    takers = 6
    barrier = threading.Barrier(takers)
    outcomes: list[str] = []

    def take(number: int) -> None:
        barrier.wait()
        try:
            with fresh_archive.transaction() as repo:
                acquire_crawl_lock(repo.session, SITE, f"host:{number}", ttl=TTL)
            outcomes.append("granted")
        except CrawlLocked:
            outcomes.append("refused")

    threads = [threading.Thread(target=take, args=(n,)) for n in range(takers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["granted"] + ["refused"] * (takers - 1)
    with fresh_archive.session() as session:
        assert lock_rows(session) == 1


def test_a_failed_start_leaves_no_lock(fresh_archive) -> None:
    with pytest.raises(RuntimeError), fresh_archive.transaction() as repo:
        acquire_crawl_lock(repo.session, SITE, "cron:1", ttl=TTL)
        raise RuntimeError("the run could not start")
    with fresh_archive.session() as session:
        assert lock_rows(session) == 0


# ---------------------------------------------------------------------- abandoned runs


def crawl_run(
    repo, session, site: str = SITE, *, heartbeat: datetime | None, process: str = "web1:1:0"
) -> int:
    """A running crawl run of ``site`` whose process last heartbeated at ``heartbeat`` (None: never)."""
    from storage.health import tag_crawl_run

    run_id = repo.start_crawl_run("blog-auto-info", started_at=T0)
    tag_crawl_run(session, run_id, site=site, extractor_version=None)
    if heartbeat is not None:
        heartbeat_crawl_run(session, run_id, process, now=heartbeat)
    return run_id


def test_a_run_whose_heartbeat_went_stale_is_closed_as_failed_as_of_it(session, repo) -> None:
    dead = crawl_run(repo, session, heartbeat=at(120), process="web2:77:ab12cd34")
    mine = crawl_run(repo, session, heartbeat=at(TTL + 130))
    closed = close_abandoned_runs(session, SITE, ttl=TTL, keep=mine, now=at(TTL + 130))
    assert closed == [AbandonedRun(dead, "web2:77:ab12cd34", at(120), last_active_at=at(120))]
    run = repo.get_crawl_run(dead)
    assert (run.status, run.finished_at, run.stats) == ("failed", at(120), {"finish_reason": "abandoned"})
    assert repo.get_crawl_run(mine).status == "running"


def test_an_abandoned_run_ends_at_its_last_article_when_that_came_after_its_last_heartbeat(
    session, repo, flagship
) -> None:
    # Heartbeats are a minute apart: a worker killed 40 s in was closed as of its start.
    dead = crawl_run(repo, session, heartbeat=at(0), process="web2:77:ab12cd34")
    repo.upsert_article(flagship, crawl_run_id=dead, seen_at=at(40))
    [closed] = close_abandoned_runs(session, SITE, ttl=TTL, now=at(TTL + 130))
    assert (closed.heartbeat_at, closed.last_active_at) == (at(0), at(40))
    assert repo.get_crawl_run(dead).finished_at == at(40)


def test_the_run_of_a_lock_taken_over_ends_at_its_last_article_as_abandoned(session, repo, flagship) -> None:
    # A cron run killed 40 s in (kill -9, the OOM killer): the next run took its lock over and closed its
    # run as of its start (0.0 s in the report) and without a reason, unlike a killed worker's run.
    dead = repo.start_crawl_run("blog-auto-info", started_at=T0)
    acquire_crawl_lock(session, SITE, "web1:4242:ab12cd34", ttl=TTL, crawl_run_id=dead, now=T0)
    repo.upsert_article(flagship, crawl_run_id=dead, seen_at=at(40))
    acquire_crawl_lock(session, SITE, "web1:5151:0", ttl=TTL, dead_holder="web1:4242:ab12cd34", now=at(45))
    run = repo.get_crawl_run(dead)
    assert (run.status, run.finished_at, run.stats) == ("failed", at(40), {"finish_reason": "abandoned"})


def test_a_run_that_heartbeats_is_left_running(session, repo) -> None:
    live = crawl_run(repo, session, heartbeat=at(100))
    assert close_abandoned_runs(session, SITE, ttl=TTL, now=at(TTL + 99)) == []
    assert repo.get_crawl_run(live).status == "running"


def test_a_run_whose_process_is_known_gone_is_closed_at_once(session, repo) -> None:
    gone = crawl_run(repo, session, heartbeat=at(10), process="web1:4242:ab12cd34")
    alive = crawl_run(repo, session, heartbeat=at(10), process="web1:5151:ab12cd34")
    closed = close_abandoned_runs(
        session, SITE, ttl=TTL, gone=lambda process: process.startswith("web1:4242:"), now=at(11)
    )
    assert [run.run_id for run in closed] == [gone]
    assert [repo.get_crawl_run(r).status for r in (gone, alive)] == ["failed", "running"]


def test_runs_without_heartbeat_other_sites_and_ended_runs_are_left_alone(session, repo) -> None:
    # An import or a re-extraction keeps no heartbeat; another site's runs are not ours to judge.
    silent = crawl_run(repo, session, heartbeat=None)
    elsewhere = crawl_run(repo, session, "autre-site.fr", heartbeat=at(0))
    ended = crawl_run(repo, session, heartbeat=at(0))
    repo.finish_crawl_run(ended, status="finished", finished_at=at(60))
    assert close_abandoned_runs(session, SITE, ttl=TTL, now=at(10 * TTL)) == []
    assert [repo.get_crawl_run(r).status for r in (silent, elsewhere, ended)] == [
        "running",
        "running",
        "finished",
    ]
    assert close_abandoned_runs(session, "never-crawled.example", ttl=TTL, now=at(10 * TTL)) == []


def test_a_dead_worker_gives_back_its_share_of_the_job_lock(session, repo) -> None:
    acquire_crawl_lock(session, SITE, "job-7", ttl=TTL, now=T0)
    live = crawl_run(repo, session, heartbeat=T0, process="web1:1:aaaa0000")
    acquire_crawl_lock(session, SITE, "job-7", ttl=TTL, now=at(5))
    dead = repo.start_crawl_run("blog-auto-info", started_at=at(5))
    from storage.health import tag_crawl_run

    tag_crawl_run(session, dead, site=SITE, extractor_version=None)
    heartbeat_crawl_run(session, dead, "web2:2:bbbb0000", lock_holder="job-7", now=at(5))
    assert crawl_locks(session)[SITE].processes == 2
    refresh_crawl_lock(session, SITE, "job-7", now=at(TTL + 60))  # the live worker heartbeats on
    heartbeat_crawl_run(session, live, "web1:1:aaaa0000", lock_holder="job-7", now=at(TTL + 60))
    closed = close_abandoned_runs(session, SITE, ttl=TTL, keep=live, now=at(TTL + 60))
    assert [run.run_id for run in closed] == [dead]
    assert crawl_locks(session)[SITE].processes == 1  # the live worker's own share
    assert release_crawl_lock(session, SITE, "job-7")
    assert crawl_locks(session) == {}  # gone with the job's last live worker


def test_a_run_of_an_earlier_lock_of_the_same_job_does_not_touch_the_new_one(session, repo) -> None:
    # Every worker of last night's job was killed: their lock went stale, tonight's job took it afresh.
    acquire_crawl_lock(session, SITE, "job-7", ttl=TTL, now=T0)
    old = crawl_run(repo, session, heartbeat=T0, process="web1:1:aaaa0000")
    heartbeat_crawl_run(session, old, "web1:1:aaaa0000", lock_holder="job-7", now=T0)
    grant = acquire_crawl_lock(session, SITE, "job-7", ttl=TTL, now=at(2 * TTL))
    assert grant.lock.processes == 1
    tonight = crawl_run(repo, session, heartbeat=at(2 * TTL), process="web3:3:cccc0000")
    assert [
        r.run_id for r in close_abandoned_runs(session, SITE, ttl=TTL, keep=tonight, now=at(2 * TTL))
    ] == [old]
    assert crawl_locks(session)[SITE].processes == 1

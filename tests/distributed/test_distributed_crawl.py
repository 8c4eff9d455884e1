"""Distributed crawls end to end: `newscrawl crawl --frontier` worker processes on a generated
WordPress-like site served on 127.0.0.1, one Redis frontier, one PostgreSQL archive.

* 2 workers on a 1,000-article site, one SIGKILLed mid-crawl and started again: every article
  archived exactly once (one version each), every comment with its threading;
* a worker with nothing to do waits while the other holds the only page that leads further;
* a worker killed in the middle of an article's comment pages: the re-delivered request carries
  the pages read so far, and the next worker continues the chain instead of starting over.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from newscrawl.frontier import FrontierKeys
from newscrawl.testing.server import SiteServer
from newscrawl.testing.sitegen import GeneratedSite, generate_site
from tests.crawl.helpers import FAST, ROOT, archive_records
from tests.distributed.conftest import REDIS_URL

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

HOST = "www.moteur-hebdo.test"
TARGET = f"https://{HOST}/"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
LEASE_TIMEOUT = 5.0


class Worker:
    """One `newscrawl crawl --frontier` process; its output goes to a file (no pipe to fill up)."""

    def __init__(self, name: str, tmp_path: Path, db: str, job: str, server: SiteServer, *extra: str) -> None:
        self.name = name
        self.log = tmp_path / f"{name}.log"
        args = [
            sys.executable, "-m", "newscrawl", "crawl", TARGET,
            "--db", db, "--frontier", REDIS_URL, "--job", job,
            "--resolve", f"{HOST}={server.base_url}",
            *FAST,
            "-s", f"NEWSCRAWL_FRONTIER_LEASE_TIMEOUT={LEASE_TIMEOUT}",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
            *extra,
        ]  # fmt: skip
        environment = {**os.environ, "PYTHONPATH": str(ROOT)}
        environment.pop("NEWSCRAWL_DB", None)
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                args, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT, env=environment
            )
        self.ended_at: float | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def poll(self) -> int | None:
        code = self.process.poll()
        if code is not None and self.ended_at is None:
            self.ended_at = time.time()
        return code

    def wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                self.process.kill()
                self.process.wait()
                pytest.fail(f"{self.name} still running after {timeout:.0f} s:\n{self.output[-3000:]}")
            time.sleep(0.05)
        return self.process.returncode

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()


def wait_until(condition: Callable[[], bool], timeout: float, what: str, workers: list[Worker]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        for worker in workers:
            if worker.poll() not in (None, 0):
                pytest.fail(f"{worker.name} failed while waiting for {what}:\n{worker.output[-3000:]}")
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {w.name}\n{w.output[-1500:]}" for w in workers)
            pytest.fail(f"no {what} after {timeout:.0f} s\n{logs}")
        time.sleep(0.1)


def worker_id(redis_server, keys: FrontierKeys, pid: int) -> str:
    """The frontier's name of the worker process ``pid`` (``host:pid:random``)."""
    for member in redis_server.smembers(keys.workers):
        name = member.decode()
        if name.split(":")[-2] == str(pid):
            return name
    raise AssertionError(f"worker process {pid} is not registered in {keys.workers}")


def check_archive(db: str, site: GeneratedSite) -> None:
    """Every article of the site once, one version each, every comment with its parent."""
    records = archive_records(db)
    assert set(records) == {a.url for a in site.articles}
    for article in site.articles:
        record = records[article.url]
        assert record["title"] == article.title
        assert [c["id"] for c in record["comments"]] == article.comment_ids, article.url
        assert {c["id"]: c["parent_id"] for c in record["comments"] if c["parent_id"]} == article.replies
    engine = create_engine(db)
    with engine.connect() as connection:
        counts = connection.execute(
            text(
                "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM article_versions), "
                "(SELECT count(*) FROM comments)"
            )
        ).one()
    engine.dispose()
    assert tuple(counts) == (
        len(site.articles),
        len(site.articles),
        sum(len(a.comment_ids) for a in site.articles),
    )


def crawl_runs(db: str) -> list[tuple[str, dict]]:
    engine = create_engine(db)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT status, stats FROM crawl_runs ORDER BY id")).all()
    engine.dispose()
    return [
        (status, stats if isinstance(stats, dict) else json.loads(stats or "{}")) for status, stats in rows
    ]


def archived_count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM articles")).scalar_one()


@pytest.fixture(scope="module")
def big_site(tmp_path_factory) -> GeneratedSite:
    site = generate_site(
        tmp_path_factory.mktemp("big") / "www", articles=1000, now=NOW, days=90, comments_per_page=6
    )
    assert sum(a.comment_pages > 1 for a in site.articles) > 300  # plenty of comment page chains
    return site


def test_two_workers_one_killed_and_restarted_archive_every_article_once(
    big_site, pg_archive, frontier_job, redis_server, tmp_path
):
    keys = FrontierKeys(frontier_job)
    engine = create_engine(pg_archive)
    started = time.monotonic()
    workers: list[Worker] = []
    try:
        with SiteServer(big_site.root) as server:
            first = Worker("worker-1", tmp_path, pg_archive, frontier_job, server)
            second = Worker("worker-2", tmp_path, pg_archive, frontier_job, server)
            workers = [first, second]
            wait_until(lambda: archived_count(engine) >= 200, 60, "200 archived articles", workers)
            dead = worker_id(redis_server, keys, second.pid)
            second.kill()
            killed_at = time.monotonic()
            orphaned = redis_server.hlen(keys.leases(dead))
            at_kill = archived_count(engine)
            again = Worker("worker-2-restarted", tmp_path, pg_archive, frontier_job, server)
            workers.append(again)
            wait_until(
                lambda: not redis_server.exists(keys.leases(dead)),
                LEASE_TIMEOUT * 3,
                "re-delivery of the killed worker's leases",
                [first, again],
            )
            redelivered_after = time.monotonic() - killed_at
            codes = (first.wait(90), again.wait(90))
    finally:
        for worker in workers:
            worker.stop()
        engine.dispose()
    elapsed = time.monotonic() - started
    assert codes == (0, 0), "\n".join(f"--- {w.name}\n{w.output[-3000:]}" for w in (first, again))
    for worker in (first, again):
        assert "Traceback" not in worker.output, worker.output[-3000:]
    print(
        f"\n1,000 articles, 2 workers: {elapsed:.1f} s; killed at {at_kill} archived with {orphaned} "
        f"leased requests, back in the queue {redelivered_after:.1f} s later (lease timeout {LEASE_TIMEOUT} s)"
    )
    assert orphaned >= 1, "the killed worker held requests: re-delivery was exercised"
    assert redelivered_after <= LEASE_TIMEOUT + LEASE_TIMEOUT / 3 + 2

    check_archive(pg_archive, big_site)

    runs = crawl_runs(pg_archive)
    assert len(runs) == 3, "each worker process records its own crawl run"
    # The killed worker's run is closed by the live one (its process is gone), not left running.
    assert sorted(status for status, _ in runs) == ["failed", "finished", "finished"], runs
    assert [stats for status, stats in runs if status == "failed"] == [{"finish_reason": "abandoned"}]
    assert sum(int(stats.get("newscrawl/frontier/redelivered", 0)) for _, stats in runs) >= orphaned
    assert all(
        stats.get("newscrawl/frontier/job") == frontier_job for status, stats in runs if status == "finished"
    )
    # The finished job's queue, duplicate filter, leases and worker registry are gone.
    left = sorted(key.decode() for key in redis_server.scan_iter(match=f"{keys.prefix}:*"))
    assert left == [keys.done, keys.generation]


def test_a_worker_with_nothing_to_do_waits_for_the_busy_one(pg_archive, frontier_job, redis_server, tmp_path):
    # No sitemap: everything is found from the home page, which answers slowly once. The worker that
    # did not get it drains robots.txt and the sitemap guesses, then has nothing to do for seconds.
    site = generate_site(tmp_path / "www", articles=24, now=NOW, sitemap=False, per_listing_page=6)
    keys = FrontierKeys(frontier_job)
    stall = 4.0
    answered: list[float] = []

    def slow_home(context) -> None:
        if context.count == 1:
            time.sleep(stall)
            answered.append(time.time())
        context.serve_file()

    workers: list[Worker] = []
    try:
        with SiteServer(site.root, routes={"/": slow_home}) as server:
            extra = ("-s", "DOWNLOAD_TIMEOUT=20")
            workers = [
                Worker("worker-1", tmp_path, pg_archive, frontier_job, server, *extra),
                Worker("worker-2", tmp_path, pg_archive, frontier_job, server, *extra),
            ]
            # One worker idle, waiting, while the other holds the home page's lease.
            wait_until(
                lambda: (
                    redis_server.scard(keys.idle) == 1
                    and any(
                        redis_server.hlen(keys.leases(w.decode()))
                        for w in redis_server.smembers(keys.workers)
                    )
                ),
                stall + 15,
                "one idle worker beside a busy one",
                workers,
            )
            assert not answered, "the home page was still loading"
            codes = [worker.wait(60) for worker in workers]
    finally:
        for worker in workers:
            worker.stop()
    assert codes == [0, 0], "\n".join(w.output[-2000:] for w in workers)
    assert all(worker.ended_at > answered[0] for worker in workers), (
        "neither worker quit before the job's end"
    )
    check_archive(pg_archive, site)
    assert [status for status, _ in crawl_runs(pg_archive)] == ["finished", "finished"]


def test_a_killed_workers_comment_chain_is_continued_not_restarted(
    pg_archive, frontier_job, redis_server, tmp_path
):
    site = generate_site(tmp_path / "www", articles=4, seed=1, now=NOW, comments_per_page=3, max_comments=14)
    article = max(site.articles, key=lambda a: a.comment_pages)
    assert article.comment_pages >= 4
    third_page = f"{article.path}?cpage=3"

    def third_page_hangs_once(context) -> None:
        if context.count == 1:
            context.stall(30)  # the first worker dies waiting for it
        else:
            context.serve_file()

    workers: list[Worker] = []
    try:
        with SiteServer(site.root, routes={third_page: third_page_hangs_once}) as server:
            extra = ("-s", "DOWNLOAD_TIMEOUT=30")
            first = Worker("worker-1", tmp_path, pg_archive, frontier_job, server, *extra)
            workers = [first]
            wait_until(lambda: third_page in server.hits, 30, f"a request for {third_page}", workers)
            first.kill()
            second = Worker("worker-2", tmp_path, pg_archive, frontier_job, server, *extra)
            workers.append(second)
            code = second.wait(60)
            hits = list(server.hits)
    finally:
        for worker in workers:
            worker.stop()
    assert code == 0, second.output[-3000:]
    record = archive_records(pg_archive)[article.url]
    assert [c["id"] for c in record["comments"]] == article.comment_ids
    assert {c["id"]: c["parent_id"] for c in record["comments"] if c["parent_id"]} == article.replies
    # Pages 1 and 2 were read once, by the killed worker: the second one went on from page 3.
    assert hits.count(article.path) == 1
    assert hits.count(f"{article.path}?cpage=2") == 1
    assert hits.count(third_page) == 2
    check_archive(pg_archive, site)

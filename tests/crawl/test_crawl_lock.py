"""Scheduled runs never overlap: `newscrawl crawl` processes against a local copy of the mirror.

The mirror's robots.txt is held back by a gate, so a first crawl sits holding the site's lock (it asks
for robots.txt before anything else) while the test starts a second one, kills the first, or
interrupts it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newscrawl.demo_site import demo_site_dir
from newscrawl.testing.server import RequestContext, SiteServer
from tests.crawl.helpers import MIRROR_HOST, ROOT, assert_clean, crawl, sql, start_crawl, wait_for
from tests.services import postgres_schema

EXIT_LOCKED = 75
# The gated first crawl waits for robots.txt longer than the helpers' 3 s timeout allows.
PATIENT = ("-s", "DOWNLOAD_TIMEOUT=60", "-s", "NEWSCRAWL_LOCK_HEARTBEAT=0.3")


class GatedMirror:
    """The mirror, whose robots.txt is answered only once the gate opens."""

    def __init__(self, root: Path) -> None:
        self.gate = threading.Event()
        self.server = SiteServer(root, routes={"/robots.txt": self._robots})

    def _robots(self, context: RequestContext) -> None:
        self.gate.wait(60)
        context.serve_file()

    @property
    def resolve(self) -> list[str]:
        return ["--resolve", f"{MIRROR_HOST}={self.server.base_url}"]


@pytest.fixture
def gated(tmp_path: Path) -> Iterator[GatedMirror]:
    root = tmp_path / "www"
    shutil.copytree(demo_site_dir(), root)
    mirror = GatedMirror(root)
    with mirror.server:
        yield mirror
        mirror.gate.set()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'archive.sqlite'}"
        return
    with postgres_schema("nc_lock") as url:
        yield url


def lock_rows(db: str) -> list[tuple]:
    return sql(db, "SELECT holder, processes, heartbeat_at, crawl_run_id FROM crawl_locks")


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=120)
    assert "Traceback" not in stderr, stderr[-3000:]
    return process.returncode, stderr


def test_a_second_run_is_skipped_while_the_first_crawls(
    gated: GatedMirror, any_db: str, tmp_path: Path
) -> None:
    first = start_crawl("blog-auto-info", any_db, *PATIENT, *gated.resolve)
    try:
        wait_for(lambda: "/robots.txt" in gated.server.hits, "the first crawl to ask for robots.txt")
        [(holder, processes, heartbeat, run_id)] = lock_rows(any_db)
        assert re.fullmatch(rf"[^:]+:{first.pid}:[0-9a-f]{{8}}", holder) and processes == 1
        wait_for(lambda: lock_rows(any_db)[0][2] > heartbeat, "a heartbeat of the first crawl")
        fetched = len(gated.server.hits)

        warc = tmp_path / "warc"
        second = crawl(
            "blog-auto-info", any_db, *gated.resolve, "--incremental", "--quiet", "--warc", str(warc)
        )

        assert_clean(second)
        assert second.returncode == EXIT_LOCKED
        [line] = second.stderr.strip().splitlines()
        assert line.startswith(f"skipped: blog-auto-info.com is already being crawled by {holder} since ")
        assert f"(crawl run {run_id}, last heartbeat " in line
        assert len(gated.server.hits) == fetched  # the second run fetched nothing
        assert list(warc.iterdir()) == []  # and wrote no WARC file (one with only its warcinfo record)
    finally:
        gated.gate.set()
    returncode, stderr = finish(first)
    assert returncode == 0, stderr[-3000:]
    # One run recorded (the skipped one left nothing), the lock released, nothing archived twice.
    assert sql(any_db, "SELECT id, status, articles_new FROM crawl_runs") == [(run_id, "finished", 4)]
    assert lock_rows(any_db) == []
    assert sql(any_db, "SELECT count(*), count(DISTINCT canonical_url) FROM articles") == [(4, 4)]
    assert sql(any_db, "SELECT count(*) FROM crawl_run_coverage WHERE articles = 4") == [(14,)]


def test_a_run_is_skipped_while_another_uses_its_job_directory(mirror, db_url: str, tmp_path: Path) -> None:
    """Two runs writing one Scrapy state spoil it (the second wrote its empty queue over the first's):
    the second leaves it alone."""
    from newscrawl.crawl import JobDirectory

    jobdir = tmp_path / "job"
    jobdir.mkdir()
    (jobdir / "requests.seen").write_text("a1b2\n")
    holder = JobDirectory(jobdir)
    holder.claim()
    try:
        second = crawl(
            "blog-auto-info", db_url, "--jobdir", str(jobdir), resolve={MIRROR_HOST: mirror.base_url}
        )
    finally:
        holder.release()

    assert_clean(second)
    assert second.returncode == EXIT_LOCKED
    [line] = second.stderr.strip().splitlines()
    assert line == f"skipped: the job directory {jobdir} is in use by another run (pid {os.getpid()})"
    assert mirror.hits == []
    assert sql(db_url, "SELECT count(*) FROM crawl_runs") == [(0,)]
    assert (jobdir / "requests.seen").read_text() == "a1b2\n"


def start_job_worker(db: str, gated: GatedMirror, workers_before: int, *extra: str) -> subprocess.Popen[str]:
    """A crawl of the job ``nightly-blog``, started once it holds (or shares) the site's lock."""
    worker = start_crawl(
        "blog-auto-info", db, *PATIENT, "-s", "NEWSCRAWL_JOB=nightly-blog", *gated.resolve, *extra
    )
    wait_for(
        lambda: [row[1] for row in lock_rows(db)] == [workers_before + 1],
        f"worker {workers_before + 1} to hold the lock",
    )
    return worker


def test_processes_of_one_job_share_the_site(gated: GatedMirror, db_url: str) -> None:
    first = start_job_worker(db_url, gated, 0)
    second = None
    try:
        second = start_job_worker(db_url, gated, 1)
        assert lock_rows(db_url)[0][0] == "nightly-blog"
    finally:
        gated.gate.set()
    assert finish(first)[0] == 0
    assert second is not None and finish(second)[0] == 0
    assert sql(db_url, "SELECT status FROM crawl_runs") == [("finished",), ("finished",)]
    assert lock_rows(db_url) == []  # gone with the last of the two
    assert sql(db_url, "SELECT count(*) FROM articles") == [(4,)]


def test_the_lock_of_a_killed_crawl_is_taken_over_at_once(gated: GatedMirror, db_url: str) -> None:
    killed = start_crawl("blog-auto-info", db_url, *PATIENT, *gated.resolve)
    wait_for(lambda: lock_rows(db_url), "the crawl to take the lock")
    killed.kill()  # no chance to release anything
    killed.communicate(timeout=30)
    [(holder, _, _, dead_run)] = lock_rows(db_url)
    gated.gate.set()

    taker = crawl("blog-auto-info", db_url, *gated.resolve)

    assert_clean(taker)
    assert taker.returncode == 0, taker.output[-3000:]
    assert re.search(
        rf"WARNING took over the crawl lock of blog-auto-info.com from {re.escape(holder)}, whose process is gone",
        taker.stderr,
    )
    assert lock_rows(db_url) == []
    assert sql(db_url, "SELECT id, status FROM crawl_runs ORDER BY id") == [
        (dead_run, "failed"),
        (dead_run + 1, "finished"),
    ]


def test_a_lock_without_heartbeat_goes_stale_and_is_taken_over(mirror, db_url: str) -> None:
    """A holder on another machine cannot be checked: its lock waits for the TTL."""
    from storage import Archive
    from storage.locks import acquire_crawl_lock

    with Archive(db_url) as archive, archive.transaction() as repo:
        silent_since = datetime.now(UTC) - timedelta(minutes=3)
        acquire_crawl_lock(repo.session, MIRROR_HOST, "web2.example:777:0123abcd", ttl=600, now=silent_since)
    resolve = {MIRROR_HOST: mirror.base_url}

    refused = crawl("blog-auto-info", db_url, resolve=resolve)
    assert refused.returncode == EXIT_LOCKED, refused.output[-2000:]
    [line] = refused.stderr.strip().splitlines()  # not --quiet, still one line
    assert re.fullmatch(
        r"skipped: blog-auto-info.com is already being crawled by web2.example:777:0123abcd since \S+ \S+ UTC "
        r"\(last heartbeat 1[89]\d s ago; the lock is taken over after 10 min without one\)",
        line,
    )
    assert mirror.hits == []

    taker = crawl("blog-auto-info", db_url, "-s", "NEWSCRAWL_LOCK_TTL=120", resolve=resolve)
    assert_clean(taker)
    assert taker.returncode == 0, taker.output[-3000:]
    assert (
        "WARNING took over the crawl lock of blog-auto-info.com from web2.example:777:0123abcd, stale"
        in taker.stderr
    )
    assert lock_rows(db_url) == []


def _slow_spider_open(marker: Path) -> tuple[str, ...]:
    """Settings that hold the engine 1.5 s while it opens the spider, after writing ``marker``."""
    return (
        "-s",
        'EXTENSIONS={"tests.crawl.helpers.SlowSpiderOpen": 0}',
        "-s",
        f"SLOW_OPEN_MARKER={marker}",
        "-s",
        "SLOW_OPEN_SECONDS=1.5",
    )


def test_an_interrupt_while_the_engine_opens_still_closes_the_run_and_releases_the_lock(
    gated: GatedMirror, db_url: str, tmp_path: Path
) -> None:
    """Ctrl-C after the run and the lock are recorded but before the engine runs: Scrapy then stops
    without closing the spider (no spider_closed), which left the run 'running' and the lock held."""
    marker = tmp_path / "opening"
    interrupted = start_crawl("blog-auto-info", db_url, *PATIENT, *gated.resolve, *_slow_spider_open(marker))
    wait_for(marker.exists, "the engine to open the spider")
    assert lock_rows(db_url)
    interrupted.send_signal(signal.SIGINT)
    gated.gate.set()
    returncode, stderr = finish(interrupted)
    assert returncode == 130, stderr[-2000:]
    assert "interrupted" in stderr
    assert lock_rows(db_url) == []
    assert sql(db_url, "SELECT status FROM crawl_runs") == [("interrupted",)]
    assert gated.server.hits == []  # nothing was fetched after the interrupt


def test_an_interrupt_while_the_engine_opens_under_scrapy_crawl_closes_the_run_too(
    gated: GatedMirror, db_url: str, tmp_path: Path
) -> None:
    """The same through ``scrapy crawl site`` (what scrapyd runs), where newscrawl's own runner is not
    around to notice the missing spider_closed: the archive pipeline closes the run as the reactor shuts
    down."""
    marker = tmp_path / "opening"
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.pop("NEWSCRAWL_DB", None)
    host, local = gated.resolve[1].split("=", 1)
    settings = {
        "NEWSCRAWL_DB": db_url,
        "NEWSCRAWL_RESOLVE": f'{{"{host}": "{local}"}}',
        "DOWNLOAD_TIMEOUT": "60",
        "NEWSCRAWL_READ_WORKERS": "0",
    }
    interrupted = subprocess.Popen(
        [sys.executable, "-m", "scrapy", "crawl", "site", "-a", "target=blog-auto-info"]
        + [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]
        + list(_slow_spider_open(marker)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=environment,
    )
    wait_for(marker.exists, "the engine to open the spider")
    assert lock_rows(db_url)
    interrupted.send_signal(signal.SIGINT)
    gated.gate.set()
    _returncode, stderr = finish(interrupted)
    assert lock_rows(db_url) == [], stderr[-3000:]
    assert sql(db_url, "SELECT status FROM crawl_runs") == [("interrupted",)]
    assert gated.server.hits == []


def test_the_lock_is_released_when_a_crawl_is_interrupted(gated: GatedMirror, db_url: str) -> None:
    interrupted = start_crawl("blog-auto-info", db_url, *PATIENT, *gated.resolve)
    wait_for(lambda: lock_rows(db_url), "the crawl to take the lock")
    interrupted.send_signal(signal.SIGINT)
    time.sleep(0.5)
    gated.gate.set()
    returncode, stderr = finish(interrupted)
    assert returncode == 130, stderr[-2000:]
    assert lock_rows(db_url) == []
    assert sql(db_url, "SELECT status FROM crawl_runs") == [("interrupted",)]


def test_the_lock_is_released_when_a_crawl_fails(db_url: str) -> None:
    unreachable = "http://127.0.0.1:9"  # the discard port: nothing listens there
    failed = crawl(
        "https://www.example-auto.fr/",
        db_url,
        "-s",
        "RETRY_TIMES=0",
        resolve={"www.example-auto.fr": unreachable},
    )
    assert_clean(failed)
    assert failed.returncode == 1
    assert "nothing could be fetched" in failed.stderr
    assert lock_rows(db_url) == []
    assert sql(db_url, "SELECT s.key FROM crawl_runs r JOIN sites s ON s.id = r.site_id") == [
        ("example-auto.fr",)
    ]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "NEWSCRAWL_LOCK_TTL=soon",
            "Error: NEWSCRAWL_LOCK_TTL and NEWSCRAWL_LOCK_HEARTBEAT are numbers of seconds",
        ),
        (
            "NEWSCRAWL_LOCK_HEARTBEAT=-1",
            "Error: NEWSCRAWL_LOCK_TTL and NEWSCRAWL_LOCK_HEARTBEAT must be positive",
        ),
    ],
)
def test_bad_lock_settings_are_one_line_errors(db_url: str, setting: str, message: str) -> None:
    from click.testing import CliRunner

    from newscrawl.cli import cli

    result = CliRunner().invoke(cli, ["crawl", "blog-auto-info", "--db", db_url, "-s", setting])
    assert result.exit_code == 1
    assert result.stderr.strip() == message


class _Stats(dict):
    def set_value(self, name: str, value: object) -> None:
        self[name] = value


class _Engine:
    def __init__(self) -> None:
        self.closed: list[str] = []

    def close_spider_async(self, *, reason: str):
        from twisted.internet.defer import succeed

        self.closed.append(reason)
        return succeed(None)


def test_a_run_whose_lock_was_taken_over_stops(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """Its heartbeats failed for longer than the TTL (database unreachable): another run has the site now."""
    from types import SimpleNamespace

    from scrapy.settings import Settings

    from newscrawl.run_guard import RunGuard
    from newscrawl.sites import get_profile
    from storage import Archive
    from storage.locks import acquire_crawl_lock, crawl_locks
    from tests.storage.archive_helpers import FLAGSHIP, load_record

    engine = _Engine()
    crawler = SimpleNamespace(settings=Settings({"NEWSCRAWL_LOCK_TTL": 600}), stats=_Stats(), engine=engine)
    spider = SimpleNamespace(profile=get_profile("blog-auto-info"), mode="crawl", start_pages=[])
    guard = RunGuard(crawler)
    with Archive(db_url) as archive:
        with archive.transaction() as repo:
            run_id = repo.start_crawl_run("blog-auto-info")
            guard.start(repo.session, run_id, spider)
        guard.archive = archive  # what started() does, without the reactor's looping call
        guard.heartbeat()
        assert engine.closed == []
        guard.count(load_record(FLAGSHIP))
        with archive.transaction() as repo:
            later = datetime.now(UTC) + timedelta(seconds=30)
            acquire_crawl_lock(repo.session, MIRROR_HOST, "web2.example:1:0123abcd", ttl=10, now=later)

        guard.heartbeat()

        assert engine.closed == ["crawl_lock_lost"]
        assert crawler.stats["newscrawl/stopped_by"] == "crawl_lock_lost"
        # A warning, not an error: --quiet showed it above the CLI's "Error: crawl stopped: crawl lock
        # lost", two lines for one problem; the stats keep its reason for that one line.
        because = (
            "the crawl lock of blog-auto-info.com was taken over by web2.example:1:0123abcd "
            "after this run missed its heartbeats"
        )
        assert crawler.stats["newscrawl/stopped_because"] == because
        assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
            ("WARNING", f"{because}: stopping")
        ]
        with archive.transaction() as repo:
            guard.finish(repo.session, run_id)  # the coverage is kept; the other run's lock stays
            assert crawl_locks(repo.session)[MIRROR_HOST].holder == "web2.example:1:0123abcd"
    assert sql(db_url, f"SELECT count(*) FROM crawl_run_coverage WHERE crawl_run_id = {run_id}") == [(14,)]


def test_the_run_of_a_killed_worker_is_closed_by_a_live_worker_of_its_job(
    gated: GatedMirror, db_url: str
) -> None:
    """Workers of one job share the lock, so it cannot tell that one died; each run's own heartbeat
    does, and a live worker closes the dead one's run and gives back its share of the lock."""
    live = start_job_worker(db_url, gated, 0)
    try:
        killed = start_job_worker(db_url, gated, 1)
        [(dead_run, process)] = sql(db_url, "SELECT id, process FROM crawl_runs ORDER BY id DESC LIMIT 1")
        assert process.split(":")[1] == str(killed.pid)  # the run names its own process, not the job
        killed.kill()
        killed.communicate(timeout=30)
        wait_for(
            lambda: sql(db_url, f"SELECT status FROM crawl_runs WHERE id = {dead_run}") == [("failed",)],
            "the live worker to close the dead one's run",
            timeout=30,
        )
    finally:
        gated.gate.set()
    code, stderr = finish(live)
    assert code == 0, stderr[-3000:]
    assert re.search(
        rf"WARNING closed crawl run {dead_run} of blog-auto-info.com as failed: its process "
        rf"{re.escape(process)} was last active at \S+ \S+ UTC",
        stderr,
    )
    assert sql(db_url, "SELECT id, status FROM crawl_runs ORDER BY id") == [
        (dead_run - 1, "finished"),
        (dead_run, "failed"),
    ]
    assert lock_rows(db_url) == []  # the dead worker's share went with its run: the site is free
    assert sql(db_url, "SELECT count(*) FROM articles") == [(4,)]


def test_the_last_worker_of_a_job_closes_a_killed_workers_run_before_its_heartbeat_comes(
    gated: GatedMirror, db_url: str
) -> None:
    """A job may end before a live worker's next heartbeat (a minute by default): the killed worker's
    run stayed `running`, and its share of the lock skipped every other crawl of the site for 10 min."""
    rare_heartbeats = ("-s", "NEWSCRAWL_LOCK_HEARTBEAT=600")
    live = start_job_worker(db_url, gated, 0, *rare_heartbeats)
    try:
        killed = start_job_worker(db_url, gated, 1, *rare_heartbeats)
        [(dead_run,)] = sql(db_url, "SELECT id FROM crawl_runs ORDER BY id DESC LIMIT 1")
        killed.kill()
        killed.communicate(timeout=30)
    finally:
        gated.gate.set()
    code, stderr = finish(live)
    assert code == 0, stderr[-3000:]
    assert f"WARNING closed crawl run {dead_run} of blog-auto-info.com as failed" in stderr
    assert sql(db_url, "SELECT id, status FROM crawl_runs ORDER BY id") == [
        (dead_run - 1, "finished"),
        (dead_run, "failed"),
    ]
    assert lock_rows(db_url) == []

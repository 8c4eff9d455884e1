"""Archives for the health commands: a crawled copy of the mirror, and a made-up history of runs."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newscrawl.demo_site import demo_site_dir
from newscrawl.testing.server import SiteServer
from storage import Archive
from storage.health import CoverageTally, store_coverage, tag_crawl_run
from tests.crawl.helpers import MIRROR_HOST, crawl
from tests.storage.archive_helpers import SUV, TESLA, edited, load_record

BLOG = "blog-auto-info.com"
OTHER = "autoplus.fr"
T0 = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


@dataclass(frozen=True)
class History:
    db: str
    blog_runs: list[int]
    """Seven daily runs of blog-auto-info.com, 12 articles each; the last one lost the authors."""
    other_runs: list[int]
    """autoplus.fr: two healthy runs and a failed one that archived nothing."""

    @property
    def dropped_run(self) -> int:
        return self.blog_runs[-1]


def _record_run(
    repo, site: str, records: list[dict], *, day: int, status: str = "finished", pages: int = 30
) -> int:
    started = T0 + timedelta(days=day)
    run_id = repo.start_crawl_run(site.split(".")[0], started_at=started)
    tag_crawl_run(repo.session, run_id, site=site, extractor_version="newscrawl-0.1.0+5ca1ab1e")
    tally = CoverageTally()
    for record in records:
        repo.upsert_article(record, crawl_run_id=run_id, seen_at=started)
        tally.add(record)
    store_coverage(repo.session, run_id, tally)
    stats = {"response_received_count": pages, "newscrawl/errors": 0 if status == "finished" else 3}
    repo.finish_crawl_run(
        run_id, status=status, stats=stats, finished_at=started + timedelta(minutes=4, seconds=7)
    )
    return run_id


def _articles(site: str, count: int, **changes) -> list[dict]:
    base = load_record(SUV if site == BLOG else TESLA)
    return [
        edited(base, site=site, url=f"https://{site}/article-{n}/", canonical_url=None, **changes)
        for n in range(count)
    ]


def build_history(path: Path) -> History:
    db = f"sqlite:///{path}"
    with Archive(db) as archive, archive.transaction() as repo:
        blog_runs = [_record_run(repo, BLOG, _articles(BLOG, 12), day=day) for day in range(6)]
        blog_runs.append(_record_run(repo, BLOG, _articles(BLOG, 12, authors=[]), day=6))
        other_runs = [_record_run(repo, OTHER, _articles(OTHER, 5), day=day) for day in (1, 3)]
        other_runs.append(_record_run(repo, OTHER, [], day=5, status="failed", pages=0))
    return History(db, blog_runs, other_runs)


def copy_archive(db: str, directory: Path) -> str:
    """A private copy of an SQLite archive (tests may add runs, locks or files)."""
    source = Path(db.removeprefix("sqlite:///"))
    target = directory / source.name
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def history_template(tmp_path_factory: pytest.TempPathFactory) -> History:
    return build_history(tmp_path_factory.mktemp("history") / "history.sqlite")


@pytest.fixture
def history(history_template: History, tmp_path: Path) -> History:
    return replace(history_template, db=copy_archive(history_template.db, tmp_path))


@pytest.fixture(scope="session")
def crawled_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The mirror crawled twice (a first run, then a re-crawl that finds everything unchanged)."""
    tmp = tmp_path_factory.mktemp("crawled")
    root = tmp / "www"
    shutil.copytree(demo_site_dir(), root)
    db = f"sqlite:///{tmp / 'crawled.sqlite'}"
    with SiteServer(root) as server:
        for _ in range(2):
            run = crawl("blog-auto-info", db, resolve={MIRROR_HOST: server.base_url})
            assert run.returncode == 0, run.output[-3000:]
    return db


@pytest.fixture
def crawled(crawled_template: str, tmp_path: Path) -> str:
    return copy_archive(crawled_template, tmp_path)

"""SQLite's write-ahead log is copied back beside the writers (storage/checkpoint.py)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from archive_helpers import FLAGSHIP, edited, load_record
from sqlalchemy import func, select, text

import storage.checkpoint
import storage.db
from storage import Archive
from storage.models import Article, Comment


def _wait_for(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _idle(checkpointer: storage.checkpoint.WalCheckpointer) -> bool:
    return not checkpointer._wake.is_set() and not checkpointer._pass_lock.locked()


def _pages_in_log(path: Path) -> int:
    reader = sqlite3.connect(path)
    try:
        _busy, logged, _copied = reader.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        reader.close()
    return logged


def _write_articles(archive: Archive, count: int) -> None:
    flagship = load_record(FLAGSHIP)
    for n in range(count):
        url = f"https://blog-auto-info.com/essai-{n}/"
        with archive.transaction() as repo:
            repo.upsert_article(edited(flagship, url=url, canonical_url=url))


def test_the_log_starts_over_without_the_writers_checkpointing(tmp_path: Path, monkeypatch) -> None:
    # The writers' own autocheckpoint is off: only the background checkpointer copies the log back
    # and lets it start over; without it the log holds every page of every commit.
    monkeypatch.setattr(storage.db, "WAL_AUTOCHECKPOINT_PAGES", 0)
    monkeypatch.setattr(storage.checkpoint, "RESTART_PAGES", 40)
    monkeypatch.setattr(storage.checkpoint, "PASS_INTERVAL", 0.001)
    monkeypatch.setattr(storage.checkpoint, "PASS_COMMITS", 1)
    unattended = tmp_path / "unattended.sqlite"
    with Archive(f"sqlite:///{unattended}") as archive:
        archive._checkpointer = None
        _write_articles(archive, 60)
        assert _pages_in_log(unattended) > 1_000

    path = tmp_path / "archive.sqlite"
    with Archive(f"sqlite:///{path}") as archive:
        checkpointer = archive._checkpointer
        assert checkpointer is not None
        _write_articles(archive, 60)
        # the search rows now, not after the write below (batched, they are due after a second)
        archive.write_search_index()
        assert _wait_for(lambda: checkpointer.restarts >= 2), f"{checkpointer.restarts} restarts"
        # The thread's pass after the last commit (wake set by it, cleared when that pass begins) has
        # copied everything: on a loaded machine it may lag behind the writes by a few commits.
        assert _wait_for(lambda: _idle(checkpointer) and (time.sleep(0.05) or _idle(checkpointer)))
        with archive.transaction() as repo:  # the first write after a complete copy starts the log over
            repo.session.execute(text("UPDATE sites SET key = key"))
        assert _pages_in_log(path) < 3 * storage.checkpoint.RESTART_PAGES
        with archive.session() as session:
            assert session.scalar(select(func.count()).select_from(Article)) == 60
            assert session.scalar(select(func.count()).select_from(Comment)) == 43 * 60


def test_the_thread_ends_when_idle_and_on_close(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(storage.checkpoint, "IDLE_SECONDS", 0.05)
    with Archive(f"sqlite:///{tmp_path / 'archive.sqlite'}") as archive:
        checkpointer = archive._checkpointer
        assert checkpointer is not None and not checkpointer.running  # nothing written yet
        with archive.transaction() as repo:
            repo.upsert_article(load_record(FLAGSHIP))
        assert checkpointer.running
        assert _wait_for(lambda: not checkpointer.running), "the idle thread did not end"
        monkeypatch.setattr(storage.checkpoint, "IDLE_SECONDS", 60.0)
        with archive.transaction() as repo:
            repo.session.execute(text("UPDATE sites SET key = key"))
        assert checkpointer.running  # the next write starts it again
    assert not checkpointer.running  # closing the archive stopped it


def test_reading_never_starts_it(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite"
    Archive(f"sqlite:///{path}").close()
    with Archive(f"sqlite:///{path}") as archive:
        with archive.session() as session:
            session.scalar(select(func.count()).select_from(Article))
        assert archive._checkpointer is not None and not archive._checkpointer.running


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_no_checkpointer_without_a_file(url: str) -> None:
    with Archive(url) as archive:
        assert archive._checkpointer is None


def test_a_removed_database_file_is_not_recreated(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(storage.checkpoint, "PASS_INTERVAL", 0.001)
    path = tmp_path / "archive.sqlite"
    with Archive(f"sqlite:///{path}") as archive:
        checkpointer = archive._checkpointer
        assert checkpointer is not None
        for name in ("archive.sqlite", "archive.sqlite-wal", "archive.sqlite-shm"):
            (tmp_path / name).unlink(missing_ok=True)
        before = checkpointer.passes
        checkpointer.committed()  # as after a commit: the thread tries a pass on the missing file
        assert _wait_for(lambda: not checkpointer._wake.is_set())
        time.sleep(0.05)
        assert checkpointer.passes == before
        assert not path.exists()

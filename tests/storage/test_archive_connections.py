"""SQLite write units of work keep one connection per thread between them; closing the archive closes
them all (the last connection to close folds the write-ahead log back into the file and removes it)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from archive_helpers import FLAGSHIP, edited, load_record
from sqlalchemy import func, select

from storage import Archive, StorageError
from storage.models import Article


def _article(n: int) -> dict:
    url = f"https://blog-auto-info.com/essai-{n}/"
    return edited(load_record(FLAGSHIP), url=url, canonical_url=url)


def test_closing_the_archive_closes_every_threads_write_connection(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite"
    errors: list[BaseException] = []

    with Archive(f"sqlite:///{path}") as archive:

        def write(first: int) -> None:
            try:
                for n in range(first, first + 5):
                    with archive.transaction() as repo:
                        repo.upsert_article(_article(n))
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)

        threads = [threading.Thread(target=write, args=(first,)) for first in (0, 100, 200)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with archive.session() as session:
            assert session.scalar(select(func.count()).select_from(Article)) == 15
        assert path.with_name("archive.sqlite-wal").exists()
    assert not path.with_name("archive.sqlite-wal").exists()  # no connection left open


def test_a_failed_unit_of_work_leaves_the_next_one_a_clean_connection(tmp_path: Path) -> None:
    with Archive(f"sqlite:///{tmp_path / 'archive.sqlite'}") as archive:
        with pytest.raises(RuntimeError), archive.transaction() as repo:
            repo.upsert_article(_article(1))
            raise RuntimeError("the caller failed after writing")
        with archive.transaction() as repo:
            assert repo.upsert_article(_article(2)).status == "new"
        with archive.session() as session:
            assert session.scalars(select(Article.canonical_url)).all() == [
                "https://blog-auto-info.com/essai-2/"
            ]


def test_a_write_inside_a_write_of_the_same_thread_waits_like_another_writer(tmp_path: Path) -> None:
    # The inner unit of work gets a connection of its own (as before connections were kept): SQLite
    # makes it wait for the outer one's lock, here until the busy timeout.
    with Archive(f"sqlite:///{tmp_path / 'archive.sqlite'}", busy_timeout=0.2) as archive:
        with archive.transaction() as outer:
            outer.upsert_article(_article(1))
            with pytest.raises(StorageError, match="locked"), archive.transaction() as inner:
                inner.upsert_article(_article(2))
        with archive.session() as session:
            assert session.scalar(select(func.count()).select_from(Article)) == 1

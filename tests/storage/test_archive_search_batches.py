"""SQLite: an archive's writers note search rows and write them a batch at a time (storage.fulltext).

Whatever the path a row takes (kept in memory, rebuilt from the tables after a process ended, left
by a transaction that rolled back), searches see every committed article and the search table
ends up holding what writing each row at once would have written.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa
from archive_helpers import APPLE, FLAGSHIP, SUV, TESLA, edited, load_record
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

import storage.fulltext
from storage import Archive, search

NAMES = (TESLA, FLAGSHIP, SUV, APPLE)


def counts(path: Path) -> tuple[int, int]:
    """(search rows written, search rows waiting), read beside the archive."""
    with closing(sqlite3.connect(path)) as connection:
        written = connection.execute("SELECT count(*) FROM article_search").fetchone()[0]
        waiting = connection.execute("SELECT count(*) FROM article_search_pending").fetchone()[0]
    return written, waiting


def search_rows(path: Path) -> list[tuple]:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(
            "SELECT rowid, title, lead, body, comments FROM article_search ORDER BY rowid"
        ).fetchall()


def search_rows_as_written(path: Path) -> list[tuple]:
    """The search rows with their text as written, at any revision (from 0013 the row holds œ, æ, ß
    and ø folded, and the text as written in ``written`` where that changed it)."""
    with closing(sqlite3.connect(path)) as connection:
        columns = {row[1] for row in connection.execute("PRAGMA table_info(article_search)")}
        if "written" not in columns:
            return search_rows(path)
        rows = connection.execute(
            "SELECT rowid, title, lead, body, comments, written FROM article_search ORDER BY rowid"
        ).fetchall()
    return [(rowid, *(text if written is None else json.loads(written))) for rowid, *text, written in rows]


def archive_all(archive: Archive) -> None:
    for name in NAMES:
        with archive.transaction() as repo:
            repo.upsert_article(load_record(name))


@pytest.fixture(autouse=True)
def rows_wait_for_a_batch(monkeypatch) -> None:
    """Only a batch writes the waiting rows here, however slow the machine (one test sets the age)."""
    monkeypatch.setattr(storage.fulltext, "BATCH_SECONDS", 3600.0)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "archive.sqlite"


def test_a_search_finds_an_article_as_soon_as_its_transaction_commits(path: Path) -> None:
    with Archive(f"sqlite:///{path}") as archive:
        with archive.transaction() as repo:
            article_id = repo.upsert_article(load_record(FLAGSHIP)).article_id
        assert counts(path) == (0, 1)  # noted, not written yet
        with archive.session() as session:
            assert [hit.article_id for hit in search(session, "perplexe")] == [article_id]
        assert counts(path) == (1, 0)  # the search wrote it first


def test_rows_are_written_once_a_batch_waits(path: Path, monkeypatch) -> None:
    monkeypatch.setattr(storage.fulltext, "BATCH_ROWS", 3)
    with Archive(f"sqlite:///{path}") as archive:
        for expected, name in zip([(0, 1), (0, 2), (3, 0), (3, 1)], NAMES, strict=True):
            with archive.transaction() as repo:
                repo.upsert_article(load_record(name))
            assert counts(path) == expected


def test_rows_are_written_once_the_oldest_has_waited(path: Path, monkeypatch) -> None:
    monkeypatch.setattr(storage.fulltext, "BATCH_SECONDS", 0.0)
    with Archive(f"sqlite:///{path}") as archive:
        with archive.transaction() as repo:
            repo.upsert_article(load_record(FLAGSHIP))
        assert counts(path) == (1, 0)


def test_rows_waiting_when_the_archive_closes_are_written(path: Path) -> None:
    with Archive(f"sqlite:///{path}") as archive:
        archive_all(archive)
        assert counts(path) == (0, len(NAMES))
    assert counts(path) == (len(NAMES), 0)


def test_rows_left_waiting_by_a_process_that_ended_are_rebuilt_from_the_archive(tmp_path: Path) -> None:
    """The kept rows and the rows rebuilt from the tables are the same rows."""
    kept, rebuilt = tmp_path / "kept.sqlite", tmp_path / "rebuilt.sqlite"
    with Archive(f"sqlite:///{kept}") as archive:
        archive_all(archive)
        with archive.transaction() as repo:  # an update: the row is replaced, comments merged
            repo.upsert_article(edited(load_record(FLAGSHIP), title="Renault et Xiaomi, la suite"))
    archive = Archive(f"sqlite:///{rebuilt}")
    archive_all(archive)
    with archive.transaction() as repo:
        repo.upsert_article(edited(load_record(FLAGSHIP), title="Renault et Xiaomi, la suite"))
    archive._search_buffer.take_all()  # what a process that ended kept in memory is gone
    archive.close()
    assert counts(rebuilt) == (0, len(NAMES))
    with Archive(f"sqlite:///{rebuilt}") as reopened:
        assert reopened.write_search_index() == len(NAMES)
    assert search_rows(rebuilt) == search_rows(kept)
    assert len(search_rows(kept)) == len(NAMES)
    assert search_rows(kept)[1][1] == "Renault et Xiaomi, la suite"
    # and what a connection outside an archive writes at once, row by row
    from storage.repository import ArchiveRepository

    at_once = tmp_path / "at_once.sqlite"
    Archive(f"sqlite:///{at_once}").close()
    engine = create_engine(f"sqlite:///{at_once}")
    try:
        for record in [load_record(name) for name in NAMES] + [
            edited(load_record(FLAGSHIP), title="Renault et Xiaomi, la suite")
        ]:
            with Session(engine) as session:
                ArchiveRepository(session).upsert_article(record)
                session.commit()
    finally:
        engine.dispose()
    assert counts(at_once) == (len(NAMES), 0)
    assert search_rows(at_once) == search_rows(kept)


def test_a_transaction_that_rolled_back_leaves_no_search_row(path: Path) -> None:
    with Archive(f"sqlite:///{path}") as archive:
        with archive.transaction() as repo:
            article_id = repo.upsert_article(load_record(FLAGSHIP)).article_id
        with pytest.raises(RuntimeError), archive.transaction() as repo:
            repo.upsert_article(edited(load_record(FLAGSHIP), title="Un titre jamais archivé"))
            raise RuntimeError("the crawl stops here")
        with archive.session() as session:
            assert search(session, "jamais archivé") == []
            assert [hit.article_id for hit in search(session, "Xiaomi")][:1] == [article_id]
        with pytest.raises(RuntimeError), archive.transaction() as repo:  # a new article this time
            repo.upsert_article(load_record(APPLE))
            raise RuntimeError("the crawl stops here")
        with archive.session() as session:
            assert search(session, "rivian") == []
    assert counts(path) == (1, 0)


def test_a_search_that_cannot_write_reads_what_is_written(path: Path) -> None:
    with Archive(f"sqlite:///{path}") as archive:
        with archive.transaction() as repo:
            repo.upsert_article(load_record(FLAGSHIP))
        with archive.read_only_connection() as connection, Session(bind=connection) as session:
            assert search(session, "perplexe") == []
        assert counts(path) == (0, 1)
        with archive.session() as session:
            assert len(search(session, "perplexe")) == 1


def test_v_articles_body_text_does_not_wait_for_the_search_row(path: Path) -> None:
    record = load_record(FLAGSHIP)
    with Archive(f"sqlite:///{path}") as archive:
        with archive.transaction() as repo:
            repo.upsert_article(record)
        with closing(sqlite3.connect(path)) as connection:
            (body,) = connection.execute("SELECT body_text FROM v_articles").fetchone()
        assert counts(path) == (0, 1)
    assert body == "\n".join(p for s in record["sections"] for p in s["paragraphs"])


def test_a_connection_outside_an_archive_writes_the_row_at_once(path: Path) -> None:
    from storage.repository import ArchiveRepository

    Archive(f"sqlite:///{path}").close()  # created at head
    engine = create_engine(f"sqlite:///{path}")
    try:
        with Session(engine) as session:
            ArchiveRepository(session).upsert_article(load_record(FLAGSHIP))
            session.commit()
    finally:
        engine.dispose()
    assert counts(path) == (1, 0)


def test_migration_0010_both_ways_with_articles_archived(tmp_path: Path) -> None:
    """Down to 0009 the waiting rows are written first (0009 reads the body from them) and the
    link indexes cover every row again; back up, the archive is as before."""
    from alembic import command

    from storage.db import alembic_config

    reference, path = tmp_path / "reference.sqlite", tmp_path / "archive.sqlite"
    with Archive(f"sqlite:///{reference}") as archive:
        archive_all(archive)
    archive = Archive(f"sqlite:///{path}")
    archive_all(archive)
    archive._search_buffer.take_all()
    archive.close()
    assert counts(path) == (0, len(NAMES))
    with closing(sqlite3.connect(path)) as connection:
        bodies = connection.execute("SELECT article_id, body_text FROM v_articles ORDER BY 1").fetchall()
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0009")
    finally:
        engine.dispose()
    assert search_rows_as_written(path) == search_rows_as_written(reference)
    with closing(sqlite3.connect(path)) as connection:
        assert (
            connection.execute("SELECT article_id, body_text FROM v_articles ORDER BY 1").fetchall() == bodies
        )
        indexes = dict(
            connection.execute("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'related_links'")
        )
        tables = {
            name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    assert "WHERE" not in indexes["ix_related_links_url_key"]
    assert "article_search_pending" not in tables
    with Archive(f"sqlite:///{path}", create=False) as behind:
        behind.upgrade()
        with behind.transaction() as repo:
            repo.upsert_article(edited(load_record(APPLE), title="Apple et Rivian, la suite"))
    with closing(sqlite3.connect(path)) as connection:
        assert (
            connection.execute("SELECT article_id, body_text FROM v_articles ORDER BY 1").fetchall() == bodies
        )
        assert (
            "IS NULL"
            in connection.execute(
                "SELECT sql FROM sqlite_master WHERE name = 'ix_related_links_url_key'"
            ).fetchone()[0]
        )
    assert [row[1] for row in search_rows(path)].count("Apple et Rivian, la suite") == 1


def test_a_search_in_a_transaction_already_begun_does_not_take_the_write_lock(path: Path) -> None:
    """Writing the waiting rows there would hold SQLite's write lock until that session ends,
    and the crawlers' writes would fail after their busy timeout."""
    with Archive(f"sqlite:///{path}") as archive, Archive(f"sqlite:///{path}", busy_timeout=0.2) as crawler:
        with crawler.transaction() as repo:
            repo.upsert_article(load_record(FLAGSHIP))
        with archive.session() as session:
            session.execute(sa.text("SELECT count(*) FROM articles")).scalar_one()  # its transaction begins
            assert search(session, "perplexe") == []  # committed, not yet written: the search reads what is
            with crawler.transaction() as repo:  # the crawler still writes
                assert repo.upsert_article(load_record(APPLE)).status == "new"
        with archive.session() as session:
            assert len(search(session, "perplexe")) == 1


def test_a_search_inside_a_write_unit_finds_its_own_articles(path: Path) -> None:
    with Archive(f"sqlite:///{path}") as archive, archive.transaction() as repo:
        article_id = repo.upsert_article(load_record(FLAGSHIP)).article_id
        assert [hit.article_id for hit in search(repo.session, "perplexe")] == [article_id]


def test_stats_say_how_many_search_rows_wait(path: Path) -> None:
    from storage import archive_stats

    with Archive(f"sqlite:///{path}") as archive:
        with archive.transaction() as repo:
            repo.upsert_article(load_record(FLAGSHIP))
        assert archive_stats(archive)["search_rows_waiting"] == 1
        assert archive.write_search_index() == 1
        assert archive_stats(archive)["search_rows_waiting"] == 0


def test_writing_the_search_index_with_nothing_waiting_does_not_wait_for_the_write_lock(path: Path) -> None:
    """`newscrawl search` writes the waiting rows first: it waited for the write lock, the busy
    timeout of 5 s, whenever another process held it (a long import), with nothing to write."""
    with Archive(f"sqlite:///{path}") as archive:
        archive_all(archive)
    with Archive(f"sqlite:///{path}", busy_timeout=0.5) as archive:
        with closing(sqlite3.connect(path, isolation_level=None)) as other_writer:
            other_writer.execute("BEGIN IMMEDIATE")
            assert archive.write_search_index() == 0  # (it raised "is locked by another process")
            other_writer.execute("ROLLBACK")
        with archive.transaction() as repo:
            repo.upsert_article(edited(load_record(FLAGSHIP), title="Un titre refait"))
        assert archive.write_search_index() == 1

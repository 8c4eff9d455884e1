"""Clear one-line errors for bad URLs, unreachable or locked databases; nothing committed is lost."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from archive_helpers import APPLE, FLAGSHIP, TESLA, load_record
from sqlalchemy import func, select

import storage.repository
from storage import Archive, StorageError, run_query
from storage.db import parse_database_url, sqlite_file
from storage.models import Article, Comment, Paragraph


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "invalid database URL 'not a url'"),
        ("mysql://user@host/db", "unsupported database 'mysql'"),
        ("postgresql+psycopg2://u@h/db", "unsupported database 'postgresql+psycopg2'"),
        # without uri=true SQLite never sees mode=ro: the archive was opened for writing
        (
            "sqlite:////nonexistent-dir/news.sqlite?mode=ro",
            "SQLite reads mode in 'sqlite:////nonexistent-dir/news.sqlite?mode=ro' only from a URI",
        ),
    ],
)
def test_bad_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(StorageError, match=re.escape(message)):
        Archive(url)


def test_a_plain_sqlite_file_path_is_taken_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In a sqlite:/// URL "%41" means "A" and "?" starts options; a path is not decoded.
    monkeypatch.chdir(tmp_path)
    with Archive("100%41 sure?.sqlite") as archive:
        archive.ensure_schema()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".sqlite"] == ["100%41 sure?.sqlite"]
    assert parse_database_url(str(tmp_path / "a.db")).database == str(tmp_path / "a.db")
    assert parse_database_url("sqlite:///a%41.sqlite").database == "aA.sqlite"  # URLs stay URLs


@pytest.mark.parametrize(
    ("url", "file"),
    [
        ("sqlite:///news.sqlite", "news.sqlite"),
        ("sqlite:////srv/news.sqlite?timeout=9", "/srv/news.sqlite"),
        ("sqlite:///file:news.sqlite?mode=ro&uri=true", "news.sqlite"),
        ("sqlite:///file:/srv/news.sqlite?uri=true", "/srv/news.sqlite"),
        ("sqlite:///file:///srv/news.sqlite?mode=ro&uri=true", "/srv/news.sqlite"),
        ("sqlite:///file://localhost/srv/news%202024.sqlite?immutable=1&uri=true", "/srv/news 2024.sqlite"),
        ("sqlite:///file:news?mode=memory&uri=true", None),
        ("sqlite:///file::memory:?uri=true", None),
        ("sqlite://", None),
        ("postgresql://u@h/db", None),
    ],
)
def test_the_file_of_an_sqlite_url_is_found_in_a_uri_too(url: str, file: str | None) -> None:
    assert sqlite_file(parse_database_url(url)) == file


def test_postgres_urls_use_psycopg3() -> None:
    assert parse_database_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert parse_database_url("postgresql://u@h/db").drivername == "postgresql+psycopg"


def test_unreachable_postgresql_is_one_clear_line() -> None:
    with pytest.raises(StorageError) as raised:
        Archive("postgresql+psycopg://postgres@127.0.0.1:1/test", busy_timeout=1)
    message = str(raised.value)
    assert message.startswith("cannot connect to PostgreSQL at 127.0.0.1:1/test")
    assert "\n" not in message


def test_unopenable_sqlite_files(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"cannot open SQLite database .*missing or not writable"):
        Archive(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.sqlite'}")
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match="not an SQLite database"):
        Archive(f"sqlite:///{garbage}")
    with pytest.raises(StorageError, match="no archive at"):
        Archive(f"sqlite:///{tmp_path / 'absent.sqlite'}", must_exist=True)


def test_sqlite_write_transactions_take_the_write_lock_when_they_begin(tmp_path: Path) -> None:
    # A writer that only read first could not become a writer once another process committed;
    # taking the lock at BEGIN makes concurrent writers queue instead. Reading sessions do not take it.
    path = tmp_path / "archive.sqlite"
    with Archive(f"sqlite:///{path}") as archive:
        other_process = sqlite3.connect(path, isolation_level=None, timeout=0)
        try:
            with archive.session() as session:
                session.scalar(select(func.count()).select_from(Article))
                other_process.execute("BEGIN IMMEDIATE")
                other_process.execute("ROLLBACK")
            with archive.transaction() as repo:
                repo.session.connection()
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other_process.execute("BEGIN IMMEDIATE")
            other_process.execute("BEGIN IMMEDIATE")  # released at commit
            other_process.execute("ROLLBACK")
        finally:
            other_process.close()


def test_locked_sqlite_fails_clearly_and_loses_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'locked.sqlite'}"
    with Archive(url, busy_timeout=0.2) as archive:
        with archive.transaction() as repo:
            kept = repo.upsert_article(load_record(TESLA)).article_id
        other_process = sqlite3.connect(tmp_path / "locked.sqlite", isolation_level=None)
        other_process.execute("BEGIN EXCLUSIVE")
        try:
            with (
                pytest.raises(StorageError, match="is locked by another process") as raised,
                archive.transaction() as repo,
            ):
                repo.upsert_article(load_record(FLAGSHIP))
            assert "\n" not in str(raised.value)
        finally:
            other_process.execute("ROLLBACK")
            other_process.close()
        with archive.session() as session:
            assert session.scalars(select(Article.id)).all() == [kept]
            assert session.scalar(select(func.count()).select_from(Comment)) == 0
        with archive.transaction() as repo:
            assert repo.upsert_article(load_record(FLAGSHIP)).status == "new"


@pytest.mark.postgres
def test_locked_postgresql_fails_clearly_after_the_busy_timeout(pg_schemas) -> None:
    # A write waited silently for as long as another session held the table (a minute and more).
    url = pg_schemas.new()
    with Archive(url) as archive, archive.transaction() as repo:
        kept = repo.upsert_article(load_record(TESLA)).article_id
    holder = Archive(url)
    other_session = holder.engine.raw_connection()
    try:
        other_session.cursor().execute("LOCK TABLE articles IN ACCESS EXCLUSIVE MODE")
        released = threading.Timer(
            3.0, other_session.rollback
        )  # without a timeout, the write waited for this
        released.start()
        with Archive(url, busy_timeout=0.5) as archive:
            started = time.monotonic()
            with (
                pytest.raises(StorageError, match="is locked by another process") as raised,
                archive.transaction() as repo,
            ):
                repo.upsert_article(load_record(FLAGSHIP))
            assert time.monotonic() - started < 2.5
            assert "\n" not in str(raised.value)
        released.join()
        with Archive(url) as archive, archive.session() as session:
            assert session.scalars(select(Article.id)).all() == [kept]
    finally:
        other_session.close()
        holder.close()


@pytest.mark.postgres
def test_a_statement_postgresql_cancels_is_not_called_a_connection_failure(pg_schemas) -> None:
    # A statement_timeout (set for the role, or in PGOPTIONS) or an administrator's
    # pg_cancel_backend() was reported as "cannot connect to PostgreSQL at ...".
    url = pg_schemas.new()
    Archive(url).close()  # created at head (its migrations with no timeout)
    with (
        Archive(url.replace("options=", "options=-cstatement_timeout%3D100%20")) as archive,
        pytest.raises(StorageError) as raised,
    ):
        run_query(archive, "SELECT pg_sleep(5)")
    where = f"{archive.url.host}:{archive.url.port or 5432}/{archive.url.database}"
    assert str(raised.value) == (
        f"PostgreSQL at {where} cancelled the statement (canceling statement due to statement timeout)"
    )


def test_a_failing_article_is_rolled_back_whole(fresh_archive, monkeypatch) -> None:
    with fresh_archive.transaction() as repo:
        repo.upsert_article(load_record(APPLE))

    def broken_index(*_args, **_kwargs):
        raise StorageError("disk full while indexing")

    monkeypatch.setattr(storage.repository.fulltext, "index_article", broken_index)
    with pytest.raises(StorageError, match="disk full"), fresh_archive.transaction() as repo:
        repo.upsert_article(load_record(FLAGSHIP))  # its rows are written before indexing fails
    with fresh_archive.session() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 1
        assert session.scalar(select(func.count()).select_from(Comment)) == 1
        assert session.scalar(select(func.count()).select_from(Paragraph)) == len(
            [p for s in load_record(APPLE)["sections"] for p in s["paragraphs"]]
        )


def test_a_statement_failing_in_the_database_rolls_the_article_back_and_the_archive_goes_on(
    fresh_archive, monkeypatch
) -> None:
    """The server refuses a statement of the article's last writes (sent without waiting on
    PostgreSQL): a clear error, none of the article kept, and the next article archives normally."""
    from sqlalchemy import text

    from storage.prepared import PreparedStatement

    broken = PreparedStatement(text("INSERT INTO no_such_table (id) VALUES (:id)"))
    monkeypatch.setattr(storage.repository.fulltext, "_SQLITE_STAGE", broken)  # an archive's SQLite writer
    monkeypatch.setattr(storage.repository.fulltext, "_SQLITE_INSERT", broken)
    monkeypatch.setattr(storage.repository.fulltext, "_POSTGRESQL_UPSERT", broken)
    with pytest.raises(StorageError, match="no_such_table"), fresh_archive.transaction() as repo:
        repo.upsert_article(load_record(FLAGSHIP))
    monkeypatch.undo()
    with fresh_archive.transaction() as repo:
        assert repo.upsert_article(load_record(APPLE)).status == "new"
        assert repo.upsert_article(load_record(FLAGSHIP)).status == "new"
    with fresh_archive.session() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 2
        assert session.scalar(select(func.count()).select_from(Comment)) == 44


def test_a_write_postgresql_refuses_is_one_error_and_no_log_line(pg_schemas, caplog, monkeypatch) -> None:
    # Rows the server refuses among those sent without waiting (the key points, here): the aborted
    # pipeline also logged "error ignored terminating <psycopg.Pipeline ...>: pipeline aborted", a
    # second line after the command's error.
    from sqlalchemy import text

    from storage.prepared import PreparedStatement

    refused = PreparedStatement(
        text("INSERT INTO key_points (version_id, position, text) VALUES (NULL, :position, :text)")
    )
    with Archive(pg_schemas.new()) as archive:
        with monkeypatch.context() as patched, pytest.raises(StorageError, match="null value"):
            patched.setattr(storage.repository._Statements, "insert_key_points", refused)
            with archive.transaction() as repo:
                repo.upsert_article(load_record(FLAGSHIP))
        with archive.transaction() as repo:
            assert repo.upsert_article(load_record(APPLE)).status == "new"
    assert [r.getMessage() for r in caplog.records if r.name.startswith("psycopg")] == []


def test_two_writers_archiving_the_same_new_article_both_succeed(fresh_archive) -> None:
    """A second crawler process meeting the same new article waits, then finds it archived."""
    record = load_record(FLAGSHIP)
    first_inside = threading.Event()
    let_first_commit = threading.Event()
    results: dict[str, object] = {}

    def first_writer() -> None:
        with fresh_archive.transaction() as repo:
            results["first"] = repo.upsert_article(record).status
            first_inside.set()
            let_first_commit.wait(10)

    def second_writer() -> None:
        first_inside.wait(10)
        try:
            with fresh_archive.transaction() as repo:
                results["second"] = repo.upsert_article(record).status
        except StorageError as error:  # the test reports it below
            results["second"] = error

    threads = [threading.Thread(target=first_writer), threading.Thread(target=second_writer)]
    for thread in threads:
        thread.start()
    first_inside.wait(10)
    time.sleep(0.3)  # the second writer is now waiting for the first one's transaction
    let_first_commit.set()
    for thread in threads:
        thread.join(15)
    assert results == {"first": "new", "second": "unchanged"}
    with fresh_archive.session() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 1
        assert session.scalar(select(func.count()).select_from(Comment)) == 43

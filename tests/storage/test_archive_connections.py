"""Write units of work keep one connection per thread between them; closing the archive closes them
all (on SQLite the last connection to close folds the write-ahead log back into the file and removes
it). On PostgreSQL a connection held through a pause is checked before it is used again."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from archive_helpers import FLAGSHIP, edited, load_record
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

import storage.db
from storage import Archive, StorageError
from storage.models import Article, Site


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


def test_a_write_inside_an_unchanged_write_waits_too_and_leaves_the_outer_one_whole(tmp_path: Path) -> None:
    # An unchanged article is written with prepared statements only, on the driver's connection:
    # SQLAlchemy sees no transaction on it, but it is taken all the same (the inner unit of work
    # once took it over, failed to BEGIN, and rolled the outer one back).
    with Archive(f"sqlite:///{tmp_path / 'archive.sqlite'}", busy_timeout=0.2) as archive:
        with archive.transaction() as repo:
            repo.upsert_article(_article(1))
        with archive.transaction() as outer:
            assert outer.upsert_article(_article(1)).status == "unchanged"
            with pytest.raises(StorageError, match="locked"), archive.transaction() as inner:
                inner.upsert_article(_article(2))
            assert outer.upsert_article(_article(3)).status == "new"
        with archive.session() as session:
            assert session.scalars(select(Article.canonical_url).order_by(Article.id)).all() == [
                "https://blog-auto-info.com/essai-1/",
                "https://blog-auto-info.com/essai-3/",
            ]


def test_orm_and_repository_writes_of_a_unit_of_work_commit_and_roll_back_together(tmp_path: Path) -> None:
    # The repository writes on the connection, the session's ORM objects are flushed at the end:
    # one transaction either way.
    now = datetime.now(UTC)
    with Archive(f"sqlite:///{tmp_path / 'archive.sqlite'}") as archive:
        with archive.transaction() as repo:
            repo.session.add(Site(key="added-through-the-orm.example", first_seen_at=now))
            repo.upsert_article(_article(1))
        with archive.transaction() as repo:  # the ORM alone
            repo.session.add(Site(key="only-the-orm.example", first_seen_at=now))
        with pytest.raises(RuntimeError), archive.transaction() as repo:
            repo.session.add(Site(key="rolled-back.example", first_seen_at=now))
            repo.upsert_article(_article(2))
            repo.session.flush()
            raise RuntimeError("the caller failed after writing")
        with archive.session() as session:
            assert session.scalars(select(Site.key).order_by(Site.key)).all() == [
                "added-through-the-orm.example",
                "blog-auto-info.com",
                "only-the-orm.example",
            ]
            assert session.scalar(select(func.count()).select_from(Article)) == 1


def test_core_statements_of_a_unit_of_work_join_its_transaction(tmp_path: Path) -> None:
    # On SQLite the unit of work begins on the driver's connection; a statement run through
    # SQLAlchemy inside it must join that transaction, not begin (and fail) or commit on its own.
    with Archive(f"sqlite:///{tmp_path / 'archive.sqlite'}") as archive:
        with archive.transaction() as repo:
            article_id = repo.upsert_article(_article(1)).article_id
            repo.session.execute(
                text("UPDATE articles SET comment_count = 7 WHERE id = :id"), {"id": article_id}
            )
            repo.upsert_article(_article(2))
        with pytest.raises(RuntimeError), archive.transaction() as repo:
            repo.session.execute(
                text("UPDATE articles SET comment_count = 8 WHERE id = :id"), {"id": article_id}
            )
            repo.upsert_article(_article(3))
            raise RuntimeError("the caller failed after writing")
        with archive.session() as session:
            assert session.scalar(select(Article.comment_count).where(Article.id == article_id)) == 7
            assert session.scalar(select(func.count()).select_from(Article)) == 2


def test_a_session_commit_inside_a_unit_of_work_does_not_commit_it(tmp_path: Path) -> None:
    # The session joins the unit of work's transaction (rollback_only): its commit flushes and ends
    # its own part; what the unit of work wrote commits, or rolls back, as one.
    now = datetime.now(UTC)
    with Archive(f"sqlite:///{tmp_path / 'archive.sqlite'}") as archive:
        with archive.transaction() as repo:
            repo.upsert_article(_article(1))
        with pytest.raises(RuntimeError), archive.transaction() as repo:
            # the session first (nothing else has used the connection yet), then prepared statements
            repo.session.add(Site(key="committed-by-the-session.example", first_seen_at=now))
            repo.session.commit()
            assert repo.upsert_article(_article(1)).status == "unchanged"
            repo.upsert_article(_article(2))
            raise RuntimeError("the caller failed after the session's commit")
        with archive.transaction() as repo:
            repo.session.add(Site(key="kept.example", first_seen_at=now))
            repo.session.commit()
            repo.upsert_article(_article(3))
        with archive.session() as session:
            assert session.scalars(select(Site.key).order_by(Site.key)).all() == [
                "blog-auto-info.com",
                "kept.example",
            ]
            assert session.scalars(select(Article.canonical_url).order_by(Article.id)).all() == [
                "https://blog-auto-info.com/essai-1/",
                "https://blog-auto-info.com/essai-3/",
            ]


def test_a_write_unit_of_work_starts_with_an_empty_session(tmp_path: Path) -> None:
    # The session is kept with the thread's connection between units of work: what one loaded is
    # not in the next one's, and stays readable.
    with Archive(f"sqlite:///{tmp_path / 'archive.sqlite'}") as archive:
        with archive.transaction() as repo:
            repo.upsert_article(_article(1))
            loaded = repo.session.scalars(select(Article)).one()
            first_session = repo.session
        with archive.transaction() as repo:
            assert repo.session is first_session
            assert len(repo.session.identity_map) == 0
            assert loaded not in repo.session
            assert repo.upsert_article(_article(1)).status == "unchanged"
        assert loaded.canonical_url == "https://blog-auto-info.com/essai-1/"


def _page_cache_kib(session: Session) -> int:
    return -session.scalar(text("PRAGMA cache_size"))  # negative: KiB, not pages


def test_sqlite_readers_get_a_large_page_cache_and_writers_keep_the_default(tmp_path: Path) -> None:
    # A long crawl's writer would fill a large cache with the pages it touches (memory growing over
    # the run); queries over a large archive need one.
    with Archive(f"sqlite:///{tmp_path / 'archive.sqlite'}") as archive:
        with archive.session() as session:
            assert _page_cache_kib(session) == storage.db.READ_PAGE_CACHE_KIB
        with archive.transaction() as repo:
            repo.upsert_article(_article(1))
            assert _page_cache_kib(repo.session) == storage.db.DEFAULT_PAGE_CACHE_KIB
        with archive.session() as session:  # a pooled connection, not the writer's (still held)
            assert _page_cache_kib(session) == storage.db.READ_PAGE_CACHE_KIB
        # a writer's connection dropped after a failure goes back to the pool as a reader's
        with pytest.raises(RuntimeError), archive.transaction() as repo:
            writer = repo.session.connection().connection.driver_connection
            raise RuntimeError("the caller failed")
        assert writer.execute("PRAGMA cache_size").fetchone()[0] == -storage.db.READ_PAGE_CACHE_KIB
        with archive.transaction() as repo:
            assert _page_cache_kib(repo.session) == storage.db.DEFAULT_PAGE_CACHE_KIB
            assert repo.upsert_article(_article(1)).status == "unchanged"
    with (
        Archive(f"sqlite:///{tmp_path / 'archive.sqlite'}", page_cache_kib=4096) as archive,
        archive.session() as session,
    ):
        assert _page_cache_kib(session) == 4096  # a size of the caller's (a crawl: see crawl_archive)
    with Archive("sqlite://") as in_memory, in_memory.session() as session:
        assert _page_cache_kib(session) == 2000  # SQLite's default: all of it is cache anyway


def _backend_pid(archive: Archive) -> int:
    with archive.transaction() as repo:
        return repo.session.scalar(text("SELECT pg_backend_pid()"))


def _terminate(pg_schemas, pid: int) -> None:
    with pg_schemas.engine.connect() as admin:
        assert admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


@pytest.mark.postgres
def test_postgresql_write_units_reuse_one_connection_without_the_pool(pg_schemas) -> None:
    from sqlalchemy import event

    with Archive(pg_schemas.new()) as archive:
        first = _backend_pid(archive)
        checkouts: list[object] = []
        event.listen(archive.engine, "checkout", lambda *args: checkouts.append(args))
        for n in range(3):
            with archive.transaction() as repo:
                repo.upsert_article(_article(n))
        assert _backend_pid(archive) == first
        assert checkouts == []  # no checkout, hence no pre-ping round trip, per article


@pytest.mark.postgres
def test_postgresql_connection_dropped_during_a_pause_is_replaced_before_use(
    pg_schemas, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.db, "HELD_CONNECTION_PING_AFTER", 0.0)  # every use follows "a pause"
    with Archive(pg_schemas.new()) as archive:
        dropped = _backend_pid(archive)
        _terminate(pg_schemas, dropped)  # a server restart or an idle timeout
        with archive.transaction() as repo:
            assert repo.upsert_article(_article(1)).status == "new"
        assert _backend_pid(archive) != dropped


@pytest.mark.postgres
def test_postgresql_connection_dropped_between_two_quick_writes_fails_one_then_reconnects(
    pg_schemas, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without a pause nothing is checked (a round trip per article): the unit of work that meets the
    # dead connection fails with one clear line, nothing is half-written, and the next one reconnects.
    monkeypatch.setattr(storage.db, "HELD_CONNECTION_PING_AFTER", 3600.0)
    with Archive(pg_schemas.new()) as archive:
        _terminate(pg_schemas, _backend_pid(archive))
        with pytest.raises(StorageError) as raised, archive.transaction() as repo:
            repo.upsert_article(_article(1))
        assert "\n" not in str(raised.value)
        with archive.transaction() as repo:
            assert repo.upsert_article(_article(2)).status == "new"
        with archive.session() as session:
            assert session.scalars(select(Article.canonical_url)).all() == [
                "https://blog-auto-info.com/essai-2/"
            ]

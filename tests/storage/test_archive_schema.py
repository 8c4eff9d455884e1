"""Migrations and models agree; archives are created at head; schema revisions are guarded; dates are
stored in SQLite's DATETIME text form."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from archive_helpers import FLAGSHIP, LONG_TEXT, load_record, long_urls_record, new_archive_url

from storage import Archive, StorageError
from storage.db import alembic_config, head_revision, include_name, include_object
from storage.models import Article, ArticleUrl, Base, Comment, RawCapture, RelatedLink, UTCDateTime
from storage.record import url_key, whole_url_key


def schema_diff(connection: sa.Connection, metadata: sa.MetaData) -> list:
    context = MigrationContext.configure(
        connection,
        opts={
            "include_name": include_name,
            "include_object": include_object(connection.dialect.name),
            "compare_type": True,
        },
    )
    with warnings.catch_warnings():
        # On SQLite, Alembic warns of PostgreSQL's md5 indexes before include_object leaves them out.
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        return compare_metadata(context, metadata)


def test_migrations_at_head_match_the_models(archive) -> None:
    with archive.engine.connect() as connection:
        assert schema_diff(connection, Base.metadata) == []


def test_the_comparison_would_see_a_model_change(archive) -> None:
    changed = sa.MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    sa.Table("comments", changed, sa.Column("likes", sa.Integer), extend_existing=True)
    with archive.engine.connect() as connection:
        diff = schema_diff(connection, changed)
    assert [(op[0], op[3].name) for op in diff] == [("add_column", "likes")]


def test_search_table_and_views_exist(archive) -> None:
    inspector = sa.inspect(archive.engine)
    assert {"v_articles", "v_comments", "v_related_links", "v_table_cells"} <= set(inspector.get_view_names())
    assert "article_search" in inspector.get_table_names()


def test_a_new_sqlite_file_is_created_at_head_with_its_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    with Archive(f"sqlite:///{path}") as archive:
        assert path.is_file()
        assert archive.current_revision() == head_revision()
        with archive.engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_default_url_comes_from_the_environment(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSCRAWL_DB", raising=False)
    with Archive() as archive:
        assert archive.url.database == "newscrawl.sqlite"
    assert (tmp_path / "newscrawl.sqlite").is_file()
    monkeypatch.setenv("NEWSCRAWL_DB", f"sqlite:///{tmp_path / 'env.sqlite'}")
    with Archive() as archive:
        assert archive.url.database.endswith("env.sqlite")


def test_downgrade_and_upgrade_round_trip(fresh_archive) -> None:
    with fresh_archive.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(sa.inspect(fresh_archive.engine).get_table_names()) <= {"alembic_version"}
    assert fresh_archive.upgrade() == (None, head_revision())
    with fresh_archive.engine.connect() as connection:
        assert schema_diff(connection, Base.metadata) == []


def test_an_archive_behind_head_must_be_upgraded_explicitly(fresh_archive) -> None:
    with fresh_archive.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0001")
    url = fresh_archive.url.render_as_string(hide_password=False)
    with pytest.raises(
        StorageError,
        match=rf"schema revision 0001, this newscrawl needs {head_revision()}: run `newscrawl db upgrade`",
    ):
        Archive(url)
    with Archive(url, create=False) as behind:
        assert behind.upgrade() == ("0001", head_revision())
    with Archive(url) as upgraded:
        assert upgraded.current_revision() == head_revision()


def test_upgrade_refuses_unknown_revisions_and_going_back(fresh_archive) -> None:
    # Alembic's own errors came out as tracebacks.
    with fresh_archive.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0005")
    with pytest.raises(
        StorageError, match=r"no schema revision 'bogus' \(known: 0001, 0002, .*; default: head\)"
    ):
        fresh_archive.upgrade("bogus")
    with pytest.raises(
        StorageError, match="at schema revision 0005, past 0003: newscrawl migrates forward only"
    ):
        fresh_archive.upgrade("0003")
    assert fresh_archive.upgrade("0005") == ("0005", "0005")
    assert fresh_archive.upgrade() == ("0005", head_revision())


def test_a_schema_revision_newscrawl_does_not_know_is_named(fresh_archive) -> None:
    with fresh_archive.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'deadbeef'"))
    url = fresh_archive.url.render_as_string(hide_password=False)
    unknown = r"schema revision 'deadbeef', which this newscrawl does not know .*: made by a newer newscrawl"
    with pytest.raises(StorageError, match=unknown):  # it said: run `newscrawl db upgrade`
        Archive(url)
    with Archive(url, create=False) as opened, pytest.raises(StorageError, match=unknown):
        opened.upgrade()  # a traceback from Alembic


def test_a_command_that_only_reads_creates_no_archive(backend, tmp_path: Path, request) -> None:
    url = new_archive_url(backend, tmp_path, request)
    if backend == "sqlite":  # an empty file: SQLite's archive "exists" as soon as its file does
        (tmp_path / "archive.sqlite").touch()
        url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with pytest.raises(
        StorageError, match=r"no archive in .*: ingest records or run `newscrawl db upgrade` first"
    ):
        Archive(url, must_exist=True)
    with Archive(url, create=False) as opened:  # it created the whole schema on PostgreSQL
        assert opened.current_revision() is None
        assert sa.inspect(opened.engine).get_table_names() == []


def test_sqlite_dates_are_the_text_sqlalchemy_datetime_stores() -> None:
    """UTCDateTime's own SQLite processor writes exactly what the generic DATETIME path would."""
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    generic = sa.DateTime().dialect_impl(dialect).bind_processor(dialect)
    paris = timezone(timedelta(hours=2))
    for value in (
        datetime(2024, 4, 29, 14, 5, tzinfo=UTC),
        datetime(2024, 4, 29, 14, 5, 7, 123, tzinfo=paris),
        datetime(2024, 12, 31, 23, 30, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
        datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
    ):
        assert ours(value) == generic(value.astimezone(UTC).replace(tzinfo=None))
    assert ours(datetime(2024, 4, 29, 14, 5, tzinfo=paris)) == "2024-04-29 12:05:00.000000"
    assert ours(None) is None
    with pytest.raises(ValueError, match="naive datetime"):
        ours(datetime(2024, 4, 29, 14, 5))


def test_long_urls_and_comment_ids_are_unique_as_short_ones(repo, session) -> None:
    """PostgreSQL holds them under an md5 (its B-tree rows hold ~2.7 KB): a second row with the same
    long text is refused all the same."""
    record = long_urls_record(load_record(FLAGSHIP))
    stored = repo.upsert_article(record, captures=[{"url": record["url"], "status": 200, "body": b"page"}])
    for model, key in (
        (Article, Article.id == stored.article_id),
        (ArticleUrl, ArticleUrl.url_key == url_key(record["canonical_url"])),
        (Comment, Comment.comment_key == f"comment-{LONG_TEXT}"),
        (RawCapture, RawCapture.version_id == stored.version_id),
    ):
        table = model.__table__
        row = session.execute(sa.select(table).where(key)).mappings().one()
        copy = {name: value for name, value in row.items() if name != "id"}
        with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
            session.execute(sa.insert(table).values(copy))


def test_0014_shortens_the_long_url_keys_sqlite_held(tmp_path: Path) -> None:
    # Only SQLite could hold a URL key past what a PostgreSQL B-tree row holds, before 0014.
    record = long_urls_record(load_record(FLAGSHIP))
    record["related_links"][0]["url"] = record["url"]  # a link to itself: resolved on insert
    with Archive(f"sqlite:///{tmp_path / 'archive.sqlite'}") as archive:
        with archive.transaction() as repo:
            stored = repo.upsert_article(record)
        keys = sa.select(ArticleUrl.url_key).union_all(sa.select(RelatedLink.url_key))
        with archive.engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0013")
            assert whole_url_key(record["url"]) in connection.scalars(keys).all()
        archive.upgrade()
        with archive.session() as session:
            assert url_key(record["url"]) in session.scalars(keys).all()
            assert max(len(key) for key in session.scalars(keys)) < 2_000
            assert session.scalar(
                sa.select(RelatedLink.target_article_id).where(RelatedLink.position == 0)
            ) == (stored.article_id)
        with archive.transaction() as repo:
            assert repo.find_article_id(record["url"]) == stored.article_id
            assert repo.upsert_article(record).status == "unchanged"

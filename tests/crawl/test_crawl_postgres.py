"""The mirror crawled into PostgreSQL (a schema of its own on the shared server), then re-crawled
incrementally: the crawl state queries and the pipelines work on both backends."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine

from tests.crawl.helpers import FLAGSHIP, MIRROR_HOST, archive_records, assert_clean, crawl, sql

PG_URL = os.environ.get("NEWSCRAWL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_db():
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        connection = engine.connect()
    except Exception as error:  # no server: skip, except in CI where the services must be there
        engine.dispose()
        problem = f"PostgreSQL not reachable at {PG_URL}: {' '.join(str(error).split())[:200]}"
        if os.environ.get("NEWSCRAWL_REQUIRE_SERVICES") == "1":
            pytest.fail(problem, pytrace=False)
        pytest.skip(problem)
    schema = f"nc_crawl_{uuid.uuid4().hex[:12]}"
    connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        connection.close()
        engine.dispose()


def test_mirror_into_postgresql_then_incremental(mirror, pg_db):
    resolve = {MIRROR_HOST: mirror.base_url}
    first = crawl("blog-auto-info", pg_db, resolve=resolve)
    assert_clean(first)
    assert first.returncode == 0, first.output[-3000:]
    flagship = archive_records(pg_db)[FLAGSHIP]
    assert len(flagship["comments"]) == 43
    assert sql(pg_db, "SELECT count(*), count(target_article_id) FROM related_links") == [(4, 4)]
    second = crawl("blog-auto-info", pg_db, "--incremental", resolve=resolve)
    assert second.returncode == 0, second.output[-3000:]
    assert sql(
        pg_db, "SELECT articles_new, articles_updated, comments_added FROM crawl_runs ORDER BY id"
    ) == [
        (4, 0, 47),
        (0, 0, 0),
    ]
    assert sql(pg_db, "SELECT count(*) FROM raw_captures") == [(7,)]

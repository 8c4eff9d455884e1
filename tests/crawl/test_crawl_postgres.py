"""The mirror crawled into PostgreSQL (a schema of its own on the shared server), then re-crawled
incrementally: the crawl state queries and the pipelines work on both backends."""

from __future__ import annotations

import pytest

from tests.crawl.helpers import FLAGSHIP, MIRROR_HOST, archive_records, assert_clean, crawl, sql
from tests.services import postgres_schema

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_db():
    with postgres_schema("nc_crawl") as url:
        yield url


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

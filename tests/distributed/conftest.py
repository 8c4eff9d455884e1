"""Distributed crawl tests: Redis (the frontier) and PostgreSQL (the archive) on 127.0.0.1.

Each test gets its own job name (so its own Redis keys, deleted afterwards) and its own PostgreSQL
schema (dropped afterwards). Without the servers the tests skip with the reason, except in CI
(``NEWSCRAWL_REQUIRE_SERVICES=1``) where they fail.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.services import REDIS_URL, postgres_schema, unavailable


@pytest.fixture
def redis_server() -> Iterator[object]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=10)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        unavailable(f"Redis not reachable at {REDIS_URL}: {' '.join(str(error).split())}")
    yield client
    client.close()


@pytest.fixture
def frontier_job(redis_server) -> Iterator[str]:
    """A job name of this test's own; its keys are removed afterwards."""
    job = f"test-{uuid.uuid4().hex[:12]}"
    yield job
    keys = list(redis_server.scan_iter(match=f"newscrawl:{job}:*", count=1000))
    if keys:
        redis_server.delete(*keys)


@pytest.fixture
def pg_archive() -> Iterator[str]:
    """A PostgreSQL archive URL in a schema of its own, created at the schema head."""
    from storage import Archive

    with postgres_schema("nc_dist") as url:
        # Workers of a job start against an existing archive (README: `newscrawl db upgrade` first).
        Archive(url).close()
        yield url

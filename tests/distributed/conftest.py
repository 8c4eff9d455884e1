"""Distributed crawl tests: Redis (the frontier) and PostgreSQL (the archive) on 127.0.0.1.

Each test gets its own job name (so its own Redis keys, deleted afterwards) and its own PostgreSQL
schema (dropped afterwards). Without the servers the tests skip with the reason, except in CI
(``NEWSCRAWL_REQUIRE_SERVICES=1``) where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

REDIS_URL = os.environ.get("NEWSCRAWL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PG_URL = os.environ.get("NEWSCRAWL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _unavailable(problem: str) -> None:
    if os.environ.get("NEWSCRAWL_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{problem} (NEWSCRAWL_REQUIRE_SERVICES=1: these tests must run)", pytrace=False)
    pytest.skip(problem)


@pytest.fixture
def redis_server() -> Iterator[object]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=10)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        _unavailable(f"Redis not reachable at {REDIS_URL}: {' '.join(str(error).split())}")
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
    from sqlalchemy import create_engine

    from storage import Archive

    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        connection = engine.connect()
    except Exception as error:
        engine.dispose()
        _unavailable(f"PostgreSQL not reachable at {PG_URL}: {' '.join(str(error).split())[:200]}")
    schema = f"nc_dist_{uuid.uuid4().hex[:12]}"
    connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    # Workers of a job start against an existing archive (README: `newscrawl db upgrade` first).
    Archive(url).close()
    try:
        yield url
    finally:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        connection.close()
        engine.dispose()

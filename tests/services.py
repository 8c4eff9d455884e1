"""The local services some tests need (PostgreSQL, Redis, scrapyd, Chromium), found or reported.

Outside CI a missing service skips its tests with the reason; in CI (``NEWSCRAWL_REQUIRE_SERVICES=1``,
set by .ci/run) it fails them, so a green run always means they ran.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import pytest
from sqlalchemy import create_engine

PG_URL = os.environ.get("NEWSCRAWL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("NEWSCRAWL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def unavailable(problem: str) -> NoReturn:
    """Skip the test for ``problem``; fail it in CI, where every service must be there."""
    if os.environ.get("NEWSCRAWL_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{problem} (NEWSCRAWL_REQUIRE_SERVICES=1: this test must run)", pytrace=False)
    pytest.skip(problem)


def postgres_problem(error: Exception) -> str:
    return f"PostgreSQL not reachable at {PG_URL}: {' '.join(str(error).split())[:200]}"


def schema_url(schema: str) -> str:
    """The test server's URL with ``schema`` as its search path."""
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options=-csearch_path%3D{schema}"


@contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """A URL of the test server in a new uniquely named schema, dropped afterwards (concurrent runs
    on the shared server never meet)."""
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        connection = engine.connect()
    except Exception as error:  # any failure to connect means: no server for this test
        engine.dispose()
        unavailable(postgres_problem(error))
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield schema_url(schema)
    finally:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        connection.close()
        engine.dispose()

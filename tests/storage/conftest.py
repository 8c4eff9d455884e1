"""Fixtures of the storage suite: every test runs on SQLite and on PostgreSQL.

* ``archive_url`` (session, parametrized): an SQLite file, or a uniquely named PostgreSQL schema
  (``search_path``) dropped at the end, so concurrent runs on the shared server never meet.
* ``repo`` / ``session``: a connection with an outer transaction and a session joined with
  ``join_transaction_mode="create_savepoint"`` (like warehouse's tests): whatever a test writes is
  rolled back, even when the code under test commits.
* ``fresh_archive``: an empty committed archive of its own, for tests that go through
  ``Archive.transaction()``, the CLI or read-only connections.

PostgreSQL comes from ``NEWSCRAWL_TEST_PG_URL`` (default 127.0.0.1:5432/test). When it is not
reachable the PostgreSQL tests skip with the reason, unless ``NEWSCRAWL_REQUIRE_SERVICES=1`` (CI),
where they fail.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from archive_helpers import APPLE, FLAGSHIP, SUV, TESLA, load_record, new_archive_url
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from storage import Archive, ArchiveRepository
from tests.services import PG_URL, postgres_problem, schema_url, unavailable

_pg_problem: str | None = None
_pg_checked = False


def _postgresql_problem() -> str | None:
    """Why PostgreSQL cannot be used here (None when it can), checked once."""
    global _pg_checked, _pg_problem
    if not _pg_checked:
        _pg_checked = True
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        try:
            with engine.connect():
                pass
        except Exception as error:  # any failure to connect means: no server for these tests
            _pg_problem = postgres_problem(error)
        finally:
            engine.dispose()
    return _pg_problem


def require_postgresql() -> None:
    problem = _postgresql_problem()
    if problem is not None:
        unavailable(problem)


class PostgresSchemas:
    """Creates uniquely named schemas on the shared server and drops them at the end."""

    def __init__(self) -> None:
        self.engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def new(self) -> str:
        schema = f"nc_test_{uuid.uuid4().hex[:12]}"
        with self.engine.connect() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        self.created.append(schema)
        return schema_url(schema)

    def drop_all(self) -> None:
        with self.engine.connect() as connection:
            for schema in self.created:
                connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        self.engine.dispose()


@pytest.fixture(scope="session")
def pg_schemas() -> Iterator[PostgresSchemas]:
    require_postgresql()
    schemas = PostgresSchemas()
    yield schemas
    schemas.drop_all()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        require_postgresql()
    return request.param


@pytest.fixture(scope="session")
def archive(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Archive]:
    """The session's migrated archive of this backend (tests write to it through savepoints only)."""
    with Archive(new_archive_url(backend, tmp_path_factory.mktemp("archive"), request)) as opened:
        yield opened


@pytest.fixture
def session(archive: Archive) -> Iterator[Session]:
    connection = archive.engine.connect()
    outer = connection.begin()
    with Session(bind=connection, join_transaction_mode="create_savepoint") as joined:
        yield joined
    outer.rollback()
    connection.close()


@pytest.fixture
def repo(session: Session) -> ArchiveRepository:
    return ArchiveRepository(session)


@pytest.fixture
def fresh_archive(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Archive]:
    """An archive of its own, committed to for real (SQLite file in tmp_path, or a new schema)."""
    with Archive(new_archive_url(backend, tmp_path, request)) as opened:
        yield opened


@pytest.fixture
def flagship() -> dict[str, Any]:
    """The flagship record: 4 sections, 3 related links, key points, a table, 43 comments with replies."""
    return load_record(FLAGSHIP)


@pytest.fixture
def all_records() -> list[dict[str, Any]]:
    return [load_record(name) for name in (TESLA, FLAGSHIP, SUV, APPLE)]

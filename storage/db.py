"""Opening the archive: database URLs, engines, sessions, migrations, and clear errors.

``Archive(url)`` is the unit-of-work helper callers use::

    with Archive("sqlite:///newscrawl.sqlite") as archive:
        with archive.transaction() as repo:          # one transaction, committed on success
            repo.upsert_article(record)

SQLite connections get WAL, ``foreign_keys=ON``, ``synchronous=NORMAL`` and a busy timeout on every
connect; transactions are begun explicitly (pysqlite's own transaction handling is switched off)
so SAVEPOINTs work. A new or empty database is created at the migrations' head automatically; an
older one must be upgraded explicitly (``newscrawl db upgrade``) so nobody migrates by accident.

Every database failure that is the user's or the environment's (bad URL, unsupported backend,
unreachable server, locked file, bad SQL) comes out as :class:`StorageError` with a one-line message.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from sqlalchemy.util import asbool

from storage import fulltext
from storage.checkpoint import WalCheckpointer
from storage.errors import StorageError
from storage.models import ONLY_ON

log = logging.getLogger(__name__)

try:  # the PostgreSQL driver is optional at import time; SQLite is in the standard library
    import psycopg

    DRIVER_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, psycopg.Error)
    _CONNECTION_ERRORS: tuple[type[Exception], ...] = (sa_exc.OperationalError, psycopg.OperationalError)
except ImportError:  # pragma: no cover
    DRIVER_ERRORS = (sqlite3.Error,)
    _CONNECTION_ERRORS = (sa_exc.OperationalError,)

DEFAULT_DATABASE_URL = "sqlite:///newscrawl.sqlite"
SQLITE_BEGIN_OPTION = "newscrawl_sqlite_begin"
"""Execution option naming the SQLite BEGIN mode ("IMMEDIATE" for write transactions)."""
DATABASE_ENV = "NEWSCRAWL_DB"
HELD_CONNECTION_PING_AFTER = 1.0
"""PostgreSQL: a held write connection unused this many seconds is checked before use (the pool's
pre-ping, without a round trip per article while a crawl writes several a second)."""
OWN_CONNECTION = "newscrawl_connection"
"""``session.info`` key of the connection whose transaction :meth:`Archive.session` runs itself (write
units of work): the repository writes on it directly."""
WAL_AUTOCHECKPOINT_PAGES = 10_000
"""SQLite checkpoints its write-ahead log once it holds this many pages (SQLite's default: 1,000)."""
READ_PAGE_CACHE_KIB = 65_536
"""SQLite page cache of a connection that reads (queries, views, search, exports): at 20,000 articles a
view's or a search's pages no longer fit SQLite's default 2 MB and were read again from the file
within one query (per-site counts over ``v_articles`` 57 → 25 ms). Taken as pages are read."""
DEFAULT_PAGE_CACHE_KIB = 2_000
"""SQLite's default, kept by the connections a process writes with (:meth:`Archive.transaction`): a
bigger cache did not write faster, and a crawl's writer would fill it with the pages it touches,
growing the crawl's memory by that much over a long run. A crawl's reading connections keep it too
(``Archive(page_cache_kib=...)``)."""
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
MIGRATION_OBJECTS_NOT_IN_MODELS = re.compile(r"^(article_search(_\w+)?|v_\w+|alembic_version)$")
"""Names the migrations create outside the ORM models: full-text tables (per backend) and views."""


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``$NEWSCRAWL_DB``, else ``sqlite:///newscrawl.sqlite``."""
    return url or os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE_URL


SQLITE_FILE_SUFFIXES = (".sqlite", ".sqlite3", ".db", ".db3")
"""A ``--db`` value without ``://`` that ends in one of these is an SQLite file path, taken verbatim."""
SQLITE_DRIVER_OPTIONS = frozenset(
    ("uri", "timeout", "isolation_level", "detect_types", "check_same_thread", "cached_statements")
)
"""The options of a ``sqlite:///`` URL that Python's driver takes; the others (``mode=ro``,
``immutable=1`` ...) are SQLite's own, read only from a URI (``uri=true``)."""


def parse_database_url(url: str) -> URL:
    """Check and complete a database URL; ``postgres://``/``postgresql://`` use psycopg 3. A plain
    file path ending in .sqlite, .sqlite3, .db or .db3 is an SQLite database, its name taken as
    written: in a ``sqlite:///`` URL, ``%41`` would be read as ``A`` and ``?`` would start options."""
    if "://" not in url and url.strip().lower().endswith(SQLITE_FILE_SUFFIXES):
        return URL.create("sqlite", database=url.strip())
    try:
        parsed = make_url(url)
    except (sa_exc.ArgumentError, ValueError):
        raise StorageError(
            f"invalid database URL {url!r}: expected sqlite:///PATH, a file path ending in .sqlite, "
            f"or postgresql+psycopg://USER@HOST/DB"
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgres", "postgresql") and driver in ("", "psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        ignored = sorted(set(parsed.query) - SQLITE_DRIVER_OPTIONS)
        if ignored and not _is_sqlite_uri(parsed):
            # SQLAlchemy drops them with a warning: ?mode=ro gave an archive that was written to
            raise StorageError(
                f"SQLite reads {', '.join(ignored)} in {url!r} only from a URI: add uri=true and name "
                f"the file as file:PATH (sqlite:///file:news.sqlite?mode=ro&uri=true)"
            )
        return parsed
    raise StorageError(
        f"unsupported database {parsed.drivername!r} in {url!r}: use sqlite:///PATH or postgresql+psycopg://..."
    )


def _is_sqlite_uri(url: URL) -> bool:
    uri = url.query.get("uri", "false")
    return asbool(uri[-1] if isinstance(uri, tuple) else uri)


def sqlite_file(url: URL) -> str | None:
    """The file an SQLite URL opens, None for an in-memory database (or PostgreSQL). In a URI
    (``sqlite:///file:PATH?mode=ro&uri=true``, https://sqlite.org/uri.html) the file is PATH,
    escapes decoded, after ``file:``, ``file://`` or ``file://localhost``."""
    database = url.database
    if url.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        return None
    if not _is_sqlite_uri(url) or not database.startswith("file:"):
        return database
    if url.query.get("mode") == "memory":
        return None
    path = database.removeprefix("file:")
    if path.startswith("//"):  # file://AUTHORITY/PATH, the authority empty or localhost
        path = "/" + path[2:].partition("/")[2]
    path = unquote(path.partition("?")[0].partition("#")[0])
    return None if path in ("", ":memory:") else path


def sqlite_archive_file(url: URL) -> str | None:
    """:func:`sqlite_file`, refused with a clear error when it names a directory (SQLite could only
    say it cannot open it, and the commands that read would call it no archive yet)."""
    database = sqlite_file(url)
    if database is not None and Path(database).is_dir():
        raise StorageError(f"{database} is a directory, not an SQLite archive: give the archive's file path")
    return database


def _describe(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database or ':memory:'}"
    return f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


QUERY_CANCELED = "57014"
"""PostgreSQL's SQLSTATE of a statement it cancelled: statement_timeout, pg_cancel_backend()."""


def storage_error(error: BaseException, url: URL | None = None) -> StorageError:
    """One clear line for a database exception (unreachable, locked, bad SQL, constraint ...)."""
    if isinstance(error, StorageError):
        return error
    where = _describe(url) if url is not None else "database"
    original = getattr(error, "orig", None) or error
    detail = " ".join(str(original).split()) or type(original).__name__
    lowered = detail.lower()
    locked = ("database is locked", "database table is locked", "lock timeout", "deadlock detected")
    if any(words in lowered for words in locked):
        return StorageError(f"{where} is locked by another process; retry when it is free ({detail})")
    if "unable to open database file" in lowered:
        return StorageError(f"cannot open {where}: the file or its directory is missing or not writable")
    if "file is not a database" in lowered:
        return StorageError(f"cannot open {where}: the file is not an SQLite database")
    if "readonly" in lowered.replace("-", "").replace(" ", "") or "read-only" in lowered:
        return StorageError(f"refused: this connection is read-only ({detail})")
    # (before the connection failures: "canceling statement due to statement timeout" names a timeout)
    if getattr(original, "sqlstate", None) == QUERY_CANCELED:
        return StorageError(f"{where} cancelled the statement ({detail})")
    connection_failure = (
        isinstance(error, _CONNECTION_ERRORS)
        and url is not None
        and (
            url.get_backend_name() == "postgresql"
            and any(word in lowered for word in ("connection", "connect", "timeout", "resolve", "host"))
        )
    )
    if connection_failure or isinstance(error, sa_exc.InterfaceError):
        return StorageError(f"cannot connect to {where}: {detail}")
    if isinstance(error, sa_exc.IntegrityError):
        return StorageError(f"integrity error in {where}: {detail}")
    if isinstance(error, (sa_exc.SQLAlchemyError, *DRIVER_ERRORS)):
        return StorageError(f"SQL error: {detail}")
    return StorageError(detail)


@contextmanager
def translate_errors(url: URL | None = None) -> Iterator[None]:
    """Re-raise database exceptions as :class:`StorageError` (others pass through); an SQLite
    statement a signal interrupted (see :func:`_let_signal_handlers_run`) as KeyboardInterrupt."""
    try:
        yield
    except (sa_exc.SQLAlchemyError, *DRIVER_ERRORS) as error:
        original = getattr(error, "orig", None) or error
        if getattr(original, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT:
            raise KeyboardInterrupt from None
        raise storage_error(error, url) from error


SIGNAL_CHECK_INSTRUCTIONS = 100_000
"""SQLite, read-only connections: virtual machine instructions between two calls of
:func:`_let_signal_handlers_run` (a few milliseconds of work; the calls cost nothing measurable)."""


def _let_signal_handlers_run() -> int:
    """The progress handler of the read-only connections, which run whatever SQL an analyst gives
    (``newscrawl query``). SQLite runs a statement in C, where Python runs no signal handler: a query
    that never ends (a recursive CTE without a stop) ignored Ctrl-C and SIGTERM, only SIGKILL ended it. In this Python call, Python
    runs the handlers of the signals received meanwhile; the exception one raises (KeyboardInterrupt)
    aborts the statement, which SQLite reports as interrupted (the exception itself is not passed
    on): :func:`translate_errors` raises it again."""
    return 0


def _enter_wal_mode(cursor: sqlite3.Cursor, busy_timeout: float) -> None:
    """Switch the file to WAL (a persistent setting: a no-op once done). The switch needs the file to
    itself and SQLite answers 'database is locked' at once, without waiting for busy_timeout, while
    another connection is opening a new archive at the same moment: retry until busy_timeout."""
    deadline = time.monotonic() + busy_timeout
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "readonly" in str(error):  # opened read-only (mode=ro): read in its own journal mode
                return
            if "locked" not in str(error) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def _set_page_cache(dbapi_connection: sqlite3.Connection, kib: int) -> None:
    dbapi_connection.execute(f"PRAGMA cache_size = -{int(kib)}")


def _refuse_attach(action: int, *_args: Any) -> int:
    return sqlite3.SQLITE_DENY if action == sqlite3.SQLITE_ATTACH else sqlite3.SQLITE_OK


def _configure_sqlite(engine: Engine, *, busy_timeout: float, read_only: bool, page_cache_kib: int) -> None:
    in_memory = sqlite_file(engine.url) is None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Autocommit at the driver level: SQLAlchemy emits BEGIN itself (see _on_begin), which makes
        # SAVEPOINTs and DDL inside transactions behave.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        if not in_memory and not read_only:
            _enter_wal_mode(cursor, busy_timeout)
            # A crawler commits each article (~50 pages of WAL): with the default 1,000-page
            # threshold every ~20th commit also copied the WAL back and synced both files. Rarer
            # checkpoints copy each hot page once for many commits (WAL up to ~40 MB).
            cursor.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
        if not in_memory:  # (an in-memory database is all cache)
            _set_page_cache(dbapi_connection, page_cache_kib)
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        if read_only:
            cursor.execute("PRAGMA query_only = ON")
            # query_only stops writes to the archive's files, not ATTACH creating a new, empty file
            dbapi_connection.set_authorizer(_refuse_attach)
            dbapi_connection.set_progress_handler(_let_signal_handlers_run, SIGNAL_CHECK_INSTRUCTIONS)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Write units of work ask for IMMEDIATE: a deferred transaction that has read cannot become
        # a writer once another process committed (SQLITE_BUSY at once, busy_timeout or not).
        # Straight on the driver's connection: SQLAlchemy's statement machinery cost more than the
        # BEGIN itself, once per article (its errors are the driver's: translate_errors maps them).
        driver = connection.connection.driver_connection
        if driver.in_transaction:  # begun on the driver by a write unit of work (_unit_of_work_on)
            return
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "")
        driver.execute(f"BEGIN {mode}".rstrip())


def _joining(held: Connection) -> Any:
    """A session listener: before the session first uses ``held`` inside a write unit of work begun
    on SQLite's driver, SQLAlchemy's transaction is begun on it (no BEGIN sent, see ``_on_begin``)
    so that the session joins it (``rollback_only``: its commit does not commit the unit's work)
    instead of beginning one of its own, which its commit would have committed."""

    def join(_session: Session, transaction: Any) -> None:
        if (
            transaction.parent is None
            and not held.closed
            and not held.in_transaction()
            and held.connection.driver_connection.in_transaction
        ):
            held.begin()

    return join


def create_archive_engine(
    url: str | URL,
    *,
    busy_timeout: float = 5.0,
    read_only: bool = False,
    page_cache_kib: int = READ_PAGE_CACHE_KIB,
) -> Engine:
    """An engine for the archive (see module doc); ``read_only`` makes SQLite refuse writes."""
    parsed = parse_database_url(url) if isinstance(url, str) else url
    with translate_errors(parsed):
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(
                parsed,
                connect_args={"timeout": busy_timeout},
                poolclass=NullPool if read_only else None,
            )
            _configure_sqlite(
                engine, busy_timeout=busy_timeout, read_only=read_only, page_cache_kib=page_cache_kib
            )
            return engine
        engine = create_engine(
            parsed, pool_pre_ping=True, connect_args={"connect_timeout": max(1, int(busy_timeout))}
        )
        lock_timeout_ms = max(1, int(busy_timeout * 1000))

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            _configure_postgresql_connection(dbapi_connection, lock_timeout_ms)

        return engine


CLIENT_CHECK_INTERVAL_MS = 1000
"""PostgreSQL 14+: how often a running statement checks that its client is still connected."""


def _configure_postgresql_connection(dbapi_connection: Any, lock_timeout_ms: int) -> None:
    with dbapi_connection.cursor() as cursor:
        # The archive's queries are short; JIT compilation of a plan with misjudged row counts cost
        # ~250 ms on a view lookup that runs in 1 ms.
        cursor.execute("SET jit = off")
        # Dates read in SQL are UTC, as SQLite keeps them: a server set to its team's time zone
        # (initdb takes the system's) gave date(published_at) and every date a query shows in it.
        cursor.execute("SET TIME ZONE 'UTC'")
        # ... and written in ISO 8601 whatever DateStyle the server, database or role sets (German,
        # SQL, Postgres): psycopg reads no other, and every command stopped with a traceback.
        cursor.execute("SET DateStyle = 'ISO'")
        # A statement waiting for a lock (another session holding a table) gives up like SQLite's
        # busy timeout, with a clear error, instead of waiting silently for as long as it is held.
        cursor.execute(f"SET lock_timeout = {lock_timeout_ms}")
        if dbapi_connection.info.server_version >= 140000:
            # The server notices a client gone only when it sends it something: a statement of a
            # process killed outright (SIGKILL, a lost ssh session) went on for good, `newscrawl
            # query`'s endless ones included. This checks the socket each second while it runs.
            cursor.execute(f"SET client_connection_check_interval = {CLIENT_CHECK_INTERVAL_MS}")
    dbapi_connection.commit()


# --------------------------------------------------------------------------- migrations


def include_name(name: str | None, type_: str, _parent_names: Any) -> bool:
    """Alembic filter: compare only what the models describe (not FTS tables, views, version table)."""
    return not (type_ == "table" and name is not None and MIGRATION_OBJECTS_NOT_IN_MODELS.match(name))


def include_object(dialect: str) -> Callable[..., bool]:
    """Alembic filter for ``dialect``: compare the database with the indexes and constraints the models
    create on it (not those of the other backend: ``storage.models.ONLY_ON``)."""

    def include(_item: Any, name: str | None, _type: str, reflected: bool, _compare_to: Any) -> bool:
        return reflected or name is None or ONLY_ON.get(name, dialect) == dialect

    return include


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """Alembic configuration of the package's own migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "storage/migrations has no revision"
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@cache
def known_revisions() -> tuple[str, ...]:
    """The schema revisions of this newscrawl, oldest first."""
    scripts = ScriptDirectory.from_config(alembic_config()).walk_revisions()
    return tuple(script.revision for script in scripts)[::-1]


def _unknown_revision(url: URL, revision: str) -> str:
    return (
        f"{_describe(url)} is at schema revision {revision!r}, which this newscrawl does not know "
        f"(its revisions: {', '.join(known_revisions())}): made by a newer newscrawl, or not a newscrawl archive"
    )


_MIGRATION_LOCK_KEY = 0x6E657773  # any constant: the PostgreSQL advisory lock that serializes migrations


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate the database to ``revision``; returns (revision before, revision after).

    Processes opening a new archive at once (workers of a distributed crawl) migrate one at a time:
    an advisory lock on PostgreSQL, an immediate write transaction on SQLite; whoever comes second
    finds the schema at head and has nothing left to do.
    """
    if engine.dialect.name == "sqlite":
        engine = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
    with translate_errors(engine.url), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # a migration waits for the one running (however long it takes), not lock_timeout
            connection.execute(text("SET LOCAL lock_timeout = 0"))
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        before = current_revision(connection)
        known = known_revisions()
        if before is not None and before not in known:
            raise StorageError(_unknown_revision(engine.url, before))
        if revision != "head":
            if revision not in known:
                raise StorageError(
                    f"no schema revision {revision!r} (known: {', '.join(known)}; default: head)"
                )
            if before is not None and known.index(revision) < known.index(before):
                raise StorageError(
                    f"{_describe(engine.url)} is at schema revision {before}, past {revision}: "
                    "newscrawl migrates forward only (restore a backup to go back)"
                )
        command.upgrade(alembic_config(connection), revision)
        return before, current_revision(connection)


# --------------------------------------------------------------------------- the archive


class Archive:
    """An opened archive: ``engine``, ``session()`` and ``transaction()`` units of work.

    ``Archive(url)`` uses :func:`database_url` when ``url`` is None. With ``create=True`` (default)
    an empty database is migrated to head on opening; a database behind head raises
    :class:`StorageError` asking for ``newscrawl db upgrade``. ``must_exist=True`` refuses a
    missing SQLite file instead of creating it (for commands that only read). ``page_cache_kib`` is the
    SQLite page cache of the connections that read (:data:`READ_PAGE_CACHE_KIB`; write units of work
    keep SQLite's default). Use as a context manager or call :meth:`close`.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        create: bool = True,
        must_exist: bool = False,
        busy_timeout: float = 5.0,
        page_cache_kib: int = READ_PAGE_CACHE_KIB,
    ) -> None:
        self.url: URL = parse_database_url(database_url(url))
        self.busy_timeout = busy_timeout
        database = sqlite_archive_file(self.url)
        on_disk = database is not None
        if must_exist and on_disk and not Path(database).is_file():
            raise StorageError(
                f"no archive at {database}: ingest records or run `newscrawl db upgrade` first"
            )
        self.page_cache_kib = page_cache_kib
        self.engine: Engine = create_archive_engine(
            self.url, busy_timeout=busy_timeout, page_cache_kib=page_cache_kib
        )
        self._sqlite = self.backend == "sqlite"
        self._on_disk_sqlite = on_disk
        # Writers take SQLite's write lock when they begin, so concurrent writers queue up.
        self._write_engine: Engine = (
            self.engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            if self._sqlite
            else self.engine
        )
        self._held = threading.local()  # each thread's write connection (_held_write_connection)
        self._held_connections: list[Connection] = []
        self._held_lock = threading.Lock()
        # Checkpoints of the write-ahead log run beside the writers (storage/checkpoint.py).
        self._checkpointer: WalCheckpointer | None = (
            WalCheckpointer(os.path.abspath(database), busy_timeout=busy_timeout)
            if database is not None and not self.url.query
            else None
        )
        # SQLite: the write units of work note search rows, written in batches (storage/fulltext.py).
        self._search_buffer = fulltext.SearchBuffer() if self._sqlite else None
        self._must_exist = must_exist
        if create:
            self.ensure_schema()

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.url.get_backend_name()

    def __repr__(self) -> str:
        return f"Archive({self.url.render_as_string(hide_password=True)!r})"

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._search_buffer is not None and len(self._search_buffer):
            self._write_search_rows()
        if self._checkpointer is not None:
            self._checkpointer.close()
        with self._held_lock:
            held, self._held_connections = self._held_connections, []
        for connection in held:
            with contextlib.suppress(sa_exc.SQLAlchemyError, *DRIVER_ERRORS):
                connection.info.pop(fulltext.SEARCH_BUFFER, None)
                connection.close()
        self.engine.dispose()

    def write_search_index(self) -> int:
        """Write the search rows still waiting, of this process or any other (SQLite: writers note
        them and they are written a batch at a time, see ``storage.fulltext``); returns how many.
        ``search()`` does it first itself when its session has not begun a transaction yet.
        PostgreSQL indexes at once: 0."""
        if not self._sqlite:
            return 0
        kept = self._search_buffer is not None and len(self._search_buffer) > 0
        if not kept and not self._search_rows_waiting():
            return 0  # (the write lock, which another writer may hold for long, is not waited for)
        with self.session(write=True) as session:
            return fulltext.write_pending_rows(session.info.get(OWN_CONNECTION) or session.connection())

    def _search_rows_waiting(self) -> bool:
        """SQLite: does a committed search row wait to be written? (read without the write lock)"""
        with translate_errors(self.url), self.engine.connect() as connection:
            return bool(
                connection.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM article_search_pending)").scalar()
            )

    def _write_search_rows(self) -> None:
        """After a write, or when closing: the articles are committed already, so a failure here is
        logged, not raised; the rows still wait in the table for the next writer or search."""
        try:
            self.write_search_index()
        except StorageError as error:
            log.warning("search rows of %s not written yet: %s", _describe(self.url), error)

    def ensure_schema(self) -> None:
        """Create an empty database at head; refuse one that is behind or unknown."""
        with translate_errors(self.url):
            with self.engine.connect() as connection:
                revision = current_revision(connection)
                has_tables = bool(inspect(connection).get_table_names())
                connection.rollback()
            head = head_revision()
            if revision == head:
                return
            if revision is None and not has_tables:
                if self._must_exist:  # a command that only reads: no archive here, and none made
                    raise StorageError(
                        f"no archive in {_describe(self.url)}: ingest records or run `newscrawl db upgrade` first"
                    )
                upgrade(self.engine)
                return
            if revision is None:
                raise StorageError(f"{_describe(self.url)} has tables but no newscrawl schema revision")
            if revision not in known_revisions():
                raise StorageError(_unknown_revision(self.url, revision))
            raise StorageError(
                f"{_describe(self.url)} is at schema revision {revision}, this newscrawl needs {head}: "
                "run `newscrawl db upgrade`"
            )

    def upgrade(self, revision: str = "head") -> tuple[str | None, str | None]:
        return upgrade(self.engine, revision)

    def analyze(self) -> None:
        """Refresh the query planner's statistics (ANALYZE); worth it after a large import."""
        with translate_errors(self.url), self.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")

    def current_revision(self) -> str | None:
        with translate_errors(self.url), self.engine.connect() as connection:
            return current_revision(connection)

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on any error.

        ``write=True`` (what :meth:`transaction` uses) makes SQLite take its write lock at BEGIN, so
        that concurrent writers wait for each other instead of failing.
        """
        held = self._held_write_connection() if write else None
        if held is not None:
            with self._unit_of_work_on(held) as session:
                yield session
        else:
            bind = self._write_engine if write else self.engine
            with translate_errors(self.url), Session(bind, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        if write and self._search_buffer is not None and self._search_buffer.due():
            self._write_search_rows()
        if write and self._checkpointer is not None:
            self._checkpointer.committed()

    @contextmanager
    def _unit_of_work_on(self, held: Connection) -> Iterator[Session]:
        """A write unit of work whose transaction the archive runs itself, on this thread's held
        connection, with a session joined to it. The repository writes straight on the connection
        (:data:`OWN_CONNECTION` in ``session.info``), so a unit of work that never uses the ORM does
        not pay for the session's own transaction: beginning it and committing it cost ~70 µs, more
        than the statements of an unchanged article on SQLite. If the ORM was used, the session is
        flushed and ended before the connection commits, in the same transaction. The session is
        kept with the connection for the next unit of work (creating and closing one cost ~25 µs
        more), emptied after each.

        PostgreSQL: the connection's transaction is SQLAlchemy's, begun here; the session joins it
        (``rollback_only``: it never commits it itself). SQLite: the transaction is begun and
        committed on the driver's connection, as SQLAlchemy's begin and commit (events,
        bookkeeping) cost ~50 µs, a fifth of an unchanged article's unit of work; whatever uses the
        connection through SQLAlchemy inside it (the ORM, Core statements) joins that transaction
        (``_on_begin`` sees it begun and issues no BEGIN): the session, even when it is the first,
        as on PostgreSQL (the connection's transaction is begun for it), and the connection's
        commit, where SQLAlchemy began one, is the commit."""
        session: Session | None = getattr(self._held, "session", None)
        if session is None or session.bind is not held:
            session = Session(held, expire_on_commit=False, join_transaction_mode="rollback_only")
            session.info[OWN_CONNECTION] = held
            if self._sqlite:
                event.listen(session, "after_transaction_create", _joining(held))
            self._held.session = session
        driver = held.connection.driver_connection if self._sqlite else None
        with translate_errors(self.url):
            try:
                if driver is not None:
                    driver.execute("BEGIN IMMEDIATE")
                else:
                    transaction = held.begin()
                yield session
                if session.in_transaction():
                    session.commit()
                if driver is None:
                    transaction.commit()
                elif held.in_transaction():
                    held.commit()
                else:
                    driver.commit()  # (nothing to do if the session's commit was the commit)
            except BaseException:
                # Closing the connection rolls its transaction back; the next unit of work starts clean.
                if driver is not None:
                    with contextlib.suppress(*DRIVER_ERRORS):
                        driver.rollback()
                self._drop_held_connection(held)
                raise
            if session.identity_map:
                session.expunge_all()  # what a new session would hold: nothing (loaded rows stay usable)

    def _held_write_connection(self) -> Connection | None:
        """This thread's connection for write units of work, kept open between them: taking a pooled
        connection and wrapping it again cost ~25 µs of the ~1 ms an article takes on SQLite, and on
        PostgreSQL a third of an unchanged article's unit of work (the checkout, and the pool's
        liveness ping, a round trip). A PostgreSQL connection left unused for
        :data:`HELD_CONNECTION_PING_AFTER` seconds is pinged before it is used again and replaced if
        the server dropped it. None inside a write unit of work of this thread, which then gets a
        connection of its own as before."""
        connection: Connection | None = getattr(self._held, "connection", None)
        if connection is not None and (
            connection.closed or connection.invalidated or not self._still_alive(connection)
        ):
            self._drop_held_connection(connection)
            connection = None
        if connection is None:
            with translate_errors(self.url):
                connection = self._write_engine.connect()
                self._set_page_cache(connection, DEFAULT_PAGE_CACHE_KIB)
            if self._search_buffer is not None:  # its write units note search rows (see __init__)
                connection.info[fulltext.SEARCH_BUFFER] = self._search_buffer
            self._held.connection = connection
            with self._held_lock:
                self._held_connections.append(connection)
        elif connection.in_transaction() or (
            self._sqlite and connection.connection.driver_connection.in_transaction
        ):  # a unit of work of this thread runs on it (on SQLite, begun on the driver)
            return None
        self._held.last_used = time.monotonic()
        return connection

    def _still_alive(self, connection: Connection) -> bool:
        """PostgreSQL, after a pause: does the server still answer on this connection? (A server
        restart or an idle timeout closes it; SQLite files do not go away like that.)"""
        if self.backend == "sqlite" or connection.in_transaction():
            return True
        if time.monotonic() - getattr(self._held, "last_used", 0.0) < HELD_CONNECTION_PING_AFTER:
            return True
        try:
            return bool(self.engine.dialect.do_ping(connection.connection.dbapi_connection))
        except Exception:  # any failure means: take another connection
            return False

    def _drop_held_connection(self, connection: Connection) -> None:
        """Close this thread's held connection, and the session kept with it."""
        if getattr(self._held, "connection", None) is connection:
            self._held.connection = None
        session: Session | None = getattr(self._held, "session", None)
        if session is not None and session.bind is connection:
            self._held.session = None
            session.close()
        with self._held_lock:
            if connection in self._held_connections:
                self._held_connections.remove(connection)
        with contextlib.suppress(sa_exc.SQLAlchemyError, *DRIVER_ERRORS):
            connection.info.pop(fulltext.SEARCH_BUFFER, None)  # back in the pool, it writes them at once
            if not connection.invalidated:
                connection.rollback()  # (closing would too) so that the cache can be set back:
                self._set_page_cache(connection, self.page_cache_kib)  # it goes back to the pool
        with contextlib.suppress(sa_exc.SQLAlchemyError, *DRIVER_ERRORS):
            connection.close()

    def _set_page_cache(self, connection: Connection, kib: int) -> None:
        if self._on_disk_sqlite:
            _set_page_cache(connection.connection.driver_connection, kib)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A write :meth:`session` wrapped in an :class:`~storage.repository.ArchiveRepository`."""
        from storage.repository import ArchiveRepository

        with self.session(write=True) as session:
            yield ArchiveRepository(session)

    @contextmanager
    def read_only_connection(self) -> Iterator[Connection]:
        """A connection that cannot write: SQLite ``PRAGMA query_only``, PostgreSQL ``READ ONLY`` (a
        connection of its own, closed afterwards, on both)."""
        if self.backend == "sqlite":
            engine = create_archive_engine(
                self.url, busy_timeout=self.busy_timeout, read_only=True, page_cache_kib=self.page_cache_kib
            )
            try:
                with translate_errors(self.url), engine.connect() as connection:
                    yield connection
                    connection.rollback()
            finally:
                engine.dispose()
            return
        with translate_errors(self.url), self.engine.connect() as connection:
            try:
                connection.begin()
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
                yield connection
                connection.rollback()
            finally:
                # not back to the pool: what the query's functions left in its session (an advisory
                # lock: READ ONLY stops writes, not that) ends with it
                connection.invalidate()

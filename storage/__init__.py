"""The SQL archive of article records (SQLite or PostgreSQL), independent of the crawler.

Imports only the standard library, SQLAlchemy, Alembic and DB drivers (pyarrow, lazily, for
Parquet export). Entry points:

* :class:`Archive` — open a database (URL, ``$NEWSCRAWL_DB`` or ``./newscrawl.sqlite``), created at
  the migrations' head when new; ``session()`` / ``transaction()`` units of work.
* :class:`ArchiveRepository` — ``upsert_article``, crawl runs, ``get_record``, captures,
  ``replace_version_record``, ``resolve_related_links``; never commits.
* :func:`search`, :func:`export_records`, :func:`run_query`, :func:`archive_stats`.
* :class:`StorageError` (one-line, user-facing) and :class:`InvalidRecord` (names the field).
"""

from storage.db import Archive, database_url, storage_error, translate_errors
from storage.errors import InvalidRecord, StorageError
from storage.fulltext import SearchHit, search
from storage.record import normalize_record
from storage.repository import ArchiveRepository, StoredCapture, UpsertResult

__all__ = [
    "Archive",
    "ArchiveRepository",
    "InvalidRecord",
    "SearchHit",
    "StorageError",
    "StoredCapture",
    "UpsertResult",
    "database_url",
    "normalize_record",
    "search",
    "storage_error",
    "translate_errors",
]

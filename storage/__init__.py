"""The SQL archive of article records (SQLite or PostgreSQL), independent of the crawler.

Imports only the standard library, SQLAlchemy, Alembic and the DB drivers, zstandard (raw captures)
(and pyarrow, lazily, for Parquet exports). Entry points:

* :class:`Archive` — open a database (URL, ``$NEWSCRAWL_DB`` or ``./newscrawl.sqlite``), created at
  the migrations' head when new; ``session()`` / ``transaction()`` units of work.
* :class:`ArchiveRepository` — ``upsert_article``, crawl runs, ``get_record``, raw captures,
  ``replace_version_record``, ``resolve_related_links``; it never commits.
* :func:`search`, :func:`export_records`, :func:`run_query`, :func:`archive_stats`, :func:`ingest`.
* ``storage.locks`` (one crawl per site at a time) and ``storage.health`` (coverage per run and
  field, a site's runs, the coverage-drop rule).
* :class:`StorageError` (one line, for users) and :class:`InvalidRecord` (names the field).
"""

from storage.db import DEFAULT_DATABASE_URL, Archive, database_url, storage_error, translate_errors
from storage.errors import InvalidRecord, StorageError
from storage.export import EXPORT_FORMATS, export_records, iter_records
from storage.fulltext import SearchHit, search
from storage.ingest import IngestReport, ingest, read_records
from storage.query import QueryResult, archive_stats, render_table, result_as_json, run_query
from storage.record import normalize_record
from storage.repository import ArchiveRepository, StoredCapture, UpsertResult

__all__ = [
    "DEFAULT_DATABASE_URL",
    "EXPORT_FORMATS",
    "Archive",
    "ArchiveRepository",
    "IngestReport",
    "InvalidRecord",
    "QueryResult",
    "SearchHit",
    "StorageError",
    "StoredCapture",
    "UpsertResult",
    "archive_stats",
    "database_url",
    "export_records",
    "ingest",
    "iter_records",
    "normalize_record",
    "read_records",
    "render_table",
    "result_as_json",
    "run_query",
    "search",
    "storage_error",
    "translate_errors",
]

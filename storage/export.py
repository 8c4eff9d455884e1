"""Exports of the current records: JSONL (schema records), CSV (one flat row per article), Parquet.

Records are read back in batches (:meth:`ArchiveRepository.get_records`, a fixed number of queries per
batch whatever its size) and written through :func:`storage.output.output_file`: a regular file is
replaced only when the export succeeded, and the archive's own files are refused. Parquet needs
pyarrow, imported only then.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.errors import StorageError
from storage.fulltext import since_datetime
from storage.models import Article, ArticleVersion, Site
from storage.output import output_file
from storage.record import RECORD_FIELDS
from storage.repository import ArchiveRepository

EXPORT_FORMATS = ("jsonl", "csv", "parquet")
CSV_LIST_FIELDS = ("authors", "tags", "sections", "related_links", "key_points", "tables", "comments")
"""Record fields that are lists: CSV cells hold them as JSON text."""

Progress = Callable[[int, int], None]
"""Called as ``progress(records_written, records_total)`` after each batch."""


def article_ids(
    session: Session, *, site: str | None = None, since: str | date | datetime | None = None
) -> list[int]:
    """Ids of the articles an export covers, oldest first (site key; published on/after ``since``)."""
    query = select(Article.id).join(ArticleVersion, ArticleVersion.id == Article.current_version_id)
    if site is not None:
        query = query.join(Site, Site.id == Article.site_id).where(Site.key == site)
    if since is not None:
        query = query.where(ArticleVersion.published_at >= since_datetime(since))
    return list(session.scalars(query.order_by(Article.id)))


def iter_records(
    session: Session,
    *,
    site: str | None = None,
    since: str | date | datetime | None = None,
    batch_size: int = 500,
    progress: Progress | None = None,
) -> Iterator[dict[str, Any]]:
    """Current records of the selected articles, in batches of ``batch_size``."""
    ids = article_ids(session, site=site, since=since)
    repository = ArchiveRepository(session)
    done = 0
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        yield from repository.get_records(batch)
        done += len(batch)
        if progress is not None:
            progress(done, len(ids))
    if progress is not None and not ids:
        progress(0, 0)


def write_jsonl(records: Iterator[dict[str, Any]], stream: IO[str]) -> int:
    count = 0
    for record in records:
        stream.write(json.dumps(record, ensure_ascii=False))
        stream.write("\n")
        count += 1
    return count


def write_csv(records: Iterator[dict[str, Any]], stream: IO[str]) -> int:
    writer = csv.DictWriter(stream, fieldnames=RECORD_FIELDS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow(
            {
                name: json.dumps(value, ensure_ascii=False) if name in CSV_LIST_FIELDS else value
                for name, value in record.items()
            }
        )
        count += 1
    return count


def parquet_schema() -> Any:
    """The record as an Arrow schema (nested lists and structs, like the JSON)."""
    import pyarrow as pa

    text = pa.string()
    # 64-bit integers: SQLite keeps any of them whatever its column's declared type, and one value
    # beyond 32 bits (a comment_count of 3,000,000,000) failed the whole export
    integer = pa.int64()
    return pa.schema(
        [
            ("url", text),
            ("canonical_url", text),
            ("site", text),
            ("language", text),
            ("title", text),
            ("lead", text),
            ("authors", pa.list_(text)),
            ("published_at", text),
            ("published_raw", text),
            ("modified_at", text),
            ("modified_raw", text),
            ("category", text),
            ("tags", pa.list_(text)),
            (
                "sections",
                pa.list_(pa.struct([("heading", text), ("level", integer), ("paragraphs", pa.list_(text))])),
            ),
            ("body_text", text),
            (
                "related_links",
                pa.list_(
                    pa.struct([("label", text), ("title", text), ("url", text), ("section_index", integer)])
                ),
            ),
            ("key_points", pa.list_(text)),
            (
                "tables",
                pa.list_(
                    pa.struct(
                        [("caption", text), ("header", pa.list_(text)), ("rows", pa.list_(pa.list_(text)))]
                    )
                ),
            ),
            ("comment_count", integer),
            (
                "comments",
                pa.list_(
                    pa.struct(
                        [
                            ("id", text),
                            ("parent_id", text),
                            ("author", text),
                            ("published_at", text),
                            ("published_raw", text),
                            ("text", text),
                        ]
                    )
                ),
            ),
        ]
    )


def write_parquet(records: Iterator[dict[str, Any]], path: Path, *, rows_per_group: int = 2000) -> int:
    """Write records to a Parquet file in row groups (bounded memory). Dates stay ISO strings with
    their offset, exactly as in the JSON records."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a project dependency
        raise StorageError("Parquet export needs pyarrow: pip install pyarrow") from None
    schema = parquet_schema()
    count = 0
    # Opened here: pyarrow opening the path itself seeks in it, which a FIFO cannot do.
    with path.open("wb") as sink, pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []
        for record in records:
            batch.append(record)
            if len(batch) >= rows_per_group:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count += len(batch)
                batch = []
        if batch or count == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


def export_records(
    session: Session,
    fmt: str,
    output: str | Path | None = None,
    *,
    site: str | None = None,
    since: str | date | datetime | None = None,
    progress: Progress | None = None,
    stdout: IO[str] | None = None,
) -> int:
    """Export current records as ``fmt`` (jsonl, csv, parquet) to ``output`` (None or "-": stdout).

    Returns the number of records written. Parquet needs a file.
    """
    if fmt not in EXPORT_FORMATS:
        raise StorageError(f"unknown export format {fmt!r}: choose one of {', '.join(EXPORT_FORMATS)}")
    records = iter_records(session, site=site, since=since, progress=progress)
    to_stdout = output is None or str(output) == "-"
    archive_url = session.get_bind().engine.url  # the archive read, whose files an export must not overwrite
    if fmt == "parquet":
        if to_stdout:
            raise StorageError("Parquet is a binary file format: give an output file with -o FILE")
        with _writing(str(output)), output_file(str(output), archive_url=archive_url) as destination:
            return write_parquet(records, destination)
    writer = write_jsonl if fmt == "jsonl" else write_csv
    if to_stdout:
        with _writing("standard output"):
            return writer(records, stdout or sys.stdout)
    with (
        _writing(str(output)),
        output_file(str(output), archive_url=archive_url) as destination,
        destination.open("w", encoding="utf-8", newline="") as stream,
    ):
        return writer(records, stream)


@contextmanager
def _writing(name: str) -> Iterator[None]:
    """A write that fails (a full disk) names the output, not the temporary file it went to: the
    error said "file: No space left on device". A closed pipe is left to the caller (`| head`)."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as error:
        raise StorageError(f"cannot write {name}: {error.strerror or error}") from error

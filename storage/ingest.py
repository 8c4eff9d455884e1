"""Importing record files into the archive (``newscrawl db ingest``), as one crawl run.

Each article is atomic. With ``commit_every=1`` (default) every record is its own transaction, as
in the crawler. With a larger value a batch of records commits together (far fewer commits: bulk
imports go faster); if the database fails inside a batch, the batch is rolled back and replayed one
record per transaction, so every record before the failing one is kept, exactly as with
``commit_every=1``. An invalid record is rejected before it touches the database: it is reported
with its file, line and field, and the import goes on. A database error stops the import.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.db import Archive
from storage.errors import InvalidRecord, StorageError
from storage.record import DatePrecision
from storage.repository import ArchiveRepository, UpsertResult


@dataclass(slots=True)
class IngestReport:
    crawl_run_id: int | None = None
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    comments_added: int = 0
    comments_updated: int = 0
    rejected: list[str] = field(default_factory=list)
    """One line per record that was not stored: ``FILE:LINE: field: problem``."""

    @property
    def stored(self) -> int:
        return self.new + self.updated + self.unchanged

    def summary(self) -> dict[str, int]:
        return {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "comments_added": self.comments_added,
            "comments_updated": self.comments_updated,
            "rejected": len(self.rejected),
        }


ANALYZE_AFTER = 1000
"""New or changed articles in one import after which planner statistics are refreshed."""


class _Unreadable:
    """Stands for a line or file that is not JSON, so it is reported in order with the records."""

    def __init__(self, problem: str) -> None:
        self.problem = problem


_NOT_UTF8 = "not UTF-8 text"


def read_records(path: str | Path) -> Iterator[tuple[str, Any]]:
    """``(where, record)`` pairs: ``.json`` holds one record or a list, anything else is JSONL
    (one record per line); ``-`` reads JSONL from standard input. Text is UTF-8, with or without
    a byte order mark (Windows tools write one); what is not is reported like a line that is not
    JSON (it was a UnicodeDecodeError traceback)."""
    if str(path) == "-":
        yield from _jsonl(getattr(sys.stdin, "buffer", sys.stdin), "<stdin>")
        return
    path = Path(path)
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_bytes().decode("utf-8-sig"))
        except UnicodeDecodeError:
            yield str(path), _Unreadable(_NOT_UTF8)
            return
        except json.JSONDecodeError as error:
            yield f"{path}:{error.lineno}", _Unreadable(f"invalid JSON ({error.msg})")
            return
        for i, record in enumerate(data if isinstance(data, list) else [data]):
            yield (f"{path}[{i}]" if isinstance(data, list) else str(path)), record
        return
    with path.open("rb") as stream:
        yield from _jsonl(stream, str(path))


def _jsonl(lines: Iterable[bytes | str], name: str) -> Iterator[tuple[str, Any]]:
    for number, line in enumerate(lines, 1):
        where = f"{name}:{number}"
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                yield where, _Unreadable(_NOT_UTF8)
                continue
        if not line.strip():
            continue
        try:
            yield where, json.loads(line)
        except json.JSONDecodeError as error:
            yield where, _Unreadable(f"invalid JSON ({error.msg})")


def ingest(
    archive: Archive,
    records: Iterable[tuple[str, Any]],
    *,
    crawl_name: str = "import",
    settings: dict[str, Any] | None = None,
    commit_every: int = 1,
    progress: Callable[[IngestReport], None] | None = None,
    date_precision: DatePrecision | None = None,
) -> IngestReport:
    """Upsert ``(where, record)`` pairs as one crawl run; returns what happened to each.
    ``date_precision``: see :meth:`ArchiveRepository.upsert_article`."""
    report = IngestReport()
    with archive.transaction() as repo:
        report.crawl_run_id = repo.start_crawl_run(crawl_name, settings=settings or {})
    status = "failed"
    try:
        pending = iter(records)
        while batch := [item for _, item in zip(range(max(1, commit_every)), pending, strict=False)]:
            _store(archive, batch, report, date_precision)
            if progress is not None:
                progress(report)
        if report.new + report.updated >= ANALYZE_AFTER:
            archive.analyze()  # the planner's statistics of a grown archive are stale
        status = "finished"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        with archive.transaction() as repo:
            repo.finish_crawl_run(report.crawl_run_id, status=status, stats=report.summary())
    return report


def _store(
    archive: Archive,
    batch: list[tuple[str, Any]],
    report: IngestReport,
    date_precision: DatePrecision | None = None,
) -> None:
    """Store a batch in one transaction; on a database error, replay it one record at a time."""
    outcomes: list[UpsertResult | str] = []
    try:
        with archive.transaction() as repo:
            touched = _touch_unchanged(repo, batch, report.crawl_run_id)
            outcomes.extend(
                done or _upsert(repo, where, record, report.crawl_run_id, date_precision)
                for (where, record), done in zip(batch, touched, strict=True)
            )
    except StorageError as error:
        if len(batch) == 1:  # the import stops here: say at which record
            raise StorageError(f"{batch[0][0]}: {error}") from error
        for item in batch:
            _store(
                archive, [item], report, date_precision
            )  # commits each good record, raises at the failing one
        return
    for outcome in outcomes:
        if isinstance(outcome, str):
            report.rejected.append(outcome)
            continue
        setattr(report, outcome.status, getattr(report, outcome.status) + 1)
        report.comments_added += outcome.comments_added
        report.comments_updated += outcome.comments_updated


def _touch_unchanged(
    repo: ArchiveRepository, batch: list[tuple[str, Any]], crawl_run_id: int | None
) -> list[UpsertResult | None]:
    """The batch's records stored unchanged since last time, touched at once (re-imports of files
    already imported are mostly these); None for the others. A batch of one gains nothing by it."""
    if len(batch) < 2:
        return [None] * len(batch)
    records = [None if isinstance(record, _Unreadable) else record for _, record in batch]
    return repo.touch_unchanged(records, crawl_run_id=crawl_run_id)


def _upsert(
    repo: ArchiveRepository,
    where: str,
    record: Any,
    crawl_run_id: int | None,
    date_precision: DatePrecision | None = None,
) -> UpsertResult | str:
    """The upsert's result, or the line reporting why the record was rejected."""
    if isinstance(record, _Unreadable):
        return f"{where}: {record.problem}"
    try:
        return repo.upsert_article(record, crawl_run_id=crawl_run_id, date_precision=date_precision)
    except InvalidRecord as error:  # raised before anything is written
        return f"{where}: {error}"

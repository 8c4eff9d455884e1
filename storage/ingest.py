"""Importing record files into the archive (``newscrawl db ingest``), as one crawl run.

Each article is atomic: with ``commit_every=1`` (default) every record is its own transaction, as
in the crawler; with a larger value records share a transaction but each sits in a SAVEPOINT, so a
failing record is rolled back alone and a batch commits together (faster bulk imports). An invalid
record is reported with its file, line and field, and the import goes on.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.db import Archive
from storage.errors import InvalidRecord
from storage.repository import ArchiveRepository


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


class _Unreadable:
    """Stands for a line or file that is not JSON, so it is reported in order with the records."""

    def __init__(self, problem: str) -> None:
        self.problem = problem


def read_records(path: str | Path) -> Iterator[tuple[str, Any]]:
    """``(where, record)`` pairs: ``.json`` holds one record or a list, anything else is JSONL
    (one record per line); ``-`` reads JSONL from standard input."""
    if str(path) == "-":
        yield from _jsonl(sys.stdin, "<stdin>")
        return
    path = Path(path)
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            yield f"{path}:{error.lineno}", _Unreadable(f"invalid JSON ({error.msg})")
            return
        for i, record in enumerate(data if isinstance(data, list) else [data]):
            yield (f"{path}[{i}]" if isinstance(data, list) else str(path)), record
        return
    with path.open(encoding="utf-8") as stream:
        yield from _jsonl(stream, str(path))


def _jsonl(lines: Iterable[str], name: str) -> Iterator[tuple[str, Any]]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield f"{name}:{number}", json.loads(line)
        except json.JSONDecodeError as error:
            yield f"{name}:{number}", _Unreadable(f"invalid JSON ({error.msg})")


def ingest(
    archive: Archive,
    records: Iterable[tuple[str, Any]],
    *,
    crawl_name: str = "import",
    settings: dict[str, Any] | None = None,
    commit_every: int = 1,
    progress: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Upsert ``(where, record)`` pairs as one crawl run; returns what happened to each."""
    report = IngestReport()
    with archive.transaction() as repo:
        report.crawl_run_id = repo.start_crawl_run(crawl_name, settings=settings or {})
    status = "failed"
    try:
        pending = iter(records)
        while True:
            batch = [item for _, item in zip(range(max(1, commit_every)), pending, strict=False)]
            if not batch:
                break
            with archive.session() as session:
                repo = ArchiveRepository(session)
                for where, record in batch:
                    _ingest_one(session, repo, where, record, report, savepoint=commit_every > 1)
            if progress is not None:
                progress(report)
        status = "finished"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        with archive.transaction() as repo:
            repo.finish_crawl_run(report.crawl_run_id, status=status, stats=report.summary())
    return report


def _ingest_one(
    session: Any, repo: ArchiveRepository, where: str, record: Any, report: IngestReport, *, savepoint: bool
) -> None:
    if isinstance(record, _Unreadable):
        report.rejected.append(f"{where}: {record.problem}")
        return
    try:
        if savepoint:
            with session.begin_nested():
                result = repo.upsert_article(record, crawl_run_id=report.crawl_run_id)
        else:
            result = repo.upsert_article(record, crawl_run_id=report.crawl_run_id)
    except InvalidRecord as error:
        report.rejected.append(f"{where}: {error}")
        return
    setattr(report, result.status, getattr(report, result.status) + 1)
    report.comments_added += result.comments_added
    report.comments_updated += result.comments_updated

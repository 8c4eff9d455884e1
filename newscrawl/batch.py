"""Batch extraction of saved pages listed in a JSONL manifest (the scorer's interface).

Each manifest line is ``{"path", "url", "fetched_at"}``; the output has one line per input line, in
the same order: the article record, or ``{"url", "error"}`` when that page gives none. Pages are
extracted in worker processes; a failing page never stops the batch.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newscrawl.extraction import ExtractionError, extract_article


class ManifestError(ValueError):
    """The manifest itself cannot be read."""


@dataclass(slots=True)
class BatchStats:
    pages: int = 0
    errors: int = 0


def read_manifest(path: Path) -> list[dict[str, Any]]:
    """Manifest entries in order; a malformed line becomes an entry carrying its own error."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc}") from None
    base = path.parent
    entries = []
    for number, line in enumerate(lines, 1):
        try:
            if not line.strip():  # still a line of the output: the lines stay aligned
                raise ValueError("empty line")
            entry = json.loads(line)
            if not isinstance(entry, dict) or not entry.get("path"):
                raise ValueError('each line needs "path" (and "url")')
            if not isinstance(entry["path"], str) or "\x00" in entry["path"]:
                raise ValueError(f'"path" must be a file path, not {entry["path"]!r}')
            if entry.get("url") is not None and not isinstance(entry["url"], str):
                raise ValueError(f'"url" must be a string, not {entry["url"]!r}')
        except ValueError as exc:
            entries.append({"url": None, "error": f"manifest line {number}: {exc}"})
            continue
        page = Path(entry["path"])
        # relative paths: from the working directory, else from the manifest's folder
        if not page.is_absolute() and not page.exists() and (base / page).exists():
            page = base / page
        entries.append({**entry, "path": str(page)})
    return entries


def extract_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """One manifest entry to one output line; never raises."""
    if "error" in entry:
        return {"url": entry.get("url"), "error": entry["error"]}
    url = entry.get("url") or ""
    try:
        data = Path(entry["path"]).read_bytes()
    except OSError as exc:
        return {"url": url, "error": f"cannot read {entry['path']}: {exc.strerror or exc}"}
    try:
        return extract_article(data, url, fetched_at=entry.get("fetched_at")).to_dict()
    except ExtractionError as exc:
        return {"url": url, "error": str(exc)}
    except Exception as exc:  # an extractor bug must cost one page, not the batch
        return {"url": url, "error": f"internal error: {type(exc).__name__}: {exc}"}


def _results(entries: list[dict[str, Any]], jobs: int) -> Iterator[dict[str, Any]]:
    if jobs <= 1 or len(entries) < 8:
        yield from map(extract_entry, entries)
        return
    # fork: workers inherit the imported extractor, so the pool starts in milliseconds
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    )
    with context.Pool(jobs) as pool:
        yield from pool.imap(extract_entry, entries, chunksize=4)


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def run_batch(
    manifest: Path,
    output: Path,
    *,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BatchStats:
    entries = read_manifest(manifest)
    stats = BatchStats()
    try:
        out = output.open("w", encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"cannot write {output}: {exc.strerror or exc}") from None
    with out:
        for result in _results(entries, jobs or default_jobs()):
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
            stats.pages += 1
            stats.errors += "error" in result
            if progress:
                progress(stats.pages, len(entries))
    return stats

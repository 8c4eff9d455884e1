"""Extraction speed: our batch command against trafilatura on the same pages, in one run.

    python bench/extract_speed.py [PAGES_DIR_OR_CORPUS] [--jobs N] [--rounds R]

PAGES_DIR_OR_CORPUS is a corpus folder (cases/*.json + pages/) such as ../shared/corpus, or any
folder of *.html files; by default ../shared/corpus when present, else tests/fixtures/golden.
Ours is timed as a whole command (`newscrawl extract --manifest`, process start included, the way
../shared/tools/score_extraction.py runs it); trafilatura in-process with the scorer's settings.
Each side runs R rounds and the best is kept (the machine's other load only ever slows a round).
Prints pages/s for both and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pages_of(source: Path) -> list[dict]:
    if (source / "cases").is_dir():
        cases = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((source / "cases").glob("*.json"))]
        return [
            {"path": str(source / c["page"]), "url": c["url"], "fetched_at": c.get("fetched_at")}
            for c in cases
        ]
    items = []
    for page in sorted(source.glob("*.html")):
        spec = page.with_suffix(".json")
        url = json.loads(spec.read_text(encoding="utf-8")).get("url", "") if spec.exists() else ""
        items.append({"path": str(page), "url": url, "fetched_at": None})
    return items


def time_ours(items: list[dict], jobs: int | None) -> float:
    newscrawl = shutil.which("newscrawl") or str(Path(sys.executable).parent / "newscrawl")
    with tempfile.TemporaryDirectory() as tmp:
        manifest, output = Path(tmp, "in.jsonl"), Path(tmp, "out.jsonl")
        manifest.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
        command = [newscrawl, "extract", "-q", "--manifest", str(manifest), "--output", str(output)]
        if jobs:
            command += ["--jobs", str(jobs)]
        start = time.perf_counter()
        subprocess.run(command, check=True)
        elapsed = time.perf_counter() - start
        errors = sum("error" in json.loads(line) for line in output.read_text(encoding="utf-8").splitlines())
    if errors:
        print(f"  (ours: {errors} pages without a record)")
    return elapsed


def time_trafilatura(items: list[dict]) -> float:
    import trafilatura

    data = [Path(i["path"]).read_bytes() for i in items]
    start = time.perf_counter()
    for item, page in zip(items, data, strict=True):
        trafilatura.bare_extraction(
            page, url=item["url"], include_comments=True, include_tables=True, with_metadata=True
        )
    return time.perf_counter() - start


def main() -> None:
    default = ROOT.parent / "shared" / "corpus"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source",
        nargs="?",
        type=Path,
        default=default if default.is_dir() else ROOT / "tests/fixtures/golden",
    )
    parser.add_argument(
        "--jobs", type=int, default=None, help="worker processes for ours (default: one per CPU)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    try:
        import trafilatura  # noqa: F401
    except ImportError:
        sys.exit("trafilatura is not installed: pip install -e '.[dev]'")
    items = pages_of(args.source)
    if not items:
        sys.exit(f"no pages found in {args.source}")
    print(f"{len(items)} pages from {args.source}, {os.cpu_count()} CPUs, {args.rounds} rounds each")
    ours = min(time_ours(items, args.jobs) for _ in range(args.rounds))
    theirs = min(time_trafilatura(items) for _ in range(args.rounds))
    n = len(items)
    print(
        f"newscrawl extract   {n / ours:8.1f} pages/s  ({ours:.2f} s, whole command, jobs={args.jobs or 'auto'})"
    )
    print(f"trafilatura         {n / theirs:8.1f} pages/s  ({theirs:.2f} s, in-process)")
    print(f"ratio               {theirs / ours:8.2f} x")


if __name__ == "__main__":
    main()

"""Per-module timing, profiles and an output dump of the metadata and comment readers on a corpus.

    python bench/extraction_profile.py dump OUT.jsonl [--manifest M]   # what the pipeline gives, per page
    python bench/extraction_profile.py time [--rounds R] [--manifest M] # ms/page of each module
    python bench/extraction_profile.py profile {metadata,comments} [--top N] [--manifest M]

Each page goes through exactly what ``extract_article`` runs: parse_document, extract_metadata (intact
tree), prepare_tree, extract_comments (prepared tree), with ``now`` fixed so relative dates are stable.
``dump`` writes one JSON line per page (Metadata, CommentsResult with its containers identified by
tag, id, class and child-index path, and the comment page links); two dumps of the same corpus must be
byte-identical when a change is meant to leave the output alone (``--impl DIR`` runs other copies of
the readers, e.g. the last commit's, against the rest of the tree as it is now). The manifest holds lines
``{"path", "url"}``; by default the cases of ../shared/corpus.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import json
import logging
import pstats
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _load_impl(folder: str) -> None:
    """Use other copies of the metadata and comment readers (a folder with language.py, structured.py,
    metadata.py, comments.py), e.g. the last commit's, against the rest of the tree as it is now."""
    import importlib.util

    import newscrawl.extraction  # noqa: F401  (the package first: its __init__ imports the readers)

    for name in ("language", "structured", "comments", "metadata"):
        source = Path(folder, f"{name}.py")
        if not source.exists():
            continue
        module_name = f"newscrawl.extraction.{name}"
        spec = importlib.util.spec_from_file_location(module_name, source)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)


if "--impl" in sys.argv:  # before the imports below bind the readers
    _load_impl(sys.argv[sys.argv.index("--impl") + 1])

from newscrawl.extraction.article import _zone  # noqa: E402
from newscrawl.extraction.comments import comment_page_urls, extract_comments  # noqa: E402
from newscrawl.extraction.document import parse_document  # noqa: E402
from newscrawl.extraction.metadata import extract_metadata  # noqa: E402
from newscrawl.extraction.text import prepare_tree  # noqa: E402
from newscrawl.sites import profile_for_url  # noqa: E402

NOW = datetime.fromisoformat("2024-06-01T12:00:00+00:00")


def load_items(manifest: Path | None) -> list[dict]:
    if manifest is not None:
        return [
            json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
    corpus = ROOT.parent / "shared" / "corpus"
    cases = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((corpus / "cases").glob("*.json"))]
    return [{"path": str(corpus / c["page"]), "url": c["url"]} for c in cases]


def _path(el) -> list[int]:
    out = []
    parent = el.getparent()
    while parent is not None:
        out.append(parent.index(el))
        el, parent = parent, parent.getparent()
    return out[::-1]


def _identity(el) -> dict:
    return {"tag": el.tag, "id": el.get("id"), "class": el.get("class"), "path": _path(el)}


def _parse(item: dict):
    data = Path(item["path"]).read_bytes()
    return parse_document(data, item["url"]).root


def _context(meta, url):
    profile = profile_for_url(url)
    language = meta.language or (profile.language if profile else None)
    return language, _zone(profile, language)


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record) -> None:
        self.seen.append(record.getMessage())


def dump(items: list[dict], out: Path) -> None:
    handler = _Warnings()
    logging.getLogger("newscrawl").addHandler(handler)
    with out.open("w", encoding="utf-8") as fh:
        for item in items:
            handler.seen.clear()
            url = item["url"]
            try:
                root = _parse(item)
            except Exception as exc:
                fh.write(json.dumps({"page": item["path"], "error": repr(exc)}) + "\n")
                continue
            meta = extract_metadata(root, url=url, now=NOW)
            language, zone = _context(meta, url)
            prepare_tree(root)
            res = extract_comments(root, url=url, language=language, now=NOW, tz=zone, jsonld=meta.jsonld)
            record = {
                "page": Path(item["path"]).name,
                "metadata": dataclasses.asdict(meta),
                "comments": [dataclasses.asdict(c) for c in res.comments],
                "declared_count": res.declared_count,
                "containers": [_identity(el) for el in res.containers],
                "comment_pages": comment_page_urls(root, url),
                "warnings": list(handler.seen),
            }
            fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True, default=str) + "\n")


def timing(items: list[dict], rounds: int) -> None:
    best_meta = [float("inf")] * len(items)
    best_comments = [float("inf")] * len(items)
    for _ in range(rounds):
        for i, item in enumerate(items):
            try:
                root = _parse(item)
            except Exception:
                continue
            url = item["url"]
            t0 = time.perf_counter()
            meta = extract_metadata(root, url=url, now=NOW)
            t1 = time.perf_counter()
            language, zone = _context(meta, url)
            prepare_tree(root)
            t2 = time.perf_counter()
            extract_comments(root, url=url, language=language, now=NOW, tz=zone, jsonld=meta.jsonld)
            t3 = time.perf_counter()
            best_meta[i] = min(best_meta[i], t1 - t0)
            best_comments[i] = min(best_comments[i], t3 - t2)
    n = sum(1 for t in best_meta if t != float("inf"))
    meta_total = sum(t for t in best_meta if t != float("inf"))
    comments_total = sum(t for t in best_comments if t != float("inf"))
    print(f"pages: {n}, best of {rounds} rounds per page")
    print(f"extract_metadata: {1000 * meta_total / n:.2f} ms/page  ({meta_total:.2f} s total)")
    print(f"extract_comments: {1000 * comments_total / n:.2f} ms/page  ({comments_total:.2f} s total)")
    slow = sorted(range(len(items)), key=lambda i: -(best_comments[i] + best_meta[i]))[:8]
    for i in slow:
        print(
            f"  {Path(items[i]['path']).name[:60]:60s} meta {1000 * best_meta[i]:7.2f} ms"
            f"  comments {1000 * best_comments[i]:7.2f} ms"
        )


def profile(items: list[dict], module: str, top: int) -> None:
    prof = cProfile.Profile()
    for item in items:  # warm-up: lazy imports and per-language tables of the date parser
        try:
            root = _parse(item)
        except Exception:
            continue
        meta = extract_metadata(root, url=item["url"], now=NOW)
        language, zone = _context(meta, item["url"])
        prepare_tree(root)
        extract_comments(root, url=item["url"], language=language, now=NOW, tz=zone, jsonld=meta.jsonld)
    for item in items:
        try:
            root = _parse(item)
        except Exception:
            continue
        url = item["url"]
        if module == "metadata":
            prof.enable()
        meta = extract_metadata(root, url=url, now=NOW)
        prof.disable()
        language, zone = _context(meta, url)
        prepare_tree(root)
        if module == "comments":
            prof.enable()
        extract_comments(root, url=url, language=language, now=NOW, tz=zone, jsonld=meta.jsonld)
        prof.disable()
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_dump = sub.add_parser("dump")
    p_dump.add_argument("out", type=Path)
    p_time = sub.add_parser("time")
    p_time.add_argument("--rounds", type=int, default=3)
    p_prof = sub.add_parser("profile")
    p_prof.add_argument("module", choices=("metadata", "comments"))
    p_prof.add_argument("--top", type=int, default=40)
    for p in (p_dump, p_time, p_prof):
        p.add_argument("--manifest", type=Path, default=None)
        p.add_argument(
            "--impl", default=None, help="folder with other copies of the readers (see _load_impl)"
        )
    args = parser.parse_args()
    items = load_items(args.manifest)
    if args.command == "dump":
        dump(items, args.out)
    elif args.command == "time":
        timing(items, args.rounds)
    else:
        profile(items, args.module, args.top)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Score the metadata extractor alone on the shared corpus (title, published_date, authors, language).

usage: python bench/metadata_score.py [CORPUS_DIR] [--only REGEX] [--fails FIELD] [--site SITE_DIR]
Mirrors score_case() of shared/tools/score_extraction.py for the metadata fields; prints per-field
means, the failing cases of --fails FIELD, and the time per page spent in extract_metadata.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newscrawl.extraction.document import parse_document
from newscrawl.extraction.metadata import extract_metadata

FIELDS = ("title", "published_date", "authors_include", "language")


def norm(s):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", s or "")).strip()


def low(s):
    return norm(s).casefold()


def score(expect, md):
    out = {}
    for k, v in expect.items():
        if k == "title":
            out[k] = float(norm(md.title) == norm(v))
        elif k == "published_date":
            out[k] = float(str(md.published_at or "")[:10] == v)
        elif k == "authors_include":
            got = low(" ; ".join(md.authors))
            out[k] = sum(low(a) in got for a in v) / len(v)
        elif k == "language":
            out[k] = float(str(md.language or "").split("-")[0].lower() == v)
    return out


def got_value(k, md):
    return {
        "title": md.title,
        "published_date": md.published_at,
        "authors_include": md.authors,
        "language": md.language,
    }[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", default="/work/shared/corpus")
    ap.add_argument("--only")
    ap.add_argument("--fails", action="append", default=[])
    ap.add_argument("--site")
    a = ap.parse_args()
    if a.site:
        return site(Path(a.site))
    base = Path(a.corpus)
    rows: dict[str, list[float]] = {}
    spent = 0.0
    n = 0
    for p in sorted((base / "cases").glob("*.json")):
        case = json.loads(p.read_text(encoding="utf-8"))
        if a.only and not re.search(a.only, case["id"]):
            continue
        data = (base / case["page"]).read_bytes()
        fetched = case.get("fetched_at")
        now = datetime.fromisoformat(fetched) if fetched else datetime.now(UTC)
        try:
            doc = parse_document(data, case["url"])
        except ValueError:
            md = None
        else:
            t = time.perf_counter()
            md = extract_metadata(doc.root, url=case["url"], now=now)
            spent += time.perf_counter() - t
            n += 1
        expect = {k: v for k, v in case["expect"].items() if k in FIELDS}
        if md is None:
            continue
        for k, v in score(expect, md).items():
            rows.setdefault(k, []).append(v)
            if k in a.fails and v < 1:
                trust = "" if case.get("trust") == "high" else " [low]"
                print(f"FAIL {k} {case['id']}{trust}\n   want {expect[k]!r}\n   got  {got_value(k, md)!r}")
    for k, v in rows.items():
        print(f"{k:18s} {len(v):4d} {sum(v) / len(v):.3f}")
    print(f"{n} pages, {spent / max(n, 1) * 1000:.2f} ms/page in extract_metadata")


def site(site_dir: Path):
    keys = ("title", "canonical_url", "language", "authors", "category", "tags", "comment_count")
    ok = True
    for exp_path in sorted((site_dir / "expected").glob("*.json")):
        exp = json.loads(exp_path.read_text(encoding="utf-8"))
        rel = exp["url"].split("://", 1)[1].split("/", 1)[1]
        pages = [(exp["url"], site_dir / "www" / rel / "index.html")]
        for cp in sorted((site_dir / "www" / rel).glob("comment-page-*/index.html")):
            pages.append((exp["url"] + cp.parent.name + "/", cp))
        for url, path in pages:
            md = extract_metadata(
                parse_document(path.read_bytes(), url).root, url=url, now=datetime(2024, 5, 2, tzinfo=UTC)
            )
            for k in keys:
                got = getattr(md, k)
                good = sorted(map(low, got)) == sorted(map(low, exp[k])) if k == "tags" else got == exp[k]
                if not good:
                    ok = False
                    print(f"MISMATCH {url} {k}: {got!r} != {exp[k]!r}")
            for k in ("published_at", "modified_at"):
                if str(getattr(md, k) or "")[:16] != str(exp[k] or "")[:16]:
                    ok = False
                    print(f"MISMATCH {url} {k}: {getattr(md, k)!r} != {exp[k]!r}")
            print(
                f"{path.relative_to(site_dir)}: raw={md.published_raw!r} / {md.modified_raw!r} site={md.site_name!r}"
            )
    print("blog-auto-info: all match" if ok else "blog-auto-info: MISMATCHES")


if __name__ == "__main__":
    main()

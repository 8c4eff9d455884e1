"""Score extraction.comments on the shared corpus and the blog-auto-info mirror.

usage: .venv/bin/python bench/comments_score.py [--corpus DIR] [--site DIR] [--only REGEX] [-v] [--fp]
Prints per-case comment snippet scores (the cases with expect.comments_contain), the mean,
false-positive candidates (comments found on cases the corpus says have none) and the slowest pages.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newscrawl.extraction.comments import comment_page_urls, extract_comments
from newscrawl.extraction.document import parse_document

try:
    from newscrawl.extraction.structured import json_ld_objects
except ImportError:  # pragma: no cover
    json_ld_objects = None


def low(s):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", s or "")).strip().casefold()


def run(path, url, language):
    doc = parse_document(Path(path).read_bytes(), url)
    jsonld = json_ld_objects(doc.root) if json_ld_objects else None
    t = time.perf_counter()
    res = extract_comments(doc.root, url=url, language=language, jsonld=jsonld)
    pages = comment_page_urls(doc.root, url)
    return res, pages, time.perf_counter() - t


def corpus(base: Path, only, verbose, fp):
    scores, times, fps = [], [], []
    for p in sorted((base / "cases").glob("*.json")):
        case = json.loads(p.read_text(encoding="utf-8"))
        if only and not re.search(only, case["id"]):
            continue
        res, _pages, dt = run(base / case["page"], case["url"], case.get("language"))
        times.append((dt, case["id"], (base / case["page"]).stat().st_size))
        snippets = case["expect"].get("comments_contain")
        if snippets:
            hay = low(" ".join(f"{c.author or ''} {c.text}" for c in res.comments))
            hits = [low(s) in hay for s in snippets]
            score = sum(hits) / len(hits)
            scores.append((score, case["id"]))
            print(f"{score:4.2f} n={len(res.comments):3d} declared={res.declared_count!s:5} {case['id']}")
            if verbose or score < 1:
                for s, h in zip(snippets, hits, strict=False):
                    if not h:
                        print(f"       MISS {s[:70]!r}")
            if verbose:
                for c in res.comments[:60]:
                    print(
                        f"       [{c.id} <- {c.parent_id}] {c.author!r} {c.published_at} {c.published_raw!r} :: {c.text[:100]!r}"
                    )
        elif res.comments:
            fps.append((case["id"], case["flags"].get("has_comments"), res))
    if scores:
        print(f"\nMEAN {sum(s for s, _ in scores) / len(scores):.4f} over {len(scores)} cases")
    print(f"\nComments found on {len(fps)} cases without comments_contain:")
    for cid, flag, res in fps:
        print(f"  {cid} (has_comments={flag}) n={len(res.comments)} declared={res.declared_count}")
        if fp:
            for c in res.comments[:4]:
                print(f"       [{c.id} <- {c.parent_id}] {c.author!r} {c.published_at} :: {c.text[:110]!r}")
    times.sort(reverse=True)
    print("\nSlowest pages:")
    for dt, cid, size in times[:8]:
        print(f"  {dt * 1000:7.1f} ms  {size / 1024:7.0f} KiB  {cid}")
    total = sum(t for t, _, _ in times)
    print(f"  total {total:.2f} s for {len(times)} pages, mean {total / max(1, len(times)) * 1000:.1f} ms")


def site(base: Path, verbose):
    for exp_path in sorted((base / "expected").glob("*.json")):
        exp = json.loads(exp_path.read_text(encoding="utf-8"))
        rel = exp["url"].split("://", 1)[1].split("/", 1)[1]
        todo, done, got = [exp["url"]], set(), []
        while todo:
            u = todo.pop(0)
            if u in done:
                continue
            done.add(u)
            r = u.split("://", 1)[1].split("/", 1)[1]
            path = base / "www" / r / "index.html"
            if not path.exists():
                print(f"  missing page {u}")
                continue
            res, pages, _ = run(path, u, "fr")
            got += res.comments
            print(f"  {r or '/'}: n={len(res.comments)} declared={res.declared_count} next={pages}")
            if res.declared_count != exp["comment_count"]:
                print(f"  !! declared {res.declared_count} != {exp['comment_count']}")
            todo += [p for p in pages if p not in done]

        def key(c):
            return (c["id"], c["parent_id"], c["author"], low(c["text"]), (c["published_at"] or "")[:16])

        want = [key(c) for c in exp["comments"]]
        have = [
            key(
                {
                    "id": c.id,
                    "parent_id": c.parent_id,
                    "author": c.author,
                    "text": c.text,
                    "published_at": c.published_at,
                }
            )
            for c in got
        ]
        ok = sorted(want) == sorted(have)
        print(f"{'OK ' if ok else 'BAD'} {rel}: {len(have)}/{len(want)} comments")
        if not ok or verbose:
            for w in want:
                if w not in have:
                    print("   missing", w)
            for h in have:
                if h not in want:
                    print("   extra  ", h)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="/work/shared/corpus")
    ap.add_argument("--site", default="/work/shared/sites/blog-auto-info")
    ap.add_argument("--only")
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--fp", action="store_true")
    ap.add_argument("--no-site", action="store_true")
    a = ap.parse_args()
    if not a.no_site and Path(a.site).exists():
        site(Path(a.site), a.v)
    corpus(Path(a.corpus), a.only, a.v, a.fp)


if __name__ == "__main__":
    main()

"""Archive throughput and query latency at 20,000 realistic records, on SQLite and PostgreSQL.

    .venv/bin/python bench/archive_bench.py [--records 20000] [--backend sqlite|postgresql|both]

Each record looks like a real article of the archive: 4 sections of 3 paragraphs, 20 comments (a
quarter of them replies), 3 related links to other articles of the set, a 3x5 table, key points,
tags. Ingest is measured twice, each time into a new archive: through the crawler's path, one
transaction per article (``Archive.transaction()`` + ``ArchiveRepository.upsert_article``), and
through the bulk import path (``storage.ingest``, as ``newscrawl db ingest --commit-every 500``).
Reported: records/s for the first ingest and for re-ingesting the same records unchanged, then
median / p95 latency of searches and analyst-view queries at that size. PostgreSQL runs in
throw-away schemas dropped at the end. This is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

import storage
from storage import Archive, search

COMMON = (
    "le la les un une des du de et à en pour sur avec dans par plus est sont a ont cette ce qui que "
    "voiture modèle constructeur marché prix version gamme moteur conducteur route ville année nouveau"
).split()
BRANDS = "Renault Peugeot Tesla Xiaomi Stellantis Volkswagen BYD Citroën Dacia Toyota Hyundai Kia MG Volvo BMW".split()
THEMES = [
    "batterie autonomie recharge borne kilomètres kWh chargeur".split(),
    "prix tarif bonus écologique remise leasing aide".split(),
    "essai conduite confort habitacle coffre suspension insonorisation".split(),
    "ventes immatriculations part concurrence classement trimestre".split(),
    "usine production emplois syndicats investissement délocalisation".split(),
    "logiciel mise à jour écran connectivité assistance aide".split(),
]
AUTHORS = ["Julien Marchand", "Claire Dubois", "Nicolas Petit", "Sophie Laurent", "Rédaction"]
VIEW_QUERIES = {
    "v_articles latest 50 of a site": (
        "SELECT article_id, title, published_at, comment_count FROM v_articles "
        "WHERE site = 'site-3.example' ORDER BY published_at DESC LIMIT 50"
    ),
    "v_articles one article by URL": (
        "SELECT * FROM v_articles WHERE canonical_url = 'https://site-1.example/article-12346/'"
    ),
    "v_comments of one article": "SELECT author, text FROM v_comments WHERE article_id = 777 ORDER BY position",
    "v_related_links inbound of one article": (
        "SELECT source_title, label FROM v_related_links WHERE target_article_id = 4242"
    ),
    "per-site counts over v_articles": "SELECT site, count(*) FROM v_articles GROUP BY site",
}
SEARCHES = [
    "xiaomi renault",
    "batterie autonomie",
    "bonus écologique",
    "tesla prix",
    "usine emplois stellantis",
    "voiture",  # a word of nearly every article: the worst case for ranking
]


def sentence(rng: random.Random, words: int, topic: list[str]) -> str:
    # Mostly common words, about one word in five from the article's topic (its brands and themes).
    text = " ".join(rng.choice(topic) if rng.random() < 0.2 else rng.choice(COMMON) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def make_record(i: int, total: int, rng: random.Random) -> dict[str, Any]:
    site = f"site-{i % 5}.example"
    url = f"https://{site}/article-{i}/"
    published = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=37 * i)
    brands = rng.sample(BRANDS, 2)
    topic = [*brands, *rng.choice(THEMES), *rng.choice(THEMES)]
    comments = []
    for c in range(20):
        parent = comments[rng.randrange(len(comments))]["id"] if c and c % 4 == 0 else None
        comments.append(
            {
                "id": str(100_000 * i + c),
                "parent_id": parent,
                "author": rng.choice(AUTHORS),
                "published_at": (published + timedelta(hours=c)).isoformat(),
                "published_raw": None,
                "text": sentence(rng, 25, topic),
            }
        )
    links = []
    for n in range(3):
        target = rng.randrange(total)
        links.append(
            {
                "label": "À lire" if n != 1 else None,
                "title": sentence(rng, 10, topic),
                "url": f"https://site-{target % 5}.example/article-{target}/",
                "section_index": n + 1,
            }
        )
    return {
        "url": url,
        "canonical_url": url,
        "site": site,
        "language": "fr",
        "title": f"{brands[0]} et {brands[1]} : " + sentence(rng, 8, topic),
        "lead": sentence(rng, 30, topic),
        "authors": [rng.choice(AUTHORS)],
        "published_at": published.isoformat(),
        "published_raw": f"Publié le {published:%d/%m/%Y}",
        "modified_at": None,
        "modified_raw": None,
        "category": rng.choice(["Actualités", "Essais", "Technologie"]),
        "tags": brands,
        "sections": [
            {
                "heading": None if s == 0 else sentence(rng, 6, topic),
                "level": None if s == 0 else 2,
                "paragraphs": [sentence(rng, 45, topic) for _ in range(3)],
            }
            for s in range(4)
        ],
        "related_links": links,
        "key_points": [sentence(rng, 8, topic) for _ in range(3)],
        "tables": [
            {
                "caption": None,
                "header": ["Modèle", "Autonomie", "Prix"],
                "rows": [
                    [
                        f"{rng.choice(brands)} {rng.randrange(2, 9)}",
                        f"{rng.randrange(300, 700)} km",
                        f"{rng.randrange(20, 90)} 000 €",
                    ]
                    for _ in range(5)
                ],
            }
        ],
        "comment_count": 20,
        "comments": comments,
    }


def records(total: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(20240429)
    for i in range(total):
        yield make_record(i, total, rng)


def ingest(archive: Archive, batch: list[dict[str, Any]]) -> tuple[float, float, dict[str, int]]:
    """The crawler's path: one transaction per article. Returns (seconds, CPU seconds, statuses)."""
    statuses: dict[str, int] = {}
    start, cpu = time.perf_counter(), time.process_time()
    for record in batch:
        with archive.transaction() as repo:
            status = repo.upsert_article(record).status
        statuses[status] = statuses.get(status, 0) + 1
    return time.perf_counter() - start, time.process_time() - cpu, statuses


def bulk_ingest(archive: Archive, batch: list[dict[str, Any]]) -> tuple[float, float, dict[str, int]]:
    """The import path (``newscrawl db ingest --commit-every 500``)."""
    start, cpu = time.perf_counter(), time.process_time()
    report = storage.ingest(archive, ((str(i), r) for i, r in enumerate(batch)), commit_every=500)
    summary = {
        name: value for name, value in report.summary().items() if name in ("new", "unchanged", "updated")
    }
    return time.perf_counter() - start, time.process_time() - cpu, summary


def latency(run: Callable[[], object], repeat: int = 15) -> tuple[float, float]:
    run()  # warm caches: the figure is the steady state an analyst sees
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def report(label: str, count: int, seconds: float, cpu: float, statuses: dict[str, int]) -> None:
    # CPU time beside wall-clock: on a shared machine it moves less (this process's own CPU only;
    # on PostgreSQL the server's work is not in it).
    print(
        f"{label:44} {count / seconds:7.0f} records/s  ({seconds:.1f} s, "
        f"{1000 * cpu / count:.2f} ms CPU/record, {statuses})",
        flush=True,
    )


def bench(label: str, new_url: Callable[[], str], batch: list[dict[str, Any]]) -> None:
    print(f"\n== {label}: {len(batch):,} records", flush=True)
    with Archive(new_url()) as archive:
        report("first ingest, one transaction per article", len(batch), *ingest(archive, batch))
        report("unchanged re-ingest, one transaction each", len(batch), *ingest(archive, batch))
        archive.analyze()  # what autovacuum (PostgreSQL) or a maintenance job (SQLite) does after growth
        with archive.session() as session:
            for query in SEARCHES:
                hits = search(session, query, limit=20)
                median, p95 = latency(lambda q=query: search(session, q, limit=20))
                print(f"search {query!r:28} {median:6.1f} ms median {p95:6.1f} ms p95  ({len(hits)} hits)")
            for name, sql in VIEW_QUERIES.items():
                median, p95 = latency(lambda s=sql: session.execute(text(s)).all())
                print(f"view   {name:38} {median:6.1f} ms median {p95:6.1f} ms p95")
    with Archive(new_url()) as archive:
        report("first ingest, bulk import (500 per commit)", len(batch), *bulk_ingest(archive, batch))
        report("unchanged re-ingest, bulk import", len(batch), *bulk_ingest(archive, batch))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("NEWSCRAWL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()
    batch = list(records(args.records))
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            files = iter(range(1, 10))
            bench("SQLite", lambda: f"sqlite:///{tmp}/bench-{next(files)}.sqlite", batch)
    if args.backend in ("postgresql", "both"):
        admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        schemas: list[str] = []

        def new_schema() -> str:
            schemas.append(f"nc_bench_{uuid.uuid4().hex[:8]}")
            with admin.connect() as connection:
                connection.exec_driver_sql(f"CREATE SCHEMA {schemas[-1]}")
            separator = "&" if "?" in args.pg_url else "?"
            return f"{args.pg_url}{separator}options=-csearch_path%3D{schemas[-1]}"

        try:
            bench("PostgreSQL", new_schema, batch)
        finally:
            with admin.connect() as connection:
                for schema in schemas:
                    connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()


if __name__ == "__main__":
    main()

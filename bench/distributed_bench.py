"""Distributed crawl figures: 1 worker, then N workers, on one Redis frontier into PostgreSQL.

Serves a generated WordPress-like site (``newscrawl.testing.sitegen``) on 127.0.0.1 and runs
``newscrawl crawl --frontier`` with 1 worker, then with ``--workers`` workers, each run into a fresh
PostgreSQL schema and its own job in Redis; prints wall time, pages per second and what each worker
archived. On one machine the workers share its CPUs: the figures show the frontier's overhead and
how work spreads, not what N machines would do.

    python bench/distributed_bench.py --articles 1000 --workers 2
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newscrawl.testing.server import SiteServer  # noqa: E402
from newscrawl.testing.sitegen import generate_site  # noqa: E402

HOST = "www.moteur-hebdo.test"
FAST = [
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "AUTOTHROTTLE_ENABLED=false",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
]


def run(
    workers: int, server: SiteServer, pg_url: str, redis_url: str
) -> tuple[float, int, list[tuple[int, int]]]:
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    schema = f"nc_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in pg_url else "?"
    db = f"{pg_url}{separator}options=-csearch_path%3D{schema}"
    job = f"bench-{uuid.uuid4().hex[:8]}"
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        from storage import Archive

        Archive(db).close()  # workers start against an existing archive
        command = [
            sys.executable, "-m", "newscrawl", "crawl", f"https://{HOST}/", "--db", db,
            "--frontier", redis_url, "--job", job, "--resolve", f"{HOST}={server.base_url}", "--quiet", *FAST,
        ]  # fmt: skip
        started = time.perf_counter()
        processes = [subprocess.Popen(command, env=environment, cwd=ROOT) for _ in range(workers)]
        codes = [process.wait() for process in processes]
        elapsed = time.perf_counter() - started
        if any(codes):
            raise SystemExit(f"a worker failed: exit codes {codes}")
        engine = create_engine(db)
        with engine.connect() as connection:
            runs = connection.execute(
                text(
                    "SELECT articles_new, (stats->>'response_received_count')::int FROM crawl_runs ORDER BY id"
                )
            ).all()
        engine.dispose()
        pages = sum(row[1] or 0 for row in runs)
        return elapsed, pages, [(row[0], row[1] or 0) for row in runs]
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()
        import redis

        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"newscrawl:{job}:*"))
        if keys:
            client.delete(*keys)
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--pg",
        default=os.environ.get("NEWSCRAWL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument(
        "--redis", default=os.environ.get("NEWSCRAWL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        site = generate_site(
            Path(directory) / "www", articles=args.articles, now=datetime(2024, 5, 1, tzinfo=UTC), days=90
        )
        print(f"site: {len(site.articles):,} articles, {site.pages:,} pages; {os.cpu_count()} CPUs")
        print("| workers | seconds | pages | pages/s | articles archived by each worker (pages fetched) |")
        print("|---:|---:|---:|---:|---|")
        with SiteServer(site.root) as server:
            for workers in (1, args.workers):
                elapsed, pages, runs = run(workers, server, args.pg, args.redis)
                shares = ", ".join(f"{articles} ({fetched})" for articles, fetched in runs)
                print(f"| {workers} | {elapsed:.1f} | {pages:,} | {pages / elapsed:.0f} | {shares} |")


if __name__ == "__main__":
    main()

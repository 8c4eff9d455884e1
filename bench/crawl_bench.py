"""Crawl throughput: newscrawl end to end into SQLite vs a bare Scrapy spider, same site, same run.

A WordPress-like site of N generated articles with threaded comments over ``?cpage=N`` pages
(``newscrawl.testing.sitegen``) is served from its own process on 127.0.0.1. Then, one after the
other, in fresh processes and with the same concurrency:

* **bare** — a Scrapy spider that requests every page of the site (articles, comment pages,
  listings, sitemaps, feed) and does nothing with the responses;
* **newscrawl** — ``newscrawl crawl https://www.moteur-hebdo.test/ --resolve ...``: discovery,
  extraction of every article and comment page, merging, one SQLite transaction per article with
  its raw captures.

Pages/s is Scrapy's own count of responses over its elapsed time (process start-up excluded). The
crawler's resident memory is sampled every 0.2 s. Not a test: it prints figures.

    python bench/crawl_bench.py                 # 5,000 articles
    python bench/crawl_bench.py --articles 500  # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "www.moteur-hebdo.test"


def site_paths(root: Path) -> list[str]:
    """Every URL path the site answers (the static server's rules, inverted)."""
    paths = []
    for file in sorted(root.rglob("*")):
        if not file.is_file():
            continue
        relative = "/" + file.relative_to(root).as_posix()
        directory, name = relative.rsplit("/", 1)
        if name == "index.html" or name == "index.xml":
            paths.append(directory + "/")
        elif name.startswith("index.") and name.endswith(".html"):
            paths.append(directory + "/?" + name[len("index.") : -len(".html")])
        else:
            paths.append(relative)
    return paths


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_sampled(
    command: list[str], env: dict
) -> tuple[subprocess.CompletedProcess, list[tuple[float, float]]]:
    """Run a command, sampling its resident memory; returns its result and (seconds, MB) samples."""
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    samples: list[tuple[float, float]] = []
    while process.poll() is None:
        value = rss_mb(process.pid)
        if value is not None:
            samples.append((time.monotonic() - started, value))
        time.sleep(0.2)
    stdout, stderr = process.communicate()
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr), samples


def memory_profile(samples: list[tuple[float, float]]) -> dict[str, float]:
    if not samples:
        return {}
    end = samples[-1][0]

    def at(fraction: float) -> float:
        return min(samples, key=lambda s: abs(s[0] - end * fraction))[1]

    return {"start": at(0.1), "middle": at(0.5), "end": at(0.95), "max": max(v for _, v in samples)}


# ---------------------------------------------------------------------- the bare spider (own process)


def bare_crawl(paths_file: Path, port: int, concurrency: int) -> None:
    from scrapy import Request, Spider
    from scrapy.crawler import AsyncCrawlerProcess

    paths = paths_file.read_text().split()

    class Bare(Spider):
        name = "bare"

        async def start(self):
            for path in paths:
                yield Request(f"http://127.0.0.1:{port}{path}", callback=self.parse, dont_filter=True)

        def parse(self, response):
            return None

    settings = {
        "LOG_LEVEL": "ERROR",
        "ROBOTSTXT_OBEY": False,
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": 0,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "HTTPERROR_ALLOW_ALL": True,
    }
    process = AsyncCrawlerProcess(settings)
    crawler = process.create_crawler(Bare)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    print(
        json.dumps(
            {"pages": stats.get("response_received_count", 0), "seconds": stats["elapsed_time_seconds"]}
        )
    )


# ---------------------------------------------------------------------- the bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="NEWSCRAWL_READ_WORKERS of the newscrawl run.")
    parser.add_argument(
        "--workdir", type=Path, help="Keep the site and the archive here (default: a temp dir)."
    )
    parser.add_argument("--bare", nargs=2, metavar=("PATHS_FILE", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        bare_crawl(Path(args.bare[0]), int(args.bare[1]), args.concurrency)
        return

    sys.path.insert(0, str(ROOT))
    from newscrawl.testing.sitegen import generate_site

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="crawl-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    site_dir = workdir / "www"
    started = time.monotonic()
    if not (site_dir / "robots.txt").exists():
        site = generate_site(site_dir, articles=args.articles, days=3 * 365)
        print(
            f"generated {len(site.articles):,} articles, {site.pages:,} pages in {time.monotonic() - started:.1f} s"
        )
    paths = site_paths(site_dir)
    paths_file = workdir / "paths.txt"
    paths_file.write_text("\n".join(paths))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "newscrawl.testing.server", str(site_dir)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        port = int(server.stdout.readline())
        print(
            f"site served from its own process on 127.0.0.1:{port}; {len(paths):,} pages; "
            f"concurrency {args.concurrency}; newscrawl read workers {args.workers}; {os.cpu_count()} CPUs"
        )

        bare, _ = run_sampled(
            [
                sys.executable,
                __file__,
                "--bare",
                str(paths_file),
                str(port),
                "--concurrency",
                str(args.concurrency),
            ],
            env,
        )
        if bare.returncode != 0:
            sys.exit(f"bare spider failed:\n{bare.stderr[-2000:]}")
        bare_figures = json.loads(bare.stdout.strip().splitlines()[-1])

        database = workdir / "bench.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        ours, samples = run_sampled(
            [
                sys.executable,
                "-m",
                "newscrawl",
                "crawl",
                f"https://{HOST}/",
                "--db",
                f"sqlite:///{database}",
                "--resolve",
                f"{HOST}=http://127.0.0.1:{port}",
                "--quiet",
                "-s",
                "DOWNLOAD_DELAY=0",
                "-s",
                "AUTOTHROTTLE_ENABLED=false",
                "-s",
                f"CONCURRENT_REQUESTS={args.concurrency}",
                "-s",
                f"CONCURRENT_REQUESTS_PER_DOMAIN={args.concurrency}",
                "-s",
                "NEWSCRAWL_LISTING_HOPS=1",
                "-s",
                "NEWSCRAWL_MAX_LISTING_PAGES=100000",
                "-s",
                f"NEWSCRAWL_READ_WORKERS={args.workers}",
            ],
            env,
        )
        if ours.returncode != 0:
            sys.exit(f"newscrawl crawl failed:\n{ours.stderr[-3000:]}")
    finally:
        server.terminate()
        server.wait()

    import sqlite3

    with sqlite3.connect(database) as connection:
        stats = json.loads(connection.execute("SELECT stats FROM crawl_runs ORDER BY id DESC").fetchone()[0])
        articles, comments = connection.execute(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM comments)"
        ).fetchone()
    our_pages, our_seconds = stats["response_received_count"], float(stats["elapsed_time_seconds"])
    bare_rate = bare_figures["pages"] / bare_figures["seconds"]
    our_rate = our_pages / our_seconds
    memory = memory_profile(samples)
    print()
    print(
        f"bare Scrapy spider : {bare_figures['pages']:>7,} pages in {bare_figures['seconds']:6.1f} s = {bare_rate:7.1f} pages/s"
    )
    print(
        f"newscrawl → SQLite : {our_pages:>7,} pages in {our_seconds:6.1f} s = {our_rate:7.1f} pages/s"
        f"  ({articles:,} articles, {comments:,} comments archived)"
    )
    print(f"ratio              : {our_rate / bare_rate:.2f} × the bare spider")
    if memory:
        print(
            "newscrawl memory   : "
            f"{memory['start']:.0f} MB at 10 %, {memory['middle']:.0f} MB at 50 %, {memory['end']:.0f} MB at 95 % "
            f"of the run (max {memory['max']:.0f} MB)"
        )
    print(f"work dir           : {workdir}")


if __name__ == "__main__":
    main()

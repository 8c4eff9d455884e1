"""Crawl throughput: newscrawl end to end into SQLite vs a bare Scrapy spider, same site, same run.

A WordPress-like site of N generated articles with threaded comments over ``?cpage=N`` pages
(``newscrawl.testing.sitegen``) is served from memory by its own process on 127.0.0.1 (its CPU per
page is printed: it shares the machine with the crawl). Then, one after the
other, in fresh processes and with the same concurrency:

* **bare** — a Scrapy spider that requests every page of the site (articles, comment pages,
  listings, sitemaps, feed) and does nothing with the responses, with Scrapy's defaults;
* **bare, CONCURRENT_ITEMS=1** — the same with the one engine setting newscrawl changes for speed
  (Scrapy starts ``CONCURRENT_ITEMS`` asyncio tasks per response, 100 by default), so the ratio
  can also be read against a bare spider tuned the same way;
* **newscrawl** — ``newscrawl crawl https://www.moteur-hebdo.test/ --resolve ...``: discovery,
  extraction of every article and comment page, merging, one SQLite transaction per article with
  its raw captures.

``--repeat N`` runs the three N times, interleaved (the machine's load changes under a long
bench), and reports medians. Pages/s is Scrapy's own count of responses over its elapsed time
(process start-up excluded). CPU per page is the user+system time of every process of a run
(newscrawl: the crawl and its reader workers, start-up included) over its pages; on a shared machine
it moves less than wall-clock figures. The resident memory of newscrawl's processes (together) is sampled every 0.2 s.
Not a test: it prints figures.

    python bench/crawl_bench.py                          # 5,000 articles
    python bench/crawl_bench.py --articles 500           # quicker
    python bench/crawl_bench.py --repeat 3 --workers 2   # medians of 3 runs, 2 reader processes
                                                         # (default: auto, one per CPU, at most 3)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "www.moteur-hebdo.test"


def site_paths(root: Path) -> list[str]:
    """Every URL path the site answers, each page once (the static server's rules, inverted)."""
    from newscrawl.testing.server import static_paths

    return [path for path, _file, _content_type in static_paths(root)]


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system time of a live process (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (newscrawl's reader workers are children of a fork server)."""
    tree = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return tree
    for child in children:
        tree += process_tree(int(child))
    return tree


@dataclass
class Sampled:
    result: subprocess.CompletedProcess
    memory: list[tuple[float, float]]
    """(seconds, MB of the whole process tree)"""
    cpu: float
    """Seconds of CPU of the whole process tree, each process as last sampled (its last 0.2 s missed)."""
    main_cpu: float = 0.0
    """Of which the command's own process (newscrawl: the crawl's event loop; the rest is its readers)."""


def run_sampled(command: list[str], env: dict) -> Sampled:
    """Run a command, sampling the memory and CPU time of it and its descendants every 0.2 s."""
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    samples: list[tuple[float, float]] = []
    cpu: dict[int, float] = {}
    while process.poll() is None:
        tree = process_tree(process.pid)
        sizes = [size for size in map(rss_mb, tree) if size is not None]
        if sizes:
            samples.append((time.monotonic() - started, sum(sizes)))
        for pid in tree:
            seconds = cpu_seconds(pid)
            if seconds is not None:
                cpu[pid] = seconds
        time.sleep(0.2)
    stdout, stderr = process.communicate()
    return Sampled(
        subprocess.CompletedProcess(command, process.returncode, stdout, stderr),
        samples,
        sum(cpu.values()),
        cpu.get(process.pid, 0.0),
    )


def memory_profile(samples: list[tuple[float, float]]) -> dict[str, float]:
    if not samples:
        return {}
    end = samples[-1][0]

    def at(fraction: float) -> float:
        return min(samples, key=lambda s: abs(s[0] - end * fraction))[1]

    return {"start": at(0.1), "middle": at(0.5), "end": at(0.95), "max": max(v for _, v in samples)}


# ---------------------------------------------------------------------- the bare spider (own process)


def bare_crawl(paths_file: Path, port: int, concurrency: int, extra: dict) -> None:
    import resource

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
        **extra,
    }
    process = AsyncCrawlerProcess(settings)
    crawler = process.create_crawler(Bare)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "pages": stats.get("response_received_count", 0),
                "seconds": stats["elapsed_time_seconds"],
                "cpu": usage.ru_utime + usage.ru_stime,
            }
        )
    )


# ---------------------------------------------------------------------- the bench


@dataclass
class Figures:
    pages: int
    seconds: float
    cpu: float
    main_cpu: float = 0.0
    """newscrawl: the CPU of the crawl process alone (``cpu`` less its readers)."""

    @property
    def rate(self) -> float:
        return self.pages / self.seconds

    @property
    def cpu_per_page(self) -> float:
        return 1000 * self.cpu / self.pages


BARE_TUNED = {"CONCURRENT_ITEMS": 1}
"""The engine setting newscrawl's settings change for speed (see newscrawl/settings.py)."""


def run_bare(paths_file: Path, port: int, concurrency: int, extra: dict, env: dict) -> Figures:
    run = run_sampled(
        [
            sys.executable,
            __file__,
            "--bare",
            str(paths_file),
            str(port),
            "--concurrency",
            str(concurrency),
            "--bare-settings",
            json.dumps(extra),
        ],
        env,
    )
    if run.result.returncode != 0:
        sys.exit(f"bare spider failed:\n{run.result.stderr[-2000:]}")
    figures = json.loads(run.result.stdout.strip().splitlines()[-1])
    return Figures(figures["pages"], figures["seconds"], figures["cpu"])


def run_newscrawl(
    workdir: Path, port: int, args: argparse.Namespace, env: dict
) -> tuple[Figures, Sampled, tuple]:
    import sqlite3

    database = workdir / "bench.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    run = run_sampled(
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
    if run.result.returncode != 0:
        sys.exit(f"newscrawl crawl failed:\n{run.result.stderr[-3000:]}")
    with sqlite3.connect(database) as connection:
        stats = json.loads(connection.execute("SELECT stats FROM crawl_runs ORDER BY id DESC").fetchone()[0])
        counts = connection.execute(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM comments)"
        ).fetchone()
    figures = Figures(
        stats["response_received_count"], float(stats["elapsed_time_seconds"]), run.cpu, run.main_cpu
    )
    return figures, run, counts


def line(label: str, figures: Figures, extra: str = "") -> str:
    return (
        f"{label:24}: {figures.pages:>7,} pages in {figures.seconds:6.1f} s = {figures.rate:7.1f} pages/s, "
        f"{figures.cpu_per_page:5.2f} ms CPU/page{extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--workers",
        default="auto",
        help="NEWSCRAWL_READ_WORKERS of the newscrawl run (default: auto, as `newscrawl crawl` runs).",
    )
    parser.add_argument("--repeat", type=int, default=1, help="Runs of each, interleaved; medians reported.")
    parser.add_argument(
        "--workdir", type=Path, help="Keep the site and the archive here (default: a temp dir)."
    )
    parser.add_argument("--bare", nargs=2, metavar=("PATHS_FILE", "PORT"), help=argparse.SUPPRESS)
    parser.add_argument("--bare-settings", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        bare_crawl(Path(args.bare[0]), int(args.bare[1]), args.concurrency, json.loads(args.bare_settings))
        return

    sys.path.insert(0, str(ROOT))
    from newscrawl.spiders.reading import reader_processes
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
    # From memory: a server reading the files on each request took ~0.4 ms of CPU a page, CPU the
    # crawl being measured (and only it: the bare spider uses one CPU) needs on a small machine.
    server = subprocess.Popen(
        [sys.executable, "-m", "newscrawl.testing.server", str(site_dir), "--in-memory"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    bare_runs: list[Figures] = []
    tuned_runs: list[Figures] = []
    our_runs: list[Figures] = []
    server_cpu: dict[str, list[float]] = {"bare": [], "newscrawl": []}  # ms of the server's CPU a page

    def server_ms_a_page(since: float, pages: int) -> float:
        return 1000 * ((cpu_seconds(server.pid) or 0.0) - since) / max(pages, 1)

    try:
        port = int(server.stdout.readline())
        print(
            f"site served from its own process on 127.0.0.1:{port}; {len(paths):,} pages; "
            f"concurrency {args.concurrency}; newscrawl read workers {args.workers} "
            f"(= {reader_processes(args.workers)}); {os.cpu_count()} CPUs"
        )
        for run in range(1, args.repeat + 1):
            before = cpu_seconds(server.pid) or 0.0
            bare_runs.append(run_bare(paths_file, port, args.concurrency, {}, env))
            server_cpu["bare"].append(server_ms_a_page(before, bare_runs[-1].pages))
            tuned_runs.append(run_bare(paths_file, port, args.concurrency, BARE_TUNED, env))
            before = cpu_seconds(server.pid) or 0.0
            ours, sampled, (articles, comments) = run_newscrawl(workdir, port, args, env)
            server_cpu["newscrawl"].append(server_ms_a_page(before, ours.pages))
            our_runs.append(ours)
            if args.repeat > 1:
                print(
                    f"run {run}: bare {bare_runs[-1].rate:.0f}, bare tuned {tuned_runs[-1].rate:.0f}, "
                    f"newscrawl {ours.rate:.0f} pages/s = {ours.rate / bare_runs[-1].rate:.2f} x bare, "
                    f"{ours.rate / tuned_runs[-1].rate:.2f} x bare tuned",
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait()

    def median(runs: list[Figures]) -> Figures:
        return Figures(
            int(statistics.median(r.pages for r in runs)),
            statistics.median(r.seconds for r in runs),
            statistics.median(r.cpu for r in runs),
            statistics.median(r.main_cpu for r in runs),
        )

    bare, tuned, ours = median(bare_runs), median(tuned_runs), median(our_runs)
    ratios = [o.rate / b.rate for o, b in zip(our_runs, bare_runs, strict=True)]
    tuned_ratios = [o.rate / b.rate for o, b in zip(our_runs, tuned_runs, strict=True)]
    memory = memory_profile(sampled.memory)
    print()
    if args.repeat > 1:
        print(f"medians of {args.repeat} runs")
    print(line("bare Scrapy spider", bare))
    print(line("bare, CONCURRENT_ITEMS=1", tuned))
    print(line("newscrawl → SQLite", ours, f"  ({articles:,} articles, {comments:,} comments archived)"))
    print(
        f"newscrawl CPU per page  : crawl process {1000 * ours.main_cpu / ours.pages:.2f} ms, "
        f"readers {1000 * (ours.cpu - ours.main_cpu) / ours.pages:.2f} ms (start-up included)"
    )
    print(
        f"site server CPU per page: {statistics.median(server_cpu['bare']):.2f} ms during the bare runs, "
        f"{statistics.median(server_cpu['newscrawl']):.2f} ms during newscrawl's (on the same CPUs)"
    )
    print(
        f"ratio                   : {statistics.median(ratios):.2f} × the bare spider, "
        f"{statistics.median(tuned_ratios):.2f} × the tuned bare spider"
    )
    if memory:
        print(
            "newscrawl memory        : "
            f"{memory['start']:.0f} MB at 10 %, {memory['middle']:.0f} MB at 50 %, {memory['end']:.0f} MB at 95 % "
            f"of the run (max {memory['max']:.0f} MB; crawl and reader processes together, last run)"
        )
    print(f"work dir                : {workdir}")


if __name__ == "__main__":
    main()

"""``newscrawl demo``: serve the bundled copy of blog-auto-info.com, crawl it, show what was archived.

The site is served on 127.0.0.1 (a free port) and crawled as ``https://blog-auto-info.com/`` through
the host mapping (``--resolve``), so the archive holds the real URLs. Running it again adds nothing
(the records are unchanged), it only records another crawl run.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from newscrawl.crawl import CrawlOptions, CrawlResult, run_crawl
from newscrawl.demo_site import DEMO_HOST, DEMO_PROFILE, demo_site_dir
from newscrawl.testing.server import SiteServer
from newscrawl.wording import counted

EXAMPLES: tuple[tuple[str, ...], ...] = (
    ("search", "xiaomi renault", "--limit", "3"),
    (
        "query",
        "SELECT title, declared_comment_count AS declared, comment_count AS archived, related_link_count AS links "
        "FROM v_articles ORDER BY comment_count DESC",
    ),
    (
        "query",
        "SELECT site_comment_id AS comment, parent_site_comment_id AS reply_to, author, published_raw "
        "FROM v_comments WHERE parent_comment_id IS NOT NULL ORDER BY article_id, position LIMIT 5",
    ),
    ("query", "SELECT label, link_title, target_title IS NOT NULL AS archived FROM v_related_links"),
)
"""Commands shown after the crawl, with their real output."""

DEMO_SETTINGS = {
    # A local copy: no reason to wait between requests.
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "RETRY_BACKOFF_BASE": 0.2,
    "DOWNLOAD_TIMEOUT": 10,
}


def crawl_demo_site(db: str | None, *, port: int = 0, quiet: bool = False) -> CrawlResult:
    with SiteServer(demo_site_dir(), port=port) as server:
        options = CrawlOptions(
            target=DEMO_PROFILE,
            db=db,
            resolve={DEMO_HOST: server.base_url},
            progress=not quiet,
            log_level="ERROR" if quiet else "WARNING",
            settings=dict(DEMO_SETTINGS),
        )
        return run_crawl(options)


def run_demo(
    db: str | None, *, port: int = 0, quiet: bool = False, echo: Callable[[str], Any] = print
) -> CrawlResult:
    """Crawl the demo site into ``db`` and print a summary and example commands with their output."""
    from storage import Archive, archive_stats

    if not quiet:
        echo(f"Serving the bundled copy of {DEMO_HOST} on 127.0.0.1 and crawling it ...")
    result = crawl_demo_site(db, port=port, quiet=quiet)
    with Archive(db) as archive:
        figures = archive_stats(archive)
    database = figures["database"]
    if not quiet:
        echo("")  # apart from the crawl's lines above
    echo(f"Archive: {database}  (crawl run {result.run_id}, {result.status})")
    echo(
        f"  {counted(figures['articles'], 'article')}, {counted(figures['article_versions'], 'version')}, "
        f"{counted(figures['comments'], 'comment')}, "
        f"{figures['related_links_resolved']}/{counted(figures['related_links'], 'related link')} "
        "resolved to archived articles, "
        f"{counted(figures['raw_captures'], 'raw capture')}"
    )
    this_run = (
        f"  this run: {result.stats.get('newscrawl/articles/new', 0)} new, "
        f"{result.stats.get('newscrawl/articles/updated', 0)} updated, "
        f"{result.stats.get('newscrawl/articles/unchanged', 0)} unchanged articles; "
        f"{counted(result.stats.get('newscrawl/comments/added', 0), 'comment')} added"
    )
    echo(this_run)
    if quiet:
        return result
    # the commands as they read this archive, to be typed again as shown (without --db, they read another)
    db_args = ["--db", db] if db else []
    on_db = f" --db {shlex.quote(db)}" if db else ""
    echo("\nTry:")
    for example in EXAMPLES:
        command, *rest = example
        shown = " ".join([f"newscrawl {command}{on_db}", *(_quote(arg) for arg in rest)])
        echo(f"\n$ {shown}")
        echo(_run_example([command, *db_args, *rest]))
    echo(
        f"\nMore: newscrawl export{on_db} --format jsonl | newscrawl stats{on_db} | newscrawl crawl URL (any site)"
    )
    return result


def _quote(arg: str) -> str:
    return f'"{arg}"' if any(ch in arg for ch in " *(),<>=!") else arg


def _run_example(args: list[str], max_lines: int = 14) -> str:
    env = dict(os.environ, COLUMNS="120")
    completed = subprocess.run(
        [sys.executable, "-m", "newscrawl", *args], capture_output=True, text=True, env=env, timeout=120
    )
    output = (completed.stdout or completed.stderr).rstrip()
    lines = output.splitlines()
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"... ({len(lines) - max_lines} more lines)"]
    return "\n".join(lines) if lines else "(no output)"

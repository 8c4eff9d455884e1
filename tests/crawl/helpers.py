"""Helpers of the crawl tests: run the CLI in a subprocess (one Scrapy reactor per process), read the archive,
build article pages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "crawl"
EXPECTED = FIXTURES / "expected"
MIRROR_HOST = "blog-auto-info.com"
FLAGSHIP = "https://blog-auto-info.com/renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques/"

FAST = (
    # Local servers: no politeness delays, short timeouts, quick retries.
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "AUTOTHROTTLE_ENABLED=false",
    "-s", "RETRY_BACKOFF_BASE=0.05",
    "-s", "DOWNLOAD_TIMEOUT=3",
    "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0",
    "-s", "NEWSCRAWL_DB_BUSY_TIMEOUT=1",
)  # fmt: skip


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def newscrawl(*args: str, timeout: float = 120, cwd: Path | None = None, env: dict | None = None) -> Run:
    """Run ``python -m newscrawl ARGS`` in a fresh process."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    environment.pop("NEWSCRAWL_DB", None)
    completed = subprocess.run(
        [sys.executable, "-m", "newscrawl", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or ROOT,
        env=environment,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)


def crawl(
    target: str, db: str, *extra: str, resolve: dict[str, str] | None = None, timeout: float = 120
) -> Run:
    args = ["crawl", target, "--db", db, *FAST, *extra]
    for host, url in (resolve or {}).items():
        args += ["--resolve", f"{host}={url}"]
    return newscrawl(*args, timeout=timeout)


def start_crawl(
    target: str, db: str, *extra: str, resolve: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """``newscrawl crawl`` in the background (FAST settings first, ``extra`` overriding them)."""
    args = ["crawl", target, "--db", db, *FAST, *extra]
    for host, url in (resolve or {}).items():
        args += ["--resolve", f"{host}={url}"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.pop("NEWSCRAWL_DB", None)
    return subprocess.Popen(
        [sys.executable, "-m", "newscrawl", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=environment,
    )


def interrupt(process: subprocess.Popen, timeout: float = 60) -> tuple[str, str, float]:
    """Ctrl-C a crawl started with :func:`start_crawl`: (stdout, stderr, seconds it took to end)."""
    interrupted_at = time.monotonic()
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=timeout)
    return stdout, stderr, time.monotonic() - interrupted_at


def wait_for(condition: Callable[[], object], what: str = "the condition", timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def assert_clean(run: Run) -> None:
    """No traceback, whatever the outcome."""
    assert "Traceback" not in run.output, run.output[-3000:]


def assert_refused_as_no_article(run: Run, url: str, problem: str, db: str) -> None:
    """``scrape URL --save`` refused the page: one error line (and no warning saying it first), nothing
    printed, nothing archived."""
    assert_clean(run)
    assert run.returncode == 1, run.output[-3000:]
    assert run.stderr == f"Error: {url}: not an article: {problem}\n"
    assert run.stdout == ""
    assert sql(db, "SELECT count(*) FROM articles") == [(0,)]


def expected_record(slug: str) -> dict:
    return json.loads((EXPECTED / f"{slug}.json").read_text(encoding="utf-8"))


def archive_records(db: str) -> dict[str, dict]:
    """Current records of every archived article, by canonical URL."""
    from storage import Archive
    from storage.crawl_state import articles_for_reextraction

    with Archive(db) as archive, archive.transaction() as repo:
        ids = [a.article_id for a in articles_for_reextraction(repo.session)]
        return {r["canonical_url"] or r["url"]: r for r in repo.get_records(ids)}


def sql(db: str, query: str) -> list[tuple]:
    from sqlalchemy import text

    from storage import Archive

    with Archive(db) as archive, archive.session() as session:
        return [tuple(row) for row in session.execute(text(query))]


def article_html(title: str, *, comments: str = "", charset_meta: bool = True, extra_head: str = "") -> str:
    """A WordPress-like news article page (JSON-LD NewsArticle, six paragraphs), ``comments`` after it."""
    paragraphs = "".join(
        f"<p>{title} : paragraphe {i} sur la voiture électrique, son autonomie, sa recharge et son prix en "
        "France, avec assez de texte pour un vrai article de presse automobile.</p>"
        for i in range(6)
    )
    meta = '<meta charset="utf-8">' if charset_meta else ""
    jsonld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": "2024-04-29T10:00:00+02:00",
        },
        ensure_ascii=False,
    )
    return (
        f'<!DOCTYPE html><html lang="fr"><head>{meta}<title>{title}</title>{extra_head}'
        f'<script type="application/ld+json">{jsonld}</script></head>'
        f'<body class="single single-post"><main><article><h1>{title}</h1>{paragraphs}</article>{comments}'
        "</main></body></html>"
    )


def comment_block(first_id: int, count: int, *, page: int, pages: int, url: str, declared: int) -> str:
    """Page ``page`` of the WordPress comments of the article at ``url``: ``count`` comments from id
    ``first_id``, and a link to the next page unless it is the last."""
    items = "".join(
        f'<li id="comment-{i}" class="comment"><article id="div-comment-{i}" class="comment-body">'
        f'<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">Lecteur {i}</b></div>'
        f'<div class="comment-metadata"><time datetime="2024-04-30T10:00:00+02:00">30 avril 2024</time></div>'
        f'</footer><div class="comment-content"><p>Avis numéro {i} sur cet essai, plutôt convaincant.</p></div>'
        "</article></li>"
        for i in range(first_id, first_id + count)
    )
    nav = ""
    if page < pages:
        nav = (
            '<nav class="navigation comment-navigation"><div class="nav-links"><div class="nav-next">'
            f'<a href="{url}comment-page-{page + 1}/#comments">Commentaires suivants</a></div></div></nav>'
        )
    return (
        f'<div id="comments" class="comments-area"><h2 class="comments-title">{declared} commentaires</h2>'
        f'<ol class="comment-list">{items}</ol>{nav}</div>'
    )


class SlowSpiderOpen:
    """A Scrapy extension (``-s EXTENSIONS=...``) that holds the engine while it opens the spider: it
    writes the file ``SLOW_OPEN_MARKER`` names, then sleeps ``SLOW_OPEN_SECONDS``. A test interrupts
    the crawl in that window, after the crawl run and the lock are recorded, before the engine runs."""

    def __init__(self, marker: str, seconds: float) -> None:
        self.marker = marker
        self.seconds = seconds

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        extension = cls(
            crawler.settings.get("SLOW_OPEN_MARKER"), crawler.settings.getfloat("SLOW_OPEN_SECONDS")
        )
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension

    def spider_opened(self, spider) -> None:
        import time

        Path(self.marker).write_text("opening")
        time.sleep(self.seconds)

"""Faults and bad input, each against a purpose-built local server: no crash, one clear log line,
nothing already archived lost.

One crawl of a small site whose home page links to one article per fault covers most cases (each
test below checks one of them); archive faults and CLI mistakes have their own runs.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time

import pytest

from newscrawl.testing.server import Page, RequestContext, SiteServer
from tests.crawl.helpers import (
    FAST,
    article_html,
    assert_clean,
    comment_block,
    crawl,
    interrupt,
    newscrawl,
    sql,
    start_crawl,
    wait_for,
)

HOST = "faults.test"
BASE = f"https://{HOST}"
ELSEWHERE = "elsewhere.test"
MAXSIZE = 200_000


CASES = {
    # path: what the home page calls it
    "/flaky/": "503 twice then 200",
    "/slow/": "never answers in time",
    "/slow-once/": "times out once then answers",
    "/reset/": "connection reset",
    "/reset-once/": "reset once then answers",
    "/truncated/": "truncated body",
    "/no-charset/": "cp1252 without any charset",
    "/wrong-charset/": "UTF-8 declared latin-1",
    "/document/": "a PDF",
    "/picture/": "an image",
    "/huge/": "bigger than DOWNLOAD_MAXSIZE",
    "/gone-404/": "404",
    "/gone-410/": "410",
    "/loop/": "redirect loop",
    "/spiral/": "endless redirects",
    "/away/": "redirect off-site",
    "/private/secret/": "disallowed by robots.txt",
    "/with-comments/": "comment page 2 of 3 is 404",
    "/comments-away/": "comment page 2 redirected off-site",
    "/stable/": "fine the first time, 500 later",
    "/removed/": "fine the first time, 410 later",
}


class FaultSite:
    def __init__(self) -> None:
        self.second_visit = False
        """The second crawl: /stable/ answers 500, /removed/ 410."""
        url = BASE + "/with-comments/"
        pages = {
            "/robots.txt": Page(b"User-agent: *\nDisallow: /private/\n", "text/plain"),
            "/": Page(self._home().encode(), "text/html; charset=utf-8"),
            "/no-charset/": Page(
                article_html("Essai de la Clio : été brûlant à Orléans", charset_meta=False).encode("cp1252"),
                "text/html",
            ),
            "/wrong-charset/": Page(
                article_html("Prix du Scénic électrique : baisse à l’été").encode("utf-8"),
                "text/html; charset=iso-8859-1",
            ),
            "/document/": Page(
                b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n" + bytes(range(256)) * 20,
                "application/pdf",
            ),
            "/picture/": Page(b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 10, "image/jpeg"),
            "/huge/": Page(
                article_html(
                    "Une page énorme", extra_head="<!--" + "x" * (MAXSIZE + 50_000) + "-->"
                ).encode(),
            ),
            "/gone-410/": Page(b"<html><body>Gone</body></html>", status=410),
            "/with-comments/": Page(
                article_html(
                    "Les avis partagés sur le SUV",
                    comments=comment_block(100, 5, page=1, pages=3, url=url, declared=15),
                ).encode()
            ),
            "/comments-away/": Page(
                article_html(
                    "Des commentaires partis ailleurs",
                    comments=comment_block(
                        200, 5, page=1, pages=2, url=BASE + "/comments-away/", declared=10
                    ),
                ).encode()
            ),
            "/with-comments/comment-page-3/": Page(
                article_html(
                    "Les avis partagés sur le SUV",
                    comments=comment_block(110, 5, page=3, pages=3, url=url, declared=15),
                ).encode()
            ),
            f"/{ELSEWHERE}/article/": Page(article_html("Ailleurs").encode()),
        }
        routes = {
            "/flaky/": self._flaky,
            "/slow/": self._slow,
            "/slow-once/": self._slow_once,
            "/reset/": self._reset,
            "/reset-once/": self._reset_once,
            "/truncated/": self._truncated,
            "/loop/": lambda c: c.send(302, headers={"Location": "/loop-back/"}),
            "/loop-back/": lambda c: c.send(302, headers={"Location": "/loop/"}),
            "/spiral/": self._spiral,
            "/away/": lambda c: c.send(301, headers={"Location": f"https://{ELSEWHERE}/article/"}),
            "/private/secret/": lambda c: c.send(200, article_html("Secret")),
            "/with-comments/comment-page-2/": lambda c: c.send(404, "<html><body>Not found</body></html>"),
            "/comments-away/comment-page-2/": lambda c: c.send(
                301, headers={"Location": f"https://{ELSEWHERE}/article/"}
            ),
            "/stable/": self._stable,
            "/removed/": self._removed,
        }
        self.server = SiteServer(pages=pages, routes=routes)

    @staticmethod
    def _home() -> str:
        teasers = "".join(
            f'<article class="post"><h2><a href="{BASE}{path}">{label}</a></h2></article>'
            for path, label in CASES.items()
        )
        off_site = f'<p><a href="https://{ELSEWHERE}/article/">Un article ailleurs</a></p>'
        return f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Pannes</title></head><body class="home blog"><main>{teasers}{off_site}</main></body></html>'

    def _flaky(self, context: RequestContext) -> None:
        if context.count <= 2:
            context.send(503, "busy", headers={"Retry-After": "0"})
        else:
            context.send(200, article_html("Flaky : la troisième fois est la bonne"))

    def _slow(self, context: RequestContext) -> None:
        context.stall(6)

    def _slow_once(self, context: RequestContext) -> None:
        if context.count == 1:
            context.stall(6)
        else:
            context.send(200, article_html("Lent puis rapide"))

    def _reset(self, context: RequestContext) -> None:
        context.reset()

    def _reset_once(self, context: RequestContext) -> None:
        if context.count == 1:
            context.reset()
        else:
            context.send(200, article_html("Coupé puis rétabli"))

    def _truncated(self, context: RequestContext) -> None:
        context.truncate(article_html("Tronqué").encode()[:700], declared_length=5000)

    def _spiral(self, context: RequestContext) -> None:
        number = int(context.path.rsplit("=", 1)[-1]) if "=" in context.path else 0
        context.send(302, headers={"Location": f"/spiral/?n={number + 1}"})

    def _removed(self, context: RequestContext) -> None:
        if self.second_visit:
            context.send(410, "<html><body>Gone</body></html>")
        else:
            context.send(200, article_html("Retiré : archivé avant son retrait"))

    def _stable(self, context: RequestContext) -> None:
        if self.second_visit:
            context.send(500, "oops")
        else:
            context.send(200, article_html("Stable : archivé au premier passage"))


@pytest.fixture(scope="module")
def faults(tmp_path_factory):
    site = FaultSite()
    db = f"sqlite:///{tmp_path_factory.mktemp('faults') / 'archive.sqlite'}"
    with site.server as server:
        run = crawl(
            BASE + "/",
            db,
            "-s",
            "DOWNLOAD_TIMEOUT=1",
            "-s",
            "RETRY_TIMES=2",
            "-s",
            f"DOWNLOAD_MAXSIZE={MAXSIZE}",
            resolve={HOST: server.base_url, ELSEWHERE: server.base_url + f"/{ELSEWHERE}"},
        )
        first_hits = list(server.hits)
        site.second_visit = True
        server.hits.clear()
        second = crawl(
            BASE + "/",
            db,
            "-s",
            "DOWNLOAD_TIMEOUT=1",
            "-s",
            "RETRY_TIMES=1",
            "-s",
            f"DOWNLOAD_MAXSIZE={MAXSIZE}",
            resolve={HOST: server.base_url, ELSEWHERE: server.base_url + f"/{ELSEWHERE}"},
        )
        second_hits = list(server.hits)
    return {"run": run, "second": second, "db": db, "hits": first_hits, "second_hits": second_hits}


def archived(db: str) -> dict[str, dict]:
    from tests.crawl.helpers import archive_records

    return {url.removeprefix(BASE): record for url, record in archive_records(db).items()}


def log_lines(run, path: str) -> list[str]:
    return [
        line
        for line in run.stderr.splitlines()
        if f"{BASE}{path}" in line and (" WARNING " in line or " ERROR " in line)
    ]


def test_no_crash_and_a_summary(faults):
    for run in (faults["run"], faults["second"]):
        assert_clean(run)
        assert run.returncode == 0, run.output[-3000:]
        assert "done (finished)" in run.stderr


def test_500_503_then_success_is_retried_and_archived(faults):
    assert faults["hits"].count("/flaky/") == 3
    assert archived(faults["db"])["/flaky/"]["title"] == "Flaky : la troisième fois est la bonne"
    assert not log_lines(faults["run"], "/flaky/")


def test_timeouts(faults):
    records = archived(faults["db"])
    assert "/slow/" not in records
    (line,) = log_lines(faults["run"], "/slow/")
    # the reason names the page, not the local server --resolve fetched it from
    assert f"timed out (Getting {BASE}/slow/ took longer than 1.0 seconds.)" in line
    assert records["/slow-once/"]["title"] == "Lent puis rapide"


def test_connection_reset(faults):
    records = archived(faults["db"])
    assert "/reset/" not in records
    (line,) = log_lines(faults["run"], "/reset/")
    assert "connection lost" in line or "Connection" in line
    assert records["/reset-once/"]["title"] == "Coupé puis rétabli"


def test_a_connection_reset_reads_plainly_wherever_its_reason_is_given(tmp_path):
    # Its reason quoted Twisted's list of failures: "connection lost ([<twisted.python.failure.Failure
    # twisted.internet.error.ConnectionLost: ...>])", in the spider's line, the run's last error, the
    # line of a robots.txt not fetched and Scrapy's retry lines (-v).
    home = '<html><body class="home blog"><main><article class="post"><h2><a href="/reset/">Coupé</a></h2></article></main></body></html>'
    routes = {"/robots.txt": lambda context: context.reset(), "/reset/": lambda context: context.reset()}
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(pages={"/": Page(home.encode())}, routes=routes) as server:
        run = crawl(BASE + "/", db, "-v", "-s", "RETRY_TIMES=1", resolve={HOST: server.base_url})
    assert_clean(run)
    assert "Failure" not in run.stderr, run.stderr
    lost = "Connection to the other side was lost in a non-clean fashion."
    assert f" WARNING article {BASE}/reset/ not fetched: connection lost ({lost})\n" in run.stderr
    assert f" INFO Gave up retrying <GET {BASE}/reset/> (failed 2 times): {lost}\n" in run.stderr
    assert (
        f" WARNING {BASE}/robots.txt not fetched ({lost}): crawling as if it allowed everything" in run.stderr
    )
    (stats,) = sql(db, "SELECT stats FROM crawl_runs")[0]
    assert json.loads(stats)["newscrawl/last_error"] == f"connection lost ({lost})"


def test_truncated_body_is_never_archived(faults):
    assert "/truncated/" not in archived(faults["db"])
    (line,) = log_lines(faults["run"], "/truncated/")
    assert "truncated" in line or "connection lost" in line
    assert faults["hits"].count("/truncated/") == 3  # retried like any transient failure


def test_scrapys_retry_lines_say_why_a_truncated_page_failed(tmp_path):
    # Its error had no text: -v showed "Gave up retrying <GET https://.../truncated/> (failed 2 times): "
    # with nothing after the colon.
    def truncated(context: RequestContext) -> None:
        context.truncate(article_html("Tronqué").encode()[:700], declared_length=5000)

    home = '<html><body class="home blog"><main><article class="post"><h2><a href="/truncated/">Tronqué</a></h2></article></main></body></html>'
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(pages={"/": Page(home.encode())}, routes={"/truncated/": truncated}) as server:
        run = crawl(BASE + "/", db, "-v", "-s", "RETRY_TIMES=1", resolve={HOST: server.base_url})
    assert_clean(run)
    (gave_up,) = [line for line in run.stderr.splitlines() if "Gave up retrying" in line]
    assert gave_up.endswith(
        f" INFO Gave up retrying <GET {BASE}/truncated/> (failed 2 times): the server sent less than it announced"
    )
    (line,) = log_lines(run, "/truncated/")
    assert line.endswith(
        f" WARNING article {BASE}/truncated/ not fetched: truncated response (the server sent less than it announced)"
    )


def test_missing_and_wrong_charsets_decode(faults):
    records = archived(faults["db"])
    assert records["/no-charset/"]["title"] == "Essai de la Clio : été brûlant à Orléans"
    assert records["/wrong-charset/"]["title"] == "Prix du Scénic électrique : baisse à l’été"


def test_non_html_content_types_are_skipped(faults):
    records = archived(faults["db"])
    for path, kind in (("/document/", "application/pdf"), ("/picture/", "image/jpeg")):
        assert path not in records
        (line,) = log_lines(faults["run"], path)
        assert f"not an HTML page, skipped: {BASE}{path} ({kind})" in line


def test_oversized_page_is_cancelled(faults):
    assert "/huge/" not in archived(faults["db"])
    # One line: Scrapy's own warning said it first, with the same words ("Expected to receive")
    (line,) = [text for text in faults["run"].stderr.splitlines() if "/huge/" in text]
    assert line.endswith(
        f" WARNING article {BASE}/huge/ not fetched: too large (Expected to receive 251462 bytes which is"
        f" larger than download max size ({MAXSIZE}) in request <GET {BASE}/huge/>.)"
    )


def test_a_page_over_the_max_size_without_a_length_is_one_line_with_the_limit(tmp_path):
    # Without a Content-Length the download stops once past DOWNLOAD_MAXSIZE: Scrapy warned (its
    # "Received N bytes" line), and the spider's own line said "too large ()".
    def streamed(context: RequestContext) -> None:
        handler = context.handler
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.end_headers()
        handler.wfile.write(article_html("Sans longueur", extra_head="<!--" + "x" * MAXSIZE + "-->").encode())
        handler.close_connection = True

    home = '<html><body class="home blog"><main><article class="post"><h2><a href="/streamed/">Sans longueur</a></h2></article></main></body></html>'
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(pages={"/": Page(home.encode())}, routes={"/streamed/": streamed}) as server:
        run = crawl(BASE + "/", db, "-s", f"DOWNLOAD_MAXSIZE={MAXSIZE}", resolve={HOST: server.base_url})
    assert_clean(run)
    (line,) = [text for text in run.stderr.splitlines() if "/streamed/" in text]
    assert line.endswith(
        f" WARNING article {BASE}/streamed/ not fetched: too large (Received more than {MAXSIZE} bytes,"
        f" the download max size, in request <GET {BASE}/streamed/>)"
    )


def test_a_compressed_page_over_the_max_size_once_decompressed_is_one_line_and_an_error(tmp_path):
    # Small on the wire, over DOWNLOAD_MAXSIZE once decompressed: Scrapy ignored the response with a
    # line of its own ("Ignored response <200 ...> ... during decompression"), the spider took it for a
    # page left out on purpose, and the summary said "errors 0": the article was lost unnoticed.
    import gzip
    import zlib

    import brotli

    big = article_html("Une page énorme", extra_head="<!--" + "x" * MAXSIZE + "-->").encode()
    encoded = {"gzip": gzip.compress(big), "deflate": zlib.compress(big), "br": brotli.compress(big)}
    pages = {f"/{name}/": Page(body, headers={"Content-Encoding": name}) for name, body in encoded.items()}
    teasers = "".join(f'<h2><a href="/{name}/">{name}</a></h2>' for name in encoded)
    pages["/"] = Page(f'<html><body class="home blog"><main>{teasers}</main></body></html>'.encode())
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(pages=pages) as server:
        run = crawl(BASE + "/", db, "-s", f"DOWNLOAD_MAXSIZE={MAXSIZE}", resolve={HOST: server.base_url})
    assert_clean(run)
    for name, body in encoded.items():
        (line,) = [text for text in run.stderr.splitlines() if f"/{name}/" in text]
        assert line.endswith(
            f" WARNING article {BASE}/{name}/ not fetched: too large (more than {MAXSIZE} bytes, the download"
            f" max size, once decompressed ({len(body)} bytes {name}) in request <GET {BASE}/{name}/>)"
        ), line
    assert "| errors 3" in run.stderr
    (stats,) = sql(db, "SELECT stats FROM crawl_runs")[0]
    # counted as a page over the limit on the wire is
    assert json.loads(stats)["newscrawl/errors/DownloadCancelledError"] == 3
    assert sql(db, "SELECT count(*) FROM articles") == [(0,)]


def test_log_lines_name_the_pages_not_the_local_server(faults):
    # --resolve fetched every page from 127.0.0.1; Scrapy's data loss warning named that address.
    for run in (faults["run"], faults["second"]):
        assert "127.0.0.1" not in run.stderr, [
            line for line in run.stderr.splitlines() if "127.0.0.1" in line
        ]


def test_scrapys_retry_lines_name_the_page_not_the_local_server(tmp_path):
    # What -v shows besides the lines above: Scrapy's retry lines, which quote the download's error.
    home = '<html><body class="home blog"><main><article class="post"><h2><a href="/slow/">Lent</a></h2></article></main></body></html>'
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    routes = {"/slow/": lambda context: context.stall(3)}
    with SiteServer(pages={"/": Page(home.encode())}, routes=routes) as server:
        run = crawl(
            BASE + "/",
            db,
            "-v",
            "-s",
            "RETRY_TIMES=1",
            "-s",
            "DOWNLOAD_TIMEOUT=1",
            resolve={HOST: server.base_url},
        )
    assert_clean(run)
    assert "127.0.0.1" not in run.stderr, [line for line in run.stderr.splitlines() if "127.0.0.1" in line]
    timed_out = f"Getting {BASE}/slow/ took longer than 1.0 seconds."
    assert f" INFO Gave up retrying <GET {BASE}/slow/> (failed 2 times): {timed_out}\n" in run.stderr


def test_404_and_410_links_are_broken_links_and_archived_articles_gone(faults):
    # These pages were never archived: links of the site to pages it does not have, not articles
    # "gone" (they said so, and counted as errors of the crawl).
    records = archived(faults["db"])
    for path, status in (("/gone-404/", "404 Not Found"), ("/gone-410/", "410 Gone")):
        assert path not in records
        (line,) = log_lines(faults["run"], path)
        assert line.endswith(f" WARNING broken link (HTTP {status}): {BASE}{path} (linked from {BASE}/)")
    (stats,) = sql(faults["db"], "SELECT stats FROM crawl_runs WHERE id = 1")[0]
    assert json.loads(stats)["newscrawl/broken_links"] == 2
    assert "| 2 broken links | errors" in faults["run"].stderr
    # An article archived by the first crawl and gone at the second: still "article gone", an error.
    assert records["/removed/"]["title"] == "Retiré : archivé avant son retrait"
    (line,) = log_lines(faults["second"], "/removed/")
    assert line.endswith(
        f" WARNING article gone (HTTP 410 Gone): {BASE}/removed/; anything archived for it is kept"
    )
    (second,) = sql(faults["db"], "SELECT stats FROM crawl_runs WHERE id = 2")[0]
    assert json.loads(second)["newscrawl/errors/http_410"] == 1
    assert json.loads(second)["newscrawl/broken_links"] == 2


def test_redirect_loops(faults):
    (loop,) = log_lines(faults["run"], "/loop/")
    assert "redirect loop" in loop
    (spiral,) = log_lines(faults["run"], "/spiral/")
    assert "redirect loop (too many redirections)" in spiral
    assert len([hit for hit in faults["hits"] if hit.startswith("/spiral/")]) <= 10


def test_robots_disallow_is_obeyed(faults):
    assert "/private/secret/" not in faults["hits"]
    # from one fetch of robots.txt per crawl (there were two)
    assert faults["hits"].count("/robots.txt") == faults["second_hits"].count("/robots.txt") == 1
    (line,) = log_lines(faults["run"], "/private/secret/")
    assert "Forbidden by robots.txt" in line


def test_off_site_links_and_redirects_are_not_followed(faults):
    assert f"/{ELSEWHERE}/article/" not in faults["hits"]
    assert all(url.startswith(BASE) for url in archive_records_urls(faults["db"]))
    (stats,) = sql(faults["db"], "SELECT stats FROM crawl_runs WHERE id = 1")[0]
    assert json.loads(stats)["newscrawl/offsite_links"] >= 1


def test_a_page_redirected_off_site_is_one_warning_and_counted(faults):
    elsewhere = f"https://{ELSEWHERE}/article/"
    (line,) = log_lines(faults["run"], "/away/")
    assert line.endswith(
        f" WARNING article {BASE}/away/ redirected off-site to {elsewhere}: not followed (the crawl keeps to {HOST})"
    )
    # A comment page goes past Scrapy's offsite filter (dont_filter): the other site's page was fetched
    # and read as a page of the article's comments.
    (line,) = log_lines(faults["run"], "/comments-away/comment-page-2/")
    assert (
        f" WARNING comment page {BASE}/comments-away/comment-page-2/ not fetched (redirected off-site to {elsewhere}); {BASE}/comments-away/ is archived"
        in line
    )
    record = archived(faults["db"])["/comments-away/"]
    assert [c["id"] for c in record["comments"]] == [str(i) for i in range(200, 205)]
    for run_id, run in ((1, faults["run"]), (2, faults["second"])):
        (stats,) = sql(faults["db"], f"SELECT stats FROM crawl_runs WHERE id = {run_id}")[0]
        assert json.loads(stats)["newscrawl/redirected_offsite"] == 2
        assert "| 2 redirected off-site | 2 broken links | errors" in run.stderr


def archive_records_urls(db: str) -> list[str]:
    return [row[0] for row in sql(db, "SELECT url FROM articles")]


def test_a_comment_page_that_404s_keeps_the_article(faults):
    record = archived(faults["db"])["/with-comments/"]
    # Page 3 is only linked from page 2: the archive has page 1's comments, the declared count says more exist.
    assert record["comment_count"] == 15
    assert [c["id"] for c in record["comments"]] == [str(i) for i in range(100, 105)]
    (line,) = [text for text in faults["run"].stderr.splitlines() if "with-comments/comment-page-2" in text]
    assert (
        "WARNING comment page" in line and "HTTP 404" in line and f"{BASE}/with-comments/ is archived" in line
    )
    (stats,) = sql(faults["db"], "SELECT stats FROM crawl_runs WHERE id = 1")[0]
    assert (
        json.loads(stats)["newscrawl/comment_pages/failed"] == 2
    )  # with /comments-away/'s page 2 (off-site)
    # Neither page is there to be fetched later: no incremental run has to fetch the articles again.
    assert sql(
        faults["db"],
        f"SELECT comment_pages_missed FROM articles WHERE url IN ('{BASE}/with-comments/', '{BASE}/comments-away/')",
    ) == [(0,), (0,)]


def test_what_is_archived_survives_a_later_failure(faults):
    records = archived(faults["db"])
    assert records["/stable/"]["title"] == "Stable : archivé au premier passage"
    assert "/stable/" in faults["second_hits"]
    (line,) = log_lines(faults["second"], "/stable/")
    assert "HTTP 500" in line
    assert sql(
        faults["db"],
        "SELECT count(*) FROM article_versions v JOIN articles a ON a.id = v.article_id "
        f"WHERE a.url = '{BASE}/stable/'",
    ) == [(1,)]


# ---------------------------------------------------------------------- robots.txt


def test_a_failing_robots_txt_is_fetched_once_and_the_crawl_goes_on(tmp_path):
    # robots.txt was fetched twice, once by Scrapy's robots.txt middleware for its rules and once by the
    # spider for its Sitemap: lines, so a failing one failed twice, retries and timeouts included.
    # Here it times out, then answers 500 to the retry (RETRY_TIMES=1): one fetch, two requests (four).
    host = "robots.test"

    def robots(context: RequestContext) -> None:
        if context.count == 1:
            context.stall(3)
        else:
            context.send(500, "oops", "text/plain")

    home = (
        '<html><body class="home blog"><main>'
        '<article class="post"><h2><a href="/prive/essai/">Essai</a></h2></article></main></body></html>'
    )
    pages = {"/": Page(home.encode()), "/prive/essai/": Page(article_html("Essai de la Mégane").encode())}
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(pages=pages, routes={"/robots.txt": robots}) as server:
        run = crawl(
            f"https://{host}/",
            db,
            "-v",
            "-s",
            "DOWNLOAD_TIMEOUT=1",
            "-s",
            "RETRY_TIMES=1",
            resolve={host: server.base_url},
        )
        hits = list(server.hits)
    assert_clean(run)
    assert run.returncode == 0, run.output[-3000:]
    assert hits[:2] == ["/robots.txt", "/robots.txt"]  # before anything else of the site
    assert hits.count("/robots.txt") == 2, hits
    # No rules: everything allowed; the spider tries the usual sitemap locations instead.
    assert archive_records_urls(db) == [f"https://{host}/prive/essai/"]
    assert "/sitemap.xml" in hits and "/wp-sitemap.xml" in hits
    assert (
        f"INFO no robots.txt at https://{host}/robots.txt (HTTP 500 Internal Server Error); "
        "trying the usual sitemap locations" in run.stderr
    )
    # The pages counted are the answers that came over the network (the spider's copy is none).
    (stats,) = sql(db, "SELECT stats FROM crawl_runs")[0]
    assert json.loads(stats)["response_received_count"] == len(server.answers)


# ---------------------------------------------------------------------- the archive itself


def _small_site(count: int = 8) -> SiteServer:
    links = "".join(f'<article><h2><a href="/a{i}/">Article {i}</a></h2></article>' for i in range(count))
    pages = {"/": Page(f'<html><body class="home">{links}</body></html>'.encode())}
    for i in range(count):
        pages[f"/a{i}/"] = Page(article_html(f"Article numéro {i} de la série").encode())
    pages["/robots.txt"] = Page(b"User-agent: *\n", "text/plain")
    return SiteServer(pages=pages)


def test_unreachable_database_is_one_line_and_nothing_is_fetched():
    with _small_site() as server:
        run = crawl(
            "https://small.test/",
            "postgresql+psycopg://nobody@127.0.0.1:9/nowhere",
            resolve={"small.test": server.base_url},
        )
        assert server.hits == []
    assert_clean(run)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [run.stderr.strip().splitlines()[-1]]
    assert run.stderr.startswith("Error: cannot connect to PostgreSQL at 127.0.0.1:9/nowhere")


@pytest.mark.parametrize("quiet", [False, True])
def test_database_locked_mid_crawl_loses_nothing_committed(tmp_path, quiet):
    path = tmp_path / "archive.sqlite"
    db = f"sqlite:///{path}"
    locker: dict = {}

    def lock_then_answer(context: RequestContext) -> None:
        # Another process takes the write lock while the crawl is running, once it has archived an
        # article (pages are read in a reader process: the first write may still be on its way).
        if "connection" not in locker:
            connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            deadline = time.monotonic() + 2.5
            while time.monotonic() < deadline:
                if connection.execute("SELECT count(*) FROM article_versions").fetchone()[0]:
                    break
                time.sleep(0.02)
            connection.execute("BEGIN IMMEDIATE")
            locker["connection"] = connection
        context.send(200, article_html("Article numéro 4 de la série"))

    site = _small_site()
    site.routes["/a4/"] = lock_then_answer
    with site:
        run = crawl(
            "https://small.test/",
            db,
            "-s",
            "CONCURRENT_REQUESTS=1",
            "-s",
            "NEWSCRAWL_ARCHIVE_FAILURES_TO_STOP=3",
            *(["--quiet"] if quiet else []),
            resolve={"small.test": site.base_url},
        )
    locker["connection"].rollback()
    locker["connection"].close()
    assert_clean(run)
    assert run.returncode == 1
    assert re.search(r"ERROR archive write failed for https://small.test/a\d/ .*locked", run.stderr)
    # The stop is said once: a warning, and the reason in the last line under --quiet (it was an ERROR
    # line, repeated for each write failing as the crawl stopped).
    because = f"3 archive writes failed in a row: SQLite database {path} is locked by another process"
    stops = [line for line in run.stderr.splitlines() if "stopping the crawl" in line]
    if quiet:
        assert stops == []
        assert run.stderr.splitlines()[-1].startswith(f"Error: crawl stopped: archive unavailable ({because}")
    else:
        (stop,) = stops
        assert f" WARNING stopping the crawl: {because}" in stop
        assert run.stderr.splitlines()[-1] == "Error: crawl stopped: archive unavailable"
    titles = [row[0] for row in sql(db, "SELECT title FROM article_versions")]
    assert 1 <= len(titles) < 8  # what was committed before the lock is all there
    assert sql(db, "PRAGMA integrity_check") == [("ok",)]
    # The next run, lock gone, completes the archive.
    with _small_site() as server:
        again = crawl("https://small.test/", db, resolve={"small.test": server.base_url})
    assert again.returncode == 0, again.output[-2000:]
    assert sql(db, "SELECT count(*) FROM articles") == [(8,)]


# ---------------------------------------------------------------------- user mistakes


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl", "no-such-site"], "Error: no site profile named 'no-such-site' (known: blog-auto-info)"),
        (["crawl", "no such.site"], "Error: no site profile named 'no such.site' (known: blog-auto-info)"),
        (["crawl", "ftp://example.com/"], "Error: not an http(s) URL: 'ftp://example.com/'"),
        (
            ["crawl", "blog-auto-info", "--resolve", "blog-auto-info.com"],
            "Error: --resolve 'blog-auto-info.com': expected HOST=http://127.0.0.1:PORT",
        ),
        (
            ["crawl", "blog-auto-info", "--resolve", "blog-auto-info.com=127.0.0.1:80"],
            "Error: --resolve blog-auto-info.com=127.0.0.1:80: the target must be a URL like http://127.0.0.1:8000",
        ),
        # A host mistyped: silently unused, the crawl went to the real site on the network.
        (
            ["crawl", "https://www.moteur.test/", "--resolve", "www.moteur.tset=http://127.0.0.1:9"],
            "Error: --resolve maps www.moteur.tset, none of the crawl's hosts (moteur.test and its "
            "subdomains): its pages would be fetched from the network",
        ),
        (
            [
                "scrape",
                "https://www.moteur.test/a/",
                "--resolve",
                "moteur.tset=http://127.0.0.1:9",
                "--resolve",
                "cdn.moteur.tset=http://127.0.0.1:9",
            ],
            "Error: --resolve maps moteur.tset, cdn.moteur.tset, none of the crawl's hosts (moteur.test and",
        ),
        (
            ["crawl", "blog-auto-info", "--since", "last tuesday"],
            "Error: --since: not a date: 'last tuesday'",
        ),
        (
            ["crawl", "blog-auto-info", "--db", "mysql://x/y"],
            "Error: unsupported database 'mysql' in 'mysql://x/y'",
        ),
        (["scrape", "not a url"], "Error: not an http(s) URL: 'not a url'"),
        (
            ["crawl", "blog-auto-info", "--set", "DOWNLOAD_DELAY"],
            "Error: --set 'DOWNLOAD_DELAY': expected NAME=VALUE",
        ),
        (
            ["crawl", "blog-auto-info", "--set", "NEWSCRAWL_READ_WORKERS=many"],
            "Error: NEWSCRAWL_READ_WORKERS must be 'auto' or a number of processes",
        ),
        # Before they were checked: a traceback from Scrapy at start, then "interrupted" (exit 130).
        (
            ["crawl", "blog-auto-info", "-s", "AUTOTHROTTLE_TARGET_CONCURRENCY=abc"],
            "Error: -s AUTOTHROTTLE_TARGET_CONCURRENCY=abc: AUTOTHROTTLE_TARGET_CONCURRENCY takes a number",
        ),
        # A ZeroDivisionError traceback at every request; nan held nothing.
        (
            ["crawl", "blog-auto-info", "-s", "NEWSCRAWL_MAX_CRAWL_DELAY=0"],
            "Error: -s NEWSCRAWL_MAX_CRAWL_DELAY=0: NEWSCRAWL_MAX_CRAWL_DELAY takes a number above 0",
        ),
        (
            ["crawl", "blog-auto-info", "-s", "NEWSCRAWL_MAX_CRAWL_DELAY=nan"],
            "Error: -s NEWSCRAWL_MAX_CRAWL_DELAY=nan: NEWSCRAWL_MAX_CRAWL_DELAY takes a finite number",
        ),
        (
            ["crawl", "blog-auto-info", "-s", "AUTOTHROTTLE_MAX_DELAY=inf"],
            "Error: -s AUTOTHROTTLE_MAX_DELAY=inf: AUTOTHROTTLE_MAX_DELAY takes a finite number",
        ),
        (
            ["crawl", "blog-auto-info", "-s", "ROBOTSTXT_OBEY=maybe"],
            "Error: -s ROBOTSTXT_OBEY=maybe: ROBOTSTXT_OBEY takes true or false",
        ),
        (
            ["crawl", "blog-auto-info", "-s", "ITEM_PIPELINES=3"],
            "Error: -s ITEM_PIPELINES=3: ITEM_PIPELINES takes a JSON object",
        ),
        # A traceback at start (and "interrupted", exit 130, for the last one).
        (
            ["crawl", "blog-auto-info", "-s", "LOG_LEVEL=LOUD"],
            "Error: -s LOG_LEVEL=LOUD: LOG_LEVEL takes DEBUG, INFO, WARNING, ERROR or CRITICAL",
        ),
        (
            ["crawl", "blog-auto-info", "-s", "CONCURRENT_REQUESTS_PER_IP=2"],
            "Error: -s CONCURRENT_REQUESTS_PER_IP=2: not supported by the crawl's queue, set CONCURRENT_REQUESTS_PER_DOMAIN",
        ),
        # A crawl that hung for good, fetching nothing; one that ended "finished" after the start pages.
        (
            ["crawl", "blog-auto-info", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=0"],
            "Error: -s CONCURRENT_REQUESTS_PER_DOMAIN=0: CONCURRENT_REQUESTS_PER_DOMAIN takes a number above 0",
        ),
        (
            ["crawl", "blog-auto-info", "-s", "CONCURRENT_ITEMS=0"],
            "Error: -s CONCURRENT_ITEMS=0: CONCURRENT_ITEMS takes a number above 0",
        ),
        # Accepted: "comment pages of URL stop after -1 more".
        (
            ["crawl", "blog-auto-info", "-s", "NEWSCRAWL_MAX_COMMENT_PAGES=-1"],
            "Error: -s NEWSCRAWL_MAX_COMMENT_PAGES=-1: NEWSCRAWL_MAX_COMMENT_PAGES takes a number of 0 or more",
        ),
        (
            ["crawl", "blog-auto-info", "-s", "NEWSCRAWL_LISTING_HOPS=-2"],
            "Error: -s NEWSCRAWL_LISTING_HOPS=-2: NEWSCRAWL_LISTING_HOPS takes a number of 0 or more",
        ),
        (
            ["crawl", "blog-auto-info", "-s", "SCHEDULER=nope.Missing"],
            "Error: the crawl could not start: ModuleNotFoundError: No module named 'nope'",
        ),
        # A traceback, and a failed run recorded against the real site.
        (
            ["crawl", "https://blog-auto-info.com:99999/"],
            "Error: not a valid URL: 'https://blog-auto-info.com:99999/' (port out of range 0-65535)",
        ),
        # Accepted, as a site named "exa mple.com".
        (
            ["crawl", "https://exa mple.com/"],
            "Error: not a valid URL: 'https://exa mple.com/' ('exa mple.com' is not a host name)",
        ),
        # OverflowError.
        (
            ["crawl", "blog-auto-info", "--since", "99999999d"],
            "Error: --since: '99999999d' ago is before the year 1",
        ),
    ],
)
def test_user_mistakes_are_one_line_errors(args, message, tmp_path):
    if "--db" not in args:
        args = [*args, "--db", f"sqlite:///{tmp_path / 'a.sqlite'}"]
    run = newscrawl(*args, *FAST)
    assert_clean(run)
    assert run.returncode != 0
    lines = [line for line in run.stderr.strip().splitlines() if line.startswith("Error")]
    assert len(lines) == 1 and lines[0].startswith(message), run.stderr


def test_a_crawl_with_everything_broken_still_ends_cleanly(tmp_path):
    # The server vanishes: every request is refused.
    server = SiteServer(pages={})
    port = server.port
    server.stop()
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    run = crawl(
        "https://gone.test/",
        db,
        "-s",
        "RETRY_TIMES=1",
        resolve={"gone.test": f"http://127.0.0.1:{port}"},
    )
    assert_clean(run)
    assert run.returncode == 1
    assert re.search(r"WARNING https://gone.test/robots.txt not fetched \(Connection was refused", run.stderr)
    assert re.search(r"WARNING listing https://gone.test/ not fetched: connection refused", run.stderr)
    assert (
        run.stderr.strip().splitlines()[-1]
        == "Error: nothing could be fetched from https://gone.test/ (see the errors above)"
    )
    assert "done (failed: nothing could be fetched) in " in run.stderr  # it said "done (finished)"
    # The run says so too (it was "finished", and `newscrawl sites` showed the site as OK).
    assert sql(db, "SELECT status, json_extract(stats, '$.finish_reason') FROM crawl_runs") == [
        ("failed", "finished")
    ]


HUGE_HOME = article_html("Accueil", extra_head="<!--" + "x" * MAXSIZE + "-->").encode()
UNREADABLE_HOME_PAGES = {
    # how the home page fails: (its answer, the run's last error)
    "500": (Page(b"oops", "text/plain", status=500), "HTTP 500 Internal Server Error"),
    "404": (Page(b"<html><body>Not found</body></html>", status=404), "HTTP 404 Not Found"),
    "too large": (
        Page(HUGE_HOME),
        f"too large (Expected to receive {len(HUGE_HOME)} bytes which is larger than download max size "
        f"({MAXSIZE}) in request <GET {BASE}/>.)",
    ),
    "disallowed": (Page(article_html("Accueil").encode()), "Forbidden by robots.txt"),
}


@pytest.mark.parametrize("how", list(UNREADABLE_HOME_PAGES))
def test_a_crawl_that_could_read_no_page_of_the_site_failed_though_robots_txt_answered(how, tmp_path):
    # robots.txt answered (and the usual sitemap locations, 404), the home page failed: nothing was
    # archived or even found, and the run ended "finished", exit 0, without a word under --quiet.
    home, last_error = UNREADABLE_HOME_PAGES[how]
    robots = b"User-agent: *\nDisallow: /\n" if how == "disallowed" else b"User-agent: *\nDisallow:\n"
    pages = {"/robots.txt": Page(robots, "text/plain"), "/": home}
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    args = ("-s", "RETRY_TIMES=0", "-s", f"DOWNLOAD_MAXSIZE={MAXSIZE}")
    with SiteServer(pages=pages) as server:
        run = crawl(BASE + "/", db, *args, resolve={HOST: server.base_url})
        quiet = crawl(BASE + "/", db, *args, "--quiet", resolve={HOST: server.base_url})
    assert_clean(run)
    assert run.returncode == quiet.returncode == 1, run.output[-3000:]
    assert "done (failed: nothing could be read) in " in run.stderr
    assert run.stderr.splitlines()[-1] == f"Error: nothing could be read from {BASE}/ (see the errors above)"
    (above,) = [line for line in run.stderr.splitlines() if " WARNING " in line]
    assert f"{BASE}/ not fetched: {last_error}" in above
    assert quiet.stderr == f"Error: nothing could be read from {BASE}/ (the last error: {last_error})\n"
    assert sql(db, "SELECT status, json_extract(stats, '$.finish_reason') FROM crawl_runs") == [
        ("failed", "finished"),
        ("failed", "finished"),
    ]
    assert "WARNING last run #2 failed" in newscrawl("sites", "--db", db).stdout


def test_a_crawl_whose_home_page_fails_but_whose_sitemap_gives_articles_did_not_fail(tmp_path):
    # The home page's error is counted; the articles of the sitemap are archived: a run that did its work.
    sitemap = (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{BASE}/essai/</loc><lastmod>2024-04-29</lastmod></url></urlset>"
    )
    pages = {
        "/robots.txt": Page(f"User-agent: *\nSitemap: {BASE}/sitemap.xml\n".encode(), "text/plain"),
        "/sitemap.xml": Page(sitemap.encode(), "application/xml"),
        "/": Page(b"oops", "text/plain", status=500),
        "/essai/": Page(article_html("Essai de la Clio").encode()),
    }
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(pages=pages) as server:
        run = crawl(BASE + "/", db, "-s", "RETRY_TIMES=0", resolve={HOST: server.base_url})
        # everything unchanged: the article skipped (its sitemap lastmod), nothing new read
        again = crawl(
            BASE + "/", db, "-s", "RETRY_TIMES=0", "--incremental", "--quiet", resolve={HOST: server.base_url}
        )
    assert_clean(run)
    assert run.returncode == 0, run.output[-3000:]
    assert "done (finished)" in run.stderr and "| errors 1" in run.stderr
    assert again.returncode == 0 and again.stderr == "", again.output[-3000:]
    assert sql(db, "SELECT status FROM crawl_runs") == [("finished",), ("finished",)]
    assert [row[0] for row in sql(db, "SELECT title FROM v_articles")] == ["Essai de la Clio"]


@pytest.mark.parametrize("quiet", [False, True])
def test_a_crawl_that_fetched_nothing_says_why_even_when_quiet(quiet, monkeypatch, tmp_path):
    # --quiet shows no warning, which is what the failures of pages are: its one line said "(see the
    # errors above)" above nothing. The failed run's stats are those of the crawl above.
    from click.testing import CliRunner

    from newscrawl import crawl as crawl_module
    from newscrawl.cli import cli

    refused = "connection refused (Connection was refused by other side: 111: Connection refused.)"
    stats = {"newscrawl/errors": 3, "newscrawl/last_error": refused, "finish_reason": "finished"}
    monkeypatch.setattr(
        crawl_module, "run_crawl", lambda options: crawl_module.CrawlResult("finished", "failed", stats)
    )
    args = ["crawl", "https://gone.test/", "--db", f"sqlite:///{tmp_path / 'a.sqlite'}"]
    result = CliRunner().invoke(cli, [*args, *(["--quiet"] if quiet else [])])
    assert result.exit_code == 1
    reason = f"(the last error: {refused})" if quiet else "(see the errors above)"
    assert result.stderr == f"Error: nothing could be fetched from https://gone.test/ {reason}\n"


STOPS = {
    "frontier_unavailable": "frontier redis://127.0.0.1:6379/0: not answering for 31 s (Connection refused.)",
    "archive_unavailable": "5 archive writes failed in a row: SQLite database a.sqlite is locked by another process",
    "crawl_lock_lost": "the crawl lock of a.test was taken over by web2:1:0123abcd after this run missed its heartbeats",
}


@pytest.mark.parametrize("quiet", [False, True])
@pytest.mark.parametrize("stop", list(STOPS))
def test_a_crawl_stopped_by_a_component_gone_away_is_one_line_when_quiet(stop, quiet, monkeypatch, tmp_path):
    # --quiet showed the component's ERROR line and then "Error: crawl stopped: frontier unavailable"
    # (archive unavailable, crawl lock lost). The stop is a warning (shown without --quiet); with
    # --quiet the one line says why.
    from click.testing import CliRunner

    from newscrawl import crawl as crawl_module
    from newscrawl.cli import cli

    because = STOPS[stop]
    stats = {"newscrawl/stopped_by": stop, "newscrawl/stopped_because": because}
    monkeypatch.setattr(
        crawl_module, "run_crawl", lambda options: crawl_module.CrawlResult(stop, "failed", stats)
    )
    args = ["crawl", "https://a.test/", "--db", f"sqlite:///{tmp_path / 'a.sqlite'}"]
    result = CliRunner().invoke(cli, [*args, *(["--quiet"] if quiet else [])])
    assert result.exit_code == 1
    reason = f" ({because})" if quiet else ""
    assert result.stderr == f"Error: crawl stopped: {stop.replace('_', ' ')}{reason}\n"


def test_a_sitemap_or_feed_the_profile_names_counts_as_an_error_when_it_fails(tmp_path):
    server = SiteServer(pages={})
    port = server.port
    server.stop()
    run = crawl(
        "blog-auto-info",
        f"sqlite:///{tmp_path / 'archive.sqlite'}",
        "-s",
        "RETRY_TIMES=0",
        resolve={"blog-auto-info.com": f"http://127.0.0.1:{port}"},
    )
    assert run.returncode == 1
    assert re.search(r"WARNING sitemap https://blog-auto-info.com/sitemap_index.xml not fetched", run.stderr)
    assert re.search(r"WARNING feed https://blog-auto-info.com/feed/ not fetched", run.stderr)
    # The home page, its sitemap and its feed (it said "errors 1": the home page alone).
    assert "| errors 3" in run.stderr, run.stderr


SCRAPE_FAILURES = {
    # path: what the one Error line says after the URL
    "/gone/": "HTTP 404 Not Found",
    "/broken/": "HTTP 500 Internal Server Error",
    "/reset/": "connection lost (Connection to the other side was lost in a non-clean fashion.)",
    "/document/": "not an HTML page (application/pdf)",
    "/private/secret/": "Forbidden by robots.txt",
    "/moved/": f"redirected to {BASE}/gone/: HTTP 404 Not Found",
    "/away/": f"redirected off-site to https://{ELSEWHERE}/article/: not followed (the crawl keeps to {HOST})",
    "/loop/": f"redirect loop ({BASE}/loop/ -> {BASE}/loop-back/ -> {BASE}/loop/)",
}


@pytest.fixture(scope="module")
def scrape_faults():
    pages = {
        "/robots.txt": Page(b"User-agent: *\nDisallow: /private/\n", "text/plain"),
        "/gone/": Page(b"<html><body>Not found</body></html>", status=404),
        "/broken/": Page(b"oops", "text/plain", status=500),
        "/document/": Page(b"%PDF-1.4\n" + bytes(range(256)) * 4, "application/pdf"),
        "/private/secret/": Page(article_html("Secret").encode()),
    }
    routes = {
        "/reset/": lambda context: context.reset(),
        "/moved/": lambda context: context.send(301, headers={"Location": "/gone/"}),
        "/away/": lambda context: context.send(301, headers={"Location": f"https://{ELSEWHERE}/article/"}),
        "/loop/": lambda context: context.send(302, headers={"Location": "/loop-back/"}),
        "/loop-back/": lambda context: context.send(302, headers={"Location": "/loop/"}),
    }
    with SiteServer(pages=pages, routes=routes) as server:
        yield server


@pytest.mark.parametrize("path", list(SCRAPE_FAILURES))
def test_scrape_of_a_page_that_fails_is_one_error_line_saying_why(scrape_faults, path):
    # It was two lines, the spider's warning ("article gone (HTTP 404 Not Found): URL") and then the
    # Error line with the same reason; a page redirected off the site said "no article record" on it,
    # the warning alone saying where the page went, as it did for a redirect loop or a redirect to a
    # page that fails. The spider's line is shown with -v.
    url = BASE + path
    args = ("scrape", url, *FAST, "-s", "RETRY_TIMES=0", "--resolve", f"{HOST}={scrape_faults.base_url}")
    run = newscrawl(*args)
    assert_clean(run)
    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr == f"Error: {url}: {SCRAPE_FAILURES[path]}\n"
    verbose = newscrawl(*args, "-v")
    assert " WARNING " not in verbose.stderr
    assert [
        line
        for line in verbose.stderr.splitlines()
        if " INFO " in line and f" {BASE}/" in line and "/robots.txt" not in line
    ], verbose.stderr


def test_scrape_says_each_comment_page_not_fetched_once(tmp_path):
    # The spider's warning ("comment page URL not fetched (HTTP 404 Not Found); ARTICLE is archived with
    # the comments of the other pages", archived or not), then the command's line for the same page.
    url = BASE + "/with-comments/"
    page = article_html("Les avis", comments=comment_block(100, 5, page=1, pages=3, url=url, declared=15))
    pages = {"/with-comments/": Page(page.encode())}
    routes = {"/with-comments/comment-page-2/": lambda c: c.send(404, "<html><body>Not found</body></html>")}
    with SiteServer(pages=pages, routes=routes) as server:
        run = newscrawl("scrape", url, *FAST, "--resolve", f"{HOST}={server.base_url}")
    assert_clean(run)
    assert run.returncode == 0, run.output[-3000:]
    assert run.stderr == f"warning: comment page not fetched: {url}comment-page-2/: HTTP 404 Not Found\n"
    assert [comment["id"] for comment in json.loads(run.stdout)["comments"]] == [
        str(i) for i in range(100, 105)
    ]


def test_a_page_renamed_with_a_301_stays_one_article(tmp_path):
    # The site renames a page and answers its old address with a 301; the crawler asks for the old
    # address again (a revisit, an old link): the article it gets is the one it archived.
    host = "renomme.test"

    def page(title: str, path: str) -> Page:
        canonical = f'<link rel="canonical" href="https://{host}{path}">'
        return Page(article_html(title, extra_head=canonical).encode())

    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(pages={"/ancien-nom/": page("Essai de la Clio", "/ancien-nom/")}) as server:
        scrape = (
            "scrape",
            f"https://{host}/ancien-nom/",
            "--save",
            "--db",
            db,
            "--resolve",
            f"{host}={server.base_url}",
        )
        first = newscrawl(*scrape, *FAST)
        assert first.returncode == 0, first.output[-3000:]
        server.pages["/nouveau-nom/"] = page("Essai de la Clio", "/nouveau-nom/")
        server.routes["/ancien-nom/"] = lambda c: c.send(
            301, headers={"Location": f"https://{host}/nouveau-nom/"}
        )
        second = newscrawl(*scrape, *FAST)
        assert second.returncode == 0, second.output[-3000:]
    assert sql(db, "SELECT count(*), min(canonical_url) FROM articles") == [
        (1, f"https://{host}/nouveau-nom/")
    ]


def test_ctrl_c_during_a_retry_backoff_stops_at_once_and_jobdir_retries_later(tmp_path):
    # A page answering 503 waits out its retry backoff (RETRY_BACKOFF_BASE, up to RETRY_BACKOFF_MAX)
    # before it is asked again: the first Ctrl-C waited that long (30 s here) before stopping.
    host = "occupe.test"
    teasers = "".join(f'<h2><a href="https://{host}/{slug}/">{slug}</a></h2>' for slug in ("calme", "occupe"))
    home = f'<html><head><meta charset="utf-8"><title>Accueil</title></head><body class="home blog">{teasers}</body></html>'
    pages = {
        "/": Page(home.encode()),
        "/calme/": Page(article_html("Essai de la Clio").encode()),
        "/occupe/": Page(b"busy", "text/plain", status=503),
    }
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    jobdir = tmp_path / "job"
    with SiteServer(pages=pages) as server:
        resolve = {host: server.base_url}
        process = start_crawl(
            f"https://{host}/", db, "--jobdir", str(jobdir), "-s", "RETRY_BACKOFF_BASE=30", resolve=resolve
        )
        try:
            wait_for(lambda: server.hit_count("/occupe/") == 1 and server.hit_count("/calme/") == 1)
            time.sleep(0.5)  # the retry is waiting out its 30 s
            _stdout, stderr, stopped_after = interrupt(process)
        finally:
            process.kill()
        assert process.returncode == 130, stderr[-3000:]
        assert stopped_after < 8, f"{stopped_after:.1f} s to stop"
        assert server.hit_count("/occupe/") == 1
        server.pages["/occupe/"] = Page(article_html("Le SUV le plus vendu").encode())
        second = crawl(f"https://{host}/", db, "--jobdir", str(jobdir), resolve=resolve)
    assert second.returncode == 0, second.output[-3000:]
    titles = sorted(title for (title,) in sql(db, "SELECT title FROM v_articles"))
    assert titles == ["Essai de la Clio", "Le SUV le plus vendu"]

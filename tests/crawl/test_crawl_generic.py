"""Sites without a profile: a generated WordPress-like site (another theme, ?cpage=N comment pages,
?page=N category pagination) and the reference mirror with its profile ignored. Also --jobdir
resumption, the comment revisit policy, --max-articles and --since."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest

from newscrawl.testing.server import SiteServer
from newscrawl.testing.sitegen import GeneratedSite, generate_site
from tests.crawl.helpers import (
    MIRROR_HOST,
    archive_records,
    article_html,
    assert_clean,
    comment_block,
    crawl,
    interrupt,
    sql,
    start_crawl,
    wait_for,
)

GENERATED_HOST = "www.moteur-hebdo.test"
NOW = datetime.now(UTC).replace(microsecond=0)


def check_archive_matches(db: str, site: GeneratedSite) -> None:
    records = archive_records(db)
    assert set(records) == {a.url for a in site.articles}, (
        "every article, nothing else (no listing, no contact page)"
    )
    for article in site.articles:
        record = records[article.url]
        assert record["title"] == article.title
        assert [c["id"] for c in record["comments"]] == article.comment_ids, article.url
        assert {c["id"]: c["parent_id"] for c in record["comments"] if c["parent_id"]} == article.replies
    assert sql(db, "SELECT count(*) FROM articles") == [(len(site.articles),)]
    links, resolved = sql(db, "SELECT count(*), count(target_article_id) FROM related_links")[0]
    assert links == resolved > 0


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("generated") / "www"
    site = generate_site(root, articles=36, now=NOW, days=40, comments_per_page=6)
    assert sum(a.comment_pages > 1 for a in site.articles) >= 5  # the site does have comment pages
    return site


def test_generated_site_crawls_without_a_profile(generated, tmp_path):
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(generated.root) as server:
        run = crawl(f"https://{GENERATED_HOST}/", db, resolve={GENERATED_HOST: server.base_url})
        hits = list(server.hits)
    assert_clean(run)
    assert run.returncode == 0, run.output[-3000:]
    check_archive_matches(db, generated)
    assert "/wp-login.php" not in hits  # never an admin or login page
    # Comment pages went with their article, each fetched once.
    comment_hits = [hit for hit in hits if "cpage=" in hit]
    assert len(comment_hits) == len(set(comment_hits)) == sum(a.comment_pages - 1 for a in generated.articles)


def crawl_generated(site: GeneratedSite, tmp_path, *settings: str):
    """A crawl of the generated site with these ``-s NAME=VALUE`` settings: (run, archive URL)."""
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    extra = [argument for setting in settings for argument in ("-s", setting)]
    with SiteServer(site.root) as server:
        run = crawl(f"https://{GENERATED_HOST}/", db, *extra, resolve={GENERATED_HOST: server.base_url})
    return run, db


def test_an_article_with_more_comment_pages_than_allowed_is_a_warning(generated, tmp_path):
    # The comments past NEWSCRAWL_MAX_COMMENT_PAGES were left out without a word (exit 0, errors 0).
    run, _db = crawl_generated(generated, tmp_path, "NEWSCRAWL_MAX_COMMENT_PAGES=1")
    assert run.returncode == 0, run.output[-3000:]
    capped = {a.url for a in generated.articles if a.comment_pages > 2}
    assert capped  # the site has such articles
    warned = set(
        re.findall(
            r"WARNING comment pages of (\S+) stop after 1 more \(NEWSCRAWL_MAX_COMMENT_PAGES\)", run.stderr
        )
    )
    assert warned == capped


def test_listings_and_pagination_alone_find_every_article(tmp_path):
    site = generate_site(tmp_path / "www", articles=25, now=NOW, sitemap=False, per_listing_page=4)
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(site.root) as server:
        run = crawl(f"https://{GENERATED_HOST}/", db, resolve={GENERATED_HOST: server.base_url})
        hits = list(server.hits)
    assert run.returncode == 0, run.output[-3000:]
    check_archive_matches(db, site)
    assert "/page/7/" in hits and any(re.match(r"/rubrique/\w+/\?page=2$", hit) for hit in hits)


def test_mirror_without_its_profile_gives_the_same_articles(mirror, db_url):
    run = crawl(f"https://{MIRROR_HOST}/", db_url, "--generic", resolve={MIRROR_HOST: mirror.base_url})
    assert run.returncode == 0, run.output[-3000:]
    records = archive_records(db_url)
    assert len(records) == 4
    assert sorted(len(r["comments"]) for r in records.values()) == [0, 1, 3, 43]


def crawl_stopped_after(db: str, jobdir, resolve: dict, *, articles: int):
    """A --jobdir crawl of the generated site that stops after so many articles, its state kept."""
    return crawl(
        f"https://{GENERATED_HOST}/",
        db,
        "--jobdir",
        str(jobdir),
        "-s",
        f"CLOSESPIDER_ITEMCOUNT={articles}",
        "-s",
        "CONCURRENT_REQUESTS=2",
        resolve=resolve,
    )


def test_jobdir_resumes_without_refetching(generated, tmp_path):
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    jobdir = tmp_path / "job"
    with SiteServer(generated.root) as server:
        resolve = {GENERATED_HOST: server.base_url}
        first = crawl_stopped_after(db, jobdir, resolve, articles=10)
        assert first.returncode == 0, first.output[-3000:]
        assert "done (closespider_itemcount)" in first.stderr
        interrupted = sql(db, "SELECT count(*) FROM articles")[0][0]
        assert 10 <= interrupted < len(generated.articles)
        first_hits = list(server.hits)
        server.hits.clear()
        second = crawl(f"https://{GENERATED_HOST}/", db, "--jobdir", str(jobdir), resolve=resolve)
        assert second.returncode == 0, second.output[-3000:]
        second_hits = list(server.hits)
        # The job ran to its end: the same command again is a new crawl (it fetched nothing, and
        # failed with "nothing could be fetched", while the finished job's state was kept).
        server.hits.clear()
        third = crawl(f"https://{GENERATED_HOST}/", db, "--jobdir", str(jobdir), resolve=resolve)
        assert third.returncode == 0, third.output[-3000:]
        third_hits = set(server.hits)
    check_archive_matches(db, generated)
    refetched = {hit for hit in second_hits if hit != "/robots.txt"} & set(first_hits)
    assert not refetched, sorted(refetched)
    assert {a.path for a in generated.articles} <= third_hits
    assert sql(db, "SELECT status, articles_unchanged FROM crawl_runs ORDER BY id")[1:] == [
        ("finished", 0),
        ("finished", len(generated.articles)),
    ]


def test_a_jobdir_holding_the_unfinished_crawl_of_another_site_is_refused(generated, tmp_path):
    # The other site's crawl took the state for its own: the first site's queued requests went out
    # without their --resolve (or were dropped as off-site), and the state was marked finished.
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    jobdir = tmp_path / "job"
    with SiteServer(generated.root) as server:
        resolve = {GENERATED_HOST: server.base_url}
        first = crawl_stopped_after(db, jobdir, resolve, articles=5)
        assert first.returncode == 0, first.output[-3000:]
        server.hits.clear()
        other = crawl(
            "https://autre.test/", db, "--jobdir", str(jobdir), resolve={"autre.test": server.base_url}
        )
        assert server.hits == []
        resumed = crawl(f"https://{GENERATED_HOST}/", db, "--jobdir", str(jobdir), resolve=resolve)
    assert_clean(other)
    assert other.returncode == 1
    assert other.stderr.strip().splitlines() == [
        f"Error: --jobdir {jobdir} holds the unfinished crawl of https://{GENERATED_HOST}/: resume it with "
        "that target, or empty the directory (or give another) to crawl https://autre.test/"
    ]
    assert resumed.returncode == 0, resumed.output[-3000:]
    check_archive_matches(db, generated)  # nothing of the first crawl's state was lost
    assert sql(db, "SELECT status FROM crawl_runs ORDER BY id") == [("interrupted",), ("finished",)]


def test_ctrl_c_stops_at_once_and_jobdir_fetches_what_was_waiting(generated, tmp_path):
    # A polite crawl takes CONCURRENT_REQUESTS requests from its queue and sends them one per download
    # delay: the first Ctrl-C waited for all of them (~16 s here, minutes with AutoThrottle's delays).
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    jobdir = tmp_path / "job"
    polite = (
        "-s",
        "DOWNLOAD_DELAY=1",
        "-s",
        "CONCURRENT_REQUESTS=16",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    )
    with SiteServer(generated.root) as server:
        resolve = {GENERATED_HOST: server.base_url}
        process = start_crawl(
            f"https://{GENERATED_HOST}/", db, "--jobdir", str(jobdir), *polite, resolve=resolve
        )
        try:
            # the sitemaps are read: the downloader holds a queue of articles waiting for their turn
            wait_for(lambda: sum(hit.startswith("/20") for hit in server.hits) >= 2)
            stdout, stderr, stopped_after = interrupt(process)
        finally:
            process.kill()
        assert process.returncode == 130, stderr[-3000:]
        assert f"rerun with --jobdir {jobdir} to resume" in stdout + stderr
        assert stopped_after < 8, f"{stopped_after:.1f} s to stop"
        first_hits = list(server.hits)
        server.hits.clear()
        second = crawl(f"https://{GENERATED_HOST}/", db, "--jobdir", str(jobdir), resolve=resolve)
        second_hits = list(server.hits)
    assert second.returncode == 0, second.output[-3000:]
    check_archive_matches(db, generated)  # the requests put back were fetched by the second run
    refetched = {hit for hit in second_hits if hit != "/robots.txt"} & set(first_hits)
    assert not refetched, sorted(refetched)
    assert sql(db, "SELECT status FROM crawl_runs ORDER BY id") == [("interrupted",), ("finished",)]


def test_a_jobdir_left_by_a_killed_crawl_starts_anew_instead_of_hanging(tmp_path):
    """kill -9 leaves Scrapy's job state half-written (queue files whose header never reached the disk,
    an empty seen-list): the next run with it hung for good, holding the site's lock. It starts anew."""
    site = generate_site(tmp_path / "www", articles=12, now=NOW, sitemap=False, comments_per_page=6)
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    jobdir = tmp_path / "job"
    gate = threading.Event()
    held = site.articles[2].path  # requested once the home page queued its pagination and categories

    def held_article(context):
        gate.wait(30)
        context.serve_file()

    with SiteServer(site.root, routes={held: held_article}) as server:
        killed = start_crawl(
            f"https://{GENERATED_HOST}/",
            db,
            "--jobdir",
            str(jobdir),
            "-s",
            "CONCURRENT_REQUESTS=1",
            "-s",
            "DOWNLOAD_TIMEOUT=30",
            resolve={GENERATED_HOST: server.base_url},
        )
        try:
            wait_for(lambda: held in server.hits, "the crawl to ask for the held article")
        finally:
            killed.kill()
            killed.communicate(timeout=30)
        gate.set()
        assert (jobdir / "requests.queue").is_dir()  # the state it left

        run = crawl(
            f"https://{GENERATED_HOST}/",
            db,
            "--jobdir",
            str(jobdir),
            resolve={GENERATED_HOST: server.base_url},
            timeout=40,
        )

    assert_clean(run)
    assert run.returncode == 0, run.output[-3000:]
    assert (
        f"WARNING the crawl state in {jobdir} was left half-written by a run killed or forced to stop: starting the crawl anew"
        in run.stderr
    )
    check_archive_matches(db, site)
    assert sql(db, "SELECT status FROM crawl_runs ORDER BY id") == [("failed",), ("finished",)]
    assert sorted(path.name for path in jobdir.glob("newscrawl.*")) == [
        "newscrawl.finished",
        "newscrawl.lock",
        "newscrawl.target",
    ]


def test_a_jobdir_whose_state_cannot_be_read_is_an_error_not_an_interrupt(tmp_path):
    # Scrapy failed to open the spider, closed it as "shutdown": tracebacks, then "interrupted; rerun
    # with --jobdir DIR to resume" and exit 130, the same at every rerun.
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    jobdir = tmp_path / "job"
    (jobdir / "requests.queue").mkdir(parents=True)
    (jobdir / "requests.queue" / "active.json").write_text("{not json")
    (jobdir / "requests.seen").write_text("")
    run = crawl(f"https://{GENERATED_HOST}/", db, "--jobdir", str(jobdir))
    assert run.returncode == 1, run.output[-3000:]
    assert "interrupted" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: the crawl could not start: JSONDecodeError: "), last
    assert last.endswith(f"(a damaged crawl state in {jobdir}? empty it to start over)"), last


def test_incremental_revisits_recent_articles_for_new_comments(tmp_path):
    site = generate_site(tmp_path / "www", articles=12, now=NOW, days=30, comments_per_page=50)
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    recent = site.articles[0]
    old = site.articles[-1]
    assert NOW - recent.published < timedelta(days=2) and NOW - old.published > timedelta(days=14)
    with SiteServer(site.root) as server:
        resolve = {GENERATED_HOST: server.base_url}
        assert crawl(f"https://{GENERATED_HOST}/", db, resolve=resolve).returncode == 0
        # A reader comments on the newest article; its sitemap lastmod stays the same (WordPress does that).
        page = site.root / recent.path.lstrip("/") / "index.html"
        html = page.read_text(encoding="utf-8")
        new_comment = (
            '<li id="comment-99999" class="comment"><article id="div-comment-99999" class="comment-body">'
            '<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">Nouveau</b></div>'
            f'<div class="comment-metadata"><time datetime="{NOW.isoformat()}">aujourd’hui</time></div></footer>'
            '<div class="comment-content"><p>Commentaire posté après le premier passage du robot.</p></div>'
            "</article></li>"
        )
        if '<ol class="comment-list">' in html:
            html = html.replace('<ol class="comment-list">', '<ol class="comment-list">' + new_comment, 1)
        else:
            html = html.replace(
                "</main>",
                f'<div id="comments" class="comments-area"><ol class="comment-list">{new_comment}</ol></div></main>',
            )
        page.write_text(html, encoding="utf-8")
        server.answers.clear()
        # Revisit what is younger than 2 days at once, what is younger than 14 days daily.
        run = crawl(
            f"https://{GENERATED_HOST}/",
            db,
            "--incremental",
            "-s",
            "NEWSCRAWL_REVISIT_POLICY=2d:0m,14d:1d",
            resolve=resolve,
        )
        answers = list(server.answers)
    assert run.returncode == 0, run.output[-3000:]
    ids = [c["id"] for c in archive_records(db)[recent.url]["comments"]]
    assert "99999" in ids
    # The old article is not re-read: skipped (sitemap lastmod) or answered 304 (found through a listing).
    assert {status for path, status in answers if path == old.path} <= {304}
    assert (recent.path, 200) in answers
    (row,) = sql(db, "SELECT articles_new, articles_updated, comments_added FROM crawl_runs WHERE id = 2")
    assert row == (0, 0, 1)


def test_incremental_takes_a_page_fetched_again_byte_for_byte_as_unchanged(tmp_path):
    # A CDN that gives the same bytes a new ETag at each answer never says 304: every article was
    # read again, and its comment pages fetched again, at each incremental run.
    from newscrawl.testing.server import Page, RequestContext

    host = "cdn.test"
    articles = {
        "/art/1/": article_html(
            "Essai long",
            comments=comment_block(10, 3, page=1, pages=2, url=f"https://{host}/art/1/", declared=6),
        ),
        "/art/2/": article_html("Essai court"),
    }
    teasers = "".join(f'<article><h2><a href="{path}">T</a></h2></article>' for path in articles)
    pages = {
        "/robots.txt": Page(b"User-agent: *\n", "text/plain"),
        "/": Page(
            f"<html><head><title>Actu</title></head><body><main>{teasers}</main></body></html>".encode()
        ),
        "/art/1/comment-page-2/": Page(
            article_html(
                "Essai long",
                comments=comment_block(13, 3, page=2, pages=2, url=f"https://{host}/art/1/", declared=6),
            ).encode()
        ),
    }

    def fresh_etag(html: str):
        def answer(context: RequestContext) -> None:
            context.send(200, html, headers={"ETag": f'"{context.count}"'})

        return answer

    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    routes = {path: fresh_etag(html) for path, html in articles.items()}
    with SiteServer(pages=pages, routes=routes) as server:
        resolve = {host: server.base_url}
        assert crawl(f"https://{host}/", db, resolve=resolve).returncode == 0
        assert len(archive_records(db)[f"https://{host}/art/1/"]["comments"]) == 6
        server.answers.clear()
        run = crawl(f"https://{host}/", db, "--incremental", resolve=resolve)
        answers = list(server.answers)
    assert run.returncode == 0, run.output[-3000:]
    assert {("/art/1/", 200), ("/art/2/", 200)} <= set(answers)
    assert "/art/1/comment-page-2/" not in [path for path, _ in answers]
    assert sql(
        db,
        "SELECT articles_new, articles_updated, articles_unchanged, captures_stored FROM crawl_runs WHERE id = 2",
    ) == [(0, 0, 2, 0)]
    assert sql(db, "SELECT count(*) FROM articles WHERE last_crawl_run_id = 2") == [(2,)]


def test_incremental_fetches_again_the_comment_pages_a_run_missed(tmp_path):
    # A comment page that failed (500 after its retries) was never fetched by later incremental runs:
    # the article answered 304, or came back byte for byte as archived, so its comments were lost
    # until a full run.
    from newscrawl.testing.server import Page, RequestContext

    host = "missed.test"
    validated, identical = f"https://{host}/art/1/", f"https://{host}/art/2/"

    def article(url: str, first_id: int, page: int) -> str:
        comments = comment_block(first_id + 3 * (page - 1), 3, page=page, pages=2, url=url, declared=6)
        return article_html(f"Essai {first_id}", comments=comments)

    pages = {
        "/robots.txt": Page(b"User-agent: *\n", "text/plain"),
        "/art/1/": Page(article(validated, 10, 1).encode()),  # ETag and Last-Modified: 304s
    }
    server_down = [True]
    listed = ["/art/1/", "/art/2/"]

    def home(context: RequestContext) -> None:
        teasers = "".join(f'<article><h2><a href="{path}">T</a></h2></article>' for path in listed)
        context.send(200, f"<html><head><title>Actu</title></head><body><main>{teasers}</main></body></html>")

    def comment_page(html: str):
        def answer(context: RequestContext) -> None:
            context.send(500 if server_down[0] else 200, html)

        return answer

    def fresh_etag(context: RequestContext) -> None:
        context.send(200, article(identical, 20, 1), headers={"ETag": f'"{context.count}"'})

    routes = {
        "/": home,
        "/art/1/comment-page-2/": comment_page(article(validated, 10, 2)),
        "/art/2/comment-page-2/": comment_page(article(identical, 20, 2)),
        "/art/2/": fresh_etag,
    }
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"

    def comments() -> dict[str, int]:
        return {url: len(record["comments"]) for url, record in archive_records(db).items()}

    with SiteServer(pages=pages, routes=routes) as server:
        resolve = {host: server.base_url}
        first = crawl(f"https://{host}/", db, resolve=resolve)
        assert first.returncode == 0, first.output[-3000:]
        assert comments() == {validated: 3, identical: 3}
        server_down[0] = False
        listed.remove("/art/1/")  # whether or not the site still lists it
        server.answers.clear()
        second = crawl(f"https://{host}/", db, "--incremental", resolve=resolve)
        answers = list(server.answers)
        assert second.returncode == 0, second.output[-3000:]
        assert comments() == {validated: 6, identical: 6}
        # fetched plainly, not asked whether they changed
        assert {("/art/1/", 200), ("/art/2/", 200), ("/art/1/comment-page-2/", 200)} <= set(answers)
        assert sql(db, "SELECT count(*) FROM articles WHERE comment_pages_missed > 0") == [(0,)]
        listed.append("/art/1/")
        server.answers.clear()
        third = crawl(f"https://{host}/", db, "--incremental", resolve=resolve)
        answers = list(server.answers)
    assert third.returncode == 0, third.output[-3000:]
    # complete now: the next run asks again, and fetches no comment page
    assert ("/art/1/", 304) in answers
    assert not [path for path, _ in answers if "comment-page" in path]
    assert comments() == {validated: 6, identical: 6}


def test_max_articles_and_since(generated, tmp_path):
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(generated.root) as server:
        resolve = {GENERATED_HOST: server.base_url}
        limited = crawl(f"https://{GENERATED_HOST}/", db, "--max-articles", "5", resolve=resolve)
        assert limited.returncode == 0, limited.output[-3000:]
        assert sql(db, "SELECT count(*) FROM articles") == [(5,)]
        assert "done (max_articles)" in limited.stderr
        cutoff = NOW - timedelta(days=10)
        db2 = f"sqlite:///{tmp_path / 'since.sqlite'}"
        since = crawl(
            f"https://{GENERATED_HOST}/",
            db2,
            "--since",
            cutoff.strftime("%Y-%m-%dT%H:%M:%S"),
            resolve=resolve,
        )
        assert since.returncode == 0, since.output[-3000:]
    expected = {a.url for a in generated.articles if a.published >= cutoff}
    assert set(archive_records(db2)) == expected
    # the summary says what --since left out (it said "0 new" without a reason), each article once
    older = len(generated.articles) - len(expected)
    assert f" new, 0 updated, 0 unchanged, {older} older than --since |" in since.stderr, since.stderr[-1000:]


def test_pages_read_in_worker_processes_give_the_same_archive(generated, tmp_path):
    run, db = crawl_generated(generated, tmp_path, "NEWSCRAWL_READ_WORKERS=2")
    assert_clean(run)
    assert run.returncode == 0, run.output[-3000:]
    check_archive_matches(db, generated)


def test_a_listing_paged_by_plain_next_links_is_followed_to_its_end(tmp_path):
    # "/actu/N" pages linked by a bare "Suivant »": 9 of the 36 articles were found (two hops of pages).
    from newscrawl.testing.server import Page
    from tests.crawl.helpers import article_html

    host = "pager.test"
    pages = {"/robots.txt": Page(b"User-agent: *\n", "text/plain")}
    for n in range(1, 13):
        teasers = "".join(f'<article><h2><a href="/art/{n}-{k}/">T</a></h2></article>' for k in range(3))
        pager = f'<p><a href="/actu/{n + 1}">Suivant »</a></p>' if n < 12 else ""
        html = f"<html><head><title>Actu {n}</title></head><body><main>{teasers}{pager}</main></body></html>"
        pages["/actu/" if n == 1 else f"/actu/{n}"] = Page(html.encode(), "text/html; charset=utf-8")
        for k in range(3):
            pages[f"/art/{n}-{k}/"] = Page(
                article_html(f"Article {n}-{k}").encode(), "text/html; charset=utf-8"
            )
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(pages=pages) as server:
        run = crawl(f"https://{host}/actu/", db, resolve={host: server.base_url})
    assert run.returncode == 0, run.output[-3000:]
    assert sql(db, "SELECT count(*) FROM articles") == [(36,)]

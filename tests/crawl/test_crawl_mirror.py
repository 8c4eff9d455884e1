"""End to end: crawl a copy of the reference mirror (blog-auto-info.com) served on 127.0.0.1."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from newscrawl.demo_site import demo_site_dir
from newscrawl.testing.server import SiteServer
from tests.crawl.helpers import (
    FAST,
    FLAGSHIP,
    MIRROR_HOST,
    archive_records,
    assert_clean,
    assert_refused_as_no_article,
    crawl,
    expected_record,
    newscrawl,
    sql,
)

SLUGS = (
    "renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques",
    "les-prix-des-tesla-model-s-x-et-3-viennent-de-chuter",
    "voici-les-suv-electriques-qui-vous-meneront-le-plus-loin-sur-autoroute",
    "voici-pourquoi-lalliance-entre-apple-et-rivian-pourrait-redefinir-lavenir-de-la-mobilite",
)
ARTICLE_URLS = {f"https://{MIRROR_HOST}/{slug}/" for slug in SLUGS}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One full crawl of the mirror (with --warc), shared by the read-only checks below."""
    tmp = tmp_path_factory.mktemp("mirror")
    root = tmp / "www"
    shutil.copytree(demo_site_dir(), root)
    db = f"sqlite:///{tmp / 'archive.sqlite'}"
    with SiteServer(root) as server:
        run = crawl("blog-auto-info", db, "--warc", str(tmp / "warc"), resolve={MIRROR_HOST: server.base_url})
        hits = list(server.hits)
    return {"run": run, "db": db, "hits": hits, "tmp": tmp}


def _only_expected_keys(actual, expected):
    """The archived value reduced to what the expected record states (it omits some optional keys)."""
    if isinstance(expected, dict):
        return {key: _only_expected_keys(actual.get(key), value) for key, value in expected.items()}
    if isinstance(expected, list) and isinstance(actual, list):
        return [_only_expected_keys(a, e) for a, e in zip(actual, expected, strict=False)] + actual[
            len(expected) :
        ]
    return actual


def test_crawl_succeeds_and_reports(crawled):
    run = crawled["run"]
    assert_clean(run)
    assert run.returncode == 0, run.output[-3000:]
    summary = [line for line in run.stderr.splitlines() if line.startswith("done (finished)")]
    assert summary, run.stderr[-2000:]
    assert "articles 4 new, 0 updated, 0 unchanged" in summary[0]
    assert "comments 47 (+47)" in summary[0]
    # The footer's legal-notice link 404s on the mirror: one clear line, nothing else breaks. It was
    # "article gone" and "errors 1" (the profile's URL rule takes the page for an article), though it was
    # never archived nor an article: a broken link of the site, counted apart, is no error of the crawl.
    assert re.search(
        r"WARNING broken link \(HTTP 404 Not Found\): https://blog-auto-info.com/mentions-legales/ "
        r"\(linked from https://blog-auto-info.com/",
        run.stderr,
    )
    assert "article gone" not in run.stderr
    assert summary[0].endswith("| 1 broken link | errors 0"), summary[0]
    (stats,) = sql(crawled["db"], "SELECT stats FROM crawl_runs")[0]
    assert json.loads(stats)["newscrawl/broken_links"] == 1
    assert json.loads(stats)["newscrawl/errors"] == 0


def test_robots_txt_is_fetched_once_before_anything_else(crawled):
    # It was fetched twice: by Scrapy's robots.txt middleware for its rules, by the spider for its
    # Sitemap: lines (which the crawl follows: the sitemap index is fetched).
    assert crawled["hits"].count("/robots.txt") == 1
    assert crawled["hits"][0] == "/robots.txt"
    assert "/sitemap_index.xml" in crawled["hits"]


def test_every_article_archived_once(crawled):
    records = archive_records(crawled["db"])
    assert set(records) == ARTICLE_URLS
    assert sql(crawled["db"], "SELECT count(*) FROM articles") == [(4,)]
    assert sql(crawled["db"], "SELECT count(*) FROM article_versions") == [(4,)]


def test_records_match_the_expected_records(crawled):
    records = archive_records(crawled["db"])
    for slug in SLUGS:
        expected = expected_record(slug)
        assert _only_expected_keys(records[expected["url"]], expected) == expected, slug


def test_flagship_has_all_43_comments_with_their_threading(crawled):
    flagship = archive_records(crawled["db"])[FLAGSHIP]
    expected = expected_record(SLUGS[0])["comments"]
    assert flagship["comment_count"] == 43
    assert [(c["id"], c["parent_id"]) for c in flagship["comments"]] == [
        (c["id"], c["parent_id"]) for c in expected
    ]
    assert len({c["id"] for c in flagship["comments"]}) == 43
    replies = sql(
        crawled["db"],
        "SELECT c.site_comment_id, p.site_comment_id FROM comments c JOIN comments p ON p.id = c.parent_id "
        "ORDER BY c.site_comment_id",
    )
    assert ("5039", "5029") in replies and ("5029", "5023") in replies  # a reply to a reply
    assert len([r for r in replies if r[0] >= "5000"]) == 6


def test_flagship_related_links_resolve_to_the_archived_targets(crawled):
    rows = sql(
        crawled["db"],
        "SELECT link_url, target_url FROM v_related_links WHERE source_url = '"
        + FLAGSHIP
        + "' ORDER BY position",
    )
    assert len(rows) == 3
    assert all(link == target for link, target in rows), rows
    assert {target for _, target in rows} == ARTICLE_URLS - {FLAGSHIP}


def test_every_article_and_comment_page_kept_as_a_capture(crawled):
    urls = {row[0] for row in sql(crawled["db"], "SELECT url FROM raw_captures")}
    comment_pages = {f"{FLAGSHIP}comment-page-{n}/" for n in (2, 3, 4)}
    assert urls == ARTICLE_URLS | comment_pages
    # Fetched once each (no page twice) and under the real host name.
    article_hits = [hit for hit in crawled["hits"] if hit.rstrip("/").split("/")[-1] in SLUGS]
    assert sorted(article_hits) == sorted({hit for hit in article_hits})


def test_crawl_run_recorded(crawled):
    (row,) = sql(
        crawled["db"],
        "SELECT name, status, articles_new, comments_added, captures_stored, finished_at IS NOT NULL FROM crawl_runs",
    )
    assert row == ("blog-auto-info", "finished", 4, 47, 7, 1)
    (settings,) = sql(crawled["db"], "SELECT settings FROM crawl_runs")[0]
    assert '"ROBOTSTXT_OBEY": true' in settings and '"USER_AGENT": "newscrawl/' in settings
    (stats,) = sql(crawled["db"], "SELECT stats FROM crawl_runs")[0]
    assert '"finish_reason": "finished"' in stats


def test_warc_holds_everything_fetched_under_the_real_urls(crawled):
    from warcio.archiveiterator import ArchiveIterator

    (warc,) = list((crawled["tmp"] / "warc").glob("*.warc.gz"))
    responses = {}
    requests = 0
    with warc.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "response":
                responses[record.rec_headers.get_header("WARC-Target-URI")] = (
                    record.http_headers.get_statuscode()
                )
            requests += record.rec_type == "request"
    assert responses[FLAGSHIP] == "200"
    assert responses[f"{FLAGSHIP}comment-page-4/"] == "200"
    assert responses["https://blog-auto-info.com/robots.txt"] == "200"
    assert responses["https://blog-auto-info.com/mentions-legales/"] == "404"
    assert all(url.startswith("https://blog-auto-info.com/") for url in responses)
    assert requests >= len(responses)


def _add_comment_page_5(root: Path) -> None:
    """The site gets three new comments on a new fifth comment page (one replies to another)."""
    article = root / "renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques"
    page4 = (article / "comment-page-4" / "index.html").read_text(encoding="utf-8")
    new_comments = (
        '<ol class="comment-list"><li id="comment-5060" class="comment even depth-1">'
        '<article id="div-comment-5060" class="comment-body"><footer class="comment-meta">'
        '<div class="comment-author vcard"><b class="fn">Yann</b> <span class="says">dit :</span></div>'
        '<div class="comment-metadata"><a href="#comment-5060"><time datetime="2024-05-04T10:00:00+02:00">'
        '4 mai 2024 à 10 h 00 min</time></a></div></footer><div class="comment-content"><p>Je trouve '
        "cette alliance vraiment intéressante pour la suite.</p></div></article>"
        '<ol class="children"><li id="comment-5061" class="comment odd depth-2">'
        '<article id="div-comment-5061" class="comment-body"><footer class="comment-meta">'
        '<div class="comment-author vcard"><b class="fn">Zoé</b> <span class="says">dit :</span></div>'
        '<div class="comment-metadata"><a href="#comment-5061"><time datetime="2024-05-04T11:00:00+02:00">'
        '4 mai 2024 à 11 h 00 min</time></a></div></footer><div class="comment-content"><p>Et une réponse '
        "à ce nouveau commentaire, sur la même page.</p></div></article></li></ol></li>"
        '<li id="comment-5062" class="comment even depth-1">'
        '<article id="div-comment-5062" class="comment-body"><footer class="comment-meta">'
        '<div class="comment-author vcard"><b class="fn">Alix</b> <span class="says">dit :</span></div>'
        '<div class="comment-metadata"><a href="#comment-5062"><time datetime="2024-05-04T12:00:00+02:00">'
        '4 mai 2024 à 12 h 00 min</time></a></div></footer><div class="comment-content"><p>Troisième message '
        "de la nouvelle page.</p></div></article></li></ol>"
    )
    page5 = re.sub(r'<ol class="comment-list">.*?</li>\s*</ol>', new_comments, page4, count=1, flags=re.S)
    page5 = page5.replace("comment-page-3/#comments", "comment-page-4/#comments")
    (article / "comment-page-5").mkdir()
    (article / "comment-page-5" / "index.html").write_text(
        page5.replace("43 avis", "46 avis"), encoding="utf-8"
    )
    next_link = (
        '<div class="nav-next"><a href="https://blog-auto-info.com/renault-et-xiaomi-redefinissent-lavenir-des-'
        'voitures-electriques/comment-page-5/#comments">Commentaires plus récents</a></div></div></nav>'
    )
    page4 = page4.replace("</div></div></nav>", "</div>" + next_link, 1)
    (article / "comment-page-4" / "index.html").write_text(
        page4.replace("43 avis", "46 avis"), encoding="utf-8"
    )
    for page in [article / "index.html", *article.glob("comment-page-[23]/index.html")]:
        page.write_text(page.read_text(encoding="utf-8").replace("43 avis", "46 avis"), encoding="utf-8")
    sitemap = root / "post-sitemap.xml"
    sitemap.write_text(
        sitemap.read_text(encoding="utf-8").replace("2024-04-30T09:12:00+02:00", "2030-05-04T11:00:00+02:00"),
        encoding="utf-8",
    )


def test_incremental_reruns_add_nothing_then_pick_up_a_new_comment_page(mirror, db_url):
    resolve = {MIRROR_HOST: mirror.base_url}
    first = crawl("blog-auto-info", db_url, resolve=resolve)
    assert first.returncode == 0, first.output[-3000:]
    before = sql(
        db_url,
        "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM article_versions), "
        "(SELECT count(*) FROM comments), (SELECT count(*) FROM raw_captures)",
    )

    mirror.hits.clear()
    second = crawl("blog-auto-info", db_url, "--incremental", resolve=resolve)
    assert_clean(second)
    assert second.returncode == 0, second.output[-3000:]
    after = sql(
        db_url,
        "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM article_versions), "
        "(SELECT count(*) FROM comments), (SELECT count(*) FROM raw_captures)",
    )
    assert after == before == [(4, 4, 47, 7)]
    run = sql(
        db_url,
        "SELECT articles_new, articles_updated, articles_unchanged, comments_added, captures_stored "
        "FROM crawl_runs WHERE id = 2",
    )
    assert run[0][:2] == (0, 0) and run[0][3:] == (0, 0)
    assert "done (finished)" in second.stderr and "articles 0 new, 0 updated" in second.stderr
    # Nothing was re-read: no comment page fetched, each article either skipped or answered 304.
    assert not [hit for hit in mirror.hits if "comment-page" in hit]

    _add_comment_page_5(mirror.root)
    third = crawl("blog-auto-info", db_url, "--incremental", resolve=resolve)
    assert third.returncode == 0, third.output[-3000:]
    flagship = archive_records(db_url)[FLAGSHIP]
    assert flagship["comment_count"] == 46
    assert [(c["id"], c["parent_id"]) for c in flagship["comments"][-4:]] == [
        ("5053", None),
        ("5060", None),
        ("5061", "5060"),
        ("5062", None),
    ]
    assert len(flagship["comments"]) == 46
    # Comments never make versions; the new page is kept as a capture.
    assert sql(db_url, "SELECT count(*) FROM article_versions") == [(4,)]
    assert (f"{FLAGSHIP}comment-page-5/",) in sql(db_url, "SELECT url FROM raw_captures")


def test_reextract_rebuilds_from_captures_offline_without_new_versions(mirror, db_url):
    first = crawl("blog-auto-info", db_url, resolve={MIRROR_HOST: mirror.base_url})
    assert first.returncode == 0, first.output[-3000:]
    records = archive_records(db_url)
    mirror.stop()  # offline from here
    run = newscrawl("reextract", "--db", db_url, "--site", "blog-auto-info")
    assert_clean(run)
    assert run.returncode == 0, run.output
    assert "4 articles re-extracted: 0 changed (new version), 4 unchanged, 0 failed" in run.stdout
    assert archive_records(db_url) == records
    assert sql(db_url, "SELECT count(*) FROM article_versions") == [(4,)]


def test_reextract_makes_a_version_only_where_the_output_changed(mirror, db_url):
    crawl("blog-auto-info", db_url, resolve={MIRROR_HOST: mirror.base_url})
    # What an older extractor would have stored for one article: another title.
    from sqlalchemy import text

    from storage import Archive

    with Archive(db_url) as archive, archive.session() as session:
        session.execute(
            text("UPDATE article_versions SET title = 'old title', content_hash = 'x' WHERE id = 1")
        )
        session.execute(text("UPDATE articles SET record_fingerprint = NULL WHERE id = 1"))
    run = newscrawl("reextract", "--db", db_url, "-q")
    assert run.returncode == 0, run.output
    assert "4 articles re-extracted: 1 changed (new version), 3 unchanged" in run.stdout
    assert sql(db_url, "SELECT article_id, version_number FROM article_versions ORDER BY id")[-1] == (1, 2)
    assert sql(db_url, "SELECT count(*) FROM article_versions") == [(5,)]


def test_scrape_prints_one_record_with_all_comment_pages_and_writes_nothing(mirror, tmp_path):
    db = f"sqlite:///{tmp_path / 'never.sqlite'}"
    run = newscrawl("scrape", FLAGSHIP, "--db", db, *FAST, "--resolve", f"{MIRROR_HOST}={mirror.base_url}")
    assert run.returncode == 0, run.output[-3000:]
    import json

    record = json.loads(run.stdout)
    assert record["url"] == FLAGSHIP
    assert len(record["comments"]) == 43
    assert not (tmp_path / "never.sqlite").exists()


def test_scrape_of_a_further_comment_page_gives_the_whole_article(mirror, tmp_path):
    # It was refused by the profile's URL rules, and without them it missed the comments of the
    # article's own page (31 of 43).
    resolve = ("--resolve", f"{MIRROR_HOST}={mirror.base_url}")
    run = newscrawl("scrape", f"{FLAGSHIP}comment-page-3/", *FAST, *resolve)
    assert run.returncode == 0, run.output[-3000:]
    record = json.loads(run.stdout)
    assert record["url"] == f"{FLAGSHIP}comment-page-3/"
    assert record["canonical_url"] == FLAGSHIP
    whole = json.loads(newscrawl("scrape", FLAGSHIP, *FAST, *resolve).stdout)
    assert record["comments"] == whole["comments"] and len(record["comments"]) == 43


def test_scrape_save_archives_it(mirror, db_url):
    run = newscrawl(
        "scrape", FLAGSHIP, "--save", "--db", db_url, *FAST, "--resolve", f"{MIRROR_HOST}={mirror.base_url}"
    )
    assert run.returncode == 0, run.output[-3000:]
    assert "saved: new" in run.stderr
    assert sql(db_url, "SELECT count(*) FROM comments") == [(43,)]


def test_scrape_save_into_a_locked_archive_says_it_was_not_archived(mirror, tmp_path):
    path = tmp_path / "archive.sqlite"
    resolve = ("--resolve", f"{MIRROR_HOST}={mirror.base_url}")
    assert newscrawl("scrape", FLAGSHIP, "--save", "--db", str(path), *FAST, *resolve).returncode == 0
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # another process writes, and keeps at it
    try:
        run = newscrawl("scrape", FLAGSHIP, "--save", "--db", str(path), *FAST, *resolve)
    finally:
        locker.rollback()
        locker.close()
    assert_clean(run)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    # It said "no article record", the article having been read.
    assert last.startswith(f"Error: {FLAGSHIP}: not archived: ") and "locked" in last, run.stderr


def test_verbosity_shows_each_level_and_nothing_below_it(mirror, db_url):
    # The crawl filters log records where they are made (its loggers), not only at the handler.
    resolve = ("--resolve", f"{MIRROR_HOST}={mirror.base_url}")
    debug = newscrawl("scrape", FLAGSHIP, "--save", "--db", db_url, *FAST, *resolve, "-vv")
    assert debug.returncode == 0, debug.output[-3000:]
    assert " DEBUG Crawled (200)" in debug.stderr
    assert f" INFO archived {FLAGSHIP} (new" in debug.stderr
    info = newscrawl("scrape", FLAGSHIP, "--save", "--db", db_url, *FAST, *resolve, "-v")
    assert info.returncode == 0, info.output[-3000:]
    assert f" INFO archived {FLAGSHIP} (unchanged" in info.stderr
    assert " DEBUG " not in info.stderr


def test_scrape_of_a_missing_page_is_one_error_line(mirror, db_url):
    run = newscrawl(
        "scrape", "https://blog-auto-info.com/nope/", *FAST, "--resolve", f"{MIRROR_HOST}={mirror.base_url}"
    )
    assert_clean(run)
    assert run.returncode == 1
    # and no warning saying it first ("article gone (HTTP 404 Not Found): ...")
    assert run.stderr == "Error: https://blog-auto-info.com/nope/: HTTP 404 Not Found\n"


@pytest.mark.parametrize(
    ("url", "extra", "problem"),
    [
        (
            "https://blog-auto-info.com/",
            (),
            "the blog-auto-info profile's URL rules say so (--generic ignores them)",
        ),
        (
            "https://blog-auto-info.com/category/essais/",
            (),
            "the blog-auto-info profile's URL rules say so (--generic ignores them)",
        ),
        ("https://blog-auto-info.com/", ("--generic",), "the page is a listing (body class)"),
        ("https://blog-auto-info.com/category/essais/", ("--generic",), "the page is a listing (body class)"),
        ("https://blog-auto-info.com/feed/", (), "an RSS/Atom feed"),
        ("https://blog-auto-info.com/post-sitemap.xml", (), "a sitemap"),
    ],
)
def test_scrape_of_a_page_that_is_no_article_is_refused_and_saves_nothing(
    mirror, db_url, url, extra, problem
):
    # They were printed (and saved) as articles: the home page as "Blog Auto Info", the feed as its
    # first article.
    run = newscrawl(
        "scrape",
        url,
        *extra,
        "--save",
        "--db",
        db_url,
        *FAST,
        "--resolve",
        f"{MIRROR_HOST}={mirror.base_url}",
    )
    assert_refused_as_no_article(run, url, problem, db_url)


def test_demo_twice_duplicates_nothing(tmp_path):
    first = newscrawl("demo", cwd=tmp_path)
    assert_clean(first)
    assert first.returncode == 0, first.output[-3000:]
    assert "4 articles, 4 versions, 47 comments, 4/4 related links resolved" in first.stdout
    assert "$ newscrawl search" in first.stdout and "Renault et Xiaomi" in first.stdout
    assert (tmp_path / "newscrawl.sqlite").exists()
    second = newscrawl("demo", "--quiet", cwd=tmp_path)
    assert second.returncode == 0, second.output[-3000:]
    assert "4 articles, 4 versions, 47 comments" in second.stdout
    assert second.stdout.startswith("Archive: ")  # --quiet: nothing above the summary, not even a blank line
    assert "this run: 0 new, 0 updated, 4 unchanged articles; 0 comments added" in second.stdout


def test_demo_into_another_archive_shows_its_commands_with_it(tmp_path):
    # The commands were shown without --db (run with it): typed again, they read ./newscrawl.sqlite.
    run = newscrawl("demo", "--db", "my archive.sqlite", cwd=tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    assert "$ newscrawl search --db 'my archive.sqlite' \"xiaomi renault\" --limit 3" in run.stdout
    assert "More: newscrawl export --db 'my archive.sqlite' --format jsonl" in run.stdout
    assert not (tmp_path / "newscrawl.sqlite").exists()


LOG_RECORDS_BELOW_LEVEL = """
import json, logging, sys
from collections import Counter
from newscrawl.crawl import CrawlOptions, run_crawl

built = []
make_record = logging.Logger.makeRecord

def counting(self, name, level, *args, **kwargs):
    if level < logging.WARNING:
        built.append((name, level))
    return make_record(self, name, level, *args, **kwargs)

logging.Logger.makeRecord = counting
result = run_crawl(CrawlOptions(
    target=sys.argv[1], db=sys.argv[2], resolve=[sys.argv[3]], progress=False, log_level="WARNING",
    settings={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "NEWSCRAWL_READ_WORKERS": 0},
))
print(json.dumps({"reason": result.reason, "articles": result.stats.get("newscrawl/articles/new", 0),
                  "below": dict(Counter(name for name, _ in built))}))
"""


def test_a_quiet_crawl_builds_no_log_records_below_its_level(mirror, db_url):
    # Scrapy puts the root logger back to NOTSET when the crawl starts: every page's INFO and DEBUG
    # lines would be built for the handler to drop them.
    import subprocess
    import sys

    from tests.crawl.helpers import ROOT

    run = subprocess.run(
        [
            sys.executable,
            "-c",
            LOG_RECORDS_BELOW_LEVEL,
            f"https://{MIRROR_HOST}/",
            db_url,
            f"{MIRROR_HOST}={mirror.base_url}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    assert outcome["reason"] == "finished" and outcome["articles"] > 0
    # what is left is the start and end of the run (migrations, "crawl run N started" ...), not per page
    below = outcome["below"]
    assert below.get("newscrawl.pipelines", 0) <= 1, below
    assert not [name for name in below if name.startswith(("scrapy.core", "newscrawl.spiders"))], below


def test_autothrottle_sees_the_latency_of_resolved_hosts(mirror, db_url):
    # --resolve downloaded a copy of each request, whose meta got the download latency: AutoThrottle
    # never saw one, and kept its start delay for the whole crawl.
    run = crawl(
        "blog-auto-info",
        db_url,
        "-s",
        "AUTOTHROTTLE_ENABLED=true",
        "-s",
        "AUTOTHROTTLE_START_DELAY=0.2",
        "-s",
        "AUTOTHROTTLE_DEBUG=true",
        "-v",
        resolve={MIRROR_HOST: mirror.base_url},
    )
    assert run.returncode == 0, run.output[-3000:]
    # one a download: 18 (19 while robots.txt was fetched twice)
    assert len(re.findall(r"\| latency: *\d+ ms", run.stderr)) == 18, run.stderr[-3000:]

"""Sites without a profile laid out otherwise than the mirror and the generated WordPress site
(``tests/crawl/other_sites.py``): each article archived once with its title, author, date and every
comment page's comments threaded, nothing else, and a second ``--incremental`` run adds nothing."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from newscrawl.testing.server import Page, SiteServer
from tests.crawl.helpers import FAST, archive_records, assert_clean, crawl, newscrawl, sql
from tests.crawl.other_sites import (
    DRUPAL_BARE_HOST,
    DRUPAL_HOST,
    FEED_HOST,
    SITEMAP_HOST,
    SiteArticle,
    drupal_site_pages,
    write_pager_blog,
    write_sitemap_only_site,
    xml_base_feed_site_pages,
)

GUESSED_SITEMAPS = {"/sitemap.xml", "/wp-sitemap.xml"}
"""Tried when robots.txt names no sitemap (their 404 is no broken link)."""


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def check_archive(db: str, articles: list[SiteArticle], base: str = "") -> None:
    records = archive_records(db)
    assert set(records) == {base + a.url for a in articles}, "every article, nothing else"
    for article in articles:
        record = records[base + article.url]
        assert (record["title"], record["authors"]) == (article.title, [article.author])
        assert _instant(record["published_at"]) == _instant(article.published), article.url
        comments = [
            (c["id"], c["parent_id"], _instant(c["published_at"]), c["author"]) for c in record["comments"]
        ]
        expected = [(i, parent, _instant(at), author) for i, parent, at, author in article.comments]
        assert comments == expected, article.url
    assert sql(db, "SELECT count(*) FROM articles") == [(len(articles),)]


def crawl_twice(start: str, db: str, server: SiteServer, resolve: dict[str, str] | None = None) -> list[str]:
    """A crawl, then an incremental one that finds nothing new; neither meets an error or a broken link.
    Returns the paths the first crawl fetched."""
    first: list[str] = []
    for extra in ((), ("--incremental",)):
        run = crawl(start, db, *extra, resolve=resolve)
        first = first or list(server.hits)
        assert_clean(run)
        assert run.returncode == 0, run.output[-3000:]
        assert "errors 0" in run.stderr and "broken link" not in run.stderr, run.stderr[-3000:]
        missing = [path for path, status in server.answers if status == 404 and path not in GUESSED_SITEMAPS]
        assert not missing
    (second,) = sql(db, "SELECT articles_new, articles_updated, comments_added FROM crawl_runs WHERE id = 2")
    assert second == (0, 0, 0)
    return first


def test_drupal_site_found_through_its_atom_feed_under_a_base_href(tmp_path):
    # Relative links under <base href>, the bare host and www. both answering, a teaser linked with its
    # trailing slash and ?utm_ tags; comments as Drupal <article> blocks paged by ?page=N.
    pages, articles = drupal_site_pages()
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(pages=pages) as server:
        resolve = {DRUPAL_HOST: server.base_url, DRUPAL_BARE_HOST: server.base_url}
        fetched = crawl_twice(f"https://{DRUPAL_BARE_HOST}/", db, server, resolve)
    check_archive(db, articles)
    # the newest article is linked from the feed as bare-host /path and from the home page as www /path/:
    # one article to the archive, fetched once, and each of its comment pages once
    paths = tuple(urlsplit(a.url).path for a in articles)
    article_pages = Counter(path.replace("/?", "?").rstrip("/") for path in fetched if path.startswith(paths))
    assert set(article_pages.values()) == {1}, article_pages
    # the home page too, started on the bare host and linked on www. (rel=home): robots.txt alone is
    # fetched on both hosts (its rules are each host's)
    assert {path: n for path, n in Counter(fetched).items() if n > 1} == {"/robots.txt": 2}


@pytest.mark.parametrize("canonical", [True, False], ids=["canonical", "no-canonical"])
def test_scrape_of_a_drupal_comment_page_gives_the_whole_article(canonical):
    # Drupal pages an article's comments by ?page=N (from 0), the key listings page by too: the page tells,
    # its comment pager links to the other ?page=N of its own path. Scraped, ?page=1 gave its own comments;
    # a page declaring no canonical URL was filed under ?page=1, its first comments left out.
    pages, articles = drupal_site_pages(canonical=canonical)
    newest = articles[0]
    with SiteServer(pages=pages) as server:
        run = newscrawl(
            "scrape", newest.url + "?page=1", *FAST, "--resolve", f"{DRUPAL_HOST}={server.base_url}"
        )
    assert_clean(run)
    assert run.returncode == 0, run.output[-3000:]
    record = json.loads(run.stdout)
    assert record["canonical_url"] == newest.url
    assert [(c["id"], c["parent_id"]) for c in record["comments"]] == [
        (i, p) for i, p, _, _ in newest.comments
    ]


@pytest.mark.parametrize("canonical", [True, False], ids=["canonical", "no-canonical"])
@pytest.mark.parametrize("page", ["", "?page=1"], ids=["article", "comment-page"])
def test_scrape_on_the_bare_host_follows_the_comment_pager_to_www(canonical, page):
    # The site answers on both hosts and writes its links for www. (<base href>): read at the bare host,
    # the article's comment pager was taken for another article's links and its other pages left out.
    # Without a canonical URL, the pager's link to the article's own page on www. was fetched again.
    pages, articles = drupal_site_pages(canonical=canonical)
    newest = articles[0]
    bare = newest.url.replace(DRUPAL_HOST, DRUPAL_BARE_HOST)
    with SiteServer(pages=pages) as server:
        run = newscrawl(
            "scrape",
            bare + page,
            *FAST,
            "--resolve",
            f"{DRUPAL_HOST}={server.base_url}",
            "--resolve",
            f"{DRUPAL_BARE_HOST}={server.base_url}",
        )
        hits = [hit for hit in server.hits if hit != "/robots.txt"]
    assert_clean(run)
    assert run.returncode == 0, run.output[-3000:]
    record = json.loads(run.stdout)
    assert [(c["id"], c["parent_id"]) for c in record["comments"]] == [
        (i, p) for i, p, _, _ in newest.comments
    ]
    path = urlsplit(newest.url).path
    assert sorted(hits) == [path, path + "?page=1", path + "?page=2"]  # each page once, on either host


def test_site_found_only_through_its_gzipped_sitemap_index_and_news_sitemap(tmp_path):
    # Spanish WordPress, absolute URLs; the home page and the category are empty shells filled by a
    # script: robots.txt's sitemap_index.xml.gz (posts, pages, categories) and a Google News sitemap are
    # the only way to the articles. The static pages it lists (contact, legal notice) are no articles.
    articles = write_sitemap_only_site(tmp_path / "www")
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(tmp_path / "www") as server:
        crawl_twice(f"https://{SITEMAP_HOST}/", db, server, {SITEMAP_HOST: server.base_url})
    check_archive(db, articles)


def test_site_with_no_sitemap_nor_feed_is_crawled_through_its_listings(tmp_path):
    # A hand-made CMS served at its IP address: no sitemap, no feed, no og:type or JSON-LD; the home page
    # paged by ?page=N, the sections by ?p=N behind "Suivant ›" (the oldest articles only there), comments
    # in plain <div> blocks paged by ?cpage=N.
    articles = write_pager_blog(tmp_path / "www")
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(tmp_path / "www") as server:
        crawl_twice(server.url("/"), db, server)
        hits = set(server.hits)
    check_archive(db, articles, base=server.base_url)
    assert "/rubrique/essais/?p=3" in hits and "/admin/" not in hits


def test_feed_links_resolve_against_xml_base(tmp_path):
    # The entries' relative links were resolved against the feed's URL (/syndication/2024/essai-a/):
    # broken links, no article archived. XML Base: an element's xml:base, relative to its parent's.
    pages, articles = xml_base_feed_site_pages()
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(pages=pages) as server:
        crawl_twice(f"https://{FEED_HOST}/", db, server, {FEED_HOST: server.base_url})
    check_archive(db, articles)


def test_an_article_linked_by_its_node_path_and_its_alias_is_read_once(tmp_path):
    # Drupal answers an article at /node/N and at its alias, which only the page says (its canonical URL):
    # both links of one listing are requested before either is read, and both fetched. The second page
    # was read too and its comment pages fetched, to be merged into the same archived article.
    pages, articles = drupal_site_pages()
    alias = urlsplit(articles[0].url).path
    for suffix in ("", "?page=1", "?page=2"):  # the same pages, their comment pager on their own path
        page = pages[alias + suffix]
        pages["/node/5" + suffix] = Page(page.body.replace(f'href="{alias[1:]}'.encode(), b'href="node/5'))
    teasers = "".join(
        f'<article class="node node--view-mode-teaser"><h2><a href="{href}">{title}</a></h2></article>'
        for href, title in (("node/5", "La voiture de l'année"), (alias.lstrip("/"), "Scénic E-Tech"))
    )
    pages["/"] = Page(pages["/"].body.replace(b'<main role="main">', f'<main role="main">{teasers}'.encode()))
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(pages=pages) as server:
        # pages read here, one after the other: the second is read once the first is (worker processes
        # reading both at the same time would both read them)
        run = crawl(
            f"https://{DRUPAL_HOST}/",
            db,
            "-s",
            "NEWSCRAWL_READ_WORKERS=0",
            resolve={DRUPAL_HOST: server.base_url, DRUPAL_BARE_HOST: server.base_url},
        )
        hits = list(server.hits)
    assert_clean(run)
    assert run.returncode == 0, run.output[-3000:]
    assert {"/node/5", alias} <= set(hits)
    comment_pages = [hit for hit in hits if hit.startswith(("/node/5?", alias + "?"))]
    assert len(comment_pages) == 2, comment_pages  # ?page=1 and ?page=2, of one of the two
    check_archive(db, articles)

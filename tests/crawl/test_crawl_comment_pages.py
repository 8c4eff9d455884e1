"""Comment pages of sites without a profile, paged otherwise than the reference mirror."""

from __future__ import annotations

import json

from newscrawl.testing.server import Page, SiteServer
from tests.crawl.helpers import FAST, archive_records, article_html, assert_clean, crawl, newscrawl

HOST = "commentaires.test"
BASE = f"https://{HOST}"


def _comments(ids: list[int], *, older: str | None = None, newer: str | None = None) -> str:
    """A WordPress comment area with these comments (one hour apart by id) and its navigation."""
    items = "".join(
        f'<li id="comment-{i}" class="comment"><article id="div-comment-{i}" class="comment-body">'
        f'<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">Lecteur {i}</b></div>'
        f'<div class="comment-metadata"><time datetime="2024-04-30T{i:02d}:00:00+02:00">30 avril 2024</time>'
        f'</div></footer><div class="comment-content"><p>Avis numéro {i} sur cet essai.</p></div></article></li>'
        for i in ids
    )
    links = ""
    if older:
        links += f'<div class="nav-previous"><a href="{older}#comments">Commentaires plus anciens</a></div>'
    if newer:
        links += f'<div class="nav-next"><a href="{newer}#comments">Commentaires plus récents</a></div>'
    return (
        f'<div id="comments" class="comments-area"><ol class="comment-list">{items}</ol>'
        f'<nav class="navigation comment-navigation"><div class="nav-links">{links}</div></nav></div>'
    )


def _article(title: str, comments: str) -> Page:
    return Page(article_html(title, comments=comments).encode(), "text/html; charset=utf-8")


def crawl_site(pages: dict[str, Page], tmp_path, *extra: str) -> tuple[dict[str, list[str]], list[str], str]:
    """Crawl the site of these pages (it must go well): the comment ids of each archived article, by
    URL, the paths the server was asked for, and the crawl's log."""
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(pages=pages) as server:
        run = crawl(f"{BASE}/", db, *extra, resolve={HOST: server.base_url})
        hits = list(server.hits)
    assert_clean(run)
    assert run.returncode == 0, run.output[-3000:]
    records = archive_records(db)
    return {url: [c["id"] for c in record["comments"]] for url, record in records.items()}, hits, run.stderr


def test_newest_comment_page_first_keeps_the_oldest_comments(tmp_path):
    # WordPress "show the last comment page by default": the article's URL shows the newest comments,
    # comment-page-1/ the oldest. That link was taken for the article itself: its comments were lost.
    three, two, oldest = f"{BASE}/trois/", f"{BASE}/deux/", f"{BASE}/ancien/"
    pages = {
        "/robots.txt": Page(b"User-agent: *\n", "text/plain"),
        "/": Page(
            f'<html><body class="home"><h2><a href="{three}">Trois</a></h2><h2><a href="{two}">Deux</a></h2>'
            f'<h2><a href="{oldest}">Ancien</a></h2></body></html>'.encode(),
            "text/html; charset=utf-8",
        ),
        # three pages, previous / next links only: page 3 at the article's URL
        "/trois/": _article("Trois pages", _comments([7, 8, 9], older=f"{three}comment-page-2/")),
        "/trois/comment-page-2/": _article(
            "Trois pages", _comments([4, 5, 6], older=f"{three}comment-page-1/", newer=three)
        ),
        "/trois/comment-page-1/": _article(
            "Trois pages", _comments([1, 2, 3], newer=f"{three}comment-page-2/")
        ),
        # two pages: the article's page links to the first one
        "/deux/": _article("Deux pages", _comments([13, 14], older=f"{two}?cpage=1")),
        "/deux/?cpage=1": _article("Deux pages", _comments([11, 12], newer=two)),
        # the oldest comments first (the mirror's way): its page 2 links to comment-page-1/, which is the
        # article itself and is not fetched (it does not exist)
        "/ancien/": _article("Ancien ordre", _comments([1, 2], newer=f"{oldest}comment-page-2/")),
        "/ancien/comment-page-2/": _article(
            "Ancien ordre",
            _comments([3, 4], older=f"{oldest}comment-page-1/", newer=f"{oldest}comment-page-3/"),
        ),
        "/ancien/comment-page-3/": _article("Ancien ordre", _comments([5], older=f"{oldest}comment-page-2/")),
    }
    comments, hits, log = crawl_site(pages, tmp_path)
    assert comments == {
        three: [str(i) for i in range(1, 10)],
        two: ["11", "12", "13", "14"],
        oldest: ["1", "2", "3", "4", "5"],
    }
    assert "/ancien/comment-page-1/" not in hits
    assert "WARNING" not in log, log


def _newest_first(slug: str, pages: int) -> tuple[str, dict[str, Page]]:
    """An article with ``pages`` comment pages of three comments, the newest at its own URL, previous /
    next links only."""
    url = f"{BASE}/{slug}/"

    def page_url(number: int) -> str:
        return url if number == pages else f"{url}comment-page-{number}/"

    served = {}
    for number in range(1, pages + 1):
        ids = list(range(3 * number - 2, 3 * number + 1))
        older = page_url(number - 1) if number > 1 else None
        newer = page_url(number + 1) if number < pages else None
        served[page_url(number)[len(BASE) :]] = _article(slug, _comments(ids, older=older, newer=newer))
    return url, served


def test_scrape_of_a_comment_page_of_a_site_showing_the_newest_first(tmp_path):
    # scrape .../comment-page-2/: the article's own page holds the newest comments, comment-page-1/ the
    # oldest; they were merged first and never fetched (9 of 12 comments, out of order)
    url, pages = _newest_first("quatre", 4)
    pages["/robots.txt"] = Page(b"User-agent: *\n", "text/plain")
    for asked in (f"{url}comment-page-2/", f"{url}comment-page-1/"):
        with SiteServer(pages=pages) as server:
            run = newscrawl("scrape", asked, *FAST, "--resolve", f"{HOST}={server.base_url}")
        assert_clean(run)
        assert run.returncode == 0, run.output[-3000:]
        record = json.loads(run.stdout)
        assert [c["id"] for c in record["comments"]] == [str(i) for i in range(1, 13)], asked


def test_comment_order_of_an_incomplete_chain(tmp_path):
    # the comments say which page is the newest when the chain stops short: capped by
    # NEWSCRAWL_MAX_COMMENT_PAGES (newest-first), or a pager linking comment-page-1/ from the article's
    # page that holds the oldest comments, where that link fails
    capped, pages = _newest_first("plafond", 6)
    oldest = f"{BASE}/pager/"
    numbers = '<div class="nav-links">' + "".join(
        f'<a class="page-numbers" href="{oldest}comment-page-{n}/">{n}</a>' for n in (1, 2)
    )
    pages |= {
        "/robots.txt": Page(b"User-agent: *\n", "text/plain"),
        "/": Page(
            f'<html><body class="home"><h2><a href="{capped}">Plafond</a></h2>'
            f'<h2><a href="{oldest}">Pager</a></h2></body></html>'.encode()
        ),
        "/pager/": _article("Pager", _comments([1, 2]).replace('<div class="nav-links">', numbers)),
        "/pager/comment-page-2/": _article(
            "Pager", _comments([3, 4, 5]).replace('<div class="nav-links">', numbers)
        ),
        "/pager/comment-page-1/": Page(b"gone", "text/plain", status=404),
    }
    comments, _, _ = crawl_site(pages, tmp_path, "-s", "NEWSCRAWL_MAX_COMMENT_PAGES=2")
    assert comments == {capped: [str(i) for i in range(10, 19)], oldest: ["1", "2", "3", "4", "5"]}


def test_a_link_to_one_comment_of_the_first_page_is_no_comment_page(tmp_path):
    # WordPress before 4.4 (or a plugin) writes each comment's permalink, and the recent-comments widget
    # its links, as .../comment-page-1/#comment-N even on a site showing its oldest comments first: that
    # link is the article's own page, fetched again (and redirected back) for every article
    url = f"{BASE}/permaliens/"
    area = _comments([1, 2, 3]).replace(
        '<div class="comment-metadata">',
        f'<div class="comment-metadata"><a href="{url}comment-page-1/#comment-2">#</a>',
    )
    widget = (
        '<aside class="widget widget_recent_comments"><ul id="recentcomments"><li class="recentcomments">'
        f'Lecteur 3 dans <a href="{url}comment-page-1/#comment-3">Permaliens</a></li></ul></aside>'
    )
    pages = {
        "/robots.txt": Page(b"User-agent: *\n", "text/plain"),
        "/": Page(f'<html><body class="home"><h2><a href="{url}">Permaliens</a></h2></body></html>'.encode()),
        "/permaliens/": Page(
            article_html("Permaliens", comments=area).replace("</main>", f"</main>{widget}").encode()
        ),
        "/permaliens/comment-page-1/": Page(b"", status=301, headers={"Location": url}),
    }
    comments, hits, _ = crawl_site(pages, tmp_path)
    assert comments[url] == ["1", "2", "3"]
    assert "/permaliens/comment-page-1/" not in hits

"""Unit tests of newscrawl.discovery on saved XML/HTML (the mirror's own files and purpose-made ones)."""

from __future__ import annotations

import copy
import gzip
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from newscrawl.demo_site import demo_site_dir
from newscrawl.discovery import (
    RevisitPolicy,
    SiteScope,
    clean_url,
    comment_page_number,
    comment_pager_key,
    feed_links,
    holds_later_comments,
    is_crawlable,
    listing_links,
    merge_comment_pages,
    page_kind,
    pager_page_number,
    parse_feed,
    parse_since,
    parse_sitemap,
    registered_domain,
    robots_sitemaps,
    sniff_document,
    without_comment_page,
)
from newscrawl.extraction.document import parse_document

MIRROR = demo_site_dir()
SAVED = Path(__file__).resolve().parents[1] / "fixtures" / "crawl" / "discovery"
BASE = "https://blog-auto-info.com/"
SCOPE = SiteScope(("blog-auto-info.com",))
PARIS = timezone(timedelta(hours=2))


def root_of(relative: str, url: str):
    return parse_document((MIRROR / relative).read_bytes(), url).root


# ---------------------------------------------------------------- robots.txt and sitemaps


def test_robots_sitemap_lines_of_the_mirror():
    assert robots_sitemaps((MIRROR / "robots.txt").read_text(), BASE + "robots.txt") == [
        "https://blog-auto-info.com/sitemap_index.xml"
    ]


def test_robots_sitemap_lines_any_case_relative_deduplicated():
    text = (SAVED / "robots.txt").read_text()
    assert robots_sitemaps(text, "https://www.auto-journal.example/robots.txt") == [
        "https://www.auto-journal.example/sitemap_index.xml",
        "https://www.auto-journal.example/news-sitemap.xml",
        "https://cdn.other.example/sitemap.xml",
    ]


def test_sitemap_index_of_the_mirror():
    sitemap = parse_sitemap((MIRROR / "sitemap_index.xml").read_bytes(), BASE + "sitemap_index.xml")
    assert sitemap.kind == "index"
    assert [e.url for e in sitemap.entries] == [BASE + "post-sitemap.xml", BASE + "category-sitemap.xml"]
    assert sitemap.entries[0].lastmod == datetime(2024, 4, 29, 16, 5, tzinfo=PARIS)
    assert sitemap.entries[1].lastmod is None


def test_url_set_with_lastmod():
    sitemap = parse_sitemap((MIRROR / "post-sitemap.xml").read_bytes(), BASE + "post-sitemap.xml")
    assert sitemap.kind == "urlset"
    assert len(sitemap.entries) == 4
    first = sitemap.entries[0]
    assert first.url == BASE + "renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques/"
    assert first.lastmod == datetime(2024, 4, 30, 9, 12, tzinfo=PARIS)


def test_a_bare_date_lastmod_stands_for_the_whole_day():
    # Read as that day's midnight UTC, a page changed later on the day of a visit was taken for the one
    # the visit saw: --incremental skipped it then and on every later run.
    body = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://www.auto.example/a/</loc><lastmod>2024-05-01</lastmod></url>"
        b"<url><loc>https://www.auto.example/b/</loc><lastmod>2024-05-01T09:30:00+02:00</lastmod></url>"
        b"</urlset>"
    )
    bare, timed = parse_sitemap(body, "https://www.auto.example/sitemap.xml").entries
    assert bare.lastmod == datetime(2024, 5, 2, 12, tzinfo=UTC)  # the end of May 1st in UTC-12
    assert timed.lastmod == datetime(2024, 5, 1, 9, 30, tzinfo=PARIS)


def test_google_news_sitemap():
    sitemap = parse_sitemap(
        (SAVED / "news-sitemap.xml").read_bytes(), "https://www.auto-journal.example/news.xml"
    )
    assert [e.url for e in sitemap.entries] == [
        "https://www.auto-journal.example/actu/essai-renault-5-e-tech.html",
        "https://www.auto-journal.example/actu/prix-carburants-mai.html",
    ]
    first, second = sitemap.entries
    assert first.published == datetime(2024, 5, 2, 7, 30, tzinfo=PARIS)
    assert first.title == "Essai Renault 5 E-Tech : la citadine qui change tout"
    assert second.published == datetime(2024, 5, 1, tzinfo=UTC)
    assert second.lastmod is None


def test_gzipped_and_plain_text_sitemaps():
    data = gzip.compress((MIRROR / "post-sitemap.xml").read_bytes())
    assert len(parse_sitemap(data, BASE + "post-sitemap.xml.gz").entries) == 4
    text = b"https://a.example/one/\nhttps://a.example/two/\n\n"
    assert [e.url for e in parse_sitemap(text, "https://a.example/sitemap.txt").entries] == [
        "https://a.example/one/",
        "https://a.example/two/",
    ]


def test_not_sitemaps():
    assert parse_sitemap((MIRROR / "index.html").read_bytes(), BASE) is None
    assert parse_sitemap((MIRROR / "feed" / "index.xml").read_bytes(), BASE + "feed/") is None
    assert parse_sitemap(b"", BASE) is None
    assert parse_sitemap(b"\x1f\x8b not really gzip", BASE) is None


def test_entities_are_not_expanded():
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><urlset><url><loc>https://a.example/&a;</loc></url></urlset>'
    sitemap = parse_sitemap(bomb, "https://a.example/")
    assert sitemap is not None and all("aaaaaaaaaa" not in e.url for e in sitemap.entries)


# ---------------------------------------------------------------- feeds


def test_rss_feed_of_the_mirror():
    entries = parse_feed((MIRROR / "feed" / "index.xml").read_bytes(), BASE + "feed/")
    assert len(entries) == 4
    assert entries[0].url == BASE + "renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques/"
    assert entries[0].published == datetime(2024, 4, 29, 16, 5, tzinfo=PARIS)
    assert entries[0].title == "Renault et Xiaomi redéfinissent l’avenir des voitures électriques"


def test_atom_feed():
    entries = parse_feed((SAVED / "atom.xml").read_bytes(), "https://moto.example/atom.xml")
    assert [e.url for e in entries] == [
        "https://moto.example/2024/05/tenere/",
        "https://moto.example/2024/04/salon-milan/",
    ]
    assert entries[0].published == datetime(2024, 5, 3, 9, tzinfo=UTC)
    assert entries[1].published is None and entries[1].updated == datetime(2024, 4, 20, 18, tzinfo=PARIS)


def test_feed_links_resolve_against_xml_base():
    # XML Base (Atom requires it, RSS feeds use it too): an element's xml:base, relative to its parent's,
    # the feed's URL outermost; an absolute one replaces it
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:base="/blog/">
      <entry><link href="a/"/></entry>
      <entry xml:base="2024/"><link href="b/"/></entry>
      <entry xml:base="2024/"><link xml:base="../archives/" href="c/"/></entry>
      <entry xml:base="https://news.moto.example/"><link href="d/"/></entry>
    </feed>"""
    assert [e.url for e in parse_feed(atom, "https://moto.example/feeds/atom.xml")] == [
        "https://moto.example/blog/a/",
        "https://moto.example/blog/2024/b/",
        "https://moto.example/blog/archives/c/",
        "https://news.moto.example/d/",
    ]
    rss = b"""<rss version="2.0"><channel xml:base="https://moto.example/blog/"><item><link>a/</link></item>
      <item><guid>b/</guid></item></channel></rss>"""
    assert [e.url for e in parse_feed(rss, "https://moto.example/rss")] == [
        "https://moto.example/blog/a/",
        "https://moto.example/blog/b/",
    ]


def test_rss_1_feed():
    entries = parse_feed((SAVED / "rss1.rdf").read_bytes(), "https://old.example/rss")
    assert [e.url for e in entries] == ["https://old.example/news/1", "https://old.example/news/2"]
    assert entries[0].published == datetime(2024, 3, 1, 12, tzinfo=timezone(timedelta(hours=1)))


def test_not_a_feed():
    assert parse_feed((MIRROR / "post-sitemap.xml").read_bytes(), BASE) is None
    assert parse_feed(b"<html><body>no</body></html>", BASE) is None


def test_feed_links_skip_comment_feeds():
    article = root_of(
        "renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques/index.html",
        BASE + "renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques/",
    )
    assert feed_links(article, BASE) == [BASE + "feed/"]
    listing = parse_document(
        (SAVED / "listing.html").read_bytes(), "https://www.auto-journal.example/actu/"
    ).root
    assert feed_links(listing, "https://www.auto-journal.example/actu/") == [
        "https://www.auto-journal.example/feed/",
        "https://www.auto-journal.example/atom.xml",
    ]


def test_sniffing():
    assert sniff_document((MIRROR / "sitemap_index.xml").read_bytes()) == "sitemap"
    assert sniff_document((MIRROR / "feed" / "index.xml").read_bytes(), "application/rss+xml") == "feed"
    assert sniff_document((MIRROR / "index.html").read_bytes(), "text/html") == "html"
    assert sniff_document(b"%PDF-1.4 ...", "application/pdf") == "other"


# ---------------------------------------------------------------- listings


def test_home_listing_of_the_mirror():
    links = listing_links(root_of("index.html", BASE), BASE, SCOPE)
    assert links.articles == [
        BASE + "renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques/",
        BASE + "les-prix-des-tesla-model-s-x-et-3-viennent-de-chuter/",
    ]
    assert links.pagination == [BASE + "page/2/"]
    assert BASE + "category/essais/" in links.pages
    assert links.feeds == [BASE + "feed/"]


def test_second_home_page_links_back():
    links = listing_links(root_of("page/2/index.html", BASE + "page/2/"), BASE + "page/2/", SCOPE)
    assert len(links.articles) == 2
    assert links.pagination == [BASE]


def test_listing_with_query_pagination_off_site_links_and_noise():
    url = "https://www.auto-journal.example/actu/"
    root = parse_document((SAVED / "listing.html").read_bytes(), url).root
    links = listing_links(root, url, SiteScope.for_url(url))
    assert links.articles == [
        "https://www.auto-journal.example/actu/essai-renault-5-e-tech.html",
        "https://www.auto-journal.example/actu/prix-carburants-mai.html",
        "https://auto-journal.example/actu/bonus-ecologique.html",
    ]
    assert links.pagination == [
        "https://www.auto-journal.example/actu/?page=2",
        "https://www.auto-journal.example/actu/?page=3",
    ]
    assert "https://www.auto-journal.example/actu/loi-climat.html" in links.pages
    assert set(links.offsite) == {
        "https://www.facebook.com/autojournal",
        "https://partenaire.example/sponsorise/",
    }
    everything = links.articles + links.pages + links.pagination
    assert not any(
        "wp-login" in u or "replytocom" in u or u.endswith(".jpg") or "comment-page" in u for u in everything
    )


# ---------------------------------------------------------------- article or not


@pytest.mark.parametrize(
    ("relative", "kind"),
    [
        ("index.html", "listing"),
        ("page/2/index.html", "listing"),
        ("category/essais/index.html", "listing"),
        ("renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques/index.html", "article"),
        ("les-prix-des-tesla-model-s-x-et-3-viennent-de-chuter/index.html", "article"),
    ],
)
def test_page_kind_of_the_mirror(relative, kind):
    assert page_kind(root_of(relative, BASE + relative), BASE)[0] == kind


def test_page_kind_from_structured_data_and_teasers():
    listing = parse_document(
        (SAVED / "listing.html").read_bytes(), "https://www.auto-journal.example/actu/"
    ).root
    assert page_kind(listing, "https://www.auto-journal.example/actu/") == ("listing", "JSON-LD type")
    og = parse_document(
        b'<html><head><meta property="og:type" content="article"></head><body><p>x</p></body></html>',
        "https://a.example/x",
    ).root
    assert page_kind(og, "https://a.example/x") == ("article", "og:type")
    jsonld = b'<html><head><script type="application/ld+json">{"@graph":[{"@type":["BlogPosting"]}]}</script></head><body>x</body></html>'
    assert (
        page_kind(parse_document(jsonld, "https://a.example/y").root, "https://a.example/y")[0] == "article"
    )
    bare = parse_document(b"<html><body><h1>Hello</h1><p>Text</p></body></html>", "https://a.example/z").root
    assert page_kind(bare, "https://a.example/z")[0] is None


def test_comments_written_as_article_blocks_do_not_make_an_article_a_listing():
    # Drupal writes each comment as an <article> with a linked <h3>: an article with three comments (four
    # <article> blocks) was taken for a listing, never archived, its comment permalinks crawled instead.
    from tests.crawl.other_sites import DRUPAL_BASE, drupal_site_pages

    pages, articles = drupal_site_pages()
    url = articles[0].url
    root = parse_document(pages[url.removeprefix(DRUPAL_BASE)].body, url).root
    assert page_kind(root, url)[0] != "listing"
    # its comment area with more comments than a listing has teasers (Drupal shows 50 a page)
    comments = root.find(".//section[@class='comments']")
    for comment in list(comments.iter("article"))[:2]:
        for _ in range(3):
            comments.append(copy.deepcopy(comment))
    assert sum(1 for _ in comments.iter("h3")) >= 5
    assert page_kind(root, url)[0] != "listing"
    # teasers presented as <article> blocks still make a listing
    teasers = "".join(
        f'<article class="node--view-mode-teaser"><h2><a href="/a{i}">T{i}</a></h2></article>'
        for i in range(3)
    )
    listing = parse_document(f"<html><body>{teasers}</body></html>", DRUPAL_BASE + "/").root
    assert page_kind(listing, DRUPAL_BASE + "/") == ("listing", "several <article> blocks")


def test_a_wordpress_page_that_is_no_article_is_not_one(tmp_path):
    # A WordPress static page (body class "page page-id-N") its sitemap lists, og:type "website": the legal
    # notice and the contact page were archived as articles (they have a heading and enough text).
    from tests.crawl.other_sites import SITEMAP_BASE, write_sitemap_only_site

    write_sitemap_only_site(tmp_path)
    url = SITEMAP_BASE + "/aviso-legal/"
    page = (tmp_path / "aviso-legal" / "index.html").read_text(encoding="utf-8")
    assert page_kind(parse_document(page, url).root, url) == ("listing", "WordPress page")
    # a page that says it is an article (a blog post published as a page) is one
    as_article = page.replace('content="website"', 'content="article"')
    assert page_kind(parse_document(as_article, url).root, url) == ("article", "og:type")


# ---------------------------------------------------------------- URLs, scope, comment pages


def test_scope_is_the_registered_domain_and_its_subdomains():
    scope = SiteScope.for_url("https://www.blog-auto-info.com/x/")
    assert scope.domains == ("blog-auto-info.com",)
    assert scope.contains("https://blog-auto-info.com/a/") and scope.contains(
        "http://amp.blog-auto-info.com/a/"
    )
    assert not scope.contains("https://notblog-auto-info.com/") and not scope.contains(
        "ftp://blog-auto-info.com/"
    )
    assert registered_domain("www.autoplus.co.uk") == "autoplus.co.uk"
    assert registered_domain("127.0.0.1") == "127.0.0.1"


def test_urls():
    assert clean_url("../b/#frag", "https://A.example/x/y/") == "https://a.example/x/b/"
    # campaign tags made one article many URLs, each fetched and captured again
    assert clean_url("/a/?utm_source=home&utm_campaign=p2", BASE) == BASE + "a/"
    assert clean_url("/a/?id=3&fbclid=x&gclid=y&q=2", BASE) == BASE + "a/?id=3&q=2"
    assert clean_url("/a/?utmost=1", BASE) == BASE + "a/?utmost=1"
    assert clean_url("javascript:void(0)", BASE) is None
    assert clean_url("mailto:x@y", BASE) is None
    assert is_crawlable(BASE + "slug/") and not is_crawlable(BASE + "wp-admin/")
    assert not is_crawlable(BASE + "slug/comment-page-2/") and not is_crawlable(BASE + "slug/?replytocom=5")
    assert not is_crawlable(BASE + "feed/") and not is_crawlable(BASE + "logo.PNG")
    assert comment_page_number(BASE + "slug/comment-page-3/") == 3
    assert comment_page_number(BASE + "slug/?cpage=2") == 2
    assert comment_page_number(BASE + "slug/") is None
    assert without_comment_page(BASE + "slug/comment-page-3/") == BASE + "slug/"
    assert without_comment_page(BASE + "slug/?cpage=2&lang=fr") == BASE + "slug/?lang=fr"
    assert without_comment_page(BASE + "slug/?id=7") == BASE + "slug/?id=7"


def test_spip_forum_pages_are_comment_pages():
    # SPIP pages an article's forum with debut_forums=OFFSET (debut_ and the loop's name): taken for an
    # article of its own, fetched as one from a link and scraped without the article's first messages
    page = "https://www.garage.test/spip.php?article12&debut_forums=10"
    assert comment_page_number(page) == 10 and not is_crawlable(page)
    assert without_comment_page(page) == "https://www.garage.test/spip.php?article12"
    assert comment_page_number("https://www.garage.test/spip.php?rubrique3&debut_articles=10") is None


def test_drupal_comment_pages_are_known_by_the_article_s_comment_pager():
    # Drupal pages comments by ?page=N from 0, as listings page their teasers: not a comment page by its
    # URL alone, but by the article's comment pager linking its own path with other ?page= values
    article = "https://www.auto.test/actualites/zfe"
    second, third = article + "?page=1", article + "?page=2"
    assert comment_page_number(second) is None and is_crawlable(second)  # a listing's page 2 is crawled
    assert comment_pager_key(second, [article, third]) == "page"
    assert comment_pager_key(article, [second, third]) == "page"
    # read at the bare host, the pager written for www. (<base href>): the same article's pager
    assert comment_pager_key(article.replace("www.", "") + "?page=1", [article, third]) == "page"
    assert [pager_page_number(u, "page") for u in (article, second, third)] == [None, 2, 3]
    assert without_comment_page(third, "page") == article and without_comment_page(third) == third
    assert pager_page_number(article + "?cpage=3", None) == 3
    # another post at the same path, a comment page of another key, another article: no pager key
    assert comment_pager_key("https://www.auto.test/?p=12", ["https://www.auto.test/?p=13"]) is None
    assert comment_pager_key(article, [article + "?cpage=2"]) is None
    assert comment_pager_key(article, ["https://www.auto.test/actualites/crit-air?page=1"]) is None


def test_comment_pages_merge_in_page_order_each_comment_once():
    page1 = [{"id": "1", "parent_id": None}, {"id": "2", "parent_id": "1"}]
    page2 = [{"id": "2", "parent_id": "1"}, {"id": "3", "parent_id": "1"}]
    page3 = [{"id": None, "author": "x", "published_raw": None, "text": "hi"}]
    merged = merge_comment_pages([(3, page3), (1, page1), (2, page2)])
    assert [c["id"] for c in merged] == ["1", "2", "3", None]
    assert merged[2]["parent_id"] == "1"  # a reply whose parent is on an earlier page


def test_comment_pages_merge_keeps_identical_comments_without_id_of_one_page():
    # Paul posted "Merci !" twice the same day: page 1 lists both, page 2 (its boundaries moved)
    # shows one of them again. Two comments, not one (and not three).
    merci = {"id": None, "author": "Paul", "published_raw": "le 3 mai 2024", "text": "Merci !"}
    bof = {"id": None, "author": "Zoé", "published_raw": "le 3 mai 2024", "text": "Bof."}
    page1, page2 = [dict(merci), dict(bof), dict(merci)], [dict(merci), {**bof, "text": "Enfin."}]
    merged = merge_comment_pages([(1, page1), (2, page2)])
    assert [(c["author"], c["text"]) for c in merged] == [
        ("Paul", "Merci !"),
        ("Zoé", "Bof."),
        ("Paul", "Merci !"),
        ("Zoé", "Enfin."),
    ]


# ---------------------------------------------------------------- incremental


def test_revisit_policy():
    policy = RevisitPolicy.parse(RevisitPolicy.DEFAULT)
    now = datetime(2024, 5, 10, 12, tzinfo=UTC)
    hours = lambda n: timedelta(hours=n)  # noqa: E731
    assert policy.is_due(now - hours(20), now - hours(7), now)  # young, seen 7 h ago
    assert not policy.is_due(now - hours(20), now - hours(5), now)
    assert policy.is_due(now - timedelta(days=5), now - hours(25), now)  # a few days old, daily
    assert not policy.is_due(now - timedelta(days=5), now - hours(23), now)
    assert not policy.is_due(now - timedelta(days=30), now - timedelta(days=20), now)  # old: never
    assert not policy.is_due(None, now - timedelta(days=20), now)
    assert policy.horizon == timedelta(days=14)
    with pytest.raises(ValueError, match="AGE:INTERVAL"):
        RevisitPolicy.parse("2d")


def test_since():
    now = datetime(2024, 5, 10, 12, tzinfo=UTC)
    assert parse_since("2024-04-01") == datetime(2024, 4, 1, tzinfo=UTC)
    assert parse_since("7d", now) == now - timedelta(days=7)
    assert parse_since("48h", now) == now - timedelta(hours=48)
    assert parse_since("2024-04-01T10:00:00+02:00") == datetime(2024, 4, 1, 8, tzinfo=UTC)
    with pytest.raises(ValueError, match="not a date"):
        parse_since("yesterday")


def test_pagination_said_by_the_link_text_or_spip_debut():
    # A pager of plain links ("Suivant »" to /actu/3, SPIP's ?debut_articles=N) was not seen as one: each
    # next page was an ordinary page one hop further, and the listing stopped being followed after two.
    url = "https://journal.example/actu/2"
    html = (
        "<html><body><main><h2><a href='/actu/un.html'>Un</a></h2><h2><a href='/actu/deux.html'>Deux</a></h2>"
        "<p><a href='/actu/1'>« Précédent</a> <a href='/actu/3'>Suivant »</a></p>"
        "<p><a href='/sport/'>Suivant</a></p></main></body></html>"
    )
    links = listing_links(parse_document(html.encode(), url).root, url, SiteScope.for_url(url))
    assert links.pagination == ["https://journal.example/actu/3"]  # « Précédent » is a page like any other
    assert "https://journal.example/sport/" in links.pages  # "next", but another part of the site
    assert links.articles == [
        "https://journal.example/actu/un.html",
        "https://journal.example/actu/deux.html",
    ]
    spip = "https://journal.example/spip.php?page=rubrique&id_rubrique=3"
    html = f"<html><body><p><a href='{spip}&amp;debut_articles=10'>10</a></p></body></html>"
    links = listing_links(parse_document(html.encode(), spip).root, spip, SiteScope.for_url(spip))
    assert links.pagination == [spip + "&debut_articles=10"]


@pytest.mark.parametrize(
    "text",
    [
        "Página siguiente »",
        "Entradas anteriores",
        "Ältere Beiträge",
        "Nächste Seite",
        "Pagina successiva",
        "Articoli meno recenti",
        "Próxima página",
        "Artigos mais antigos",
        "Volgende pagina",
        "Oudere berichten",
    ],
)
def test_the_next_page_said_in_other_languages(text):
    # Taken for an ordinary page one hop further, each next page: a blog paged only by "Entradas
    # anteriores" (WordPress's "Older posts" in Spanish) was followed two pages deep.
    url = "https://diario.example/noticias/2"
    html = (
        "<html><body><main><h2><a href='/noticias/uno/'>Uno</a></h2>"
        f"<p><a href='/noticias/1'>« Anterior</a> <a href='/noticias/3'>{text}</a></p></main></body></html>"
    )
    links = listing_links(parse_document(html.encode(), url).root, url, SiteScope.for_url(url))
    assert links.pagination == ["https://diario.example/noticias/3"]


def test_a_read_more_arrow_to_a_numbered_article_is_no_pagination():
    # '»' after each teaser, to an article at /actu/12345 (a page of /actu/ by its shape): it was taken for
    # the listing's next page, and the article fetched as one (no incremental check, no conditional request)
    url = "https://journal.example/actu/"
    html = (
        "<html><body><main>"
        + "".join(
            f"<div class='card'><h2><a href='/actu/{n}'>Titre {n}</a></h2><a href='/actu/{n}'>»</a></div>"
            for n in (12345, 12344)
        )
        + "<p><a href='/actu/2'>Suivant »</a></p></main></body></html>"
    )
    links = listing_links(parse_document(html.encode(), url).root, url, SiteScope.for_url(url))
    assert links.pagination == ["https://journal.example/actu/2"]
    assert links.articles == ["https://journal.example/actu/12345", "https://journal.example/actu/12344"]


def _comment(ident: str | None, at: str | None) -> dict:
    return {
        "id": ident,
        "parent_id": None,
        "author": "A",
        "published_at": at,
        "published_raw": None,
        "text": "t",
    }


def test_holds_later_comments_by_dates_else_ids():
    newest = [_comment("31", "2024-05-02T10:00:00+02:00"), _comment("32", "2024-05-02T11:00:00+02:00")]
    oldest = [_comment("1", "2024-04-29T10:00:00+02:00"), _comment("2", "2024-04-29T12:00:00+02:00")]
    assert holds_later_comments(newest, oldest) is True
    assert holds_later_comments(oldest, newest) is False
    # without dates, the site's increasing comment ids tell
    undated_newest = [_comment("31", None), _comment("32", None)]
    undated_oldest = [_comment("1", None)]
    assert holds_later_comments(undated_newest, undated_oldest) is True
    # nothing to tell by: no dates nor numeric ids, an empty page, the same first comment
    assert holds_later_comments([_comment(None, None)], [_comment("x", None)]) is None
    assert holds_later_comments([], oldest) is None
    assert holds_later_comments(oldest, oldest) is None

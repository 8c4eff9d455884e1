"""`scrape` of pages of a site without a profile that say nothing of what they are."""

from __future__ import annotations

import json
import re

import pytest

from newscrawl.testing.server import Page, SiteServer
from tests.crawl.helpers import FAST, article_html, assert_clean, assert_refused_as_no_article, newscrawl

HOST = "sans-profil.test"
BASE = f"https://{HOST}"

TEASERS = "".join(
    f'<article class="post"><h2><a href="/a{i}/">Titre {i}</a></h2><p>Résumé {i}.</p></article>'
    for i in range(8)
)
RELATED = "".join(
    f'<article class="card"><h3><a href="/b{i}/">Voir aussi {i}</a></h3></article>' for i in range(3)
)
PAGES = {
    "/robots.txt": Page(b"User-agent: *\n", "text/plain"),
    # a home page built by JavaScript: nothing but a title
    "/": Page(
        b'<html><head><title>Journal</title></head><body><div id="app"></div><script>start()</script></body></html>',
        "text/html; charset=utf-8",
    ),
    # a listing without body classes or JSON-LD: eight teasers
    "/rubrique/": Page(
        f"<html><head><title>Rubrique</title></head><body><main><h1>Rubrique</h1>{TEASERS}</main></body></html>".encode(),
        "text/html; charset=utf-8",
    ),
    # an article followed by three cards of other articles, nothing declared: still an article
    "/article/": Page(
        re.sub(r'<script type="application/ld\+json">.*?</script>', "", article_html("Essai de la Zoé"))
        .replace(' class="single single-post"', "")
        .replace("</main>", f"{RELATED}</main>")
        .encode(),
        "text/html; charset=utf-8",
    ),
}


@pytest.mark.parametrize(
    ("path", "problem"),
    [("/", "no text on the page"), ("/rubrique/", "the page is a listing (several <article> blocks)")],
)
def test_scrape_of_a_page_without_article_text_is_refused(tmp_path, path, problem):
    # They were printed, and saved with --save, as articles with an empty body.
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with SiteServer(pages=PAGES) as server:
        run = newscrawl(
            "scrape", BASE + path, "--save", "--db", db, *FAST, "--resolve", f"{HOST}={server.base_url}"
        )
    assert_refused_as_no_article(run, BASE + path, problem, db)


def test_scrape_of_an_article_with_cards_of_other_articles(tmp_path):
    with SiteServer(pages=PAGES) as server:
        run = newscrawl("scrape", f"{BASE}/article/", *FAST, "--resolve", f"{HOST}={server.base_url}")
    assert run.returncode == 0, run.output[-3000:]
    assert json.loads(run.stdout)["title"] == "Essai de la Zoé"


BRIEF = (
    "<h1>Rappel chez Renault</h1><p>Le constructeur rappelle 12 000 véhicules en France pour un défaut du "
    "système de freinage. Les propriétaires seront contactés par courrier et l'intervention, gratuite, "
    "durera une heure environ en concession.</p>"
)
POPULAR = "<aside><h2>Les plus lus</h2>" + "".join(
    f'<h3><a href="/p{i}/">Populaire {i}</a></h3>' for i in range(6)
)
GALLERY = "".join(
    f'<figure><img src="/{i}.jpg" alt=""><figcaption>Photo {i}</figcaption></figure>' for i in range(6)
)
PLAIN_TEASERS = "".join(
    f'<article><h2>Titre {i}</h2><p>Résumé {i}.</p><a href="/c{i}/">Lire la suite</a></article>'
    for i in range(6)
)
SHORT = {
    "/robots.txt": Page(b"User-agent: *\n", "text/plain"),
    # a news brief of 250 characters, then the most read articles or cards of others: nothing declared
    "/breve/": Page(
        f"<html><head><title>Rappel chez Renault</title></head><body><main><article>{BRIEF}</article>{POPULAR}</main></body></html>".encode()
    ),
    "/breve-cartes/": Page(
        f"<html><head><title>Rappel chez Renault</title></head><body><main><article>{BRIEF}</article>{RELATED}{RELATED}</main></body></html>".encode()
    ),
    # a photo gallery saying it is an article, captions and no paragraph
    "/galerie/": Page(
        '<html><head><meta property="og:type" content="article"><title>La Renault 5 en photos</title></head><body><main>'
        f"<article><h1>La Renault 5 en photos</h1>{GALLERY}</article></main></body></html>".encode()
    ),
    # a listing of teasers under plain headings, a 'Lire la suite' link each
    "/liste/": Page(
        f"<html><head><title>Liste</title></head><body><main><h1>Liste</h1>{PLAIN_TEASERS}</main></body></html>".encode()
    ),
}


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/breve/", "Rappel chez Renault"),
        ("/breve-cartes/", "Rappel chez Renault"),
        ("/galerie/", "La Renault 5 en photos"),
    ],
)
def test_scrape_of_a_short_article(tmp_path, path, title):
    # refused as a listing (shaped like one, under 500 characters) or as a page without text
    with SiteServer(pages=SHORT) as server:
        run = newscrawl("scrape", BASE + path, *FAST, "--resolve", f"{HOST}={server.base_url}")
    assert_clean(run)
    assert run.returncode == 0, run.output[-3000:]
    assert json.loads(run.stdout)["title"] == title


def test_scrape_of_a_listing_with_plain_headings_is_refused(tmp_path):
    with SiteServer(pages=SHORT) as server:
        run = newscrawl("scrape", f"{BASE}/liste/", *FAST, "--resolve", f"{HOST}={server.base_url}")
    assert run.returncode == 1, run.output[-3000:]
    assert (
        run.stderr.strip().splitlines()[-1]
        == f"Error: {BASE}/liste/: not an article: the page is a listing (several <article> blocks)"
    )

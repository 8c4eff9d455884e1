"""Reader comments: newscrawl.extraction.comments on saved pages and minimal samples.

Fixtures live in tests/fixtures/comments/:
  blog-auto-info/  the expected comments per article of the reference WordPress mirror (its pages
                   are the golden ones, tests/fixtures/golden/blog-auto-info--*.html)
  samples/         hand-written minimal pages, one per markup family (SPIP, Drupal, microdata ...)
  corpus/          real pages copied from the shared corpus, with their URL and comment snippets
                   (cases.json); a page the golden folder already has is read from there
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import html as lxml_html

from newscrawl.extraction.comments import CommentsResult, comment_page_urls, extract_comments
from newscrawl.extraction.document import parse_document
from newscrawl.extraction.text import normalize_space
from tests.saved_pages import golden_page_for_url, saved_page

FIXTURES = Path(__file__).parent / "fixtures" / "comments"
SITE = FIXTURES / "blog-auto-info"
SAMPLES = FIXTURES / "samples"
CORPUS = FIXTURES / "corpus"

BASE = "https://blog-auto-info.com/"
SLUG = "renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques"
ARTICLE = f"{BASE}{SLUG}/"
PAGES = {
    1: ARTICLE,
    2: f"{ARTICLE}comment-page-2/",
    3: f"{ARTICLE}comment-page-3/",
    4: f"{ARTICLE}comment-page-4/",
}


# --------------------------------------------------------------------------------------------------
# helpers


def site_path(url: str) -> Path:
    return golden_page_for_url(url)


def root_of(path: Path, url: str):
    return parse_document(path.read_bytes(), url).root


def site_result(url: str) -> CommentsResult:
    return extract_comments(root_of(site_path(url), url), url=url, language="fr")


def expected(slug: str) -> dict:
    return json.loads((SITE / f"{slug}.json").read_text(encoding="utf-8"))


def expected_on_page(url: str, slug: str = SLUG) -> list[dict]:
    """The expected comments present on one page, in page order (the order of their id attributes)."""
    page = site_path(url).read_text(encoding="utf-8")
    order = re.findall(r'id="comment-(\d+)"', page)
    by_id = {c["id"]: c for c in expected(slug)["comments"]}
    return [by_id[i] for i in order if i in by_id]


def sample(name: str, url: str, language: str | None = "fr", **kwargs) -> CommentsResult:
    return extract_comments(root_of(SAMPLES / name, url), url=url, language=language, **kwargs)


def by_id(result: CommentsResult) -> dict:
    return {c.id: c for c in result.comments}


def joined(result: CommentsResult) -> str:
    """What the corpus scorer searches: author and text of every comment, whitespace-normalized."""
    return normalize_space(" ".join(f"{c.author or ''} {c.text}" for c in result.comments)).casefold()


# --------------------------------------------------------------------------------------------------
# blog-auto-info: the flagship article over its four comment pages


@pytest.mark.parametrize("page", [1, 2, 3, 4])
def test_flagship_ids_in_page_order(page):
    assert [c.id for c in site_result(PAGES[page]).comments] == [
        c["id"] for c in expected_on_page(PAGES[page])
    ]


@pytest.mark.parametrize("page", [1, 2, 3, 4])
def test_flagship_parents(page):
    got = {c.id: c.parent_id for c in site_result(PAGES[page]).comments}
    assert got == {c["id"]: c["parent_id"] for c in expected_on_page(PAGES[page])}


@pytest.mark.parametrize("page", [1, 2, 3, 4])
def test_flagship_authors(page):
    got = [c.author for c in site_result(PAGES[page]).comments]
    assert got == [c["author"] for c in expected_on_page(PAGES[page])]


@pytest.mark.parametrize("page", [1, 2, 3, 4])
def test_flagship_dates_with_paris_offset(page):
    got = [c.published_at for c in site_result(PAGES[page]).comments]
    assert got == [c["published_at"] for c in expected_on_page(PAGES[page])]


@pytest.mark.parametrize("page", [1, 2, 3, 4])
def test_flagship_texts(page):
    got = [c.text for c in site_result(PAGES[page]).comments]
    assert got == [c["text"] for c in expected_on_page(PAGES[page])]


@pytest.mark.parametrize("page", [1, 2, 3, 4])
def test_flagship_declared_count_on_every_page(page):
    assert site_result(PAGES[page]).declared_count == 43


def test_flagship_published_raw_is_the_visible_date():
    assert site_result(PAGES[1]).comments[0].published_raw == "29 avril 2024 à 18 h 22 min"


def test_flagship_reply_follows_its_parent():
    ids = [c.id for c in site_result(PAGES[1]).comments]
    assert ids.index("5044") == ids.index("5017") + 1


def test_flagship_second_level_reply_nests_under_a_reply():
    assert by_id(site_result(PAGES[2]))["5039"].parent_id == "5029"


def test_flagship_text_has_no_author_date_or_reply_link():
    text = " ".join(c.text for c in site_result(PAGES[1]).comments)
    assert not re.search(r"Répondre|dit :|Lucas M\.|avril 2024", text)


def test_flagship_container_is_the_comment_area():
    root = root_of(site_path(ARTICLE), ARTICLE)
    result = extract_comments(root, url=ARTICLE, language="fr")
    assert [(el.tag, el.get("id")) for el in result.containers] == [("div", "comments")]


def test_flagship_container_leaves_the_article_body_out():
    root = root_of(site_path(ARTICLE), ARTICLE)
    body = root.xpath("//*[contains(@class, 'entry-content')]")[0]
    containers = extract_comments(root, url=ARTICLE, language="fr").containers
    assert not any(el is body or el in body.iterancestors() for el in containers)


@pytest.mark.parametrize(
    ("page", "links"),
    [
        (1, [PAGES[2]]),
        (2, [ARTICLE, PAGES[3]]),
        (3, [PAGES[2], PAGES[4]]),
        (4, [PAGES[3]]),
    ],
)
def test_flagship_comment_page_urls(page, links):
    assert comment_page_urls(root_of(site_path(PAGES[page]), PAGES[page]), PAGES[page]) == links


def test_flagship_following_comment_pages_gathers_all_43_comments_once():
    todo, seen, comments = [ARTICLE], set(), []
    while todo:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.add(url)
        root = root_of(site_path(url), url)
        comments += extract_comments(root, url=url, language="fr").comments
        todo += comment_page_urls(root, url)
    want = {
        (c["id"], c["parent_id"], c["author"], c["published_at"], c["text"])
        for c in expected(SLUG)["comments"]
    }
    assert {(c.id, c.parent_id, c.author, c.published_at, c.text) for c in comments} == want
    assert len(comments) == 43


def test_flagship_reply_parent_found_on_an_earlier_page_of_the_crawl():
    # 5044 (2 May) is shown on page 1 under 5017, before the comments of page 2 (30 April onwards)
    assert by_id(site_result(PAGES[1]))["5044"].parent_id == "5017"


def test_site_article_with_three_comments_threads_the_reply():
    url = f"{BASE}voici-les-suv-electriques-qui-vous-meneront-le-plus-loin-sur-autoroute/"
    assert [(c.id, c.parent_id) for c in site_result(url).comments] == [
        ("4980", None),
        ("4981", "4980"),
        ("4984", None),
    ]


def test_site_article_declares_three():
    url = f"{BASE}voici-les-suv-electriques-qui-vous-meneront-le-plus-loin-sur-autoroute/"
    assert site_result(url).declared_count == 3


def test_site_written_out_count_un_avis():
    url = f"{BASE}voici-pourquoi-lalliance-entre-apple-et-rivian-pourrait-redefinir-lavenir-de-la-mobilite/"
    assert site_result(url).declared_count == 1


def test_site_article_without_comments_has_none():
    assert site_result(f"{BASE}les-prix-des-tesla-model-s-x-et-3-viennent-de-chuter/").comments == []


def test_site_article_without_comments_declares_zero():
    assert site_result(f"{BASE}les-prix-des-tesla-model-s-x-et-3-viennent-de-chuter/").declared_count == 0


def test_site_article_without_comments_still_reports_the_form_area():
    result = site_result(f"{BASE}les-prix-des-tesla-model-s-x-et-3-viennent-de-chuter/")
    assert [el.get("id") for el in result.containers] == ["comments"]


# --------------------------------------------------------------------------------------------------
# SPIP forum

SPIP_URL = "https://garage.example.fr/spip.php?article12"


def test_spip_ids_from_forum_anchors():
    assert [c.id for c in sample("spip.html", SPIP_URL).comments] == ["1234", "1240", "1250"]


def test_spip_reply_in_nested_list_has_its_parent():
    assert by_id(sample("spip.html", SPIP_URL))["1240"].parent_id == "1234"


def test_spip_author_from_par():
    assert [c.author for c in sample("spip.html", SPIP_URL).comments] == ["Gérard", "Claire", "Sam"]


def test_spip_date_in_paris_time():
    assert sample("spip.html", SPIP_URL).comments[0].published_at == "2024-01-12T18:05:00+01:00"


def test_spip_text_joins_paragraphs_without_reply_link():
    assert (
        sample("spip.html", SPIP_URL).comments[0].text
        == "En hiver je descends à 250 km sur autoroute. Et vous ?"
    )


def test_spip_declared_messages():
    assert sample("spip.html", SPIP_URL).declared_count == 3


def test_spip_pagination_debut_forums():
    root = root_of(SAMPLES / "spip.html", SPIP_URL)
    assert comment_page_urls(root, SPIP_URL) == [
        "https://garage.example.fr/spip.php?article12&debut_forums=10"
    ]


def test_spip_containers_hold_title_list_pagination_and_form():
    containers = sample("spip.html", SPIP_URL).containers
    assert [el.get("class") for el in containers if el.tag != "a"] == [
        "forum-total",
        "forum",
        "pagination",
        "formulaire_spip formulaire_forum",
    ]


# --------------------------------------------------------------------------------------------------
# Drupal

D8_URL = "https://autoweekly.example.com/road-test"
D7_URL = "https://autoblog.example.de/fahrbericht"


def test_drupal8_ids():
    assert [c.id for c in sample("drupal8.html", D8_URL, "en").comments] == ["17", "18", "19"]


def test_drupal8_indented_reply_has_its_parent():
    assert by_id(sample("drupal8.html", D8_URL, "en"))["18"].parent_id == "17"


def test_drupal8_reply_after_an_indented_block_is_top_level():
    assert by_id(sample("drupal8.html", D8_URL, "en"))["19"].parent_id is None


def test_drupal8_author_from_submitted_by():
    assert [c.author for c in sample("drupal8.html", D8_URL, "en").comments] == [
        "Paul",
        "Editor Jane",
        "Anne",
    ]


def test_drupal8_text_without_subject_permalink_or_reply():
    assert by_id(sample("drupal8.html", D8_URL, "en"))["17"].text == "What range did you get on the motorway?"


def test_drupal8_date_from_the_comment_timestamp():
    assert by_id(sample("drupal8.html", D8_URL, "en"))["17"].published_at == "2024-04-29T16:00:00+00:00"


def test_drupal8_date_in_the_given_zone():
    result = sample("drupal8.html", D8_URL, "en", tz=ZoneInfo("Europe/London"))
    assert by_id(result)["17"].published_at == "2024-04-29T17:00:00+01:00"


def test_drupal8_pager_link():
    root = root_of(SAMPLES / "drupal8.html", D8_URL)
    assert comment_page_urls(root, D8_URL) == [f"{D8_URL}?page=1"]


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("fr", "Dédé (non vérifié)"),
        ("en", "Dédé (not verified)"),
        ("de", "Dédé (nicht überprüft)"),
        ("es", "Dédé (no verificado)"),
        ("it", "Dédé (non verificato)"),
        ("pt", "Dédé (não verificado)"),
        ("nl", "Dédé (niet geverifieerd)"),
    ],
)
def test_drupal_anonymous_author_without_the_not_verified_marker(language, shown):
    # Drupal writes "(not verified)", in the site's language, after the name an anonymous reader gave
    page = (
        f'<html lang="{language}"><body><article><h1>Essai</h1><p>Texte.</p>'
        '<section class="comments"><article id="comment-7" class="comment js-comment by-anonymous">'
        f'<footer class="comment__meta"><p class="comment__author"><span>{shown}</span></p>'
        '<p class="comment__time">23/03/2023 - 18:26</p></footer><div class="comment__content">'
        '<div class="text-content"><p>Bien vu, merci pour cet essai.</p></div></div></article></section>'
        "</article></body></html>"
    )
    result = extract_comments(lxml_html.fromstring(page), url="https://exemple.fr/a", language=language)
    assert [c.author for c in result.comments] == ["Dédé"]


def test_drupal7_ids_from_preceding_anchors():
    assert [c.id for c in sample("drupal7.html", D7_URL, "de").comments] == ["21", "22"]


def test_drupal7_indented_reply_has_its_parent():
    assert by_id(sample("drupal7.html", D7_URL, "de"))["22"].parent_id == "21"


def test_drupal7_text_without_subject():
    assert by_id(sample("drupal7.html", D7_URL, "de"))["21"].text == "Wie hoch ist der Verbrauch im Winter?"


def test_drupal7_german_date_in_berlin_time():
    assert by_id(sample("drupal7.html", D7_URL, "de"))["21"].published_at == "2024-04-30T10:15:00+02:00"


def test_drupal7_declared_kommentare():
    assert sample("drupal7.html", D7_URL, "de").declared_count == 2


# --------------------------------------------------------------------------------------------------
# schema.org microdata and JSON-LD

MICRO_URL = "https://exemple.fr/bornes"
JSONLD_URL = "https://exemple.fr/prix-electricite"


def test_microdata_nested_comment_is_a_reply():
    assert [(c.id, c.parent_id) for c in sample("microdata.html", MICRO_URL).comments] == [
        ("501", None),
        ("502", "501"),
    ]


def test_microdata_author_name():
    assert sample("microdata.html", MICRO_URL).comments[0].author == "Lucie"


def test_microdata_date_created():
    assert sample("microdata.html", MICRO_URL).comments[0].published_at == "2024-03-02T08:30:00+01:00"


def test_microdata_text_leaves_the_reply_out():
    assert (
        sample("microdata.html", MICRO_URL).comments[0].text == "Enfin des bornes à Vierzon ! Il était temps."
    )


def test_microdata_comment_count():
    assert sample("microdata.html", MICRO_URL).declared_count == 2


def _jsonld(name: str) -> list[dict]:
    root = lxml_html.fromstring((SAMPLES / name).read_bytes())
    return [json.loads(s.text) for s in root.xpath("//script[@type='application/ld+json']")]


def test_jsonld_comments_and_reply():
    result = sample("jsonld.html", JSONLD_URL, jsonld=_jsonld("jsonld.html"))
    assert [(c.id, c.parent_id, c.author) for c in result.comments] == [
        ("7", None, "Marc"),
        ("8", "7", "Julie"),
    ]


def test_jsonld_comment_date():
    result = sample("jsonld.html", JSONLD_URL, jsonld=_jsonld("jsonld.html"))
    assert result.comments[1].published_at == "2024-05-01T11:30:00+02:00"


def test_jsonld_comment_count():
    assert sample("jsonld.html", JSONLD_URL, jsonld=_jsonld("jsonld.html")).declared_count == 2


def test_jsonld_is_only_read_when_given():
    assert sample("jsonld.html", JSONLD_URL).comments == []


# --------------------------------------------------------------------------------------------------
# Disqus and Livefyre static dumps, generic blocks, pages without comments, broken markup

DISQUS_URL = "https://example.com/hydrogen"
GENERIC_URL = "https://exemple.fr/clio"
EMPTY_URL = "https://exemple.fr/e-208"


def test_disqus_posts_and_reply():
    result = sample("disqus.html", DISQUS_URL, "en")
    assert [(c.id, c.parent_id, c.author) for c in result.comments] == [
        ("4711", None, "Ted"),
        ("4712", "4711", "Ann"),
    ]


def test_disqus_date_from_title_attribute_in_the_given_zone():
    result = sample("disqus.html", DISQUS_URL, "en", tz=ZoneInfo("America/New_York"))
    assert result.comments[0].published_at == "2024-04-29T18:22:00-04:00"


def test_disqus_raw_date_is_what_the_page_shows():
    assert sample("disqus.html", DISQUS_URL, "en").comments[0].published_raw == "a year ago"


def test_disqus_text_has_no_vote_or_reply():
    assert sample("disqus.html", DISQUS_URL, "en").comments[0].text == "Toyota still sells the Mirai."


LIVEFYRE_URL = "https://exemple.fr/geneve"


def test_livefyre_articles_and_reply():
    result = sample("livefyre.html", LIVEFYRE_URL)
    assert [(c.id, c.parent_id, c.author) for c in result.comments] == [
        ("90123", None, "Jo"),
        ("90124", "90123", "Max"),
    ]


def test_livefyre_text_without_like_or_reply():
    assert sample("livefyre.html", LIVEFYRE_URL).comments[0].text == "Vivement les essais."


def test_livefyre_utc_datetime_shown_in_paris_time():
    assert sample("livefyre.html", LIVEFYRE_URL).comments[0].published_at == "2014-03-02T10:00:00+01:00"


WPDISCUZ_URL = "https://auto-passion.example.fr/essai-renault-5-e-tech/"


def test_wpdiscuz_comments():
    result = sample("wpdiscuz.html", WPDISCUZ_URL)
    assert [(c.id, c.parent_id, c.author) for c in result.comments] == [
        ("9001", None, "Martine"),
        ("9002", None, "Yannick"),
    ]


def test_wpdiscuz_thread_header_declares_the_count():
    # "4 Commentaires" counts the whole thread; the page shows the first two ("Voir plus de commentaires")
    assert sample("wpdiscuz.html", WPDISCUZ_URL).declared_count == 4


@pytest.mark.parametrize(
    ("header", "count"),
    [
        ('<div class="wpd-thread-head"><div class="wpd-thread-info">12 Kommentare</div></div>', 12),
        ('<div class="thread-header"><span>3</span> comments <a href="#">Newest</a></div>', 3),
        ('<div class="comments-thread-title">Aucun commentaire</div>', 0),
    ],
)
def test_declared_count_in_a_comment_thread_header(header, count):
    page = f'<html><body><div id="comments">{header}<ol class="comment-list"></ol></div></body></html>'
    assert extract_comments(lxml_html.fromstring(page), url="https://exemple.fr/a/").declared_count == count


def test_generic_repeated_blocks_in_a_reactions_area():
    result = sample("generic.html", GENERIC_URL)
    assert [(c.author, c.text) for c in result.comments] == [
        ("Zoé", "Le coffre est vraiment plus petit ?"),
        ("Hugo", "Oui, de 391 à 357 litres."),
    ]


def test_generic_date_written_in_french():
    assert sample("generic.html", GENERIC_URL).comments[1].published_at == "2024-05-03T11:40:00+02:00"


def test_generic_declared_reactions():
    assert sample("generic.html", GENERIC_URL).declared_count == 2


def test_generic_missing_ids_are_none():
    assert [c.id for c in sample("generic.html", GENERIC_URL).comments] == [None, None]


def test_generic_container_is_the_reactions_block_only():
    assert [el.get("id") for el in sample("generic.html", GENERIC_URL).containers] == ["reactions-lecteurs"]


def test_form_and_widgets_without_comments_give_no_comment():
    assert sample("no-comments.html", EMPTY_URL).comments == []


def test_aucun_commentaire_declares_zero():
    assert sample("no-comments.html", EMPTY_URL).declared_count == 0


def test_empty_comment_area_is_still_a_container():
    assert [el.get("id") for el in sample("no-comments.html", EMPTY_URL).containers] == ["comments"]


def test_malformed_markup_gives_comments_without_ids():
    result = sample("malformed.html", "https://exemple.fr/x")
    assert [(c.id, c.author) for c in result.comments] == [(None, "Alice"), (None, "Bob")]


def test_malformed_markup_texts():
    result = sample("malformed.html", "https://exemple.fr/x")
    assert [c.text for c in result.comments] == [
        "Premier commentaire sans identifiant",
        "Second & dernier commentaire",
    ]


@pytest.mark.parametrize("root", [None, "not an element", lxml_html.fromstring("<p>x</p>")])
def test_never_raises_on_odd_input(root):
    assert extract_comments(root, url="https://exemple.fr/") == CommentsResult()


def test_comment_page_urls_never_raises():
    root = lxml_html.fromstring('<div class="comment-navigation"><a href="http://[broken">2</a></div>')
    assert comment_page_urls(root, "https://exemple.fr/a/") == []


@pytest.mark.parametrize(
    ("title", "count"),
    [
        ("43 avis sur « Renault et Xiaomi »", 43),
        ("Un avis sur « Renault et Xiaomi »", 1),
        ("12 commentaires", 12),
        ("3 réponses à « Essai »", 3),
        ("5 comments", 5),
        ("One thought on “Hydrogen”", 1),
        ("2 thoughts on “Hydrogen”", 2),
        ("7 Kommentare", 7),
        ("45 Gedanken zu „Das wird man ja wohl noch sagen dürfen!“", 45),
        ("4 comentarios", 4),
        ("6 commenti", 6),
        ("Comments (3)", 3),
        ("1 234 commentaires", 1234),
        ("Aucun commentaire", 0),
        ("No comments", 0),
        ("Keine Kommentare", 0),
    ],
)
def test_declared_count_from_title(title, count):
    page = f'<html><body><div id="comments"><h2 class="comments-title">{title}</h2></div></body></html>'
    assert extract_comments(lxml_html.fromstring(page), url="https://exemple.fr/a/").declared_count == count


def test_comment_count_link_of_another_article_is_ignored():
    page = (
        '<html><body><article><h1>A</h1><p>Texte.</p></article><aside class="widget">'
        '<a href="https://exemple.fr/b/#comments" class="comments-link">12 commentaires</a></aside></body></html>'
    )
    assert extract_comments(lxml_html.fromstring(page), url="https://exemple.fr/a/").declared_count is None


def test_cpage_query_links():
    page = (
        '<html><body><div id="comments"><div class="nav-links">'
        '<a href="https://exemple.fr/a/?cpage=1#comments">1</a> <a href="https://exemple.fr/a/?cpage=2#comments">2</a>'
        "</div></div></body></html>"
    )
    root = lxml_html.fromstring(page)
    assert comment_page_urls(root, "https://exemple.fr/a/") == ["https://exemple.fr/a/?cpage=2"]


# --------------------------------------------------------------------------------------------------
# real pages from the corpus

CASES = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))


def corpus_result(case_id: str) -> CommentsResult:
    case = CASES[case_id]
    root = root_of(saved_page(case_id, CORPUS), case["url"])
    return extract_comments(root, url=case["url"], language=case["language"])


@pytest.mark.parametrize("case_id", [c for c, v in CASES.items() if v["comments_contain"]])
def test_corpus_snippets_found(case_id):
    hay = joined(corpus_result(case_id))
    assert [s for s in CASES[case_id]["comments_contain"] if normalize_space(s).casefold() not in hay] == []


def test_corpus_drupal_rdfa_author_from_header_line():
    assert corpus_result("trafilatura--cicero.de.pandemie").comments[0].author == "Heidemarie Heim"


def test_corpus_drupal_rdfa_date_shown_in_local_time():
    comment = corpus_result("trafilatura--cicero.de.pandemie").comments[0]
    assert (comment.published_at, comment.published_raw) == (
        "2020-04-21T16:40:07+02:00",
        "Di, 21. April 2020 - 16:40",
    )


def test_corpus_blogger_replies_point_to_their_thread():
    result = corpus_result("trafilatura--derpapierplanet.de.juni")
    assert by_id(result)["8427118110834982712"].parent_id == "7818214978921193094"


def test_corpus_heading_then_blocks_layout():
    comment = corpus_result("trafilatura--love-hina.ch.0409").comments[0]
    assert (comment.author, comment.text) == ("Naru-chan", "Danke für dieses Kapitel Genesis^o^")


def test_corpus_numbered_header_layout():
    comment = corpus_result("trafilatura--archive.org.dzs-clan.de").comments[0]
    assert comment.author == "tObIas Vx"


def test_corpus_comment_texts_without_item_markup():
    assert [c.author for c in corpus_result("trafilatura--holzwerken.net-Kreissaege").comments] == [
        "Unbekannter Nutzer",
        "Unbekannter Nutzer",
        "Holzwerker1956",
    ]


def test_corpus_wrapper_named_comment_box_is_not_a_comment():
    comments = corpus_result("trafilatura--bibliothek2null.de.mai").comments
    assert [(c.id, c.author) for c in comments] == [("1446", "Marius")]


def test_corpus_says_line_and_time_attribute_marked_utc():
    comment = corpus_result("trafilatura--simplyscience.ch.erdoel").comments[0]
    assert (comment.author, comment.published_at) == ("Nicolai11", "2014-11-05T14:25:40+01:00")


def test_corpus_old_wordpress_cite_comment_by():
    assert by_id(corpus_result("trafilatura--internet-law.de.pseudonymen"))["9295"].author == "Jan Dark"


def test_corpus_replies_in_a_sibling_block():
    assert [c.author for c in corpus_result("trafilatura--kochbar.de.schneiden").comments] == [
        "Rezeptsammlerin",
        "Marianne1",
        "emari",
        "Marianne1",
    ]


def test_corpus_article_without_comments_gives_none():
    assert corpus_result("readability--ars-1").comments == []


def test_corpus_recent_comments_widget_is_not_this_page():
    assert "2758" not in by_id(corpus_result("trafilatura--spektrum.de.engelbart"))


def _wordpress_comment(datetime_attr: str, shown: str, text: str = "Bien vu.") -> str:
    return (
        '<html lang="fr"><body><article><h1>Essai</h1><p>Texte.</p></article>'
        '<div id="comments"><ol class="comment-list"><li id="comment-7" class="comment">'
        '<article class="comment-body"><footer class="comment-meta">'
        '<div class="comment-author vcard"><b class="fn">Dédé</b></div>'
        f'<div class="comment-metadata"><a href="#comment-7"><time datetime="{datetime_attr}">{shown}</time></a></div>'
        f'</footer><div class="comment-content"><p>{text}</p></div></article></li></ol></div></body></html>'
    )


@pytest.mark.parametrize(
    ("attr", "shown", "published_at"),
    [
        # the visible clock is Paris time for that UTC instant: the attribute is right
        ("2023-03-23T17:26:00+00:00", "23 mars 2023 à 18 h 26 min", "2023-03-23T18:26:00+01:00"),
        # the visible clock is the attribute's: "+00:00" was put on local time
        ("2023-03-23T17:26:00+00:00", "23 mars 2023 à 17 h 26 min", "2023-03-23T17:26:00+01:00"),
        ("2023-03-23T17:26:00+00:00", "23/03/2023 5:26 pm", "2023-03-23T17:26:00+01:00"),
        # a year in two digits, or in the same number as the day and month: still read and compared
        ("2023-03-23T17:26:00+00:00", "23.03.23 17:26", "2023-03-23T17:26:00+01:00"),
        ("2023-03-23T17:26:00+00:00", "2023-03-23 17:26", "2023-03-23T17:26:00+01:00"),
        # noon and midnight (which may be written in words) are always compared
        ("2023-03-23T12:00:00+00:00", "23 mars 2023 à 12 h 00", "2023-03-23T12:00:00+01:00"),
        ("2023-03-23T12:00:00+00:00", "23 mars 2023 à 13 h 00", "2023-03-23T13:00:00+01:00"),
        ("2023-03-23T00:15:00Z", "le 23 mars 2023 à 0h15", "2023-03-23T00:15:00+01:00"),
    ],
)
def test_utc_marked_comment_date_against_the_visible_clock(attr, shown, published_at):
    root = lxml_html.fromstring(_wordpress_comment(attr, shown))
    result = extract_comments(root, url="https://exemple.fr/a/", language="fr")
    assert [(c.author, c.published_at, c.published_raw) for c in result.comments] == [
        ("Dédé", published_at, shown)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Un petit avis : je trouve cette voiture bien trop chère pour ce qu’elle offre.",
        "Un nouveau commentaire pour dire merci.",
        "Trois réponses à Bea76 : oui, non, peut-être.",
        "3 comments on this: too expensive.",
    ],
)
def test_a_comment_that_starts_like_a_comment_count_is_kept(text):
    # It was read as the count heading ("Un avis", "3 commentaires") and dropped, whole.
    root = lxml_html.fromstring(
        _wordpress_comment("2023-03-23T17:26:00+00:00", "23 mars 2023 à 18 h 26 min", text)
    )
    result = extract_comments(root, url="https://exemple.fr/a/", language="fr")
    assert [(c.id, c.author, c.text) for c in result.comments] == [("7", "Dédé", text)]


@pytest.mark.parametrize("layout", ["container penci_sidebar right-sidebar", "site-content has-sidebar"])
def test_comments_in_a_wrapper_named_for_its_sidebar_layout(layout):
    # The page's wrapper says it has a sidebar ("right-sidebar"): everything in it, the article and
    # its comments, was taken for a sidebar, and the comment items were dropped (replies lost their parent).
    page = (
        f'<html lang="fr"><body><div class="{layout}"><article><h1>Essai</h1><p>Texte.</p>'
        '<div id="comments"><ol class="comment-list">'
        '<li id="comment-7" class="comment"><div class="comment-body"><b class="fn">Dédé</b>'
        '<div class="comment-content"><p>Bien vu.</p></div></div>'
        '<ol class="children"><li id="comment-8" class="comment"><div class="comment-body">'
        '<b class="fn">Zoé</b><div class="comment-content"><p>Pas d’accord.</p></div></div></li></ol>'
        "</li></ol></div></article></div>"
        '<div class="sidebar"><ul class="recent-comments"><li class="comment" id="comment-99">'
        '<b class="fn">Max</b><div class="comment-content"><p>Ailleurs.</p></div></li></ul></div>'
        "</body></html>"
    )
    result = extract_comments(lxml_html.fromstring(page), url="https://exemple.fr/a/", language="fr")
    assert [(c.id, c.parent_id, c.author) for c in result.comments] == [
        ("7", None, "Dédé"),
        ("8", "7", "Zoé"),
    ]


def test_comment_ids_in_the_sites_own_words_give_the_threading():
    # 'li.avis-item#avis-901' with its replies in a nested list: ids and reply parents were null
    def avis(ident: str, author: str, when: str, text: str, replies: str = "") -> str:
        return (
            f'<li class="avis-item" id="{ident}" itemscope itemtype="https://schema.org/Comment">'
            f'<div class="avis-entete"><span class="avis-auteur" itemprop="author">{author}</span> '
            f'<time itemprop="dateCreated" datetime="{when}">le {when[:10]}</time></div>'
            f'<div class="avis-texte" itemprop="text"><p>{text}</p></div>{replies}</li>'
        )

    reply = avis("avis-905", "Mimi", "2024-04-30T09:40:00+02:00", "Oui mais 36 000 euros…")
    page = (
        '<html lang="fr"><body><article><h1>Kia EV3</h1><p>Texte.</p></article>'
        '<section id="avis" class="avis"><ul class="liste-avis">'
        + avis(
            "avis-901",
            "Fred34",
            "2024-04-30T08:12:00+02:00",
            "Enfin un SUV compact.",
            f'<ul class="reponses">{reply}</ul>',
        )
        + avis("avis-910", "Patrick", "2024-05-01T18:00:00+02:00", "J'attends les essais.")
        + "</ul></section></body></html>"
    )
    result = extract_comments(lxml_html.fromstring(page), url="https://exemple.fr/a/", language="fr")
    assert [(c.id, c.parent_id, c.author) for c in result.comments] == [
        ("901", None, "Fred34"),
        ("905", "901", "Mimi"),
        ("910", None, "Patrick"),
    ]


def test_author_with_digits_in_a_header_line_before_the_date(tmp_path):
    # "<strong>Lecteur100</strong> le 29 mars 2024 à 4h40": a pseudonym with three digits or more was
    # taken for no name at all (a guard against numbers standing alone, "#123" or "Message 1234").
    from tests.crawl.other_sites import PAGER_ARTICLES, write_pager_blog

    articles = write_pager_blog(tmp_path)
    path = PAGER_ARTICLES[0][0]
    url = "https://blog-dimanche.test" + path
    result = extract_comments(parse_document((tmp_path / path.lstrip("/")).read_bytes(), url).root, url=url)
    assert [c.author for c in result.comments] == [author for *_, author in articles[0].comments[:5]]
    assert result.comments[0].author == "Lecteur100"


def test_a_comment_list_the_page_prints_twice_gives_each_comment_once():
    # Some themes print the whole comment list twice (one copy per layout): the same ids and texts.
    thread = """
      <ol class="comment-list">
        <li class="comment depth-1" id="comment-11"><article class="comment-body">
          <footer><b class="fn">Alice</b> <time datetime="2024-04-29T10:00:00+02:00">29 avril 2024</time></footer>
          <div class="comment-content"><p>Premier avis sur la voiture.</p></div></article>
          <ol class="children">
            <li class="comment depth-2" id="comment-12"><article class="comment-body">
              <footer><b class="fn">Bruno</b> <time datetime="2024-04-29T11:00:00+02:00">29 avril 2024</time></footer>
              <div class="comment-content"><p>Une réponse à Alice.</p></div></article></li>
          </ol></li>
        <li class="comment depth-1" id="comment-13"><article class="comment-body">
          <footer><b class="fn">Chloé</b> <time datetime="2024-04-30T09:00:00+02:00">30 avril 2024</time></footer>
          <div class="comment-content"><p>Un troisième avis.</p></div></article></li>
      </ol>"""
    page = f'<html><body><article><p>Texte.</p></article><div id="comments">{thread}</div><div class="mobile">{thread}</div></body></html>'
    result = extract_comments(lxml_html.fromstring(page), url="https://exemple.fr/a", language="fr")
    assert [(c.id, c.parent_id, c.author) for c in result.comments] == [
        ("11", None, "Alice"),
        ("12", "11", "Bruno"),
        ("13", None, "Chloé"),
    ]


def _comment_with_metadata(metadata: str, author: str = '<b class="fn">Dédé</b>') -> str:
    return (
        '<html lang="fr"><body><article><h1>Essai</h1><p>Texte.</p></article>'
        '<div id="comments"><ol class="comment-list"><li id="comment-7" class="comment">'
        f'<article class="comment-body"><div class="comment-author">{author}</div>'
        f'<div class="comment-metadata">{metadata}</div>'
        '<div class="comment-content"><p>Bien vu.</p></div></article></li></ol></div></body></html>'
    )


@pytest.mark.parametrize(
    ("metadata", "raw"),
    [
        ("Publié le 3 mai 2024 à 10h12", "Publié le 3 mai 2024 à 10h12"),
        ("<span>le 3 mai 2024</span>", "le 3 mai 2024"),
        ("<span>Posted on May 3, 2024 at 10:12 am</span>", "Posted on May 3, 2024 at 10:12 am"),
        (
            'Publié le <time datetime="2024-05-03T10:12:00+02:00">3 mai 2024 à 10h12</time>',
            "Publié le 3 mai 2024 à 10h12",
        ),
        (
            '<a href="#comment-7">Posted <time datetime="2024-05-03T10:12:00+02:00">3 mai 2024</time></a>',
            "Posted 3 mai 2024",
        ),
    ],
)
def test_comment_raw_date_keeps_the_words_that_introduce_it(metadata, raw):
    # published_raw is the date as the page shows it ('Publié le 29 avril 2024', as for the article):
    # 'Publié le' and 'le' were cut off when the date was found inside a longer text or after a label
    root = lxml_html.fromstring(_comment_with_metadata(metadata))
    result = extract_comments(root, url="https://exemple.fr/a/", language="fr")
    assert [(c.published_at[:10], c.published_raw) for c in result.comments] == [("2024-05-03", raw)]


def test_a_date_introduced_by_le_does_not_give_le_as_the_author():
    # A name in a link without an author class, the date in a line of its own: the 'Le' before the
    # date was read as the name written before the date ('Heidemarie Heim | 21. April 2020')
    page = _comment_with_metadata(
        '<span class="timestamp">Le 21/04/2013 à 02:20</span>',
        author='<a href="https://exemple.fr/page/democrate10" class="comment-user">democrate10</a>',
    )
    result = extract_comments(lxml_html.fromstring(page), url="https://exemple.fr/a/", language="fr")
    assert [(c.author, c.published_raw) for c in result.comments] == [
        ("democrate10", "Le 21/04/2013 à 02:20")
    ]


def _comment_without_id(author: str, text: str) -> str:
    return (
        f'<li class="comment"><div class="comment-author"><b class="fn">{author}</b></div>'
        '<div class="comment-metadata"><span>le 3 mai 2024</span></div>'
        f'<div class="comment-content"><p>{text}</p></div></li>'
    )


def test_a_comment_list_without_ids_the_page_prints_twice_gives_each_comment_once():
    # The theme's second copy (one per layout) repeated every comment: without ids, nothing matched them
    thread = (
        '<ol class="comment-list">'
        + _comment_without_id("Paul", "Merci !")
        + _comment_without_id("Zoé", "Bof.")
        + _comment_without_id("Paul", "Merci !")
        + "</ol>"
    )
    page = f'<html><body><article><p>Texte.</p></article><div id="comments">{thread}</div><div class="mobile">{thread}</div></body></html>'
    result = extract_comments(lxml_html.fromstring(page), url="https://exemple.fr/a", language="fr")
    assert [(c.author, c.text) for c in result.comments] == [
        ("Paul", "Merci !"),
        ("Zoé", "Bof."),
        ("Paul", "Merci !"),
    ]


def test_identical_comments_without_ids_in_one_list_are_all_kept():
    # Same reader, same words, same day, twice in the list: two comments, not a copy of the list
    thread = (
        '<ol class="comment-list">'
        + _comment_without_id("Paul", "Merci !")
        + _comment_without_id("Zoé", "Bof.")
        + _comment_without_id("Paul", "Merci !")
        + _comment_without_id("Zoé", "Bof.")
        + "</ol>"
    )
    page = f'<html><body><article><p>Texte.</p></article><div id="comments">{thread}</div></body></html>'
    result = extract_comments(lxml_html.fromstring(page), url="https://exemple.fr/a", language="fr")
    assert [(c.author, c.text) for c in result.comments] == [("Paul", "Merci !"), ("Zoé", "Bof.")] * 2


def test_a_pingback_is_kept_among_the_comments_with_the_linking_post_as_author():
    # The contract counts pingbacks as comments (the corpus answers, the count WordPress declares)
    page = (
        '<html lang="fr"><body><article><h1>Essai</h1><p>Texte.</p></article>'
        '<div id="comments"><h2 class="comments-title">2 réflexions sur « Essai »</h2><ol class="comment-list">'
        '<li id="comment-7" class="comment"><article class="comment-body"><footer class="comment-meta">'
        '<div class="comment-author vcard"><b class="fn">Dédé</b></div></footer>'
        '<div class="comment-content"><p>Bien vu.</p></div></article></li>'
        '<li id="comment-8" class="pingback"><div class="comment-body">Pingback : '
        '<a href="https://autre.fr/billet/" class="url" rel="external nofollow">Un billet qui cite celui-ci | Autre blog</a>'
        "</div></li></ol></div></body></html>"
    )
    result = extract_comments(lxml_html.fromstring(page), url="https://exemple.fr/a/", language="fr")
    assert result.declared_count == len(result.comments) == 2
    assert (result.comments[1].id, result.comments[1].author) == ("8", "Un billet qui cite celui-ci")

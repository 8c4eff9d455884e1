"""Golden tests of the article metadata extractor, plus unit tests of its building blocks.

The pages are real pages (the blog-auto-info mirror and a spread of the shared corpus: French,
German, English, Chinese, Japanese, broken JSON-LD, <title>-only), read from
tests/fixtures/metadata/pages or, when another test already keeps the page, from the golden or
comments folder; their expected values live in tests/fixtures/metadata/expected.json, one test per
page and field.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import html as lxml_html

from newscrawl.extraction.article import extract_article, extract_comment_page
from newscrawl.extraction.document import parse_document
from newscrawl.extraction.metadata import (
    Metadata,
    clean_author,
    extract_metadata,
    split_authors,
    strip_site_affixes,
)
from newscrawl.extraction.structured import json_ld_objects, meta_properties
from newscrawl.sites import SiteProfile
from tests.saved_pages import saved_page

FIXTURES = Path(__file__).parent / "fixtures" / "metadata"
COMMENT_PAGES = Path(__file__).parent / "fixtures" / "comments" / "corpus"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
NOW = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)
FIELDS = (
    "title", "canonical_url", "site_name", "language", "authors", "published_at", "published_raw",
    "modified_at", "modified_raw", "category", "tags", "comment_count",
)  # fmt: skip

_cache: dict[str, Metadata] = {}


def metadata_of(name: str) -> Metadata:
    if name not in _cache:
        case = EXPECTED[name]
        data = saved_page(name, FIXTURES / "pages", COMMENT_PAGES).read_bytes()
        doc = parse_document(data, case["url"])
        _cache[name] = extract_metadata(doc.root, url=case["url"], now=NOW)
    return _cache[name]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_golden(name, field):
    assert getattr(metadata_of(name), field) == EXPECTED[name]["expect"][field]


def test_blog_auto_info_record_contract():
    """The flagship article as the reference site's expected record has it."""
    md = metadata_of("blog-auto-info--renault-xiaomi")
    assert md.title == "Renault et Xiaomi redéfinissent l’avenir des voitures électriques"
    assert md.authors == ["Julien Marchand"]
    assert md.published_at == "2024-04-29T16:05:00+02:00"
    assert md.published_raw == "Publié le 29 avril 2024"
    assert md.modified_at == "2024-04-30T09:12:00+02:00"
    assert md.category == "Actualités"
    assert md.tags == ["Renault", "Xiaomi", "Salon de Pékin"]
    assert md.comment_count == 43
    assert any(obj.get("@type") == "Article" for obj in md.jsonld)


def test_comment_page_resolves_to_article():
    md = metadata_of("blog-auto-info--renault-xiaomi--comment-page-2")
    assert md.canonical_url == (
        "https://blog-auto-info.com/renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques/"
    )


def test_modified_equal_to_published_is_no_modification():
    md = metadata_of("blog-auto-info--tesla-prices")
    assert md.modified_at is None and md.modified_raw is None


# --- building blocks ---------------------------------------------------------------------------


def page(body: str, head: str = "", url: str = "https://example.com/2024/04/29/story/"):
    doc = parse_document(f"<html><head>{head}</head><body>{body}</body></html>", url)
    return extract_metadata(doc.root, url=url, now=NOW)


@pytest.mark.parametrize(
    ("title", "names", "url", "expected"),
    [
        ("Renault et Xiaomi - Blog Auto Info", ["Blog Auto Info"], None, "Renault et Xiaomi"),
        ("Le Monde | La réforme des retraites", ["Le Monde"], None, "La réforme des retraites"),
        ("Story headline — Site", ["Site"], None, "Story headline"),
        ("Story headline | lemonde.fr", [], None, "Story headline"),
        ("Story headline - Le Monde", [], "https://www.lemonde.fr/x", "Story headline"),
        ("Headline | Section | Blog Auto Info", ["Blog Auto Info"], None, "Headline | Section"),
        ("Firefox — Customize it", [], "https://www.mozilla.org/", "Firefox — Customize it"),
        ("Tesla: la Model 3 baisse", ["Tesla Blog"], None, "Tesla: la Model 3 baisse"),
        ("No separator here", ["Site"], None, "No separator here"),
        ("  Spaces   and\ttabs - Site ", ["Site"], None, "Spaces and tabs"),
    ],
)
def test_strip_site_affixes(title, names, url, expected):
    assert strip_site_affixes(title, names, url) == expected


def test_strip_site_affixes_weak_names_only_at_the_end():
    assert strip_site_affixes("Firefox — Make it yours", [], None, weak_names=["firefox"]) == (
        "Firefox — Make it yours"
    )
    assert strip_site_affixes("Make it yours — Firefox", [], None, weak_names=["firefox"]) == "Make it yours"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Par Julien Marchand", ["Julien Marchand"]),
        ("By Jane Doe and John Smith", ["Jane Doe", "John Smith"]),
        ("Von Benjamin Fischer und Marcus Theurer", ["Benjamin Fischer", "Marcus Theurer"]),
        ("Par Anne Dupont et Marc Durand", ["Anne Dupont", "Marc Durand"]),
        ("Written by A. Writer, B. Writer & C. Writer", ["A. Writer", "B. Writer", "C. Writer"]),
        ("John Smith, Staff Writer", ["John Smith"]),
        ("By damianduchamps on August 3, 2019", ["damianduchamps"]),
        ("Von Christian am 03.05.2013, 11:51", ["Christian"]),
        ("Jean Dupont (AFP)", ["Jean Dupont"]),
        ("Rob Ewaschuk Edited by Betsy Beyer", ["Rob Ewaschuk"]),
        ("Craig McCarthy Last updated: 17 December 2025", ["Craig McCarthy"]),
        ("jane@example.com", []),
        ("Facebook", []),
        ("https://www.facebook.com/someone", []),
        ("Là-bas si j'y suis", ["Là-bas si j'y suis"]),
        ("", []),
    ],
)
def test_split_authors(raw, expected):
    assert split_authors(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("par Julien Marchand", "Julien Marchand"),
        ("Written by: Jane Doe", "Jane Doe"),
        ("  Claire   Dubois ", "Claire Dubois"),
        ("Twitter", None),
        ("Donnerstag", None),
        ("2 Kommentare", None),
        ("12.03.2024", None),
        ("Marianne1", "Marianne1"),
        ("delta201", "delta201"),
        ("@handle", None),
    ],
)
def test_clean_author(raw, expected):
    assert clean_author(raw) == expected


def test_json_ld_graph_and_id_references():
    ld = """{"@context": "https://schema.org", "@graph": [
        {"@type": "NewsArticle", "@id": "#a", "headline": "H", "author": {"@id": "#p"},
         "publisher": {"@id": "#o"}, "datePublished": "2024-04-29T14:05:00+02:00"},
        {"@type": "Person", "@id": "#p", "name": "Jane Doe"},
        {"@type": "Organization", "@id": "#o", "name": "Daily", "founder": {"@id": "#p"}}]}"""
    root = lxml_html.fromstring(f'<html><head><script type="application/ld+json">{ld}</script></head></html>')
    objects = json_ld_objects(root)
    assert [o["@type"] for o in objects] == ["NewsArticle", "Person", "Organization"]
    article = objects[0]
    assert article["author"]["name"] == "Jane Doe"
    assert article["publisher"]["name"] == "Daily"
    assert article["publisher"]["founder"] == {"@id": "#p"}  # one level: no cycles
    json.dumps(objects)  # still serializable


@pytest.mark.parametrize(
    "raw",
    [
        '<!-- {"@type": "Article", "headline": "H",} -->',
        '//<![CDATA[\n{"@type": "Article", "headline": "H"}\n//]]>',
        '{"@type": "Article", // a comment\n "headline": "H", "url": "https://x.org/a"}',
        '{"@type": "Article", "headline": "H\tbroken\ncontrol"}',
        '{"@type": "Article", "headline": "H"}{"@type": "Person", "name": "P"}',
    ],
)
def test_json_ld_tolerates_broken_json(raw):
    root = lxml_html.fromstring(
        f'<html><head><script type="application/ld+json">{raw}</script></head></html>'
    )
    objects = json_ld_objects(root)
    assert objects and objects[0]["@type"] == "Article"
    assert objects[0]["headline"].startswith("H")


def test_json_ld_beyond_repair_is_skipped():
    root = lxml_html.fromstring(
        '<html><head><script type="application/ld+json">{ & #34;x</script></head></html>'
    )
    assert json_ld_objects(root) == []


def test_meta_properties_lower_cases_keys():
    root = lxml_html.fromstring(
        '<html><head><meta property="OG:Title" content=" A  title "><meta name="Author" content="X">'
        '<meta itemprop="datePublished" content="2024-01-02"><meta name="empty" content=""></head></html>'
    )
    props = meta_properties(root)
    assert props["og:title"] == ["A title"]
    assert props["author"] == ["X"]
    assert props["datepublished"] == ["2024-01-02"]
    assert "empty" not in props


def test_title_only_title_element_strips_domain_suffix():
    md = page(
        "<p>Text</p>", "<title>Une histoire de voitures | exemple.fr</title>", "https://www.exemple.fr/a"
    )
    assert md.title == "Une histoire de voitures"


def test_title_only_title_element_loses_a_site_name_when_the_page_shows_the_headline_alone():
    head = "<title>Ask: what will 2024 bring to cars? | Auto Forum</title>"
    story = '<span class="titleline"><a href="item?id=1">Ask: what will 2024 bring to cars?</a></span>'
    assert (
        page(f"<table><tr><td>{story}</td></tr></table>", head).title == "Ask: what will 2024 bring to cars?"
    )
    # Nothing on the page shows the first part alone: the title is kept whole.
    assert page("<p>Ask: what will 2024 bring to cars? Tell us.</p>", head).title == (
        "Ask: what will 2024 bring to cars? | Auto Forum"
    )
    # A long last part is a subtitle, not a site name.
    long_tail = "<title>Ask: what will 2024 bring to cars? | Ten answers from our readers today</title>"
    assert (
        page(story, long_tail).title
        == "Ask: what will 2024 bring to cars? | Ten answers from our readers today"
    )


def test_title_prefers_h1_text_agreeing_with_og_title():
    md = page(
        "<h1>Headline “quoted” here</h1>",
        '<meta property="og:title" content="Headline &quot;quoted&quot; here"><title>Headline - Site</title>',
    )
    assert md.title == "Headline “quoted” here"


def test_title_is_the_h1_declared_as_headline_in_microdata():
    # A custom CMS without JSON-LD or Open Graph marks its h1 itemprop="headline": the title came from
    # <title> (a shorter SEO form with the site's name) and the h1 became the body's first heading.
    html = (
        "<html><head><title>Kia EV3 : prix, autonomie, équipements - Auto Journal Pro</title></head><body>"
        '<article itemscope itemtype="https://schema.org/NewsArticle">'
        '<h1 itemprop="headline">Kia EV3 : prix, autonomie et équipements du SUV électrique</h1>'
        '<div itemprop="articleBody"><p>Kia élargit sa gamme électrique par le bas. Le nouvel EV3, qui '
        "reprend le style de l'EV9 dans un format compact, sera commercialisé à partir de septembre.</p>"
        "<h2>Deux batteries</h2><p>Deux batteries seront proposées : 58,3 kWh pour 436 km, et 81,4 kWh "
        "pour 605 km. La recharge rapide de 10 à 80 % prend 31 minutes.</p></div></article>"
        '<aside class="related"><div itemscope itemtype="https://schema.org/NewsArticle">'
        '<h3 itemprop="headline">Kia EV9 : essai</h3></div></aside></body></html>'
    )
    article = extract_article(html, "https://www.example-auto.fr/kia-ev3/")
    assert article.title == "Kia EV3 : prix, autonomie et équipements du SUV électrique"
    assert [s.heading for s in article.sections] == [None, "Deux batteries"]


def test_title_skips_banner_h1():
    md = page(
        '<h1 class="site-title"><a href="/">My Blog</a></h1><h2>Post</h2>',
        '<meta property="og:title" content="A real post title"><title>My Blog: A real post title</title>',
    )
    assert md.title == "A real post title"


def test_french_byline_date_gets_paris_offset():
    md = page(
        '<h1>Un titre</h1><div class="entry-meta">Publié le 29 avril 2024 à 14h05</div>'
        "<p>Le texte de l'article est en français et il parle des voitures électriques.</p>",
        '<meta property="og:title" content="Un titre">',
        "https://example.fr/un-titre/",
    )
    assert md.language == "fr"
    assert md.published_at == "2024-04-29T14:05:00+02:00"
    assert md.published_raw == "Publié le 29 avril 2024 à 14h05"


SPANISH_BODY = (
    '<h1>Un titular</h1><div class="entry-meta">Publicado el 29 de abril de 2024 a las 14:05</div>'
    "<p>El gobierno anunció que los precios de la electricidad bajarán en las próximas semanas, según el "
    "ministro, que también habló de las ayudas para los coches eléctricos.</p>"
)


@pytest.mark.parametrize(
    ("html_lang", "head", "url", "published_at"),
    [
        # the country the page declares for its language gives the zone: <html lang>, og:locale
        ("es-ES", "", "https://example.com/un-titular/", "2024-04-29T14:05:00+02:00"),
        (
            "es",
            '<meta property="og:locale" content="es_ES">',
            "https://example.com/un-titular/",
            "2024-04-29T14:05:00+02:00",
        ),
        ("es-AR", "", "https://example.com/un-titular/", "2024-04-29T14:05:00-03:00"),
        # or the site's domain, in a country that writes the page's language
        ("es", "", "https://www.example.es/un-titular/", "2024-04-29T14:05:00+02:00"),
        ("es-ES", "", "https://www.example.com.ar/un-titular/", "2024-04-29T14:05:00-03:00"),
        # nothing says where, or the declarations disagree: no offset rather than a guess
        ("es", "", "https://example.com/un-titular/", "2024-04-29T14:05:00"),
        ("es-MX", "", "https://example.com/un-titular/", "2024-04-29T14:05:00"),
        (
            "es-ES",
            '<meta property="og:locale" content="es_MX">',
            "https://example.com/un-titular/",
            "2024-04-29T14:05:00",
        ),
        # a declaration of another language says nothing about this page's
        (
            "es",
            '<meta property="og:locale" content="en_GB">',
            "https://example.com/un-titular/",
            "2024-04-29T14:05:00",
        ),
    ],
)
def test_date_without_offset_takes_the_zone_the_page_implies(html_lang, head, url, published_at):
    doc = parse_document(
        f'<html lang="{html_lang}"><head>{head}</head><body>{SPANISH_BODY}</body></html>', url
    )
    md = extract_metadata(doc.root, url=url, now=NOW)
    assert (md.language, md.published_at) == ("es", published_at)


def test_an_offset_the_page_states_is_kept_whatever_zone_it_implies():
    md = page(
        '<h1>Un titular</h1><time class="published" datetime="2024-04-29T14:05:00-03:00">29 de abril de 2024</time>'
        "<p>El gobierno anunció que los precios de la electricidad bajarán en las próximas semanas.</p>",
        "",
        "https://www.example.es/un-titular/",
    )
    assert md.published_at == "2024-04-29T14:05:00-03:00"


@pytest.mark.parametrize(
    ("html_lang", "dateline", "url"),
    [
        ("es-AR", "2 de mayo de 2024", "https://example.com/nota/"),  # UTC-3
        ("es-ES", "2 de mayo de 2024", "https://example.com/nota/"),  # UTC+2
        ("en-NZ", "2 May 2024", "https://example.com/story/"),  # UTC+12
        ("en", "2 May 2024", "https://www.example.co.uk/story/"),
        ("zh-TW", "2024年5月2日", "https://example.com/a/"),
    ],
)
def test_a_date_without_time_keeps_its_day_in_any_zone(html_lang, dateline, url):
    doc = parse_document(
        f'<html lang="{html_lang}"><body><h1>T</h1><div class="date">{dateline}</div><p>x</p></body></html>',
        url,
    )
    md = extract_metadata(doc.root, url=url, now=NOW)
    assert md.published_at[:19] == "2024-05-02T00:00:00"
    assert len(md.published_at) == 25  # with the zone's offset


def test_comment_pages_date_in_the_zone_of_their_article():
    # a further comment page is read without the article's metadata: its own head gives the country
    comment = (
        '<div id="comments"><ol class="comment-list"><li id="comment-7" class="comment">'
        '<article class="comment-body"><div class="comment-author"><b class="fn">Ana</b></div>'
        '<div class="comment-metadata">29 de abril de 2024 a las 18:30</div>'
        '<div class="comment-content"><p>Muy buen artículo.</p></div></article></li></ol></div>'
    )
    head = '<head><meta property="og:locale" content="es_ES"></head>'
    article = extract_article(
        f'<html lang="es">{head}<body><article>{SPANISH_BODY}</article>{comment}</body></html>',
        "https://example.com/un-titular/",
        fetched_at=NOW,
    )
    later = extract_comment_page(
        f'<html lang="es">{head}<body>{comment}</body></html>',
        "https://example.com/un-titular/comment-page-2/",
        fetched_at=NOW,
        language="es",
    )
    assert article.published_at == "2024-04-29T14:05:00+02:00"
    assert [c.published_at for c in article.comments] == ["2024-04-29T18:30:00+02:00"]
    assert [c.published_at for c in later] == ["2024-04-29T18:30:00+02:00"]


def test_a_site_profiles_zone_dates_the_article_as_its_comments():
    # the profile's zone reached the comments and the selector overrides, not the article's own date
    profile = SiteProfile(name="example", domains=("example.com",), timezone="America/New_York")
    article = extract_article(
        '<html lang="en"><body><article><h1>A headline</h1>'
        '<div class="byline">Posted on April 29, 2024 at 2:05 pm</div>'
        "<p>The company said on Tuesday that it would cut prices again, and analysts expect that the "
        "move will put pressure on its rivals.</p></article>"
        '<div id="comments"><ol class="comment-list"><li id="comment-7" class="comment">'
        '<article class="comment-body"><div class="comment-author"><b class="fn">Ann</b></div>'
        '<div class="comment-metadata">April 29, 2024 at 6:30 pm</div>'
        '<div class="comment-content"><p>Nice one.</p></div></article></li></ol></div></body></html>',
        "https://example.com/a-headline/",
        fetched_at=NOW,
        profile=profile,
    )
    assert article.published_at == "2024-04-29T14:05:00-04:00"
    assert [c.published_at for c in article.comments] == ["2024-04-29T18:30:00-04:00"]


@pytest.mark.parametrize(
    ("dateline", "raw"),
    [
        ('<p class="dateline">Le 12/03/2024 à 8h30</p>', "Le 12/03/2024 à 8h30"),
        (
            '<div class="meta">Par Jean Dupont, le mardi 12 mars 2024 à 8h30</div>',
            "le mardi 12 mars 2024 à 8h30",
        ),
        (
            '<div class="entry-meta">Le <time class="published" datetime="2024-03-12T08:30">12 mars 2024</time></div>',
            "Le 12 mars 2024",
        ),
        ('<p class="byline">Von Anna Weber am 12.03.2024, 8:30 Uhr</p>', "am 12.03.2024, 8:30 Uhr"),
    ],
)
def test_raw_date_keeps_the_word_that_introduces_it(dateline, raw):
    # published_raw is the date as the page shows it ('Publié le 29 avril 2024'): 'Le 12/03/2024 à
    # 8h30' lost its 'Le' when no label stood before it
    md = page(
        f"<article><h1>Un titre</h1>{dateline}<p>Le texte de l'article parle des voitures électriques.</p></article>",
        "",
        "https://example.fr/un-titre/",
    )
    assert md.published_at.startswith("2024-03-12T")
    assert md.published_raw == raw


def test_time_text_naming_another_day_is_the_raw_date_with_its_label():
    # the visible text wins over a datetime attribute of another day, and is shown as written
    md = page(
        '<article><h1>Un titre</h1><div class="time"><time datetime="2019-07-03T10:18:46Z">Publié le 29 juin 2019'
        "</time></div><p>Le texte de l'article parle des voitures électriques.</p></article>",
        "",
        "https://example.fr/un-titre/",
    )
    assert (md.published_at[:10], md.published_raw) == ("2019-06-29", "Publié le 29 juin 2019")


def test_relative_date_resolves_against_now():
    md = page(
        '<html lang="fr"><h1>Titre</h1><span class="date">il y a 3 jours</span>',
        '<meta http-equiv="content-language" content="fr">',
        "https://example.fr/titre/",
    )
    assert md.published_at is not None and md.published_at.startswith("2024-04-29")


def test_url_date_is_a_last_resort():
    md = page("<h1>Story</h1><p>No date anywhere.</p>", "", "https://example.com/2021/03/04/story/")
    assert md.published_at is not None and md.published_at.startswith("2021-03-04")


def test_breadcrumb_category_and_rel_tags():
    md = page(
        '<nav class="breadcrumbs"><a href="/">Accueil</a> » <a href="/category/essais/">Essais</a> » '
        "<span>Le titre</span></nav><h1>Le titre</h1>"
        '<a href="/tag/suv/" rel="tag">SUV</a><a href="/tag/suv-2/" rel="tag">suv</a>'
        '<a href="/tag/autonomie/" rel="tag">Autonomie</a>',
        "",
        "https://example.fr/le-titre/",
    )
    assert md.category == "Essais"
    assert md.tags == ["SUV", "Autonomie"]


def test_comment_count_from_interaction_statistic():
    ld = (
        '{"@type": "BlogPosting", "headline": "H", "interactionStatistic": {"@type": "InteractionCounter",'
        ' "interactionType": "https://schema.org/CommentAction", "userInteractionCount": "12"}}'
    )
    md = page("<h1>H</h1>", f'<script type="application/ld+json">{ld}</script>')
    assert md.comment_count == 12


def test_author_profile_urls_are_not_names():
    md = page(
        '<h1>H</h1><p class="byline">By Jane Doe</p>',
        '<meta property="article:author" content="https://www.facebook.com/janedoe">',
    )
    assert md.authors == ["Jane Doe"]


def test_publisher_kept_only_when_nobody_else_is_named():
    ld = '{"@type": "NewsArticle", "headline": "H", "author": {"@type": "Organization", "name": "Daily"}}'
    md = page("<h1>H</h1>", f'<script type="application/ld+json">{ld}</script>')
    assert md.authors == ["Daily"]


@pytest.mark.parametrize(
    "markup",
    [
        "",
        "<html></html>",
        "<p>no head at all",
        '<html><head><script type="application/ld+json">{{{</script><meta property="og:title"></head></html>',
        "<html><body><time datetime='garbage'>not a date</time><h1></h1></body></html>",
    ],
)
def test_never_raises(markup):
    root = (
        lxml_html.fromstring(markup or "<html></html>") if markup else lxml_html.fromstring("<html></html>")
    )
    md = extract_metadata(root, url="")
    assert isinstance(md, Metadata)


def test_none_root():
    assert extract_metadata(None, url="https://x.org/") == Metadata()


def test_published_raw_is_not_a_comment_time_of_the_same_day():
    # The article shows no <time>; a reader's comment of the same day does: its clock was given as
    # the article's own raw date ('28 février 2024 à 10 h 14 min' for a 08:30 article).
    md = page(
        "<article><h1>Genève 2024</h1><p>Le salon rouvre ses portes.</p></article>"
        '<div id="comments"><ol class="comment-list"><li id="comment-31" class="comment">'
        '<div class="comment-metadata"><a href="#comment-31"><time datetime="2024-02-28T10:14:22+01:00">'
        "28 février 2024 à 10 h 14 min</time></a></div><p>Triste.</p></li></ol></div>",
        '<meta property="article:published_time" content="2024-02-28T07:30:00+00:00">',
        "https://example.fr/geneve-2024/",
    )
    assert md.published_at == "2024-02-28T07:30:00+00:00"
    assert md.published_raw == "2024-02-28T07:30:00+00:00"


def test_published_and_updated_in_one_line_each_get_their_part_as_raw():
    # One dateline holds both dates: it was passed over (it names the other label too), and the raw
    # dates stayed the machine ones ('2024-04-29T12:05:00+00:00').
    md = page(
        '<article><h1>Tesla baisse ses prix</h1><div class="jeg_meta_date"><a href="/tesla/">Publié le 29 avril '
        "2024 à 14h05, mis à jour le 30 avril 2024 à 09h12</a></div><p>Texte.</p></article>",
        '<meta property="article:published_time" content="2024-04-29T12:05:00+00:00">'
        '<meta property="article:modified_time" content="2024-04-30T07:12:00+00:00">',
        "https://example.fr/tesla/",
    )
    assert (md.published_at, md.published_raw) == (
        "2024-04-29T12:05:00+00:00",
        "Publié le 29 avril 2024 à 14h05",
    )
    assert (md.modified_at, md.modified_raw) == (
        "2024-04-30T07:12:00+00:00",
        "mis à jour le 30 avril 2024 à 09h12",
    )


def test_category_and_tags_from_theme_lists_without_rel():
    # tagDiv Newspaper: the category link in 'li.entry-category' and the tags in 'ul.td-tags' carry no
    # rel="category" / rel="tag"; the post's own 'category-essais tag-renault' classes are no lists
    md = page(
        '<div class="entry-crumbs"><a href="/">Accueil</a> <a href="/category/essais/">Essais</a></div>'
        '<article class="post category-essais tag-renault"><div class="td-post-header">'
        '<ul class="td-category"><li class="entry-category"><a href="/category/essais/">Essais</a></li></ul>'
        "<h1>Essai Renault 5 E-Tech</h1></div><p>Le texte de l'essai.</p><footer>"
        '<ul class="td-tags"><li><span>TAGS</span></li><li><a href="/tag/citadine/">citadine</a></li>'
        '<li><a href="/tag/renault/">Renault</a></li></ul></footer></article>'
        '<aside class="sidebar"><div class="tagcloud tags"><a href="/tag/suv/">SUV</a></div></aside>'
    )
    assert (md.category, md.tags) == ("Essais", ["citadine", "Renault"])


def test_category_from_a_breadcrumb_outside_the_article_and_drupal_tag_field():
    md = page(
        '<div class="region-breadcrumb"><nav class="breadcrumb"><ol><li><a href="/">Accueil</a></li>'
        '<li><a href="/essais">Essais</a></li></ol></nav></div><main><div class="layout-content">'
        '<div class="region-content"><div class="block-system-main-block"><article class="node">'
        '<h1>Toyota C-HR : notre essai</h1><div class="node__content"><p>Le texte de l\'essai.</p>'
        '<div class="field field--name-field-tags"><div class="field__label">Mots-clés</div>'
        '<div class="field__item"><a href="/taxonomy/term/3">Hybride rechargeable</a></div>'
        '<div class="field__item"><a href="/taxonomy/term/8">Toyota</a></div></div></div></article>'
        "</div></div></div></main>"
    )
    assert (md.category, md.tags) == ("Essais", ["Hybride rechargeable", "Toyota"])

"""Decoding and parsing: charsets declared or not, junk input as a clear error, never a traceback."""

from __future__ import annotations

import warnings

import pytest

from newscrawl.extraction import ExtractionError, extract_article
from newscrawl.extraction.document import NotHTMLError, decode_html, parse_document

PAGE = "<html><head><title>Essai</title></head><body><h1>Essai</h1><p>{}</p></body></html>"
FRENCH = "La Citroën ë-C3 coûte 23 300 € : un prix très agressif pour une électrique à l’autonomie correcte."


def test_utf8_bytes_are_decoded():
    text, encoding = decode_html(PAGE.format(FRENCH).encode("utf-8"))
    assert FRENCH in text and encoding == "utf-8"


def test_declared_latin1_is_honoured():
    data = ('<meta charset="iso-8859-1">' + PAGE.format("Citroën coûte cher")).encode("latin-1")
    text, _ = decode_html(data)
    assert "Citroën coûte cher" in text


def test_http_header_charset_wins_over_guessing():
    text, encoding = decode_html(
        PAGE.format("été").encode("cp1252"), content_type="text/html; charset=windows-1252"
    )
    assert "été" in text and encoding == "cp1252"


def test_undeclared_latin1_is_guessed():
    text, encoding = decode_html(PAGE.format("Renault Mégane électrique").encode("cp1252"))
    assert "Renault Mégane électrique" in text and encoding == "cp1252"


def test_bom_wins():
    text, _ = decode_html(b"\xef\xbb\xbf" + PAGE.format("Déjà vu").encode("utf-8"))
    assert "Déjà vu" in text


def test_http_header_charset_wins_over_meta():
    data = ('<meta charset="utf-8">' + PAGE.format("Mégane")).encode("cp1252")
    text, encoding = decode_html(data, content_type="text/html; charset=iso-8859-1")
    assert "Mégane" in text and encoding == "cp1252"


def test_latin1_reads_as_windows_1252():
    # As in browsers: pages labelled Latin-1 are written in its Windows superset (€, ’, œ in 0x80-0x9F).
    data = ('<meta charset="iso-8859-1">' + PAGE.format("L’œuvre coûte 30 000 €")).encode("cp1252")
    text, encoding = decode_html(data)
    assert "L’œuvre coûte 30 000 €" in text and encoding == "cp1252"


def test_unknown_charset_label_is_ignored():
    data = ('<meta charset="x-nonsense">' + PAGE.format("Renault Mégane")).encode("cp1252")
    text, encoding = decode_html(data, content_type="text/html; charset=bogus")
    assert "Renault Mégane" in text and encoding == "cp1252"


def test_wrong_utf8_declaration_replaces_the_undecodable_bytes():
    data = ('<meta charset="utf-8">' + PAGE.format("Renault Mégane")).encode("cp1252")
    text, encoding = decode_html(data)
    assert "Renault M\ufffdgane" in text and encoding == "utf-8"


def test_bytes_windows_1252_leaves_undefined_are_kept_as_controls():
    # 0x81, 0x8D, 0x8F, 0x90, 0x9D have no character in windows-1252: Python's codec refuses them,
    # browsers read C1 controls, and so do we (never an error, never a lost page).
    data = ('<meta charset="windows-1252">' + PAGE.format("Mégane")).encode(
        "cp1252"
    ) + b"\x81\x8d\x8f\x90\x9d"
    text, encoding = decode_html(data)
    assert "Mégane" in text and text.endswith("\x81\x8d\x8f\x90\x9d") and encoding == "cp1252"


@pytest.mark.parametrize(("bom", "codec"), [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")])
def test_utf16_bom_is_read_and_stripped(bom, codec):
    text, encoding = decode_html(bom + PAGE.format("Déjà vu").encode(codec))
    assert text.startswith("<html>") and "Déjà vu" in text and encoding == codec


def test_meta_utf16_without_bom_reads_as_utf8():
    # A page whose bytes are ASCII-compatible cannot be UTF-16, whatever it says (the HTML standard).
    text, encoding = decode_html(('<meta charset="utf-16">' + PAGE.format("Déjà vu")).encode("utf-8"))
    assert "Déjà vu" in text and encoding == "utf-8"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"\xef\xbb\xbf" + PAGE.format("Déjà vu").encode("utf-8"), None),
        (PAGE.format("Déjà vu").encode("cp1252"), "text/html; charset=windows-1252"),
        (('<meta charset="iso-8859-1">' + PAGE.format("Déjà vu")).encode("latin-1"), None),
        (PAGE.format("Déjà vu").encode("utf-8"), None),
        (PAGE.format("Déjà vu").encode("cp1252"), None),
    ],
    ids=["bom", "http-charset", "meta-charset", "undeclared-utf8", "undeclared-legacy"],
)
def test_decoding_uses_no_deprecated_w3lib_api(data, content_type):
    # w3lib deprecates html_to_unicode's default_encoding / auto_detect_fun (and may drop them).
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        text, _ = decode_html(data, content_type)
    assert "Déjà vu" in text


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"   \n ", "empty"),
        (bytes(range(256)) * 8, "binary"),
        (b"just some words, no markup", "markup"),
    ],
)
def test_junk_is_not_html(data, reason):
    with pytest.raises(NotHTMLError, match=reason):
        parse_document(data, "https://x.example/")


def test_control_characters_and_nul_never_reach_the_record():
    record = extract_article(
        PAGE.format("Une voiture A\x00B\x07C qui roule bien en ville.").encode(), "https://x.example/"
    )
    assert "Une voiture ABC qui roule bien en ville." in record.body_text


@pytest.mark.parametrize("character", ["\ufffe", "\uffff", "&#xFFFE;", "&#xffff;"])
def test_characters_xml_refuses_never_stop_the_extraction(character):
    # U+FFFE / U+FFFF are not characters at all (XML refuses them): a page carrying one, raw or as
    # an entity, still gives its record, without it.
    html = PAGE.format(f"Une voiture A{character}B qui roule bien en ville.").encode()
    record = extract_article(html, "https://x.example/")
    assert "Une voiture AB qui roule bien en ville." in record.body_text


@pytest.mark.parametrize(
    ("declared", "kept"),
    [("42", 42), ("1000000", 1_000_000), ("1000001", None), ("99999999999999999999", None)],
)
def test_a_comment_count_no_article_has_is_not_believed(declared, kept):
    # A JSON-LD commentCount past 2**63 lost the article at the archive (an SQLite overflow).
    ld = f'<script type="application/ld+json">{{"@type": "NewsArticle", "commentCount": {declared}}}</script>'
    html = PAGE.format(FRENCH).replace("</head>", ld + "</head>").encode()
    assert extract_article(html, "https://x.example/a/").comment_count == kept


def test_truncated_html_still_gives_a_record():
    html = PAGE.format(FRENCH).removesuffix("</p></body></html>").encode()  # cut off mid-document
    record = extract_article(html, "https://x.example/a/")
    assert record.title == "Essai" and FRENCH in record.body_text


def test_page_without_article_is_a_clear_error():
    with pytest.raises(ExtractionError, match="no article"):
        extract_article(b"<html><body></body></html>", "https://x.example/")


def test_binary_input_is_a_clear_error():
    with pytest.raises(ExtractionError, match="binary"):
        extract_article(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "https://x.example/a.png")


def test_invisible_characters_are_removed_and_text_is_nfc():
    decomposed = "e\u0301lectrique\u200b"
    record = extract_article(
        PAGE.format(f"Une voiture {decomposed} qui roule bien en ville.").encode(), "https://x.example/"
    )
    assert "Une voiture électrique qui roule bien en ville." in record.body_text


def test_joiners_that_spell_words_and_emoji_are_kept():
    # U+200C / U+200D were removed with the zero-width space: "می‌خواهم" became "میخواهم" and a
    # family emoji three people.
    persian, family = "من می\u200cخواهم این خودرو را بخرم", "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    record = extract_article(
        PAGE.format(f"{persian} et une famille {family} qui roule bien en ville.").encode(),
        "https://x.example/",
    )
    assert f"{persian} et une famille {family} qui roule" in record.body_text


def test_valid_utf8_wins_over_a_wrong_legacy_declaration():
    data = ('<meta charset="gb2312">' + PAGE.format("腾讯网 DeepMind 新电脑")).encode("utf-8")
    text, encoding = decode_html(data)
    assert "腾讯网 DeepMind 新电脑" in text and encoding == "utf-8"


def test_real_gbk_page_stays_gbk():
    data = ('<meta charset="gbk">' + PAGE.format("人工智能迈上新台阶")).encode("gbk")
    text, _ = decode_html(data)
    assert "人工智能迈上新台阶" in text


def test_links_are_resolved_against_the_base_href():
    # Relative links under <base href="https://www.site/"> were resolved against the page's own URL:
    # from /actualites/scenic, "essais/e-c3" read /actualites/essais/e-c3 (a 404) instead of /essais/e-c3.
    page = (
        '<html><head><base href="https://www.auto-passion.test/"><link rel="canonical" href="actualites/scenic">'
        '</head><body><a href="essais/e-c3">Essai</a> <a href="#commentaires">Commentaires</a> '
        '<a href="https://autre.test/x">Ailleurs</a> <img src="img/scenic.jpg"></body></html>'
    )
    root = parse_document(page, "https://auto-passion.test/actualites/scenic?utm_source=atom").root
    assert [a.get("href") for a in root.iter("a")] == [
        "https://www.auto-passion.test/essais/e-c3",
        "#commentaires",  # a link within the page stays one
        "https://autre.test/x",
    ]
    assert root.find(".//link").get("href") == "https://www.auto-passion.test/actualites/scenic"
    assert root.find(".//img").get("src") == "https://www.auto-passion.test/img/scenic.jpg"


@pytest.mark.parametrize(
    "base, resolved",
    [
        ("/", "https://www.site.test/essais/e-c3"),  # itself relative to the page
        ("javascript:void(0)", "essais/e-c3"),  # not a base: links stay as written
        ("", "essais/e-c3"),
    ],
)
def test_an_unusable_or_relative_base_href(base, resolved):
    page = f'<html><head><base href="{base}"></head><body><a href="essais/e-c3">Essai</a></body></html>'
    root = parse_document(page, "https://www.site.test/actualites/scenic").root
    assert root.find(".//a").get("href") == resolved

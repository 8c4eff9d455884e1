"""Record validation and the canonical forms behind versioning and merging (no database)."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path

import pytest
from archive_helpers import FLAGSHIP, edited, load_record

from storage import InvalidRecord, normalize_record
from storage.record import (
    CONTENT_FIELDS,
    RECORD_FIELDS,
    comment_entries,
    comment_key,
    content_hash,
    url_key,
)
from storage.repository import merged_comment_order, prepare_capture, select_headers

SCHEMA = Path(__file__).resolve().parents[2] / "newscrawl" / "article.schema.json"


@pytest.mark.parametrize(
    ("change", "path", "problem"),
    [
        (
            lambda r: r["sections"][2]["paragraphs"].__setitem__(0, 42),
            "sections[2].paragraphs[0]",
            "expected string, got integer",
        ),
        (lambda r: r.pop("title"), "title", "required field missing"),
        (lambda r: r.__setitem__("tags", "Renault"), "tags", "expected array, got string"),
        (
            lambda r: r["comments"][5].__setitem__("published_at", "hier"),
            "comments[5].published_at",
            "expected ISO 8601",
        ),
        (
            lambda r: r["comments"][0].__setitem__("published_at", "2024-04-29T18:22:00+00:00:30"),
            "comments[0].published_at",
            "whole minutes",
        ),
        (
            lambda r: r.__setitem__("published_at", "0001-01-01T00:30:00+01:00"),
            "published_at",
            "out of range in UTC",
        ),
        (lambda r: r["related_links"][1].pop("url"), "related_links[1].url", "required field missing"),
        (
            lambda r: r["tables"][0]["rows"][2].append(None),
            "tables[0].rows[2][2]",
            "expected string, got null",
        ),
        (lambda r: r.__setitem__("comment_count", -1), "comment_count", "between 0 and 2,147,483,647"),
        (lambda r: r["sections"][1].__setitem__("level", 2**63), "sections[1].level", "between 0 and 32,767"),
        (
            lambda r: r["related_links"][0].__setitem__("section_index", 40_000),
            "related_links[0].section_index",
            "between 0 and 32,767",
        ),
        (lambda r: r.__setitem__("comment_count", 2**63), "comment_count", "between 0 and 2,147,483,647"),
        (
            lambda r: r.__setitem__("comment_count", True),
            "comment_count",
            "expected integer or null, got boolean",
        ),
        (
            lambda r: r["sections"][1].__setitem__("level", "2"),
            "sections[1].level",
            "expected integer or null",
        ),
        (lambda r: r.__setitem__("image", "x.jpg"), "image", "unknown field"),
        (lambda r: r["comments"][3].__setitem__("likes", 3), "comments[3].likes", "unknown field"),
        (lambda r: r.__setitem__("error", "no article found"), "error", "extraction failure"),
        (lambda r: r.__setitem__("url", " "), "url", "must not be empty"),
        (lambda r: r.__setitem__("title", "Renault\x00"), "title", "contains a NUL character"),
        (lambda r: r["comments"][4].__setitem__("text", "a\x00b"), "comments[4].text", "NUL character"),
        (lambda r: r["tags"].append("\x00"), f"tags[{len(load_record(FLAGSHIP)['tags'])}]", "NUL character"),
    ],
)
def test_invalid_record_names_the_field(change, path, problem) -> None:
    record = load_record(FLAGSHIP)
    change(record)
    with pytest.raises(InvalidRecord) as raised:
        normalize_record(record)
    assert raised.value.path == path
    assert problem in str(raised.value)
    assert str(raised.value).startswith(f"{path}: ")


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda r: r["sections"][1]["paragraphs"].append("\ud83d"), "sections[1].paragraphs[2]"),
        (lambda r: r["tables"][0]["rows"][0].__setitem__(1, "\udc00"), "tables[0].rows[0][1]"),
        (lambda r: r["comments"][5].__setitem__("author", "\udfff"), "comments[5].author"),
    ],
)
def test_a_lone_surrogate_is_named_where_the_record_is_hashed(change, path) -> None:
    # Checked as the hashes encode the text (a valid record pays nothing for it).
    record = load_record(FLAGSHIP)
    change(record)
    rec = normalize_record(record)
    with pytest.raises(InvalidRecord, match=rf"^{re.escape(path)}: contains a lone surrogate"):
        content_hash(rec)
        comment_entries(rec)


def test_values_the_quick_checks_decline_normalize_like_plain_ones() -> None:
    # normalize_record checks well-formed items quickly and leaves anything unusual to the checks
    # that name fields; a str or int subclass is valid and must come out the same either way.
    class Text(str):
        pass

    class Level(int):
        pass

    plain = normalize_record(load_record(FLAGSHIP))
    record = load_record(FLAGSHIP)
    record["comments"][2]["author"] = Text(record["comments"][2]["author"])
    record["sections"][1]["level"] = Level(record["sections"][1]["level"])
    record["related_links"][0]["title"] = Text(record["related_links"][0]["title"])
    record["tables"][0]["rows"][0][0] = Text(record["tables"][0]["rows"][0][0])
    record["sections"][0]["paragraphs"][0] = Text(record["sections"][0]["paragraphs"][0])
    assert normalize_record(record) == plain


def _decomposed(value):
    if isinstance(value, str):
        return unicodedata.normalize("NFD", value)
    if isinstance(value, list):
        return [_decomposed(item) for item in value]
    if isinstance(value, dict):
        return {key: _decomposed(item) for key, item in value.items()}
    return value


def test_text_is_normalized_to_composed_characters() -> None:
    # a record whose accents are decomposed (e + U+0301) is archived as the extractor writes text
    plain = normalize_record(load_record(FLAGSHIP))
    decomposed = _decomposed(load_record(FLAGSHIP))
    assert decomposed["title"] != load_record(FLAGSHIP)["title"]
    assert normalize_record(decomposed) == plain
    assert content_hash(normalize_record(decomposed)) == content_hash(plain)


def test_a_record_must_be_an_object() -> None:
    with pytest.raises(InvalidRecord, match="expected object, got array"):
        normalize_record([])


def test_normalized_record_has_every_field_in_schema_order() -> None:
    record = load_record(FLAGSHIP)
    normalized = normalize_record(record)
    assert list(normalized) == list(RECORD_FIELDS)
    # The fixture leaves out optional keys; normalization fills them without inventing values.
    assert "published_raw" not in record and normalized["published_raw"] is None
    assert normalized["related_links"][0]["section_index"] is None
    assert normalized["comments"][0]["published_raw"] is None
    assert normalized["body_text"] == "\n".join(p for s in record["sections"] for p in s["paragraphs"])
    assert normalize_record(normalized) == normalized


def test_record_fields_cover_the_schema_contract() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert set(schema["properties"]) - {"error"} == set(RECORD_FIELDS)
    assert set(CONTENT_FIELDS) < set(RECORD_FIELDS)


def test_dates_are_canonicalized_and_site_falls_back_to_host() -> None:
    record = edited(
        load_record(FLAGSHIP),
        published_at="2024-04-29T14:05:00.000Z",
        site=None,
        url="https://www.Example.com/a",
    )
    normalized = normalize_record(record)
    assert normalized["published_at"] == "2024-04-29T14:05:00+00:00"
    assert normalized["site"] == "example.com"


def test_content_hash_ignores_fetch_url_comments_and_count_but_not_content() -> None:
    record = normalize_record(load_record(FLAGSHIP))
    same = normalize_record(
        edited(
            load_record(FLAGSHIP),
            url="https://blog-auto-info.com/x/comment-page-2/",
            comments=[],
            comment_count=50,
        )
    )
    assert content_hash(same) == content_hash(record)
    changed = normalize_record(edited(load_record(FLAGSHIP), title="Autre titre"))
    assert content_hash(changed) != content_hash(record)


def test_comment_keys_are_site_ids_or_stable_hashes() -> None:
    comment = {
        "id": None,
        "parent_id": None,
        "author": "Paul",
        "published_at": None,
        "published_raw": None,
        "text": "Bravo",
    }
    assert comment_key({**comment, "id": "5012"}) == "5012"
    derived = comment_key(comment)
    assert derived.startswith("h:") and derived == comment_key(dict(comment))
    assert derived != comment_key({**comment, "author": "Pierre"})


def test_a_comment_without_id_keeps_its_key_when_its_relative_date_moves() -> None:
    # "il y a 2 jours" read at two crawls gives two dates: still the same comment.
    def comment(text: str, published_at: str) -> dict:
        return {
            "id": None,
            "parent_id": None,
            "author": "Paul",
            "published_at": published_at,
            "published_raw": "il y a 2 jours",
            "text": text,
        }

    first = comment_entries({"comments": [comment("Bravo", "2024-05-01T10:00:00+02:00")]})
    later = comment_entries({"comments": [comment("Bravo", "2024-05-01T10:00:08+02:00")]})
    assert [e.key for e in first] == [e.key for e in later]
    # The same words twice (two days, two "Merci"): two comments; shown twice whole: one.
    merci = [comment("Merci", "2024-05-01T10:00:00+02:00"), comment("Merci", "2024-05-03T09:00:00+02:00")]
    assert len({e.key for e in comment_entries({"comments": merci})}) == 2
    assert len(comment_entries({"comments": [merci[0], dict(merci[0])]})) == 1


def test_comment_entries_keep_the_first_of_repeated_comments() -> None:
    record = normalize_record(load_record(FLAGSHIP))
    record["comments"].append(dict(record["comments"][0], text="doublon"))
    entries = comment_entries(record)
    assert len(entries) == 43
    assert entries[0].comment["text"] != "doublon"


def test_url_key_matches_equivalent_urls_only() -> None:
    key = url_key("https://blog-auto-info.com/renault-et-xiaomi/")
    assert url_key("http://www.blog-auto-info.com/renault-et-xiaomi#comments") == key
    assert url_key("https://BLOG-AUTO-INFO.com:443/renault-et-xiaomi") == key
    assert url_key("https://blog-auto-info.com/renault-et-xiaomi/?amp=1") != key
    assert url_key("https://blog-auto-info.com/renault-et-xiaomi-2/") != key


def test_url_key_reads_percent_escapes_and_unicode_forms_alike() -> None:
    key = url_key("https://blog-auto-info.com/voiture-%C3%A9lectrique/")
    assert url_key("https://blog-auto-info.com/voiture-%c3%a9lectrique") == key
    assert url_key("https://blog-auto-info.com/voiture-électrique/") == key
    assert url_key("https://blog-auto-info.com/voiture-e\u0301lectrique/") == key  # NFD
    assert url_key("https://blog-auto-info.com/%76oiture-électrique/") == key  # an escaped letter
    assert url_key("https://blog-auto-info.com/?s=v%C3%A9lo") == url_key("https://blog-auto-info.com/?s=vélo")
    # Escapes that change what the URL says stay escaped: a slash, a question mark, a percent sign...
    assert url_key("https://a.fr/a%2Fb") != url_key("https://a.fr/a/b")
    assert url_key("https://a.fr/a%3Fb") != url_key("https://a.fr/a?b")
    assert url_key("https://a.fr/100%25") == url_key("https://a.fr/100%25/")
    assert url_key("https://a.fr/?q=a%26b") != url_key("https://a.fr/?q=a&b")
    # ...and bytes that are not UTF-8 are kept, not dropped.
    assert url_key("https://a.fr/caf%E9") != url_key("https://a.fr/caf")
    assert url_key("https://a.fr/caf%e9") == url_key("https://a.fr/caf%E9")


def test_merged_comment_order_keeps_stored_comments_in_place() -> None:
    assert merged_comment_order(["a", "b", "c"], ["a", "b", "c", "d"]) == ["a", "b", "c", "d"]
    # "b" was not in this crawl (another comment page): it stays after "a".
    assert merged_comment_order(["a", "b", "c"], ["a", "c", "x"]) == ["a", "b", "c", "x"]
    assert merged_comment_order(["a", "b"], ["x", "b"]) == ["a", "x", "b"]
    assert merged_comment_order([], ["x"]) == ["x"]
    # A reply stored before its parent arrived moves right after the parent.
    assert merged_comment_order(["r"], ["p", "q"], {"r": "p"}) == ["p", "r", "q"]
    assert merged_comment_order(["a", "b"], [], {"a": "b", "b": "a"}) == ["a", "b"]  # cycle: order kept


def test_captures_are_checked_compressed_and_headers_selected() -> None:
    body = b"<html>" + "é".encode() * 5000 + b"</html>"
    row = prepare_capture(
        {
            "url": "https://a/b",
            "status": 200,
            "headers": {b"Content-Type": [b"text/html"], "Set-Cookie": "s=1"},
            "body": body,
        }
    )
    assert row["headers"] == {"content-type": "text/html"}
    assert row["size"] == len(body) and row["sha256"] == hashlib.sha256(body).hexdigest()
    with pytest.raises(InvalidRecord, match=r"captures\[0\].body: expected bytes"):
        prepare_capture({"url": "https://a/b", "status": 200, "body": "text"})
    with pytest.raises(InvalidRecord, match=r"captures\[0\].status"):
        prepare_capture({"url": "https://a/b", "status": "200", "body": b""})
    assert select_headers({"ETag": '"x"', "X-Other": "y"}) == {"etag": '"x"'}
    assert select_headers({"ETag": b'"x\x00"'}) == {"etag": '"x"'}  # PostgreSQL's JSONB refuses NUL

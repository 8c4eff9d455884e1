"""Record checks and the canonical forms the archive stores and compares.

A record is the plain dict of ``article.schema.json`` (what ``Article.to_dict()`` gives). This module
validates it field by field (plain Python, no jsonschema), fills the optional keys a producer may
leave out, normalizes dates to ``datetime.isoformat()`` and computes the hashes that drive
versioning and comment merging:

* the **content hash** covers every content field except ``url`` (the URL of one particular fetch),
  ``site`` and ``canonical_url`` (the article's identity), ``body_text`` (derived from sections) and
  ``comments`` / ``comment_count`` (they merge into the article without creating versions);
* a **comment key** identifies a comment within its article: the site's id, or for comments without
  one a hash of author and text (and how many of the same are older);
* the **comments digest** summarizes the article's comment list (keys, contents, order) so that a
  re-crawl with unchanged comments is detected without reading the comments back.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from unicodedata import is_normalized, normalize
from urllib.parse import quote, unquote, urlsplit

from storage.errors import InvalidRecord

CONTENT_FIELDS: tuple[str, ...] = (
    "language",
    "title",
    "lead",
    "authors",
    "published_at",
    "published_raw",
    "modified_at",
    "modified_raw",
    "category",
    "tags",
    "sections",
    "related_links",
    "key_points",
    "tables",
)
"""Top-level fields covered by the content hash; a change in any of them makes a new version."""

RECORD_FIELDS: tuple[str, ...] = (
    "url",
    "canonical_url",
    "site",
    "language",
    "title",
    "lead",
    "authors",
    "published_at",
    "published_raw",
    "modified_at",
    "modified_raw",
    "category",
    "tags",
    "sections",
    "body_text",
    "related_links",
    "key_points",
    "tables",
    "comment_count",
    "comments",
)
"""Every field of a stored record, in schema order (the order of ``Article.to_dict()``)."""

_MISSING = object()


# --------------------------------------------------------------------------- validation helpers


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {str: "string", int: "integer", float: "number", list: "array", dict: "object"}.get(
        type(value), type(value).__name__
    )


_NUL = "\x00"
_NUL_PROBLEM = "contains a NUL character (U+0000), which PostgreSQL text cannot hold"
_SURROGATE_PROBLEM = "contains a lone surrogate (U+D800 to U+DFFF), which is no Unicode text"


def _encodable(value: str) -> bool:
    """No lone surrogate in ``value`` (JSON can write one, ``"\\ud800"``): UTF-8, every backend's
    encoding, can write it. (The text a record's hashes cover is checked as they encode it, at no
    cost to a valid record: :func:`_unencodable`.)"""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text_problem(value: str) -> str | None:
    if _NUL in value:  # refused on every backend, so that an archive can move between them
        return _NUL_PROBLEM
    return None if _encodable(value) else _SURROGATE_PROBLEM


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise InvalidRecord(path, f"expected string, got {_type_name(value)}")
    if (problem := _text_problem(value)) is not None:
        raise InvalidRecord(path, problem)
    return _nfc(value)


def _nfc(value: str) -> str:
    """Text is archived composed (NFC), as the extractor gives it: an ``é`` written as ``e`` and a
    combining accent (macOS file names, some CMSs) would not match ``LIKE '%é%'`` or ``=``."""
    return value if is_normalized("NFC", value) else normalize("NFC", value)


def _optional_string(value: Any, path: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRecord(path, f"expected string or null, got {_type_name(value)}")
    if (problem := _text_problem(value)) is not None:
        raise InvalidRecord(path, problem)
    return _nfc(value)


MAX_INTEGER = 32_767
"""Bound of the record's small integers (heading levels, section indexes): what the smallest integer
column of every backend holds (PostgreSQL's smallint), far beyond any page."""
MAX_COMMENT_COUNT = 2**31 - 1
"""What an INTEGER column holds on every backend (PostgreSQL's is 32-bit)."""


def _optional_integer(value: Any, path: str, maximum: int = MAX_INTEGER) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRecord(path, f"expected integer or null, got {_type_name(value)}")
    if not 0 <= value <= maximum:
        raise InvalidRecord(path, f"must be between 0 and {maximum:,}, got {value}")
    return value


def _array(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidRecord(path, f"expected array, got {_type_name(value)}")
    return value


def _string_list(value: Any, path: str) -> list[str]:
    fast = _fast_string_list(value)
    if fast is not _BAD:
        return fast
    return [_string(item, f"{path}[{i}]") for i, item in enumerate(_array(value, path))]


def _object(value: Any, path: str, allowed: frozenset[str], required: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRecord(path, f"expected object, got {_type_name(value)}")
    for key in value:
        if key not in allowed:
            raise InvalidRecord(f"{path}.{key}" if path else str(key), "unknown field")
    for key in required:
        if key not in value:
            raise InvalidRecord(f"{path}.{key}" if path else key, "required field missing")
    return value


# Fast paths: a record from the extractor is well formed, and the checks above build a field path
# (an f-string) for every value only to name it in an error. Each ``_fast_*`` accepts exactly the
# values its checked counterpart accepts unchanged and returns the same result, or _BAD for anything
# else, which then goes through the checked function for its precise error.
_BAD: Any = object()


def _fast_text(value: Any) -> bool:
    return type(value) is str and _NUL not in value and is_normalized("NFC", value)


def _fast_optional_text(value: Any) -> bool:
    return value is None or (type(value) is str and _NUL not in value and is_normalized("NFC", value))


def _fast_optional_integer(value: Any) -> bool:
    return value is None or (type(value) is int and 0 <= value <= MAX_INTEGER)


def _fast_string_list(value: Any) -> Any:
    if type(value) is not list:
        return _BAD
    for item in value:
        if type(item) is not str or _NUL in item or not is_normalized("NFC", item):
            return _BAD
    return list(value)


def _fast_optional_datetime(value: Any) -> Any:
    if value is None:
        return None
    if type(value) is not str or _NUL in value:
        return _BAD
    try:
        return parse_datetime(value, zone_required=False).isoformat()
    except InvalidRecord:
        return _BAD


def parse_datetime(value: str, path: str = "", *, zone_required: bool = True) -> datetime:
    """Parse an ISO 8601 date-time that states its UTC offset (whole minutes), else InvalidRecord.

    ``zone_required=False``: a date-time without offset is accepted as it is (naive): a page that
    states or implies no time zone (an English page with ``2024-05-02T10:00:00``) gives one, and
    the schema allows it."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRecord(path, f"expected ISO 8601 date-time, got {value!r}") from None
    offset = parsed.utcoffset()
    if offset is None:
        if not zone_required:
            return parsed
        raise InvalidRecord(path, f"expected ISO 8601 date-time with UTC offset, got {value!r}")
    if offset.total_seconds() % 60:
        raise InvalidRecord(path, f"UTC offset must be whole minutes, got {value!r}")
    if parsed.year in (1, 9999):  # the archive stores UTC: the offset may take it out of range
        try:
            parsed.astimezone(UTC)
        except OverflowError:
            raise InvalidRecord(path, f"date-time out of range in UTC, got {value!r}") from None
    return parsed


def _optional_datetime(value: Any, path: str) -> str | None:
    """The canonical ``isoformat()`` of a date-time field, so equal instants compare equal as text."""
    text = _optional_string(value, path)
    return None if text is None else parse_datetime(text, path, zone_required=False).isoformat()


# --------------------------------------------------------------------------- record normalization

_TOP_ALLOWED = frozenset((*RECORD_FIELDS, "error"))
_SECTION_ALLOWED = frozenset(("heading", "level", "paragraphs"))
_LINK_ALLOWED = frozenset(("label", "title", "url", "section_index"))
_TABLE_ALLOWED = frozenset(("caption", "header", "rows"))
_COMMENT_ALLOWED = frozenset(("id", "parent_id", "author", "published_at", "published_raw", "text"))


def _section(value: Any, path: str) -> dict[str, Any]:
    section = _object(value, path, _SECTION_ALLOWED, ("heading", "paragraphs"))
    return {
        "heading": _optional_string(section["heading"], f"{path}.heading"),
        "level": _optional_integer(section.get("level"), f"{path}.level"),
        "paragraphs": _string_list(section["paragraphs"], f"{path}.paragraphs"),
    }


def _related_link(value: Any, path: str) -> dict[str, Any]:
    link = _object(value, path, _LINK_ALLOWED, ("title", "url"))
    return {
        "label": _optional_string(link.get("label"), f"{path}.label"),
        "title": _string(link["title"], f"{path}.title"),
        "url": _string(link["url"], f"{path}.url"),
        "section_index": _optional_integer(link.get("section_index"), f"{path}.section_index"),
    }


def _table(value: Any, path: str) -> dict[str, Any]:
    table = _object(value, path, _TABLE_ALLOWED, ("header", "rows"))
    rows_path = f"{path}.rows"
    return {
        "caption": _optional_string(table.get("caption"), f"{path}.caption"),
        "header": _string_list(table["header"], f"{path}.header"),
        "rows": [
            _string_list(row, f"{rows_path}[{i}]") for i, row in enumerate(_array(table["rows"], rows_path))
        ],
    }


def _comment(value: Any, path: str) -> dict[str, Any]:
    comment = _object(value, path, _COMMENT_ALLOWED, ("text",))
    return {
        "id": _optional_string(comment.get("id"), f"{path}.id"),
        "parent_id": _optional_string(comment.get("parent_id"), f"{path}.parent_id"),
        "author": _optional_string(comment.get("author"), f"{path}.author"),
        "published_at": _optional_datetime(comment.get("published_at"), f"{path}.published_at"),
        "published_raw": _optional_string(comment.get("published_raw"), f"{path}.published_raw"),
        "text": _string(comment["text"], f"{path}.text"),
    }


def _fast_section(value: Any) -> Any:
    if type(value) is not dict or not value.keys() <= _SECTION_ALLOWED or "paragraphs" not in value:
        return _BAD
    heading, level = value.get("heading", _BAD), value.get("level")
    paragraphs = _fast_string_list(value["paragraphs"])
    if not _fast_optional_text(heading) or not _fast_optional_integer(level) or paragraphs is _BAD:
        return _BAD
    return {"heading": heading, "level": level, "paragraphs": paragraphs}


def _fast_related_link(value: Any) -> Any:
    if type(value) is not dict or not value.keys() <= _LINK_ALLOWED:
        return _BAD
    label, title, url, section_index = map(value.get, ("label", "title", "url", "section_index"))
    if not (
        _fast_optional_text(label)
        and _fast_text(title)
        and _fast_text(url)
        and _fast_optional_integer(section_index)
    ):
        return _BAD
    return {"label": label, "title": title, "url": url, "section_index": section_index}


def _fast_table(value: Any) -> Any:
    if type(value) is not dict or not value.keys() <= _TABLE_ALLOWED:
        return _BAD
    caption, header, rows = value.get("caption"), _fast_string_list(value.get("header")), value.get("rows")
    if not _fast_optional_text(caption) or header is _BAD or type(rows) is not list:
        return _BAD
    cells = [_fast_string_list(row) for row in rows]
    if any(row is _BAD for row in cells):
        return _BAD
    return {"caption": caption, "header": header, "rows": cells}


def _fast_comment(value: Any) -> Any:
    if type(value) is not dict or not value.keys() <= _COMMENT_ALLOWED:
        return _BAD
    id_, parent_id, author, raw, text = map(value.get, ("id", "parent_id", "author", "published_raw", "text"))
    if type(text) is not str or _NUL in text or not is_normalized("NFC", text):
        return _BAD
    for optional in (id_, parent_id, author, raw):  # inline: twenty comments an article
        if optional is not None and (
            type(optional) is not str or _NUL in optional or not is_normalized("NFC", optional)
        ):
            return _BAD
    if id_ is not None and not id_.isascii() and not _encodable(id_):  # the only text no hash encodes
        return _BAD
    published_at = _fast_optional_datetime(value.get("published_at"))
    if published_at is _BAD:
        return _BAD
    return {
        "id": id_,
        "parent_id": parent_id,
        "author": author,
        "published_at": published_at,
        "published_raw": raw,
        "text": text,
    }


def _items(
    record: dict[str, Any], key: str, fast: Callable[[Any], Any], convert: Callable[[Any, str], Any]
) -> list[Any]:
    items = []
    for i, item in enumerate(_array(record[key], key)):
        normalized = fast(item)
        items.append(convert(item, f"{key}[{i}]") if normalized is _BAD else normalized)
    return items


def site_from_url(url: str) -> str:
    """The site key used when a record names none: the URL's host without ``www.``."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def normalize_record(record: Any) -> dict[str, Any]:
    """Validate ``record`` and return its canonical form (raises :class:`InvalidRecord`).

    The canonical form has every schema field in schema order; optional keys a producer left out
    are ``None`` / ``[]``; date-times are ``datetime.isoformat()`` strings; ``body_text`` is
    recomputed from the sections; ``site`` falls back to the URL's host. It is exactly what
    :meth:`storage.ArchiveRepository.get_record` gives back after an upsert. (A lone surrogate in the
    text the hashes cover is refused by :func:`content_hash` and :func:`comment_entries`.)
    """
    _object(
        record,
        "",
        _TOP_ALLOWED,
        ("url", "title", "sections", "related_links", "key_points", "tables", "comments"),
    )
    if "error" in record:
        raise InvalidRecord(
            "error", f"record marks an extraction failure ({record['error']!r}), not an article"
        )
    url = _string(record["url"], "url")
    if not url.strip():
        raise InvalidRecord("url", "must not be empty")
    site = _optional_string(record.get("site"), "site") or site_from_url(url)
    if not site:
        raise InvalidRecord("site", f"missing and no host in url {url!r}")
    body_text = record.get("body_text", _MISSING)
    if body_text is not _MISSING:
        _string(body_text, "body_text")
    sections = _items(record, "sections", _fast_section, _section)
    normalized = {
        "url": url,
        "canonical_url": _optional_string(record.get("canonical_url"), "canonical_url"),
        "site": site,
        "language": _optional_string(record.get("language"), "language"),
        "title": _string(record["title"], "title"),
        "lead": _optional_string(record.get("lead"), "lead"),
        "authors": _string_list(record.get("authors", []), "authors"),
        "published_at": _optional_datetime(record.get("published_at"), "published_at"),
        "published_raw": _optional_string(record.get("published_raw"), "published_raw"),
        "modified_at": _optional_datetime(record.get("modified_at"), "modified_at"),
        "modified_raw": _optional_string(record.get("modified_raw"), "modified_raw"),
        "category": _optional_string(record.get("category"), "category"),
        "tags": _string_list(record.get("tags", []), "tags"),
        "sections": sections,
        "body_text": "\n".join(p for s in sections for p in s["paragraphs"]),
        "related_links": _items(record, "related_links", _fast_related_link, _related_link),
        "key_points": _string_list(record["key_points"], "key_points"),
        "tables": _items(record, "tables", _fast_table, _table),
        "comment_count": _optional_integer(record.get("comment_count"), "comment_count", MAX_COMMENT_COUNT),
        "comments": _items(record, "comments", _fast_comment, _comment),
    }
    return normalized


# --------------------------------------------------------------------------- hashes and keys


def _canonical_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def content_of(record: dict[str, Any]) -> dict[str, Any]:
    """The versioned part of a normalized record (:data:`CONTENT_FIELDS`)."""
    return {name: record[name] for name in CONTENT_FIELDS}


def content_hash(record: dict[str, Any]) -> str:
    """sha256 (hex) of the versioned content of a normalized record (InvalidRecord if it holds a lone
    surrogate)."""
    content = content_of(record)
    try:
        return hashlib.sha256(_canonical_json(content)).hexdigest()
    except UnicodeEncodeError:
        raise _unencodable(content) from None


def _unencodable(value: Any) -> InvalidRecord:
    """The error naming the first text of ``value`` (part of a normalized record) UTF-8 cannot write."""
    return InvalidRecord(next(_unencodable_paths(value, "")), _SURROGATE_PROBLEM)


def _unencodable_paths(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if not _encodable(value):
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _unencodable_paths(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unencodable_paths(item, f"{path}[{index}]")


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Names of the content fields that differ between two normalized records, in schema order."""
    return [name for name in CONTENT_FIELDS if before.get(name) != after.get(name)]


@dataclass(frozen=True, slots=True)
class CommentEntry:
    """One comment of a record with the keys the archive merges on."""

    key: str
    """``id`` when the site gives one, else ``h:`` + a hash of author, text and repeat count."""
    content_hash: str
    """Hash of everything the comment says (parent, author, dates, text): a change means an edit."""
    comment: dict[str, Any]


def comment_key(comment: dict[str, Any], repeat: int = 0) -> str:
    """Stable identity of a comment within its article: the site's id, else ``h:`` + a hash of its
    author and text and ``repeat`` (:func:`repeat_numbers`). Not of its date: a page that dates
    comments "il y a 2 jours" gives another date at every crawl, and the comment must stay one."""
    if comment["id"] is not None:
        return comment["id"]
    seed = "\x1f".join((comment["author"] or "", comment["text"], str(repeat)))
    return "h:" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]


def repeat_numbers(comments: list[tuple[str | None, str, datetime | None]]) -> list[int]:
    """For comments without id given as (author, text, date) in page order: how many comments of the
    same author and text are older (by date; undated ones after the dated, in page order). Counted
    by date, not by place, so that a comment added above (pages that list the newest first) or a
    later one removed leaves the others' numbers alone; relative dates keep their order too."""
    groups: dict[tuple[str, str], list[int]] = {}
    for index, (author, text, _) in enumerate(comments):
        groups.setdefault((author or "", text), []).append(index)
    numbers = [0] * len(comments)
    for members in groups.values():
        if len(members) > 1:
            members.sort(key=lambda i: (comments[i][2] is None, _instant(comments[i][2]), i))
            for number, index in enumerate(members):
                numbers[index] = number
    return numbers


def _instant(value: datetime | None) -> float:
    if value is None:
        return 0.0
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).timestamp()


def comment_entries(record: dict[str, Any]) -> list[CommentEntry]:
    """The record's comments with their keys. A comment repeated whole (same id; or same author, date
    and text: a page that shows it twice) is kept once, at its first place."""
    kept: list[dict[str, Any]] = []
    seen: set[Any] = set()
    for comment in record["comments"]:
        whole = (
            comment["id"]
            if comment["id"] is not None
            else (comment["author"], comment["published_at"], comment["text"])
        )
        if whole not in seen:
            seen.add(whole)
            kept.append(comment)
    # the repeat numbers of the comments without id, in their order in ``kept``
    repeats = iter(
        repeat_numbers(
            [
                (
                    c["author"],
                    c["text"],
                    datetime.fromisoformat(c["published_at"]) if c["published_at"] else None,
                )
                for c in kept
                if c["id"] is None
            ]
        )
    )
    entries: list[CommentEntry] = []
    try:
        for comment in kept:
            key = comment_key(comment, next(repeats) if comment["id"] is None else 0)
            entries.append(CommentEntry(key, comment_content_hash(comment), comment))
    except UnicodeEncodeError:
        raise _unencodable({"comments": record["comments"]}) from None
    return entries


def comment_content_hash(comment: dict[str, Any]) -> str:
    """Hash of everything a normalized comment says (parent, author, dates, text)."""
    # Fields joined by a separator that whitespace-normalized text cannot hold; None differs from "".
    fields = "\x1f".join(
        "\x00" if value is None else value
        for value in (
            comment["parent_id"],
            comment["author"],
            comment["published_at"],
            comment["published_raw"],
            comment["text"],
        )
    )
    return hashlib.sha256(fields.encode("utf-8")).hexdigest()[:32]


DatePrecision = Callable[[str | None], timedelta | None]
"""How precise the date a page's raw text gives is, when the text gives it as an age ("il y a 3
heures": an hour, "2 days ago": a day); None for any other text (an absolute date). Such a date is
resolved against the time the page was read, so each reading moves it: the archive keeps the date
it has when a new reading agrees with it within this precision (see :func:`same_relative_date`).
The archive cannot tell an age from a date by itself (it reads no language): the crawler passes
its date reader's answer (``newscrawl.extraction.dates.relative_precision``)."""


AGE_ALLOWANCE = timedelta(minutes=5)
"""Added to an age's precision: a page served from a cache (a CDN, a page cache) gives the age it had
when it was rendered, minutes before it was fetched; two readings of "il y a 12 minutes" and "il y a
40 minutes" are otherwise held to one minute."""


def same_relative_date(
    precision: DatePrecision,
    new_iso: str | None,
    new_raw: str | None,
    old_iso: str | None,
    old_raw: str | None,
) -> bool:
    """Whether a new reading of a date says nothing new: the new text gives the date as an age and the
    two resolved instants lie within the coarser precision of the two (an age of "3 hours" means 3
    to 4 hours, so two honest readings of one instant are less than an hour apart). An archived date
    given absolutely is as precise as can be: an age that agrees with it within the age's precision
    says nothing new either (a page showing the date itself on one visit and its age on the next, or
    records imported out of order), and the archive keeps its more precise date. A new reading given
    absolutely never qualifies: a real change, or a date parser fixed, shows."""
    if new_iso is None or old_iso is None or (new_iso == old_iso and new_raw == old_raw):
        return False
    new_precision = precision(new_raw)
    if new_precision is None:
        return False
    old_precision = new_precision if old_raw == new_raw else precision(old_raw)
    gap = abs(_instant(datetime.fromisoformat(new_iso)) - _instant(datetime.fromisoformat(old_iso)))
    return gap <= (max(new_precision, old_precision or new_precision) + AGE_ALLOWANCE).total_seconds()


def comments_digest(keys_and_hashes: list[tuple[str, str]]) -> str:
    """sha256 over an ordered list of (comment key, content hash): equal digests, equal comment lists."""
    digest = hashlib.sha256()
    for key, content in keys_and_hashes:
        digest.update(f"{key}\x1f{content}\n".encode())
    return digest.hexdigest()


def url_key(url: str) -> str:
    """The form URLs are matched on to resolve related links and to recognize a known article.

    Scheme, ``www.``-less host case, default ports, fragments and a trailing slash do not make two
    URLs different articles; the query string does. Path and query are read as one spelling
    (:func:`_one_spelling`): ``%c3%a9``, ``%C3%A9``, ``é`` and a decomposed ``é`` are the same.
    A very long key is shortened (:func:`bounded_url_key`).
    """
    return bounded_url_key(whole_url_key(url))


def whole_url_key(url: str) -> str:
    """:func:`url_key` before it is shortened."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port if parts.port not in (None, 80, 443) else None
    except ValueError:  # a malformed port still gives a usable key
        port = None
    path = _one_spelling(parts.path).rstrip("/") or "/"
    key = f"{host}:{port}{path}" if port else f"{host}{path}"
    return f"{key}?{_one_spelling(parts.query)}" if parts.query else key


URL_KEY_MAX_BYTES = 2_000
"""The longest URL key stored as it is: a PostgreSQL B-tree (``article_urls``' primary key,
``related_links.url_key``'s index) holds at most ~2.7 KB a row."""
_URL_KEY_PREFIX_BYTES = 1_000


def bounded_url_key(key: str) -> str:
    """``key`` itself, or when it is longer than :data:`URL_KEY_MAX_BYTES` (a URL with a huge query
    string), its beginning, ``#`` and the sha256 of the whole key: still one key per URL, and
    ``#`` (a fragment, dropped from URL keys) tells it from any whole key."""
    data = key.encode("utf-8", "surrogatepass")
    if len(data) <= URL_KEY_MAX_BYTES:
        return key
    prefix = data[:_URL_KEY_PREFIX_BYTES].decode("utf-8", "ignore")
    return f"{prefix}#{hashlib.sha256(data).hexdigest()}"


_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_PUNCTUATION = "!$&'()*+,;=:@/?"
"""Written as they are in a URL (RFC 3986's delimiters but ``#``, which ends it)."""
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_NEEDS_SPELLING = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/?]")


def _one_spelling(part: str) -> str:
    """A URL's path or query written one way: escapes of letters, digits, ``-._~`` and of non-ASCII
    bytes decoded, Unicode composed (NFC), then escaped again in upper case; the escapes of
    punctuation stay escapes (``%2F`` in a path or ``%26`` in a query is not ``/`` or ``&``), upper
    case. Bytes that are not UTF-8 are kept as their escapes."""
    if part.isascii() and "%" not in part and not _NEEDS_SPELLING.search(part):
        return part  # nearly every URL: nothing to respell
    held = _ESCAPE.sub(_hold_escape, part)
    text = unicodedata.normalize("NFC", unquote(held, errors="surrogateescape"))
    return quote(text, safe=_PUNCTUATION + "\0", errors="surrogateescape").replace("\0", "%")


def _hold_escape(match: re.Match[str]) -> str:
    byte = int(match[1], 16)
    if byte >= 0x80 or byte in _UNRESERVED:
        return match[0]  # decoded by unquote, escaped again by quote if it has to be
    return "\0" + match[1].upper()  # kept: not an escape to unquote

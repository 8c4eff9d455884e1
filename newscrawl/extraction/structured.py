"""Readers for the machine-readable metadata a page carries: JSON-LD, <meta> tags and microdata.

Everything here is tolerant: broken JSON-LD is repaired where it can be and skipped where it can't,
and no function raises on odd markup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from newscrawl.extraction.text import normalize_space, text_of

__all__ = [
    "first_value",
    "iter_types",
    "json_ld_objects",
    "meta_properties",
    "microdata_props",
    "types_of",
]

_JSONLD_XPATH = "//script[contains(translate(@type, 'JSONLDAP', 'jsonldap'), 'ld+json')]"
_JSONLD_LOWER = str.maketrans("JSONLDAP", "jsonldap")  # the query's translate()

_COMMENT_WRAPPERS = re.compile(r"^\s*(?://\s*)?(?:<!--|<!\[CDATA\[)|(?://\s*)?(?:-->|\]\]>)\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_DECODER = json.JSONDecoder(strict=False)


def _strip_js_comments(text: str) -> str:
    """Remove // and /* */ comments that sit outside JSON strings (hand-written JSON-LD has them)."""
    if "/" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    start = 0
    while i < n:
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "/" and i + 1 < n and text[i + 1] in "/*":
            out.append(text[start:i])
            if text[i + 1] == "/":
                end = text.find("\n", i)
                i = n if end < 0 else end
            else:
                end = text.find("*/", i + 2)
                i = n if end < 0 else end + 2
            start = i
            continue
        i += 1
    out.append(text[start:])
    return "".join(out)


def _repair(text: str) -> str:
    text = text.strip().lstrip("\ufeff")
    text = _COMMENT_WRAPPERS.sub("", text)
    text = text.replace("<![CDATA[", "").replace("]]>", "")
    text = _CONTROL.sub(" ", text)
    text = _strip_js_comments(text)
    text = _TRAILING_COMMA.sub(r"\1", text)
    return text.strip().rstrip(";")


def _decode_all(text: str) -> list:
    """All JSON values in `text`: one value, or several written one after the other."""
    values = []
    pos, end = 0, len(text)
    while pos < end:
        while pos < end and text[pos] in " \t\r\n,;":
            pos += 1
        if pos >= end:
            break
        try:
            value, pos = _DECODER.raw_decode(text, pos)
        except ValueError:
            break
        values.append(value)
    return values


def _parse_json_ld(raw: str) -> list:
    if not raw or not raw.strip():
        return []
    try:
        return [json.loads(raw, strict=False)]
    except ValueError:
        pass
    text = _repair(raw)
    values = _decode_all(text)
    if values:
        return values
    # Unescaped newlines or quotes inside strings are beyond repair; HTML entities sometimes aren't.
    if "&quot;" in text:
        return _decode_all(text.replace("&quot;", '"'))
    return []


def _flatten(value, out: list[dict], depth: int = 0) -> None:
    if depth > 6:
        return
    if isinstance(value, list):
        for item in value:
            _flatten(item, out, depth + 1)
    elif isinstance(value, dict):
        graph = value.get("@graph")
        if graph is not None:
            rest = {k: v for k, v in value.items() if k not in ("@graph", "@context")}
            if len(rest) > 0 and ("@type" in rest or len(rest) > 1):
                out.append(rest)
            _flatten(graph, out, depth + 1)
        else:
            out.append(value)


def _is_ref(value) -> bool:
    return isinstance(value, dict) and "@id" in value and len(value) == 1


def _index_nodes(value, index: dict[str, dict], depth: int = 0) -> None:
    """Every node with an @id and real content, at any depth."""
    if depth > 8:
        return
    if isinstance(value, dict):
        node_id = value.get("@id")
        if isinstance(node_id, str) and len(value) > 1:
            known = index.get(node_id)
            if known is None or len(value) > len(known):
                index[node_id] = value
        for v in value.values():
            if isinstance(v, dict | list):
                _index_nodes(v, index, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _index_nodes(v, index, depth + 1)


def json_ld_objects(root, scripts: list | None = None) -> list[dict]:
    """Every JSON-LD object of the page, in page order, with @graph flattened.

    Values that are bare references ({"@id": ...}) to a node defined elsewhere on the page are
    replaced by a shallow copy of that node (whose own references stay unresolved, so the result has
    no cycles and stays JSON-serializable). `scripts`: the page's <script> elements when the caller
    has them (same result as the query, without another pass over the page).
    """
    objects: list[dict] = []
    if scripts is not None:
        scripts = [s for s in scripts if "ld+json" in (s.get("type") or "").translate(_JSONLD_LOWER)]
    else:
        try:
            scripts = root.xpath(_JSONLD_XPATH)
        except Exception:  # pragma: no cover - a root that is not an element
            return objects
    for script in scripts:
        raw = script.text
        if raw is None and len(script):
            raw = "".join(script.itertext())
        for value in _parse_json_ld(raw or ""):
            _flatten(value, objects)
    if not objects:
        return objects
    index: dict[str, dict] = {}
    _index_nodes(objects, index)
    if index:
        snapshot = {k: dict(v) for k, v in index.items()}
        for obj in objects:
            _resolve_refs(obj, snapshot, 0)
    return objects


def _resolve_refs(node: dict, snapshot: dict[str, dict], depth: int) -> None:
    if depth > 4:
        return
    for key, value in node.items():
        if key == "@id":
            continue
        if _is_ref(value):
            target = snapshot.get(value["@id"]) if isinstance(value["@id"], str) else None
            if target is not None:
                node[key] = dict(target)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if _is_ref(item):
                    target = snapshot.get(item["@id"]) if isinstance(item["@id"], str) else None
                    if target is not None:
                        value[i] = dict(target)
                elif isinstance(item, dict):
                    _resolve_refs(item, snapshot, depth + 1)
        elif isinstance(value, dict):
            _resolve_refs(value, snapshot, depth + 1)


def types_of(obj) -> set[str]:
    """The schema.org type names of a JSON-LD node, lower-cased and without a vocabulary prefix."""
    if not isinstance(obj, dict):
        return set()
    t = obj.get("@type")
    if isinstance(t, str):
        t = [t]
    elif not isinstance(t, list):
        return set()
    return {str(x).rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower() for x in t if isinstance(x, str)}


def iter_types(objects: list[dict]) -> Iterator[tuple[dict, set[str]]]:
    for obj in objects:
        yield obj, types_of(obj)


def first_value(value) -> str | None:
    """A JSON-LD value as one string: the first of a list, the name/@value of a node, else str()."""
    if isinstance(value, list):
        for item in value:
            got = first_value(item)
            if got:
                return got
        return None
    if isinstance(value, dict):
        for key in ("@value", "name", "text", "@id"):
            v = value.get(key)
            if isinstance(v, str | int | float) and not isinstance(v, bool):
                return normalize_space(str(v)) or None
        return None
    if isinstance(value, str):
        return normalize_space(value) or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def meta_properties(root, metas: list | None = None) -> dict[str, list[str]]:
    """<meta> values by lower-cased key (property, name, itemprop or http-equiv), in page order.

    Covers og:*, article:*, twitter:*, name=..., itemprop=... and http-equiv=...; values are
    whitespace-normalized and empty ones dropped.
    """
    props: dict[str, list[str]] = {}
    if metas is None:
        try:
            metas = root.xpath("//meta")
        except Exception:  # pragma: no cover
            return props
    for meta in metas:
        get = meta.get
        content = get("content")
        if content is None:
            content = get("value")
        if content is None:
            continue
        content = normalize_space(content)
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = get(attr)
            if key:
                for k in key.lower().split():
                    props.setdefault(k.strip(), []).append(content)
    return props


def microdata_props(root, names: frozenset[str]) -> dict[str, list]:
    """Elements carrying itemprop=<name> for the given (lower-case) names, in page order.

    Values are the elements themselves; use `microdata_value` to read them.
    """
    out: dict[str, list] = {}
    try:
        elements = root.xpath("//*[@itemprop]")
    except Exception:  # pragma: no cover
        return out
    for el in elements:
        for name in (el.get("itemprop") or "").lower().split():
            if name in names:
                out.setdefault(name, []).append(el)
    return out


def microdata_value(el) -> str:
    """The value of a microdata property element (content, datetime, href/src, else its text)."""
    get = el.get
    for attr in ("content", "datetime"):
        v = get(attr)
        if v:
            return normalize_space(v)
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in ("a", "link") and get("href"):
        return get("href").strip()
    if tag in ("img", "audio", "video", "source") and get("src"):
        return get("src").strip()
    if tag == "data" and get("value"):
        return normalize_space(get("value"))
    return text_of(el)

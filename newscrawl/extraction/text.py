"""Text helpers shared by every extractor: whitespace normalization and element text."""

from __future__ import annotations

import re
import unicodedata

from lxml import etree

# Elements whose boundaries separate words even when the markup has no whitespace.
BLOCK_TAGS = frozenset(
    """address article aside blockquote body br dd details dialog div dl dt fieldset figcaption figure
    footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot th
    thead tr ul caption option""".split()
)
# Elements whose text is never reader-visible prose.
SKIP_TAGS = frozenset(
    "script style noscript template svg math button select textarea iframe object head".split()
)

# Not the joiners U+200C / U+200D: they spell Persian, Hindi ... words and join emoji sequences.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad]")
# What XML does not allow in text (C0 controls but tab/newline/CR, lone surrogates, U+FFFE/U+FFFF):
# lxml keeps them in the text a page gave but refuses them when text is set.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def normalize_space(text: str | None) -> str:
    """Single spaces, no leading/trailing blanks (the hot path: a plain split/join)."""
    if not text:
        return ""
    return " ".join(text.split())


def clean_text(text: str) -> str:
    """Final form of a record string: NFC, no invisible characters (ZWSP, soft hyphen, BOM) nor
    control characters, single spaces. Applied to the record's strings once extraction is done,
    not to whole documents (most of a page's bytes are scripts that never reach a record)."""
    if text.isascii():
        if _CONTROL.search(text):
            text = _CONTROL.sub("", text)
        return " ".join(text.split())
    text = _CONTROL.sub("", _INVISIBLE.sub("", text))
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def text_of(element, skip: frozenset[str] = SKIP_TAGS) -> str:
    """The visible text of an element, block boundaries turned into spaces, whitespace-normalized."""
    parts: list[str] = []
    collect_text(element, parts, skip)
    return normalize_space("".join(parts))


def collect_text(element, parts: list[str], skip: frozenset[str] = SKIP_TAGS) -> None:
    """Append the raw visible text pieces of an element (not its tail) to ``parts``."""
    tag = element.tag
    if not isinstance(tag, str):  # comments and processing instructions
        return
    if tag in skip:
        return
    block = tag in BLOCK_TAGS
    if block:
        parts.append(" ")
    if element.text:
        parts.append(element.text)
    for child in element:
        collect_text(child, parts, skip)
        if child.tail:
            parts.append(child.tail)
    if block:
        parts.append(" ")


# Removed by prepare_tree: never reader-visible prose, and in the way of fast text reads.
_STRIP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "math",
    "button",
    "select",
    "textarea",
    "iframe",
    "object",
)


def prepare_tree(root) -> None:
    """Make ``fast_text`` exact: drop non-prose elements and put a space after every block boundary.

    Call once per document, after the metadata reader has seen the scripts (JSON-LD) it needs.
    Spaces at block boundaries change nothing a reader sees but keep words of adjacent blocks apart.
    """
    etree.strip_elements(root, *_STRIP_TAGS, with_tail=False)
    for element in root.iter(*BLOCK_TAGS):
        # setting text is the costly part: skip it where whitespace is already there
        tail = element.tail
        if not tail or not tail[0].isspace():
            _set(element, "tail", " " + tail if tail else " ")
        text = element.text
        if not text or not text[0].isspace():
            _set(element, "text", " " + text if text else " ")


def _set(element, attribute: str, value: str) -> None:
    try:
        setattr(element, attribute, value)
    except ValueError:  # control characters the page carried: lxml refuses them when text is set
        setattr(element, attribute, _CONTROL.sub("", value))


def raw_text(element) -> str:
    """The element's text, unnormalized, for a tree that went through ``prepare_tree``."""
    return etree.tostring(element, method="text", encoding=str, with_tail=False)


def fast_text(element) -> str:
    """``text_of`` for a tree that went through ``prepare_tree``: one C-level serialization."""
    return normalize_space(raw_text(element))


def local_tag(element) -> str:
    """Lower-case tag name, '' for comments and processing instructions."""
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else ""


def classes_and_id(element) -> str:
    """The class and id attributes, lower-cased, for cheap pattern tests."""
    get = element.get
    return f"{get('class') or ''} {get('id') or ''}".lower()


def is_element(node) -> bool:
    return isinstance(node, etree._Element) and isinstance(node.tag, str)

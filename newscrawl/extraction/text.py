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
SKIP_TAGS = frozenset("script style noscript template svg math button select textarea iframe object head".split())

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def normalize_space(text: str | None) -> str:
    """Single spaces, no leading/trailing blanks, NFC, invisible characters (ZWSP, soft hyphen) dropped."""
    if not text:
        return ""
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
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

"""Bytes in, parsed page out: charset detection and a parse that never raises on junk."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import etree
from parsel import Selector
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, to_unicode


class NotHTMLError(ValueError):
    """The input is not an HTML document (empty, binary or another format)."""


@dataclass(slots=True)
class Document:
    """A parsed page: the parsel selector, its lxml root and what we learnt while decoding."""

    url: str
    selector: Selector
    encoding: str

    @property
    def root(self):
        return self.selector.root


def _guess_undeclared(data: bytes) -> str:
    # Pages without any charset declaration: UTF-8 when it decodes, else the Windows superset of Latin-1
    # that French and German sites use in practice.
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def decode_html(data: bytes | str, content_type: str | None = None) -> tuple[str, str]:
    """Return (text, encoding): BOM, then the HTTP header, then <meta charset>, then a guess."""
    if isinstance(data, str):
        return data, "utf-8"
    # The chain spelled out rather than html_to_unicode(auto_detect_fun=...), which w3lib deprecates:
    # its default guess for an undeclared page (the bytes and the URL's country, as Firefox does) can
    # pick another legacy charset than cp1252, and would change what archived pages read.
    encoding, bom = read_bom(data)
    if encoding is not None:
        return to_unicode(data[len(bom) :], encoding), encoding
    encoding = (
        http_content_type_encoding(content_type)
        or html_body_declared_encoding(data)
        or _guess_undeclared(data)
    )
    text = to_unicode(data, encoding)
    if encoding not in ("utf-8", "utf-16", "utf-16-le", "utf-16-be") and not data.isascii():
        # A page that is valid UTF-8 but declares a legacy charset (a template copied from an old site)
        # would turn into mojibake; multi-byte UTF-8 sequences almost never occur by chance in
        # Latin-1 or GBK text, so valid UTF-8 wins over the declaration.
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    return text, encoding


_BINARY_CHARACTERS = re.compile("[\x00-\x08\x0e-\x1f\ufffd]")


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    if not sample:
        return True
    return len(_BINARY_CHARACTERS.findall(sample)) > len(sample) * 0.1


def parse_document(data: bytes | str, url: str, content_type: str | None = None) -> Document:
    """Decode and parse a page. Raises NotHTMLError for input that has no HTML in it."""
    text, encoding = decode_html(data, content_type)
    if not text.strip():
        raise NotHTMLError("empty document")
    if _looks_binary(text):
        raise NotHTMLError("binary content, not an HTML page")
    if "<" not in text[:20000]:
        raise NotHTMLError("no markup found (plain text?)")
    if "\x00" in text:  # lxml would turn NULs into U+FFFD
        text = text.replace("\x00", "")
    # C0 controls (but tab/newline/CR) are invalid in HTML and lxml refuses them in text it is handed.
    # Plain lxml elements, not lxml.html's: their Python-level class lookup on every element access
    # costs more than all our selectors together. A parser per call: lxml parsers are not thread-safe.
    parser = etree.HTMLParser(encoding="utf-8", huge_tree=True, default_doctype=False)
    try:
        root = etree.fromstring(text.encode("utf-8"), parser=parser, base_url=url or None)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise NotHTMLError(f"unparseable HTML: {exc}") from None
    if root is None or not isinstance(root.tag, str):
        raise NotHTMLError("unparseable HTML")
    _resolve_base_href(root, url)
    return Document(url=url, selector=Selector(root=root, type="html"), encoding=encoding)


_LINK_ATTRIBUTES = etree.XPath("//*[@href or @src]")


def _resolve_base_href(root, url: str) -> None:
    """Links written relative to the page's ``<base href>`` made absolute, as a browser reads them: every
    reader of the tree resolves links against the page's own URL. A link within the page (``#comments``)
    stays one."""
    head = root.find("head")
    base = head.find("base[@href]") if head is not None else None
    href = base.get("href").strip() if base is not None else ""
    try:
        base_url = urljoin(url, href) if href else None
    except ValueError:
        return
    if base_url is None or urlsplit(base_url).scheme not in ("http", "https"):
        return
    for element in _LINK_ATTRIBUTES(root):
        for name in ("href", "src"):
            value = element.get(name)
            if value and not value.lstrip().startswith("#"):
                try:
                    element.set(name, urljoin(base_url, value.strip()))
                except ValueError:
                    continue

"""Understanding a site's pages for crawling: what to fetch next, and what a page is.

Pure functions over bytes, text and lxml trees (no Scrapy, no network, no database), so each is
unit-tested on saved pages:

* scope: :class:`SiteScope` (the site's registered domains and their subdomains);
* URLs: :func:`clean_url`, :func:`is_crawlable`, comment page numbers;
* robots.txt ``Sitemap:`` lines, sitemap indexes, url sets (lastmod), Google news sitemaps and plain
  text sitemaps: :func:`robots_sitemaps`, :func:`parse_sitemap`;
* RSS 2.0, RSS 1.0 and Atom feeds and the ``<link rel=alternate>`` that announce them:
  :func:`parse_feed`, :func:`feed_links`;
* listing pages (home, categories) → article links and pagination: :func:`listing_links`;
* article or not, from the page's own evidence: :func:`page_kind`;
* merging an article's comment pages: :func:`merge_comment_pages`;
* when to look again (``--incremental``): :class:`RevisitPolicy`, :func:`parse_since`.
"""

from __future__ import annotations

import gzip
import io
import ipaddress
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import SplitResult, parse_qsl, urljoin, urlsplit, urlunsplit

from lxml import etree

__all__ = [
    "FeedEntry",
    "ListingLinks",
    "RevisitPolicy",
    "SiteScope",
    "Sitemap",
    "SitemapEntry",
    "clean_url",
    "comment_page_number",
    "comment_pager_key",
    "feed_links",
    "is_comment_page_url",
    "is_crawlable",
    "listing_links",
    "merge_comment_pages",
    "page_kind",
    "pager_page_number",
    "parse_date",
    "parse_feed",
    "parse_since",
    "parse_sitemap",
    "registered_domain",
    "robots_sitemaps",
    "sniff_document",
]

MAX_UNCOMPRESSED_SITEMAP = 50 * 1024 * 1024
"""The sitemap protocol caps a sitemap at 50 MB uncompressed; more is refused (zip bombs)."""

# --------------------------------------------------------------------------- scope

# Public suffixes with a second level that sites register under; enough for news sites
# (a full public suffix list is a dependency this crawler does not need).
_SECOND_LEVEL_SUFFIXES = frozenset(
    """co.uk org.uk ac.uk gov.uk me.uk ltd.uk plc.uk net.uk co.jp ne.jp or.jp com.au net.au org.au
    co.nz org.nz com.br com.ar com.mx com.tr com.cn com.tw com.hk com.sg co.za co.in co.kr co.il
    gouv.fr asso.fr nom.fr com.fr tm.fr com.es com.pt com.pl com.ua com.ru co.at or.at gv.at""".split()
)


def registered_domain(host: str) -> str:
    """``www.news.example.co.uk`` → ``example.co.uk``; IP addresses and ``localhost`` stay as they are."""
    host = host.lower().strip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) <= 2:
        return host
    if ".".join(labels[-2:]) in _SECOND_LEVEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


@dataclass(frozen=True, slots=True)
class SiteScope:
    """The hosts a crawl may fetch: the given domains and their subdomains."""

    domains: tuple[str, ...]

    @classmethod
    def for_url(cls, url: str) -> SiteScope:
        host = (urlsplit(url).hostname or "").lower()
        return cls((registered_domain(host),))

    def contains(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        if parts.scheme not in ("http", "https"):
            return False
        host = (parts.hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.domains)


# --------------------------------------------------------------------------- URLs

_NOT_PAGE_EXTENSIONS = frozenset(
    """jpg jpeg png gif webp avif svg ico bmp tif tiff css js mjs json map pdf zip gz tgz bz2 xz rar 7z tar
    mp3 mp4 m4a m4v ogg oga ogv wav webm avi mov flv wmv mkv woff woff2 ttf otf eot doc docx xls xlsx ppt
    pptx odt ods csv exe dmg apk msi iso rss atom xml txt ics vcf""".split()
)
_NOT_PAGE_PATH = re.compile(
    r"/(?:wp-admin|wp-login\.php|wp-json|wp-content|wp-includes|xmlrpc\.php|wp-comments-post\.php|cgi-bin)(?:/|$)"
    r"|/(?:feed|rss|atom|amp|embed|print|trackback|attachment)/?$"
    r"|/(?:login|logout|signin|sign-in|register|account|panier|cart|checkout|mon-compte)/?$",
    re.I,
)
_NOT_PAGE_QUERY_KEYS = frozenset(
    "replytocom share s q search print amp format output like_comment unapproved moderation-hash "
    "action preview doing_wp_cron add-to-cart redirect_to".split()
)
_COMMENT_PAGE_PATH = re.compile(r"/comment-page-(\d+)/?$", re.I)
_COMMENT_PAGE_QUERY = re.compile(
    # SPIP: debut_ and the forum loop's name (debut_forum, debut_forums), an offset
    r"cpage|comments_page|commentspage|comment_page|debut_[a-z_]*forum[a-z_]*",
    re.I,
)


def clean_url(href: str | None, base: str | None = None) -> str | None:
    """An absolute http(s) URL without its fragment, or None for what cannot be fetched."""
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    try:
        absolute = urljoin(base, href) if base else href
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    path = parts.path or "/"
    query = parts.query
    if query:
        # campaign tags (?utm_source=home) make one article many URLs: fetched and captured again each time
        query = "&".join(pair for pair in query.split("&") if not _TRACKING_PARAMETER.match(pair))
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, query, ""))


_TRACKING_PARAMETER = re.compile(
    r"(?:utm_[a-z_]*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|igshid|_hsenc|_hsmi)(?:=|$)",
    re.I,
)


def comment_page_number(url: str) -> int | None:
    """N of ``…/comment-page-N/`` or ``?cpage=N`` (and its cousins); None on other URLs."""
    parts = urlsplit(url)
    match = _COMMENT_PAGE_PATH.search(parts.path)
    if match:
        return int(match.group(1))
    for key, value in parse_qsl(parts.query):
        if _COMMENT_PAGE_QUERY.fullmatch(key) and value.isdigit():
            return int(value)
    return None


def comment_pager_key(url: str, comment_pages: Iterable[str]) -> str | None:
    """The query key an article's comment pages are numbered by when listings use it too (Drupal's
    ``?page=N``), as the article's page shows it: a link of its comment pager is its own path with a
    query that differs from its own by that key alone, a number, and the key names a page (``page``,
    ``pg``, ``page_c`` ...: not ``?p=124``, another post at the same path). None when no link
    shows one, or the key is one :func:`comment_page_number` knows."""
    here = urlsplit(url)
    own = dict(parse_qsl(here.query, keep_blank_values=True))
    for link in comment_pages:
        there = urlsplit(link)
        if _site_host(there) != _site_host(here) or there.path.rstrip("/") != here.path.rstrip("/"):
            continue
        theirs = dict(parse_qsl(there.query, keep_blank_values=True))
        differing = {key for key in own.keys() | theirs.keys() if own.get(key) != theirs.get(key)}
        if len(differing) != 1:
            continue
        (key,) = differing
        numbers = [value for value in (own.get(key), theirs.get(key)) if value is not None]
        names_a_page = "page" in key.lower() or key.lower() in _PAGINATION_QUERY_KEYS
        if (
            names_a_page
            and all(value.isdigit() for value in numbers)
            and not _COMMENT_PAGE_QUERY.fullmatch(key)
        ):
            return key
    return None


def _site_host(parts: SplitResult) -> str:
    """The host without ``www.``: a site answering on both writes its links for one (``<base href>``,
    absolute links), whichever its page was read at."""
    return parts.netloc.lower().removeprefix("www.")


def pager_page_number(url: str, pager_key: str | None) -> int | None:
    """:func:`comment_page_number`, else N + 1 for ``pager_key=N`` (:func:`comment_pager_key`): a pager
    counting from 0 has the article's own page first (``?page=1`` is the second page), one counting from
    1 keeps its order."""
    number = comment_page_number(url)
    if number is not None or pager_key is None:
        return number
    for key, value in parse_qsl(urlsplit(url).query):
        if key == pager_key and value.isdigit():
            return int(value) + 1
    return None


def without_comment_page(url: str, pager_key: str | None = None) -> str:
    """The article's own URL, given one of its comment pages (``…/comment-page-3/``, ``?cpage=3``, or
    ``?page=2`` when the article's pager numbers its pages by ``pager_key``: :func:`comment_pager_key`)."""
    parts = urlsplit(url)
    path = _COMMENT_PAGE_PATH.sub("/", parts.path)
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair and not _COMMENT_PAGE_QUERY.fullmatch(key := pair.split("=", 1)[0]) and key != pager_key
    )
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


def is_comment_page_url(url: str) -> bool:
    return comment_page_number(url) is not None


def is_crawlable(url: str) -> bool:
    """False for what is never an article or a listing: assets, admin and login pages, feeds, comment
    pages (fetched with their article only), reply/share/search/print variants."""
    parts = urlsplit(url)
    path = parts.path
    last = path.rsplit("/", 1)[-1]
    if "." in last and last.rsplit(".", 1)[-1].lower() in _NOT_PAGE_EXTENSIONS:
        return False
    if _NOT_PAGE_PATH.search(path) or is_comment_page_url(url):
        return False
    return not any(
        key.lower() in _NOT_PAGE_QUERY_KEYS for key, _ in parse_qsl(parts.query, keep_blank_values=True)
    )


# --------------------------------------------------------------------------- dates


def parse_date(value: str | None) -> datetime | None:
    """W3C/ISO 8601 (sitemaps, Atom) or RFC 822 (RSS) → aware datetime (UTC when no offset)."""
    if not value:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_RELATIVE_SINCE = re.compile(r"^(\d+)\s*([hdw])$", re.I)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``--since``: ``2024-04-01``, an ISO date-time, or ``48h`` / ``7d`` / ``2w`` ago. ValueError otherwise."""
    match = _RELATIVE_SINCE.match(text.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        try:
            delta = {"h": timedelta(hours=amount), "d": timedelta(days=amount), "w": timedelta(weeks=amount)}[
                unit
            ]
            return (now or datetime.now(UTC)) - delta
        except OverflowError:
            raise ValueError(f"{text!r} ago is before the year 1") from None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"not a date: {text!r} (use YYYY-MM-DD, an ISO 8601 date-time, or 48h / 7d / 2w)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- robots.txt


def robots_sitemaps(text: str, base_url: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt (any case, relative ones resolved), deduplicated."""
    found: list[str] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "sitemap":
            url = clean_url(value.strip(), base_url)
            if url and url not in found:
                found.append(url)
    return found


# --------------------------------------------------------------------------- XML documents

_XML_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "huge_tree": True, "recover": True}


def _gunzip(body: bytes) -> bytes:
    if not body.startswith(b"\x1f\x8b"):
        return body
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
        data = stream.read(MAX_UNCOMPRESSED_SITEMAP + 1)
    if len(data) > MAX_UNCOMPRESSED_SITEMAP:
        raise ValueError("compressed sitemap larger than 50 MB uncompressed")
    return data


def _xml_root(body: bytes):
    try:
        data = _gunzip(body)
    except (OSError, EOFError, ValueError):
        return None
    start = data.lstrip()[:1]
    if start not in (b"<", b"\xef"):  # XML or a UTF-8 BOM
        return None
    try:
        root = etree.fromstring(data, etree.XMLParser(**_XML_PARSER_OPTIONS))
    except etree.XMLSyntaxError:
        return None
    return root


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def _child_text(element, *names: str) -> str | None:
    for child in element:
        if _local(child.tag) in names and child.text and child.text.strip():
            return child.text.strip()
    return None


def sniff_document(body: bytes, content_type: str | None = None) -> str:
    """``sitemap``, ``feed``, ``html`` or ``other``: what a fetched document is, from its bytes first."""
    head = _gunzip_head(body)
    lowered = head.lower()
    if b"<urlset" in lowered or b"<sitemapindex" in lowered:
        return "sitemap"
    if b"<rss" in lowered or b"<feed" in lowered or b"<rdf:rdf" in lowered:
        return "feed"
    ctype = (content_type or "").lower()
    if "html" in ctype or b"<html" in lowered or b"<!doctype html" in lowered:
        return "html"
    if "xml" in ctype and ("rss" in ctype or "atom" in ctype):
        return "feed"
    return "other"


def _gunzip_head(body: bytes, size: int = 2048) -> bytes:
    if body.startswith(b"\x1f\x8b"):
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
                return stream.read(size)
        except (OSError, EOFError):
            return b""
    return body[:size]


# --------------------------------------------------------------------------- sitemaps


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    url: str
    lastmod: datetime | None = None
    """When the page last changed, at the latest: a bare date (``2024-05-01``) is the end of that day
    (see :func:`sitemap_lastmod`)."""
    published: datetime | None = None
    """``news:publication_date`` of a Google news sitemap."""
    title: str | None = None
    """``news:title`` of a Google news sitemap."""


@dataclass(frozen=True, slots=True)
class Sitemap:
    kind: str
    """``index`` (entries are sitemaps) or ``urlset`` (entries are pages)."""
    entries: tuple[SitemapEntry, ...]


def parse_sitemap(body: bytes, url: str) -> Sitemap | None:
    """A sitemap index, url set (with lastmod and news data) or plain-text sitemap; None if not one.

    Gzipped bodies are read (capped at 50 MB uncompressed); URLs are resolved against ``url``.
    """
    root = _xml_root(body)
    if root is None:
        return _text_sitemap(body, url)
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        return None
    entries: list[SitemapEntry] = []
    seen: set[str] = set()
    item_tag = "sitemap" if kind == "sitemapindex" else "url"
    for item in root:
        if _local(item.tag) != item_tag:
            continue
        loc = clean_url(_child_text(item, "loc"), url)
        if loc is None or loc in seen:
            continue
        seen.add(loc)
        published = title = None
        for child in item:
            if _local(child.tag) == "news":
                published = parse_date(_descendant_text(child, "publication_date"))
                title = _descendant_text(child, "title")
        entries.append(
            SitemapEntry(
                loc, lastmod=sitemap_lastmod(_child_text(item, "lastmod")), published=published, title=title
            )
        )
    return Sitemap("index" if kind == "sitemapindex" else "urlset", tuple(entries))


_BARE_DATE = re.compile(r"\d{4}-\d\d-\d\d")
LATEST_DAY_END = timedelta(days=1, hours=12)
"""A day ends at most this long after its midnight UTC (in UTC-12)."""


def sitemap_lastmod(text: str | None) -> datetime | None:
    """A sitemap ``lastmod``. A bare date, which many sitemap generators write, says the page changed
    some time that day: it reads as the day's end in any time zone, so that a change made later on the
    day of a visit is not taken for one the visit saw (``--incremental`` would skip the page for good)."""
    lastmod = parse_date(text)
    if lastmod is not None and _BARE_DATE.fullmatch(text.strip()):
        return lastmod + LATEST_DAY_END
    return lastmod


def _descendant_text(element, name: str) -> str | None:
    for child in element.iter():
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def _text_sitemap(body: bytes, url: str) -> Sitemap | None:
    try:
        text = _gunzip(body).decode("utf-8")
    except (OSError, EOFError, ValueError):
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not all(line.startswith(("http://", "https://")) and " " not in line for line in lines):
        return None
    urls = list(dict.fromkeys(u for u in (clean_url(line, url) for line in lines) if u))
    return Sitemap("urlset", tuple(SitemapEntry(u) for u in urls))


# --------------------------------------------------------------------------- feeds


@dataclass(frozen=True, slots=True)
class FeedEntry:
    url: str
    published: datetime | None = None
    updated: datetime | None = None
    title: str | None = None


_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"


def _xml_base(element, url: str) -> str:
    """What the relative links of an element of a feed resolve against (XML Base, which Atom requires
    and RSS feeds use too): the ``xml:base`` of the element or of its nearest ancestor having one, itself
    relative to the ones above it, the feed's URL outermost."""
    for node in reversed([element, *_ancestors(element)]):
        base = (node.get(_XML_BASE) or "").strip()
        if base:
            try:
                url = urljoin(url, base)
            except ValueError:  # not a URL: the base it would replace stands
                continue
    return url


def parse_feed(body: bytes, url: str) -> list[FeedEntry] | None:
    """The items of an RSS 2.0, RSS 1.0 (RDF) or Atom feed, in feed order; None if not a feed.

    Relative links resolve against ``url`` and the ``xml:base`` attributes around them."""
    root = _xml_root(body)
    if root is None:
        return None
    kind = _local(root.tag)
    entries: list[FeedEntry] = []
    if kind in ("rss", "rdf"):
        for item in root.iter():
            if _local(item.tag) != "item":
                continue
            link = guid = None
            for child in item:
                name = _local(child.tag)
                if link is None and name == "link" and child.text and child.text.strip():
                    link = child
                elif name == "guid" and child.get("isPermaLink", "true").lower() != "false":
                    guid = child if (child.text or "").strip() else None
            source = link if link is not None else guid  # else RSS 1.0's rdf:about
            if source is not None:
                target = clean_url(source.text, _xml_base(source, url))
            else:
                target = clean_url(item.get(_RDF_ABOUT), _xml_base(item, url))
            if target:
                entries.append(
                    FeedEntry(
                        target,
                        published=parse_date(_child_text(item, "pubdate", "date", "published")),
                        updated=parse_date(_child_text(item, "updated", "modified")),
                        title=_child_text(item, "title"),
                    )
                )
    elif kind == "feed":
        for entry in root:
            if _local(entry.tag) != "entry":
                continue
            target = None
            for child in entry:
                if _local(child.tag) == "link" and child.get("rel", "alternate") == "alternate":
                    target = clean_url(child.get("href"), _xml_base(child, url))
                    break
            if target:
                entries.append(
                    FeedEntry(
                        target,
                        published=parse_date(_child_text(entry, "published", "issued")),
                        updated=parse_date(_child_text(entry, "updated", "modified")),
                        title=_child_text(entry, "title"),
                    )
                )
    else:
        return None
    unique: dict[str, FeedEntry] = {}
    for entry in entries:
        unique.setdefault(entry.url, entry)
    return list(unique.values())


_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
_COMMENT_FEED = re.compile(r"comment|kommentar|commentaire|réaction|reaction", re.I)


def feed_links(root, url: str) -> list[str]:
    """Feeds a page announces with ``<link rel=alternate type=application/rss+xml|atom+xml>``, without
    the per-article comment feeds WordPress adds."""
    found: list[str] = []
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" not in rel or kind not in _FEED_TYPES or kind == "application/feed+json":
            continue
        if _COMMENT_FEED.search(link.get("title") or ""):
            continue
        target = clean_url(link.get("href"), url)
        if target and target not in found and "/comments/feed" not in target:
            found.append(target)
    return found


# --------------------------------------------------------------------------- listing pages

_PAGINATION_PATH = re.compile(r"/page/(\d+)/?$", re.I)
_PAGINATION_QUERY_KEYS = ("page", "paged", "pg")
_NEXT_CLASS = re.compile(
    r"(?:^|[\s_-])(?:next|nextpostslink|pagination-next|older-posts|nav-previous)(?:$|[\s_-])", re.I
)
_PAGINATION_CONTAINER = re.compile(
    r"pagination|pager|page-numbers|nav-links|paging|wp-pagenavi|posts-navigation", re.I
)
_NEXT_TEXT = re.compile(
    r"^(?:(?:page|página|pagina)\s+)?(?:suivante?|next(?:\s+page)?|nächste(?:\s+seite)?|weiter"
    r"|siguiente(?:\s+página)?|successiva|seguinte|próxima(?:\s+página)?|volgende(?:\s+pagina)?"
    # the older posts of a blog (WordPress's "Older posts" in its languages): the next page of its listing
    r"|(?:articles?\s+)?plus\s+anciens|older(?:\s+(?:posts|entries|articles))?|ältere\s+(?:beiträge|artikel|einträge)"
    r"|entradas\s+anteriores|articoli\s+(?:meno\s+recenti|precedenti)|(?:artigos|posts)\s+mais\s+antigos"
    r"|oudere\s+berichten)?\s*[»›>]*$",
    re.I,
)
"""The text of a link to a listing's next page ("Suivant »", "Page suivante", "Next", "Ältere Beiträge",
"Entradas anteriores", "»"), also with no class or rel saying so."""
_CHROME_TAGS = frozenset(("header", "nav", "footer"))
_TEASER_HEADINGS = frozenset(("h1", "h2", "h3", "h4"))


@dataclass(slots=True)
class ListingLinks:
    """What a listing page points at, each list deduplicated in page order."""

    articles: list[str] = field(default_factory=list)
    """Teaser links: headings' links, ``rel=bookmark``, links inside ``<article>`` blocks."""
    pagination: list[str] = field(default_factory=list)
    """Next pages of this listing (``rel=next``, ``.next``, ``/page/N/``, ``?page=N``)."""
    pages: list[str] = field(default_factory=list)
    """Other on-site links (navigation to categories, widgets ...), to be judged once fetched."""
    feeds: list[str] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)
    """Links to other sites (never followed), for the record."""


def _is_pagination_url(url: str, listing_url: str) -> bool:
    target, here = urlsplit(url), urlsplit(listing_url)
    if _PAGINATION_PATH.search(target.path):
        base = _PAGINATION_PATH.sub("/", target.path)
        return base.rstrip("/") == _PAGINATION_PATH.sub("/", here.path).rstrip("/")
    keys = {k.lower() for k, v in parse_qsl(target.query) if v.isdigit()}
    if keys & set(_PAGINATION_QUERY_KEYS) or any(
        k.startswith("debut_") for k in keys
    ):  # SPIP: ?debut_articles=10
        return target.path.rstrip("/") == here.path.rstrip("/")
    return False


_PAGE_NUMBER_PATH = re.compile(r"/\d+/?$")


def _section_path(path: str) -> str:
    """The listing a page of it belongs to: ``/actu/page/3/`` and ``/actu/3`` → ``/actu/``."""
    return _PAGE_NUMBER_PATH.sub("/", _PAGINATION_PATH.sub("/", path)).rstrip("/") + "/"


def _same_section(url: str, listing_url: str) -> bool:
    """The link stays in the listing's section (a page of it, not another part of the site)."""
    target, here = urlsplit(url), urlsplit(listing_url)
    return target.netloc == here.netloc and _section_path(target.path).startswith(_section_path(here.path))


def _ancestors(element) -> Iterable:
    parent = element.getparent()
    while parent is not None:
        yield parent
        parent = parent.getparent()


def listing_links(root, url: str, scope: SiteScope) -> ListingLinks:
    """Sort a listing page's on-site, crawlable links into teasers, pagination and other pages."""
    out = ListingLinks(feeds=feed_links(root, url))
    here = clean_url(url)
    seen: set[str] = {here} if here else set()
    pagination: list[str] = []
    for link in root.iter("link"):
        if "next" in (link.get("rel") or "").lower().split():
            target = clean_url(link.get("href"), url)
            if target and scope.contains(target):
                pagination.append(target)
    for anchor in root.iter("a"):
        target = clean_url(anchor.get("href"), url)
        if target is None or is_comment_page_url(target):
            continue
        if not scope.contains(target):
            out.offsite.append(target)
            continue
        rel = (anchor.get("rel") or "").lower().split()
        ancestors = list(_ancestors(anchor))
        text = " ".join("".join(anchor.itertext()).split())
        next_like = (
            "next" in rel
            or bool(_NEXT_CLASS.search(anchor.get("class") or ""))
            or (bool(text) and _NEXT_TEXT.match(text) is not None)
        )
        in_pagination = any(_PAGINATION_CONTAINER.search(a.get("class") or "") for a in ancestors[:4])
        if _is_pagination_url(target, url) or ((next_like or in_pagination) and _same_section(target, url)):
            pagination.append(target)
            continue
        if target in seen or not is_crawlable(target):
            continue
        seen.add(target)
        tags = {a.tag for a in ancestors if isinstance(a.tag, str)}
        if tags & _CHROME_TAGS and "article" not in tags:
            out.pages.append(target)
        elif "bookmark" in rel or tags & _TEASER_HEADINGS or "article" in tags:
            out.articles.append(target)
        else:
            out.pages.append(target)
    # a link the page also gives as a teaser ('»' to read /actu/12345, whose headline links there too) is
    # an article, not the listing's next page
    teasers = set(out.articles)
    out.pagination = [
        u for u in dict.fromkeys(pagination) if u != here and (u not in teasers or _is_pagination_url(u, url))
    ]
    return out


# --------------------------------------------------------------------------- article or not

ARTICLE_TYPES = frozenset(
    """article newsarticle blogposting reportagenewsarticle analysisnewsarticle opinionnewsarticle
    reviewnewsarticle backgroundnewsarticle techarticle liveblogposting report satiricalarticle
    advertisercontentarticle askpublicnewsarticle review""".split()
)
LISTING_TYPES = frozenset("collectionpage itemlist searchresultspage profilepage".split())
_ARTICLE_BODY_CLASSES = frozenset(
    ("single", "single-post", "single-article", "node-type-article", "article-page")
)
_LISTING_BODY_CLASSES = frozenset(
    (
        "home",
        "blog",
        "archive",
        "category",
        "tag",
        "author",
        "search",
        "date",
        "paged",
        "front-page",
        "section",
    )
)


def _jsonld_types(root) -> set[str]:
    types: set[str] = set()
    for script in root.iter("script"):
        if (script.get("type") or "").lower().strip() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                kind = node.get("@type")
                for value in kind if isinstance(kind, list) else [kind]:
                    if isinstance(value, str):
                        types.add(value.lower())
                graph = node.get("@graph")
                if graph:
                    stack.append(graph)
    return types


_COMMENT_TOKEN = re.compile(r"^(?:js-|div-)?(?:comments?|commentaires?|kommentare?)(?:$|[-_])", re.I)


def _in_comments(element) -> bool:
    """The element is a reader comment or inside the comment area (its class or id, or an ancestor's,
    says so: ``comment``, ``comment-list``, ``#comments``, Drupal's ``js-comment``): a comment written as
    an ``<article>`` with a linked heading is no teaser."""
    for node in (element, *_ancestors(element)):
        tokens = [*(node.get("class") or "").split(), node.get("id") or ""]
        if any(_COMMENT_TOKEN.match(token) for token in tokens):
            return True
    return False


def page_kind(root, url: str) -> tuple[str | None, str]:
    """``("article" | "listing" | None, why)`` from the page's own evidence; None: undecided, let the
    extractor judge (a long body under a headline is an article)."""
    head_og = None
    for meta in root.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == "og:type":
            head_og = (meta.get("content") or "").strip().lower()
            break
    body = root.find(".//body")
    body_classes = set((body.get("class") or "").lower().split()) if body is not None else set()
    if body_classes & _ARTICLE_BODY_CLASSES or any(c.startswith("postid-") for c in body_classes):
        return "article", "body class"
    if body_classes & _LISTING_BODY_CLASSES:
        return "listing", "body class"
    if head_og in ("article", "newsarticle", "blog", "news"):
        return "article", "og:type"
    if head_og == "website" and any(c.startswith("page-id-") for c in body_classes):
        # a WordPress static page (contact, legal notice) that does not call itself an article: its
        # heading and text would read like one
        return "listing", "WordPress page"
    types = _jsonld_types(root)
    if types & ARTICLE_TYPES:
        return "article", "JSON-LD type"
    if types & LISTING_TYPES:
        return "listing", "JSON-LD type"
    articles = sum(1 for article in root.iter("article") if not _in_comments(article))
    if articles >= 3:
        return "listing", "several <article> blocks"
    teasers = 0
    for heading in root.iter("h2", "h3"):
        if heading.find(".//a[@href]") is not None and not _in_comments(heading):
            teasers += 1
    if teasers >= 5:
        return "listing", "linked headings"
    return None, "no evidence"


# --------------------------------------------------------------------------- comment pages


def _comment_key(comment: dict) -> tuple:
    if comment.get("id"):
        return ("id", str(comment["id"]))
    return ("text", comment.get("author"), comment.get("published_raw"), comment.get("text"))


def merge_comment_pages(pages: Sequence[tuple[int, Sequence[dict]]]) -> list[dict]:
    """One comment list from an article's comment pages, given as ``(page number, comments)``.

    Pages are merged in page order (the article page is page 1), each comment once: a comment that
    shows up again on a later page (the page boundaries moved between two fetches) keeps its first
    place. Threading is kept as each page gave it (``parent_id``), whichever page the parent is on.
    Comments without id that say the same (author, date as shown, text) are as many as one page
    shows: a reader may post the same words twice, and the page lists both.
    """
    merged: list[dict] = []
    seen_ids: set[tuple] = set()
    earlier: Counter[tuple] = Counter()  # comments without id of the pages merged so far, by key
    for _, comments in sorted(pages, key=lambda page: page[0]):
        repeated: Counter[tuple] = Counter()  # this page's, matched with an earlier page's
        added: Counter[tuple] = Counter()
        for comment in comments:
            key = _comment_key(comment)
            if key[0] == "id":
                if key in seen_ids:
                    continue
                seen_ids.add(key)
            elif repeated[key] < earlier[key]:
                repeated[key] += 1
                continue
            else:
                added[key] += 1
            merged.append(comment)
        earlier.update(added)
    return merged


def holds_later_comments(page: Sequence[dict], other: Sequence[dict]) -> bool | None:
    """Whether a comment page's comments come after another page's (a site showing its newest
    comment page with the article): by their dates, else by their numeric ids; None when neither
    tells (missing on some comment, or the same first comment)."""
    for key in (_comment_instant, _comment_number):
        here, there = [key(c) for c in page], [key(c) for c in other]
        if here and there and None not in here and None not in there and min(here) != min(there):
            return min(here) > min(there)
    return None


def _comment_instant(comment: dict) -> datetime | None:
    return parse_date(comment.get("published_at"))


def _comment_number(comment: dict) -> int | None:
    ident = str(comment.get("id") or "")
    return int(ident) if ident.isdigit() else None


# --------------------------------------------------------------------------- incremental crawling

_DURATION = re.compile(r"^(\d+)\s*([mhdw])$", re.I)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"not a duration: {text!r} (use 30m, 6h, 2d, 1w)")
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


@dataclass(frozen=True, slots=True)
class RevisitPolicy:
    """How often an archived article is fetched again for new comments, by its age.

    ``RevisitPolicy.parse("2d:6h,14d:1d")``: younger than 2 days, every 6 hours; younger than 14 days,
    daily; older, never (unless its sitemap lastmod moves).
    """

    steps: tuple[tuple[timedelta, timedelta], ...]

    DEFAULT = "2d:6h,14d:1d"

    @classmethod
    def parse(cls, text: str) -> RevisitPolicy:
        steps = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            age, sep, every = part.partition(":")
            if not sep:
                raise ValueError(f"revisit policy step {part!r} should read AGE:INTERVAL, e.g. 2d:6h")
            steps.append((_duration(age), _duration(every)))
        return cls(tuple(sorted(steps)))

    @property
    def horizon(self) -> timedelta:
        """Articles older than this are never revisited for comments."""
        return max((age for age, _ in self.steps), default=timedelta(0))

    def is_due(self, published_at: datetime | None, last_seen_at: datetime | None, now: datetime) -> bool:
        if published_at is None:
            return False
        if last_seen_at is None:
            return True
        age = now - published_at
        for max_age, interval in self.steps:
            if age < max_age:
                return now - last_seen_at >= interval
        return False

"""Article metadata: everything about an article except its body and comments.

`extract_metadata(root, url=...)` reads JSON-LD, <meta> tags, microdata and a few well-known markup
patterns (WordPress entry meta, bylines, breadcrumbs) and returns a `Metadata`. Sources are tried in
a fixed priority order per field; the first that gives a usable value wins. Pure function over the
parsed tree: no network, no storage.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree

from newscrawl.extraction.dates import default_timezone, parse_date, search_date, to_iso
from newscrawl.extraction.language import detect_language, language_region, normalize_language
from newscrawl.extraction.structured import (
    first_value,
    json_ld_objects,
    meta_properties,
    microdata_value,
    types_of,
)
from newscrawl.extraction.text import BLOCK_TAGS, SKIP_TAGS, classes_and_id, normalize_space, text_of

__all__ = [
    "Metadata",
    "clean_author",
    "declared_region",
    "extract_metadata",
    "split_authors",
    "strip_site_affixes",
]


@dataclass(slots=True)
class Metadata:
    title: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    language: str | None = None
    region: str | None = None  # the country it declares for its language: 'ES' of es-ES (declared_region)
    description: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: str | None = None
    published_raw: str | None = None
    modified_at: str | None = None
    modified_raw: str | None = None
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    comment_count: int | None = None
    jsonld: list[dict] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------
# JSON-LD helpers

ARTICLE_TYPES = frozenset(
    """article newsarticle blogposting reportagenewsarticle analysisnewsarticle opinionnewsarticle
    reviewnewsarticle backgroundnewsarticle askpublicnewsarticle satiricalarticle report scholarlyarticle
    techarticle liveblogposting socialmediaposting posting advertisercontentarticle medicalscholarlyarticle
    review creativework""".split()
)
PAGE_TYPES = frozenset("webpage itempage aboutpage qapage faqpage medicalwebpage".split())
PERSON_TYPES = frozenset({"person"})
ORG_TYPES = frozenset({"organization", "newsmediaorganization", "corporation", "localbusiness", "ngo"})


def _url_key(u: str | None) -> str:
    if not u or not isinstance(u, str):
        return ""
    parts = urlsplit(u.strip())
    path = parts.path.rstrip("/")
    return f"{parts.netloc.lower().removeprefix('www.')}{path}"


def _node_urls(obj: dict) -> set[str]:
    urls = set()
    for key in ("url", "@id", "mainEntityOfPage"):
        v = obj.get(key)
        if isinstance(v, dict):
            v = v.get("@id") or v.get("url")
        if isinstance(v, str):
            urls.add(_url_key(v.split("#")[0]))
    return urls


def _pick_article(objects: list[dict], page_keys: set[str]) -> tuple[dict | None, dict | None]:
    """The JSON-LD node describing this article, and the WebPage node of the page."""
    articles: list[dict] = []
    page: dict | None = None
    for obj in objects:
        types = types_of(obj)
        if types & ARTICLE_TYPES and not (types & {"creativework", "review"} and "headline" not in obj):
            articles.append(obj)
        elif types & PAGE_TYPES:
            if page is None:
                page = obj
            for key in ("mainEntity", "hasPart"):
                sub = obj.get(key)
                for node in sub if isinstance(sub, list) else [sub]:
                    if isinstance(node, dict) and types_of(node) & ARTICLE_TYPES:
                        articles.append(node)
    if not articles:
        return None, page
    if len(articles) == 1:
        return articles[0], page

    def score(item: tuple[int, dict]) -> tuple[int, int]:
        i, obj = item
        s = 0
        if page_keys & _node_urls(obj):
            s += 4
        if obj.get("headline"):
            s += 2
        if obj.get("datePublished"):
            s += 1
        if obj.get("articleBody"):
            s += 1
        return s, -i

    best = max(enumerate(articles), key=score)[1]
    return best, page


def _names(value, depth: int = 0) -> list[tuple[str, bool]]:
    """(name, is_organization) pairs of a JSON-LD author/creator value."""
    if depth > 3 or value is None:
        return []
    if isinstance(value, list):
        out = []
        for item in value:
            out.extend(_names(item, depth + 1))
        return out
    if isinstance(value, str):
        return [(value, False)]
    if isinstance(value, dict):
        types = types_of(value)
        name = value.get("name")
        if isinstance(name, list):
            name = first_value(name)
        if isinstance(name, dict):
            name = first_value(name)
        if not name:
            given, family = value.get("givenName"), value.get("familyName")
            if isinstance(given, str) or isinstance(family, str):
                name = f"{given or ''} {family or ''}"
        if isinstance(name, str):
            return [(name, bool(types & ORG_TYPES))]
    return []


# ------------------------------------------------------------------------------------------------
# titles

_SEPARATORS = re.compile(r"\s+(?:[|\-–—·•»«~/:]|::|\|\|)\s+|\s+[|–—·•»«]|[|–—·•»«]\s+")


@functools.lru_cache(maxsize=8192)
def _fold(s: str) -> str:
    """Lower-case, accents and punctuation removed: for comparisons only (cached: the same site
    names and titles are folded again and again)."""
    s = unicodedata.normalize("NFKD", s.casefold())
    return "".join(ch for ch in s if ch.isalnum())


def _domain_labels(url: str | None) -> set[str]:
    if not url:
        return set()
    host = urlsplit(url).netloc.lower().split(":")[0].removeprefix("www.")
    if not host:
        return set()
    labels = host.split(".")
    out = {_fold(host)}
    # the registered name: 'lemonde' of lemonde.fr, 'bbc' of bbc.co.uk
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in {"co", "com", "org", "net", "gov", "ac"}:
        name = labels[-3]
    elif len(labels) >= 2:
        name = labels[-2]
    else:
        name = labels[0]
    out.add(_fold(name))
    return {x for x in out if x}


def _is_site_label(segment: str, site_names: set[str], domains: set[str], *, strict: bool = False) -> bool:
    """Whether a title segment names the site. `strict` (for leading segments, where headlines often
    start with a brand: 'Firefox — ...') accepts only exact names and host names."""
    f = _fold(segment)
    if not f:
        return False
    if f in site_names or f in domains:
        return True
    if "." in segment and " " not in segment.strip() and len(segment) < 40:  # 'lemonde.fr', 'CNN.com'
        return True
    if strict:
        return False
    for name in site_names:
        if len(name) >= 4 and len(f) >= 3 and (f.startswith(name) or name.startswith(f)):
            return True
    return any(len(d) >= 4 and len(f) >= 4 and (f.startswith(d) or d.startswith(f)) for d in domains)


def strip_site_affixes(title: str | None, site_names=(), url: str | None = None, *, weak_names=()) -> str:
    """The title without a leading or trailing site label ('X - Blog Auto Info', 'Le Monde | X').

    A trailing segment is removed when it matches (or starts like) one of `site_names`,
    `weak_names` (Twitter handles and such) or the domain of `url`; a leading one only when it is
    exactly one of `site_names` or a host name. The title is returned whole when nothing matches.
    Entities must already be decoded (lxml does that).
    """
    title = normalize_space(title)
    if not title:
        return ""
    names = {_fold(n) for n in site_names if n and _fold(n)}
    weak = names | {_fold(n) for n in weak_names if n and _fold(n)}
    domains = _domain_labels(url)
    for _ in range(3):
        matches = list(_SEPARATORS.finditer(title))
        if not matches:
            break
        last, first = matches[-1], matches[0]
        tail, head = title[last.end() :], title[: first.start()]
        if _is_site_label(tail, weak, domains) and len(title[: last.start()].strip()) >= 3:
            title = title[: last.start()].strip()
        elif _is_site_label(head, names, domains, strict=True) and len(title[first.end() :].strip()) >= 3:
            title = title[first.end() :].strip()
        else:
            break
    return title


_BANNER_CLASS = re.compile(r"site-?title|site-?name|blog-?title|logo|brand|masthead|site-?header")
_FEED_TITLE = re.compile(r"\s+[»|\-–—:]\s+|\s+(?=(?:RSS|Atom|Feed|Flux)\b)", re.I)
_SECTION_SEPARATOR = re.compile(r"\s+[|–—-]\s+")
_PERMALINK = re.compile(r"\s*[¶#🔗]+$")


def _refine(ref: str, h1: str) -> str | None:
    """The title when the h1 and a metadata title say the same: the h1's own text when they differ
    only by punctuation or when the metadata is truncated or suffixed, the metadata title when the
    h1 carries extra words (a kicker or a hidden label); None when they disagree."""
    fr, fh = _fold(ref), _fold(h1)
    if not fr or not fh:
        return None
    if fr == fh:
        return h1
    if len(fr) < len(fh):
        if len(fr) >= 15 and fh.startswith(fr) and ref.rstrip().endswith(("…", "...")):
            return h1
        if len(fr) >= 15 and fr in fh:
            return ref
        return None
    if len(fh) >= 15 and fr.startswith(fh):
        return h1
    if len(fh) >= 20 and fh in fr:
        return h1
    # 'Headline | Section' against an h1 'Headline' followed by a label ('Abonnés', 'Video')
    m = _SECTION_SEPARATOR.search(ref)
    if m:
        head = ref[: m.start()].strip()
        fhead = _fold(head)
        if len(fhead) >= 15 and fh.startswith(fhead) and len(fh) - len(fhead) <= 20:
            return h1 if fh == fhead else head
    return None


def _agree(a: str, b: str) -> bool:
    """Whether two titles say the same (one may be a truncated or suffixed form of the other)."""
    fa, fb = _fold(a), _fold(b)
    if not fa or not fb:
        return False
    if fa == fb:
        return True
    short, long_ = (fa, fb) if len(fa) < len(fb) else (fb, fa)
    return (len(short) >= 15 and long_.startswith(short)) or (len(short) >= 20 and short in long_)


# ------------------------------------------------------------------------------------------------
# authors

_AUTHOR_PREFIX = re.compile(
    r"^(?:(?:written|posted|published|reported|text|story|words|photos?|edited|compiled)\s+by|"
    r"by|par|von|de|door|por|di|da|av|af|from|autor(?:in|en)?|auteur(?:e|s)?|author(?:s)?|"
    r"text|texte|redakteur(?:in)?|rédaction|reporter|ein\s+(?:beitrag|artikel|kommentar)\s+von|"
    r"ein\s+interview\s+von|posted|geschrieben\s+von|verfasst\s+von|écrit\s+par|publié\s+par|"
    r"veröffentlicht\s+von|erstellt\s+von|publicado\s+por|pubblicato\s+da|"
    r"un\s+article\s+de|mis\s+en\s+ligne\s+par|propos\s+recueillis\s+par)\b\s*[:.\-–]?\s*",
    re.I,
)
_SPLIT = re.compile(r"\s*(?:,|;|&|\s(?:and|et|und|y|sowie|or|e)\s|\s\|\s|/\s)\s*", re.I)
_DATE_TAIL = re.compile(
    r"\s*(?:[,|–—\-·•]\s*|\s)(?:(?:on|le|am|il|el|at|à|um)\s+(?=[^\n]*\d).*|"
    r"(?:published|posted|updated|last updated|last modified|mis à jour|publié|veröffentlicht|"
    r"aktualisiert|stand|edited by|reviewed by|fact[- ]checked by|photos? by|illustrations? by)\b.*|\d{1,4}[./\-]\d{1,2}.*|\d{1,2}\.?\s+\w+\s+\d{4}.*|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|janv|févr|mars|avr|mai|juin|juil|août|"
    r"sept|déc|januar|februar|märz|juni|juli|oktober|dezember)\w*\.?\s+\d{1,2}\b.*|"
    r"\d+\s+(?:min|minutes?|hours?|heures?|stunden?|days?|jours?|tagen?)\b.*)$",
    re.I,
)
_ROLE_WORDS = frozenset(
    """staff writer reporter correspondent editor editors contributor contributing senior journalist
    journaliste rédacteur rédactrice rédaction redakteur redakteurin korrespondent korrespondentin
    chefredakteur columnist photographer photographe produced producer writer analyst associate
    bureau chief managing deputy news desk envoyé spécial envoyée spéciale special to
    author autor auteur""".split()
)
_JUNK_NAMES = frozenset(
    """facebook twitter instagram linkedin youtube pinterest whatsapp email e-mail mail share partager
    teilen print imprimer drucken comments commentaires kommentare follow suivre folgen subscribe
    rss home accueil startseite menu search recherche suche more plus mehr read lire lesen about
    contact login newsletter unknown anonymous null none undefined author autor auteur by par von
    admin administrator staff redaktion on in at the le la les de du des der die das am um and et und
    written posted published monday tuesday wednesday thursday friday saturday sunday lundi mardi
    mercredi jeudi vendredi samedi dimanche montag dienstag mittwoch donnerstag freitag samstag sonntag
    today yesterday aujourd'hui hier heute gestern""".split()
)
_NEVER_NAMES = _JUNK_NAMES - {"admin", "administrator", "staff", "redaktion"}
_NOT_A_NAME = re.compile(
    r"\b(?:comments?|kommentare?|commentaires?|antworten|reply|replies|likes?|shares?|views?|"
    r"min(?:ute)?s?\s+read|lesezeit|temps de lecture|reading time|read more|weiterlesen|lire la suite|"
    r"updated|aktualisiert|mis à jour|published|veröffentlicht|publié|cookies?|javascript)\b|^\d",
    re.I,
)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_PARENS = re.compile(r"\s*[(\[][^)\]]*[)\]]")
_HANDLE = re.compile(r"^@\w+$")


def _looks_like_url(s: str) -> bool:
    s = s.strip().lower()
    return s.startswith(("http:", "https:", "//", "www.")) or bool(
        re.match(r"^[\w.-]+\.(com|net|org|de|fr)(/|$)", s)
    )


def clean_author(raw: str | None) -> str | None:
    """One author name without prefixes ('Par', 'By', 'Von'), dates, roles, e-mails; None for junk."""
    if not raw:
        return None
    s = normalize_space(raw)
    if not s or _looks_like_url(s):
        return None
    s = _EMAIL.sub("", s)
    s = _PARENS.sub("", s)
    for _ in range(2):
        s2 = _AUTHOR_PREFIX.sub("", s, count=1).strip()
        if s2 == s:
            break
        s = s2
    s = _DATE_TAIL.sub("", s).strip()
    s = s.strip(" \t:;,.-–—|·•*\"'“”«»()[]")
    if not s or _HANDLE.match(s):
        return None
    words = s.split()
    if len(words) > 6 or len(s) > 60:
        return None
    if not any(ch.isalpha() for ch in s):
        return None
    low = s.casefold()
    if low in _NEVER_NAMES:
        return None
    if all(w.casefold().strip(".,") in _ROLE_WORDS for w in words):
        return None
    digits = sum(ch.isdigit() for ch in s)
    if digits * 2 > len(s) or re.search(r"\d{5}|\d[./:]\d", s):
        return None
    if _NOT_A_NAME.search(s):
        return None
    return s


def split_authors(raw: str | None) -> list[str]:
    """A byline split into cleaned names: 'Par A et B', 'By A, B and C', 'Von A und B'."""
    if not raw:
        return []
    s = normalize_space(raw)
    s = _EMAIL.sub("", s)
    s = _PARENS.sub("", s)
    s = _AUTHOR_PREFIX.sub("", s, count=1)
    s = _DATE_TAIL.sub("", s)
    out: list[str] = []
    parts = _SPLIT.split(s)
    for i, part in enumerate(parts):
        name = clean_author(part)
        if not name:
            continue
        words = name.casefold().split()
        # 'John Smith, Staff Writer': a trailing role after a comma is not a second author
        if i > 0 and all(w.strip(".") in _ROLE_WORDS for w in words):
            continue
        out.append(name)
    return out


def _dedupe_names(names: list[str]) -> list[str]:
    out: list[str] = []
    seen: list[str] = []
    for name in names:
        f = _fold(name)
        if not f or f in seen:
            continue
        # 'John' after 'John Smith' adds nothing
        if any(f in s or s in f for s in seen if min(len(f), len(s)) >= 4):
            longer = [i for i, s in enumerate(seen) if s in f and s != f]
            for i in longer:  # keep the fuller form in the earlier position
                seen[i], out[i] = f, name
            continue
        seen.append(f)
        out.append(name)
    return out


# ------------------------------------------------------------------------------------------------
# dates

_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "article:published",
    "og:published_time",
    "datepublished",
    "published_time",
    "publish-date",
    "publishdate",
    "publish_date",
    "pubdate",
    "dc.date.issued",
    "dcterms.issued",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "article_date_original",
    "original-publish-date",
    "originalpublicationdate",
    "date_published",
    "og:pubdate",
    "rnews:datepublished",
    "cxenseparse:recs:publishtime",
    "citation_publication_date",
    "citation_date",
    "dc.date.created",
    "dcterms.created",
    "date",
    "dc.date",
    "dcterms.date",
    "created",
    "datecreated",
    "displaydate",
    "publication_date",
    "release_date",
    "timestamp",
    "dat",
    "bt:pubdate",
    "article.created",
    "last-publish-date",
)
_MODIFIED_META = (
    "article:modified_time",
    "og:article:modified_time",
    "og:updated_time",
    "datemodified",
    "article:modified",
    "modified_time",
    "dcterms.modified",
    "dc.date.modified",
    "last-modified",
    "lastmod",
    "article.updated",
    "parsely-updated",
    "sailthru.lastmodified",
    "updated_time",
    "date_modified",
    "last-updated",
)
_PUB_LABEL = re.compile(
    r"(?:publié|publiée|mis en ligne|posté|postée|paru|parue|publication|published|posted|first published|"
    r"veröffentlicht|erschienen|publiziert|erstellt|publicado|publicada|pubblicato|gepubliceerd|"
    r"opublikowano)\b",
    re.I,
)
_MOD_LABEL = re.compile(
    r"(?:mis à jour|mise à jour|actualisé|modifié|maj\b|updated|last updated|modified|aktualisiert|"
    r"geändert|zuletzt|stand:|actualizado|aggiornato|bijgewerkt)",
    re.I,
)
# The word that introduces a date ('Le 12/03/2024 à 8h30', 'am 20.09.2020', 'on May 3, 2024'): part of
# the date as the page shows it (published_raw), like a label.
_LEAD_IN_WORDS = frozenset(("le", "am", "on", "du"))
_LEAD_IN_BEFORE = re.compile(rf"(?<![\w'’])(?:{'|'.join(sorted(_LEAD_IN_WORDS))}) $", re.I)
_URL_DATE = (
    re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?:/|$|[-_])"),
    re.compile(r"[/_-]((?:19|20)\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?:/|$|[-_.])"),
    re.compile(r"/((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?:/|$|[-_.])"),
)


@dataclass(slots=True)
class _DateHit:
    dt: datetime
    raw: str
    visible: bool = False
    source: str = ""


_LOCALE_KEYS = ("og:locale", "content-language", "language", "dc.language", "dcterms.language", "inlanguage")


def _html_lang(root) -> str | None:
    html = root if root.tag == "html" else None
    if html is None:
        found = root.xpath("//html")
        html = found[0] if found else None
    if html is None:
        return None
    return html.get("lang") or html.get("xml:lang") or html.get("{http://www.w3.org/XML/1998/namespace}lang")


def declared_region(root, language: str | None, meta: dict[str, list[str]] | None = None) -> str | None:
    """The country a page's locale declarations give its language: 'ES' for <html lang="es-ES"> or
    og:locale es_ES on a Spanish page; None when they name none, or name several. Only declarations of
    ``language`` count (an en_US og:locale says nothing about a German page). ``meta`` is the page's
    :func:`meta_properties` when already read. Dates without an offset take the country's zone
    (dates.default_timezone); a further comment page reads its own head the same way."""
    if not language:
        return None
    if meta is None:
        meta = meta_properties(root)
    tags = [_html_lang(root)] + [meta[key][0] for key in _LOCALE_KEYS if meta.get(key)]
    regions = {language_region(tag) for tag in tags if normalize_language(tag) == language} - {None}
    return regions.pop() if len(regions) == 1 else None


class _Dates:
    """Date parsing bound to the page's language, time zone and fetch time."""

    def __init__(self, language: str | None, now: datetime | None, tz) -> None:
        self.language = language
        self.now = now
        self.tz = tz

    def parse(self, value, raw: str | None = None, visible: bool = False) -> _DateHit | None:
        if not isinstance(value, str):
            return None
        text = normalize_space(value)
        if not text or len(text) > 200:
            return None
        try:
            dt = parse_date(text, language=self.language, now=self.now, tz=self.tz)
        except Exception:
            dt = None
        if dt is None or not _plausible(dt, self.now) or not _year_consistent(dt, text):
            return None
        return _DateHit(dt, raw or text, visible)

    def search(self, text: str, visible: bool = True) -> _DateHit | None:
        text = normalize_space(text)
        if not text:
            return None
        try:
            got = search_date(text, language=self.language, now=self.now, tz=self.tz)
        except Exception:
            got = None
        if not got:
            return None
        dt, matched = got
        if dt is None or not _plausible(dt, self.now):
            return None
        start = text.find(matched)
        lead_in = _LEAD_IN_BEFORE.search(text, 0, start) if start > 0 else None
        if lead_in is not None:
            matched = text[lead_in.start() : start] + matched
        return _DateHit(dt, matched, visible)


def _plausible(dt: datetime, now: datetime | None) -> bool:
    if dt.year < 1990:
        return False
    if now is not None:
        try:
            delta = (dt - now).total_seconds() if (dt.tzinfo is None) == (now.tzinfo is None) else 0
        except (TypeError, OverflowError):
            delta = 0
        if delta > 2 * 86400:
            return False
    elif dt.year > datetime.now().year + 1:
        return False
    return True


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


def _year_consistent(dt: datetime, text: str) -> bool:
    """A value that spells out a year parses to that year ('Tue Jan 28 15:28:56 CET 2020' is not
    read as 28 January of the fetch year)."""
    years = _YEAR.findall(text)
    return not years or str(dt.year) in years


def _same_day(a: datetime, b: datetime) -> bool:
    return (a.year, a.month, a.day) == (b.year, b.month, b.day)


def _same_instant(a: datetime, b: datetime) -> bool:
    if (a.tzinfo is None) != (b.tzinfo is None):
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    try:
        return abs((a - b).total_seconds()) < 60
    except (TypeError, OverflowError):
        return False


def _url_date(url: str | None, dates: _Dates) -> _DateHit | None:
    if not url:
        return None
    path = urlsplit(url).path
    for rx in _URL_DATE:
        m = rx.search(path)
        if m:
            y, mo, d = (int(x) for x in m.groups())
            try:
                dt = datetime(y, mo, d)
            except ValueError:
                continue
            if dates.tz is not None:
                dt = dt.replace(tzinfo=dates.tz)
            if _plausible(dt, dates.now):
                return _DateHit(dt, m.group(0).strip("/-_."), False)
    return None


# ------------------------------------------------------------------------------------------------
# URLs

_COMMENT_PAGE = re.compile(r"/comment-page-\d+/?$")


def _article_url(u: str) -> str:
    """A WordPress comment page URL resolved to its article's URL; fragments dropped."""
    parts = urlsplit(u)
    path = _COMMENT_PAGE.sub("/", parts.path)
    query = parts.query
    if "cpage=" in query or "replytocom=" in query:
        query = urlencode(
            [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in ("cpage", "replytocom")]
        )
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def _absolute(href: str | None, base: str) -> str | None:
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith(("javascript:", "mailto:", "data:", "#")):
        return None
    try:
        out = urljoin(base, href)
    except ValueError:
        return None
    return out if out.startswith(("http://", "https://")) else None


# ------------------------------------------------------------------------------------------------
# the extractor

_MICRODATA = frozenset(
    {
        "author",
        "creator",
        "datepublished",
        "datemodified",
        "datecreated",
        "headline",
        "articlesection",
        "keywords",
        "commentcount",
        "inlanguage",
        "publisher",
    }
)
_CATEGORY_PATH = re.compile(r"/(?:category|categorie|categories|kategorie|rubrique|rubrik)/", re.I)
_NO_CATEGORY = frozenset(
    {"uncategorized", "uncategorised", "nonclasse", "sincategoria", "ohnekategorie", "none", "null"}
)
_HOME_CRUMBS = frozenset(
    {
        "accueil",
        "home",
        "startseite",
        "start",
        "homepage",
        "inicio",
        "portada",
        "home page",
        "index",
        "la une",
        "à la une",
        "une",
        "news",
        "actualités",
        "nachrichten",
        "you are here",
        "vous êtes ici",
        "sie sind hier",
        "hauptseite",
    }
)
# one query for the small elements that hold bylines and dates
# the classes of the small elements that hold bylines and dates
_BYLINE_SCAN = re.compile(
    r"author|byline|auteur|autor|writer|date|time|publi|posted|meta|signature|credit|vcard|dateline|info",
)
_TERM_SCAN = "tag|categor|cat-links|rubrique|keyword|mots"
_MARK_SCAN = re.compile(_BYLINE_SCAN.pattern + "|breadcrumb|" + _TERM_SCAN)
# A class token of the block listing the article's category links ('entry-category', 'cat-links',
# 'td-category', 'post-categories') or its tag links ('td-tags', 'post-tags', Drupal's
# 'field--name-field-tags'); not WordPress's per-post 'category-essais' / 'tag-renault' classes.
_CATEGORY_BLOCK = re.compile(r"(?:^|[-_])(?:category|categories|categorie|cat-links|rubrique)$")
_TAGS_BLOCK = re.compile(r"(?:^|[-_])(?:tags|tag-?list|tags?-?links|keywords|mots-?cl[ée]s|etiquettes)$")
_TERM_CLASS = re.compile(_TERM_SCAN)
# Attribute steps, not element predicates: libxml2 tests attributes only where there are some (~2x faster).
_TERM_CLASSES = etree.XPath(
    ".//@class[contains(., 'tag') or contains(., 'categor') or contains(., 'cat-links')"
    " or contains(., 'rubrique') or contains(., 'keyword') or contains(., 'mots')]"
)
_CRUMB_ATTRIBUTES = etree.XPath("//@class[contains(., 'crumb')] | //@id[contains(., 'breadcrumb')]")
_CRUMB_TAGS = frozenset(("nav", "div", "ol", "ul", "p"))
_AUTHOR_CLASS = re.compile(
    r"(?:^|[\s_-])(?:by-?line|author|auteur|autor|writer|byl|signature|vcard|fn|contributor|"
    r"article-?author|post-?author|entry-?author|creator)(?:$|[\s_-]|name|s\b|in\b|en\b)",
)
_NOT_AUTHOR_CLASS = re.compile(
    r"comment|avatar|bio\b|description|related|widget|share|social|follow|footer|(?:^|\s)about|"
    r"author-?(?:box|info|desc|image|img|photo|pic|link-?list|date|time|meta)|reply|popular|teaser|card|profile-?card",
)
_PUB_CLASS = re.compile(
    r"publi(?:sh|cation|é|e)|parution|veroeff|veröff|entry-date|pubdate|post-?date|created|article-?date|date-?pub",
)
_MOD_CLASS = re.compile(r"updated|modified|update-?date|changed|last-?mod")
_TIME_CONTEXT = re.compile(
    r"date|time|byline|posted|entry-?meta|post-?meta|article-?meta|author|dateline|info"
)
_DATE_CLASS = re.compile(r"date|time|publish|posted|dateline|meta|info|byline|updated|modified")
_AUTHOR_META = (
    "author",
    "article:author",
    "article:author_name",
    "dc.creator",
    "dcterms.creator",
    "sailthru.author",
    "parsely-author",
    "byl",
    "citation_author",
    "shareaholic:article_author_name",
    "og:article:author",
    "author_name",
    "cxenseparse:author",
)
_WRITTEN_BY = re.compile(
    r"^(?:written by|verfasst von|geschrieben von|écrit par|rédigé par|autor|author|auteur|escrito por|scritto da)\b",
    re.I,
)
_AUTHOR_LABEL = re.compile(
    r"^(?:autor(?:in|en)?|author|auteur(?:e)?|texte?|von|by|par|redakteur(?:in)?|verfasser)\s*:$", re.I
)
_BYLINE_INSIDE = re.compile(r"(?:^|\s)(?:by|par|von|door|por)\s+(?=\w)", re.I)
_BYLINE_TEXT = re.compile(r"^\s*(?:par|by|von|door|por|di|written by|posted by|text:|texte\s*:)\s+\S", re.I)


class _Index:
    """What the extractor's whole-page queries select, gathered in one pass over the page (each XPath
    query walks the whole tree on its own): the lists are in page order, as the queries return them."""

    __slots__ = ("h1s", "itemprops", "links", "metas", "scripts", "times", "titles")

    def __init__(self, root) -> None:
        scripts, metas, links, titles, h1s, itemprops, times = [], [], [], [], [], [], []
        for el in root.iter(etree.Element):
            tag = el.tag
            if tag in _INDEXED_TAGS:
                keys = el.keys()
                if tag == "script":
                    scripts.append(el)  # //script[...ld+json...]: the type is read by json_ld_objects
                elif tag == "meta":
                    metas.append(el)  # //meta
                elif tag == "a" or tag == "link":
                    if "rel" in keys and "href" in keys:
                        links.append(el)  # //link[@rel][@href] | //a[@rel][@href]
                elif tag == "time":
                    times.append(el)  # //time | //abbr[@class][@title]
                elif tag == "abbr":
                    if "class" in keys and "title" in keys:
                        times.append(el)
                elif tag == "h1":
                    h1s.append(el)  # //h1
                else:
                    titles.append(el)  # //title
                if "itemprop" in keys:
                    itemprops.append(el)
            elif el.get("itemprop") is not None:
                itemprops.append(el)  # //*[@itemprop]
        self.scripts, self.metas, self.links, self.titles = scripts, metas, links, titles
        self.h1s, self.itemprops, self.times = h1s, itemprops, times


def _marks(scope) -> list:
    """The elements of .//@class | .//@id | .//@itemtype (from `scope`) whose value, lower-cased,
    says byline, author, date, meta ... or breadcrumb, in page order."""
    out = []
    mark = _MARK_SCAN.search
    mark_cache = _MARK_CLASS
    for el in scope.iter(etree.Element):
        keys = el.keys()
        if not keys:
            continue
        hit = False
        if "class" in keys:
            cls = el.get("class")
            hit = mark_cache.get(cls)
            if hit is None:
                if len(mark_cache) > 50_000:
                    mark_cache.clear()
                hit = mark_cache[cls] = mark(cls.lower()) is not None
        if not hit and "id" in keys:
            hit = mark(el.get("id").lower()) is not None
        if not hit and "itemtype" in keys:
            hit = mark(el.get("itemtype").lower()) is not None
        if hit:
            out.append(el)
    return out


_LABEL_TEXTS = etree.XPath("//body//text()[contains(., ':')][string-length(normalize-space(.)) < 16]")
_LABEL_TEXTS_IN = etree.XPath("descendant::text()[contains(., ':')][string-length(normalize-space(.)) < 16]")
_ELEMENT_WITH_TEXT = etree.XPath("boolean(//body//*[normalize-space(.) = $text])")
_INDEXED_TAGS = frozenset(("script", "meta", "a", "link", "time", "abbr", "h1", "title"))
_MARK_CLASS: dict[str, bool] = {}  # class attribute -> _MARK_SCAN finds it (a pure function of the string)


class _Memo(threading.local):
    """Per-call cache of _text (element -> (text, or None when longer than the limit it was read
    with, that limit)), set by extract_metadata for one page; thread-local."""

    texts: dict | None = None


_memo = _Memo()


def _text(el, limit: int = 300) -> str:
    """text_of(el) when it is at most `limit` characters long, else "" (a long text is not read
    through: once the part read is longer, the whole is)."""
    memo = _memo.texts
    if memo is None:
        return _read_text(el, limit) or ""
    got = memo.get(el)
    if got is not None:
        text, read_limit = got
        if text is not None:
            return text if len(text) <= limit else ""
        if limit <= read_limit:
            return ""  # longer than read_limit, so than limit
    text = _read_text(el, limit)
    memo[el] = (text, limit)
    return text or ""


def _read_text(el, limit: int) -> str | None:
    """text_of(el), or None when it is longer than `limit`."""
    tag = el.tag
    if not isinstance(tag, str) or tag in SKIP_TAGS:
        return ""
    if not len(el):
        t = normalize_space(el.text)
        return t if len(t) <= limit else None
    parts: list[str] = []
    append = parts.append
    block = tag in BLOCK_TAGS
    if block:
        append(" ")
    if el.text:
        append(el.text)
    walker = etree.iterwalk(el, events=("start", "end", "comment", "pi"))
    next(walker)  # el itself
    spaced = [block]  # per open element: a block whose end adds a space
    size, check_at = 0, limit
    for event, node in walker:
        if event == "start":
            tag = node.tag
            if tag in SKIP_TAGS:
                walker.skip_subtree()
                spaced.append(False)  # nothing of it but its tail
                continue
            block = tag in BLOCK_TAGS
            spaced.append(block)
            if block:
                append(" ")
            text = node.text
            if text:
                append(text)
                size += len(text)
        else:
            if event == "end":
                if spaced.pop():
                    append(" ")
                if node is el:
                    break
            tail = node.tail
            if tail:
                append(tail)
                size += len(tail)
        if size > check_at:
            if len(normalize_space("".join(parts))) > limit:
                return None
            check_at = size + limit
    t = normalize_space("".join(parts))
    return t if len(t) <= limit else None


class _Extractor:
    def __init__(self, root, url: str, now: datetime | None, tz=None) -> None:
        self.root = root
        self.url = url or ""
        self.now = now
        self.tz = tz  # the caller's zone for dates without an offset, else the one the page implies
        # one pass over the page for what the queries below select; only from the page's root element
        # (an XPath "//" from an element inside a page reads the whole page)
        index = self.index = _Index(root) if root.getparent() is None else None
        if index is not None:
            self.objects = json_ld_objects(root, scripts=index.scripts)
            self.meta = meta_properties(root, metas=index.metas)
        else:
            self.objects = json_ld_objects(root)
            self.meta = meta_properties(root)
        self._micro: dict[str, list] | None = None
        self._marked: list[tuple] | None = None
        if index is not None:
            self.links = index.links
        else:
            try:
                self.links = root.xpath("//link[@rel][@href] | //a[@rel][@href]")
            except Exception:  # pragma: no cover
                self.links = []
        self.head_title = ""
        self._h1s: list | None = None
        self._byline_elements: list | None = None
        self.title_h1 = None

    # -- shared lookups ----------------------------------------------------------------------
    def m(self, *keys: str) -> str | None:
        for k in keys:
            vals = self.meta.get(k)
            if vals:
                return vals[0]
        return None

    def m_all(self, key: str) -> list[str]:
        return self.meta.get(key, [])

    @property
    def h1s(self) -> list:
        if self._h1s is None:
            if self.index is not None:
                h1s = self.index.h1s
                self._h1s = [h for h in h1s if _in_body(h)] or list(h1s)
            else:
                self._h1s = self.root.xpath("//body//h1") or self.root.xpath("//h1")
        return self._h1s

    @property
    def micro(self) -> dict[str, list]:
        """Microdata property elements by (lower-case) name, for the names this extractor reads."""
        if self._micro is None:
            self._micro = {}
            try:
                elements = (
                    self.index.itemprops if self.index is not None else self.root.xpath("//*[@itemprop]")
                )
            except Exception:  # pragma: no cover
                elements = []
            for el in elements:
                for name in (el.get("itemprop") or "").lower().split():
                    if name in _MICRODATA:
                        self._micro.setdefault(name, []).append(el)
        return self._micro

    @property
    def marked(self) -> list[tuple]:
        """(element, 'class id' lower-cased) for the elements whose class, id or itemtype names a
        byline, author, date, meta line or breadcrumb, in page order; built on first use, as only
        pages without JSON-LD or <meta> answers need it. Matching the attribute strings first keeps
        element proxies to the few that match."""
        if self._marked is None:
            marked = self._marked = []
            if self.index is not None:
                elements = _marks(self._scan_scope())
            else:
                try:
                    values = self._scan_scope().xpath(".//@class | .//@id | .//@itemtype")
                except Exception:  # pragma: no cover
                    values = []
                search = _MARK_SCAN.search
                elements = []
                seen: set = set()
                for v in values:
                    if search(v.lower()):
                        el = v.getparent()
                        if el is not None and el not in seen:
                            seen.add(el)
                            elements.append(el)
            for el in elements:
                key = classes_and_id(el)
                itemtype = el.get("itemtype")
                if itemtype and "breadcrumb" in itemtype.lower():
                    key += " breadcrumb"
                marked.append((el, key))
        return self._marked

    def _scan_scope(self):
        """The part of the page that holds the article's byline: the parent of the headline's
        article container, else the headline's fourth ancestor, else the whole page."""
        h1 = self.title_h1
        if h1 is None:
            return self.root
        box = self.container
        start = box if box is not None else h1
        p, depth = start, 0
        limit = 1 if box is not None else 4
        while depth < limit and p.getparent() is not None and p.getparent().tag not in ("html",):
            p, depth = p.getparent(), depth + 1
        return p

    @property
    def byline_elements(self) -> list:
        """Elements whose class or id says byline, author, date, meta or info, in page order,
        from the part of the page around the headline (the whole body without one)."""
        if self._byline_elements is None:
            search = _BYLINE_SCAN.search
            self._byline_elements = [el for el, key in self.marked if search(key)]
            self._byline_elements += [
                el for el in self.links if el.tag == "a" and "author" in (el.get("rel") or "").lower()
            ]
        return self._byline_elements

    # -- run ---------------------------------------------------------------------------------
    def run(self) -> Metadata:
        """Every field, each computed on its own: a field whose reader trips over odd markup stays
        empty instead of losing the others."""
        md = Metadata(jsonld=self.objects)
        safe = _safe
        titles = self.index.titles if self.index is not None else safe(lambda: self.root.xpath("//title"), [])
        self.head_title = safe(lambda: text_of(titles[0]), "") if titles else ""
        md.canonical_url = safe(self.canonical, None)
        page_keys = {_url_key(self.url.split("#")[0]), _url_key(md.canonical_url)} - {""}
        self.article, self.page = safe(lambda: _pick_article(self.objects, page_keys), (None, None))
        md.site_name = safe(self.site_name, None)
        md.language = safe(self.language, None)
        if md.language:
            md.region = safe(lambda: declared_region(self.root, md.language, self.meta), None)
        md.title = safe(lambda: self.title(md.site_name), None)
        md.description = safe(self.description, None)
        md.authors = safe(lambda: self.authors(md.site_name), [])
        zone = self.tz
        if zone is None and md.language:
            zone = default_timezone(md.language, region=md.region, url=self.url)
        self.dates = _Dates(md.language, self.now, zone)
        pub, mod = safe(self.published, None), safe(self.modified, None)
        if pub is not None:
            md.published_at, md.published_raw = to_iso(pub.dt), pub.raw
        if mod is not None and (
            pub is None or (not _same_instant(mod.dt, pub.dt) and self._after(mod.dt, pub.dt))
        ):
            md.modified_at, md.modified_raw = to_iso(mod.dt), mod.raw
        md.category = safe(lambda: self.category(md.title), None)
        md.tags = safe(lambda: self.tags(md.category), [])
        md.comment_count = safe(self.comment_count, None)
        return md

    @staticmethod
    def _after(a: datetime, b: datetime) -> bool:
        if (a.tzinfo is None) != (b.tzinfo is None):
            a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
        try:
            return a > b
        except TypeError:
            return True

    # -- canonical / site ----------------------------------------------------------------------
    def canonical(self) -> str | None:
        found = None
        for el in self.links:
            if el.tag == "link" and "canonical" in (el.get("rel") or "").lower().split():
                found = _absolute(el.get("href"), self.url)
                if found:
                    break
        if not found:
            found = _absolute(self.m("og:url"), self.url)
        # a canonical pointing at the home page of a deep URL is a template bug
        if found and urlsplit(found).path in ("", "/") and urlsplit(self.url).path not in ("", "/"):
            og = _absolute(self.m("og:url"), self.url)
            found = og if og and urlsplit(og).path not in ("", "/") else None
        if not found:
            if _COMMENT_PAGE.search(urlsplit(self.url).path) or "cpage=" in self.url:
                return _article_url(self.url)
            return None
        return _article_url(found)

    def site_name(self) -> str | None:
        name = self.m("og:site_name")
        if name:
            return name
        art = self.article
        if art is not None:
            got = _names(art.get("publisher"))
            if got and got[0][0].strip():
                return normalize_space(got[0][0])
        for obj in self.objects:
            if types_of(obj) & ({"website"} | ORG_TYPES):
                n = first_value(obj.get("name"))
                if n:
                    return n
        return self.m("application-name", "apple-mobile-web-app-title", "twitter:site:name")

    def _site_names(self, site_name: str | None) -> set[str]:
        """Names the site goes by, from its own declarations (og:site_name, JSON-LD publisher,
        WebSite and Organization nodes)."""
        names = {site_name} if site_name else set()
        art = self.article
        if art is not None:
            for n, _ in _names(art.get("publisher")):
                names.add(n)
        for obj in self.objects:
            if types_of(obj) & ({"website"} | ORG_TYPES):
                n = first_value(obj.get("name"))
                if n:
                    names.add(n)
                alt = first_value(obj.get("alternateName"))
                if alt:
                    names.add(alt)
        return {normalize_space(n) for n in names if isinstance(n, str) and n.strip()}

    def _weak_site_names(self) -> set[str]:
        """Looser hints of the site's name: app titles, Twitter handles, publisher meta."""
        out = set()
        for key in (
            "application-name",
            "apple-mobile-web-app-title",
            "twitter:site",
            "publisher",
            "dc.publisher",
        ):
            for v in self.m_all(key):
                out.add(v.lstrip("@"))
        for el in self.links:
            rel = (el.get("rel") or "").lower().split()
            if el.tag == "link" and "alternate" in rel and "xml" in (el.get("type") or ""):
                # WordPress & co.: 'Blog Auto Info » Flux', 'Site - RSS'
                feed = normalize_space(el.get("title"))
                name = _FEED_TITLE.split(feed, maxsplit=1)[0] if feed else ""
                if name and name != feed and len(name) < 80:
                    out.add(name)
            elif el.tag == "a" and "home" in rel:
                t = _text(el, 80)
                if t:
                    out.add(t)
        return out

    # -- language ------------------------------------------------------------------------------
    def language(self) -> str | None:
        declared: list[str] = []
        lang = normalize_language(_html_lang(self.root))
        if lang:
            declared.append(lang)
        for key in _LOCALE_KEYS:
            lang = normalize_language(self.m(key))
            if lang:
                declared.append(lang)
        for obj in (self.article, self.page):
            if obj is not None:
                v = obj.get("inLanguage")
                if isinstance(v, dict):
                    v = v.get("alternateName") or v.get("name")
                lang = normalize_language(first_value(v) if not isinstance(v, str) else v)
                if lang:
                    declared.append(lang)
        detected = None
        if len(set(declared)) != 1:
            detected = detect_language(self._prose())
        if not declared:
            return detected
        if len(set(declared)) == 1:
            return declared[0]
        if detected:
            return detected
        # disagreement and nothing to tell: the most frequent declaration, <html lang> first on ties
        counts: dict[str, int] = {}
        for lang in declared:
            counts[lang] = counts.get(lang, 0) + 1
        return max(declared, key=lambda lang: counts[lang])

    def _prose(self) -> str:
        parts: list[str] = []
        size = 0
        for p in self.root.xpath("//body//p"):
            t = text_of(p)
            if len(t) > 30:
                parts.append(t)
                size += len(t)
                if size > 6000:
                    break
        if size < 200:
            body = self.root.xpath("//body")
            if body:
                return text_of(body[0])[:6000]
        return " ".join(parts)

    # -- title ---------------------------------------------------------------------------------
    def title(self, site_name: str | None) -> str | None:
        """JSON-LD headline, else og:title and kin, else <title>, stripped of site labels; the main
        h1's own text when it says the same (h1s that are the site's banner are skipped)."""
        names = self._site_names(site_name)
        weak = self._weak_site_names()
        art = self.article
        ld = None
        if art is not None:
            ld = first_value(art.get("headline")) or first_value(art.get("name"))
        metas = [
            self.m(k)
            for k in (
                "og:title",
                "twitter:title",
                "headline",
                "dc.title",
                "sailthru.title",
                "parsely-title",
                "title",
            )
        ]
        refs = [r for r in [ld, *metas, self._microdata_headline()] if r]
        h1_texts: list[str] = []
        h1_elements = []
        for h in self.h1s[:8]:
            t = _PERMALINK.sub("", text_of(h))
            if not t or len(t) > 400:
                continue
            if _fold(t) in {_fold(n) for n in names} or self._is_banner(h, t, refs):
                names.add(t)  # the site's name set as h1 ('Silicon Exposed', a blog's title)
                continue
            h1_texts.append(t)
            h1_elements.append(h)
        self.title_h1 = h1_elements[0] if h1_elements else None
        site_folds = {_fold(n) for n in names}
        head = (
            strip_site_affixes(self.head_title, names, self.url, weak_names=weak) if self.head_title else ""
        )
        if head and _fold(head) in site_folds:
            head = ""
        cleaned: list[str] = []
        for r in refs:
            if _fold(r) in site_folds:  # og:title set to the site's name
                continue
            r = strip_site_affixes(r, names, self.url, weak_names=weak)
            if r and _fold(r) not in site_folds:
                cleaned.append(r)
        if ld and cleaned and cleaned[0] == strip_site_affixes(ld, names, self.url, weak_names=weak):
            # a JSON-LD headline that nothing else on the page echoes is often a summary line
            others = [*cleaned[1:], *h1_texts, head]
            if (len(cleaned) > 1 or h1_texts or head) and not any(
                o and _agree(cleaned[0], o) for o in others
            ):
                cleaned.pop(0)
        primary = cleaned[0] if cleaned else head
        if ld and len(cleaned) > 1 and primary is cleaned[0]:
            # 'Kicker: Headline' as both og:title and h1, the bare headline in JSON-LD: the page's form
            fp = _fold(primary)
            for t in h1_texts:
                ft = _fold(t)
                if ft == _fold(cleaned[1]) and fp != ft and fp in ft:
                    return t
        if primary:
            for t, h in zip(h1_texts, h1_elements, strict=True):
                better = _refine(primary, t)
                if better:
                    self.title_h1 = h
                    return better
            if not cleaned:
                for t in h1_texts:  # the h1 inside <title>: 'Headline - Site'
                    if len(_fold(t)) >= 10 and _fold(t) in _fold(self.head_title):
                        return t
                if not h1_texts:
                    return self._headline_on_page(primary) or primary
            return primary
        if h1_texts:
            return h1_texts[0]
        return None

    def _microdata_headline(self) -> str | None:
        """The headline the page declares in microdata (``itemprop="headline"``, often on the h1 of a
        custom CMS without JSON-LD or Open Graph), outside the comments and teaser blocks."""
        for el in self.micro.get("headline", []):
            if _inside_comments(el) or _in_teaser(el):
                continue
            value = el.get("content") if el.tag == "meta" else text_of(el)
            value = normalize_space(value or "")
            if value and len(value) <= 400:
                return value
        return None

    def _headline_on_page(self, title: str) -> str | None:
        """'Headline | Site' with nothing else naming the headline (no metadata, no h1): the part before
        the last separator when the page shows it as an element's whole text (a story link, a title
        span) and what follows is short enough to be a site name."""
        matches = list(_SEPARATORS.finditer(title))
        if not matches:
            return None
        head, tail = title[: matches[-1].start()].strip(), title[matches[-1].end() :].strip()
        if len(head) < 15 or not tail or len(tail.split()) > 4:
            return None
        return head if _ELEMENT_WITH_TEXT(self.root, text=head) else None

    def _is_banner(self, h1, text: str, refs: list[str]) -> bool:
        """An h1 that is the site's logo or name, not the headline: it links to the home page or is
        styled as the site title, or it is a leading or trailing segment of <title> while the page's
        metadata names another headline."""
        if _BANNER_CLASS.search(classes_and_id(h1)):
            return True
        for a in h1.iter("a"):
            href = (a.get("href") or "").strip()
            if href in ("./", "../", "/", "index.html") or (
                href
                and urlsplit(_absolute(href, self.url) or "").path in ("", "/")
                and not href.startswith("#")
            ):
                return True
        if refs and self.head_title and len(text) < 80 and not any(_refine(r, text) for r in refs):
            # '<title>Silicon Exposed: Open Verilog flow…</title>' with og:title 'Open Verilog flow…'
            f = _fold(text)
            for m in (*_SEPARATORS.finditer(self.head_title),):
                before, after = self.head_title[: m.start()], self.head_title[m.end() :]
                for seg, rest in ((before, after), (after, before)):
                    if _fold(seg) == f and any(_fold(rest) == _fold(r) for r in refs):
                        return True
        return False

    def description(self) -> str | None:
        art = self.article
        if art is not None:
            v = first_value(art.get("description"))
            if v:
                return v
        return self.m("og:description", "description", "twitter:description", "dc.description")

    # -- authors -------------------------------------------------------------------------------
    def authors(self, site_name: str | None) -> list[str]:
        """Person (or desk) names, in priority order of sources: JSON-LD and <meta> author (merged),
        Yoast's 'Written by' Twitter card, microdata, rel=author links, byline elements, 'Par X' /
        'By X' / 'Von X' lines next to the headline, 'Autor: X' labels. Organizations that are the
        publisher are kept only when no person is named."""
        self._publisher = {_fold(n) for n in self._site_names(site_name) | self._weak_site_names()}
        self._publisher |= _domain_labels(self.url)
        people: list[str] = []
        orgs: list[str] = []
        for obj in (self.article, self.page):
            if obj is None:
                continue
            for key in ("author", "creator"):
                for name, is_org in _names(obj.get(key)):
                    if _looks_like_url(name):
                        continue
                    for n in [clean_author(name)] if is_org else split_authors(name):
                        if n:
                            self._sort_name(n, is_org, people, orgs)
                if people or orgs:
                    break
            if people or orgs:
                break
        if not people:
            for key in _AUTHOR_META:
                for v in self.m_all(key):
                    if not _looks_like_url(v):
                        for n in split_authors(v):
                            self._sort_name(n, False, people, orgs)
        if not people:
            for n in self._twitter_card_author():
                self._sort_name(n, False, people, orgs)
        stages = (
            self._microdata_authors,
            self._rel_authors,
            self._byline_authors,
            self._near_title_authors,
            self._labelled_authors,
        )
        for stage in stages:
            if people:
                break
            for n in stage():
                self._sort_name(n, False, people, orgs)
        if not people and not orgs:
            creator = self.m("twitter:creator")
            if creator and creator != self.m("twitter:site"):
                n = clean_author(creator.lstrip("@"))
                if n:
                    self._sort_name(n, False, people, orgs)
        return _dedupe_names(people) if people else _dedupe_names(orgs)

    def _sort_name(self, name: str, is_org: bool, people: list[str], orgs: list[str]) -> None:
        f = _fold(name)
        publisher = f in self._publisher or any(len(p) >= 5 and p in f for p in self._publisher)
        (orgs if is_org or publisher else people).append(name)

    def _twitter_card_author(self) -> list[str]:
        """Yoast's reading-time card: twitter:label1 'Written by' / twitter:data1 'Name'."""
        out = []
        for i in range(1, 4):
            label = self.m(f"twitter:label{i}")
            if label and _WRITTEN_BY.match(label):
                out.extend(split_authors(self.m(f"twitter:data{i}")))
        return out

    def _microdata_authors(self) -> list[str]:
        """Authors of the first microdata item that names any (a Q&A page's question, not its
        answers; a post, not the related posts under it)."""
        out = []
        scope = None
        for el in self.micro.get("author", []) + self.micro.get("creator", []):
            if _inside_comments(el):
                continue
            item = _item_scope(el)
            if scope is None:
                scope = item
            elif item is not scope:
                continue
            names = el.xpath(".//*[@itemprop='name']")
            vals = [microdata_value(x) for x in names] if names else [el.get("content") or _text(el, 120)]
            for v in vals:
                if v and not _looks_like_url(v):
                    out.extend(split_authors(v))
        return out

    def _rel_authors(self) -> list[str]:
        out = []
        for el in self.links:
            if el.tag == "a" and "author" in (el.get("rel") or "").lower().split():
                if _inside_comments(el) or _in_teaser(el, links=False):
                    continue
                t = _text(el, 80)
                n = clean_author(t)
                if n and not _looks_like_url(t):
                    out.append(n)
        return out

    def _byline_authors(self) -> list[str]:
        """Elements classed as byline/author, outermost first, at most three of them; and
        meta/info lines that read 'by X'."""
        found: list[str] = []
        taken: list = []
        for el in self.byline_elements:
            cls = classes_and_id(el)
            is_author = bool(_AUTHOR_CLASS.search(cls)) or "author" in (el.get("rel") or "").lower()
            if not is_author and not _DATE_CLASS.search(cls):
                continue
            if _NOT_AUTHOR_CLASS.search(cls) or any(_is_ancestor(p, el) for p in taken):
                continue
            if _inside_comments(el) or _in_teaser(el, links=False):
                continue
            t = _text(el, 200)
            if not t:
                continue
            if not is_author:
                # 'Posted in News by damianduchamps on August 3, 2019'
                m = _BYLINE_INSIDE.search(t) if len(t) <= 140 else None
                if not m:
                    continue
                names = split_authors(t[m.start() :])
            else:
                # an element that holds a dedicated name element: take the names
                inner = el.xpath(".//*[contains(@class,'name') or @itemprop='name' or contains(@class,'fn')]")
                vals = [text_of(x) for x in inner if 0 < len(text_of(x)) < 80] or [t]
                names = [n for v in vals for n in split_authors(v)]
            if names:
                taken.append(el)
                found.extend(names)
            if len(taken) >= 3:
                break
        return found

    def _near_texts(self) -> list:
        """Text nodes right after (then just before) the headline h1, nearest first."""
        cached = getattr(self, "_near", None)
        if cached is not None:
            return cached
        h1 = self.title_h1
        order: list = []
        if h1 is not None:
            # following::text()[normalize-space()][position() <= 40] and the 8 nearest of
            # preceding::text()[normalize-space()], walked from the h1 instead of queried (the axes
            # span the whole page)
            after = _following_texts(h1, 40)
            before = _preceding_texts(h1, 8)
            for i in range(max(len(after), len(before))):
                if i < len(after):
                    order.append(after[i])
                if i < 3 and i < len(before):
                    order.append(before[i])
        self._near = order
        return order

    def _near_title_authors(self) -> list[str]:
        """'Par Jean Dupont', 'By A and B', 'Von X am 03.05.2013' in the lines around the headline."""
        for node in self._near_texts():
            t = normalize_space(str(node))
            if not t or len(t) > 160 or not _BYLINE_TEXT.match(t + " x"):
                continue
            parent = _text_parent(node)
            if parent is None or _inside_comments(parent):
                continue
            line = _text(parent, 160) or t
            names = split_authors(line)
            if names:
                return names
        return []

    def _labelled_authors(self) -> list[str]:
        """'Autor: Peter Maahn', 'Author: X', 'Texte : X' with the label in its own element."""
        try:
            bodies = list(self.root.iter("body")) if self.index is not None else None
            if bodies is not None and len(bodies) == 1:
                nodes = _LABEL_TEXTS_IN(bodies[0])  # the same nodes, from the one <body>
            else:
                nodes = _LABEL_TEXTS(self.root)
        except Exception:  # pragma: no cover
            return []
        for node in nodes:
            t = normalize_space(str(node))
            if not _AUTHOR_LABEL.match(t):
                continue
            el = node.getparent()
            if el is None or _inside_comments(el):
                continue
            if getattr(node, "is_tail", False):
                nxt = el.getnext()
                rest = _text(nxt, 80) if nxt is not None else ""
            else:
                rest = normalize_space(el.tail)
                if not rest:
                    nxt = el.getnext()
                    rest = _text(nxt, 80) if nxt is not None else ""
                if not rest and len(el):
                    rest = _text(el[0], 80)
            names = split_authors(rest.replace("/", ", "))
            if names:
                return names
        return []

    # -- dates ---------------------------------------------------------------------------------
    def published(self) -> _DateHit | None:
        d = self.dates
        art = self.article
        stages = (
            (
                "jsonld",
                lambda: (
                    art is not None
                    and (
                        d.parse(first_value(art.get("datePublished")))
                        or d.parse(first_value(art.get("dateCreated")))
                    )
                ),
            ),
            ("meta", lambda: self._meta_date(_PUBLISHED_META)),
            ("microdata", lambda: self._micro_date(("datepublished", "datecreated"))),
            ("time", lambda: self._time_elements(modified=False)),
            ("label", lambda: self._labelled_date(modified=False)),
            (
                "webpage",
                lambda: self.page is not None and d.parse(first_value(self.page.get("datePublished"))),
            ),
            ("url", lambda: _url_date(self.url, d)),
            ("near-h1", self._near_title_date),
            ("loose", self._loose_date),
        )
        hit = self._first_hit(stages)
        if hit is not None and not hit.visible:
            raw = self._visible_raw(hit.dt, modified=False)
            if raw:
                hit.raw = raw
        return hit

    def modified(self) -> _DateHit | None:
        d = self.dates
        art = self.article
        stages = (
            ("jsonld", lambda: art is not None and d.parse(first_value(art.get("dateModified")))),
            ("meta", lambda: self._meta_date(_MODIFIED_META)),
            ("microdata", lambda: self._micro_date(("datemodified",))),
            ("time", lambda: self._time_elements(modified=True)),
            ("label", lambda: self._labelled_date(modified=True)),
        )
        hit = self._first_hit(stages)
        if hit is not None and not hit.visible:
            raw = self._visible_raw(hit.dt, modified=True)
            if raw:
                hit.raw = raw
        return hit

    def _first_hit(self, stages) -> _DateHit | None:
        for name, stage in stages:
            hit = stage()
            if hit:
                hit.source = name
                return hit
        return None

    def _meta_date(self, keys) -> _DateHit | None:
        for key in keys:
            for v in self.m_all(key):
                hit = self.dates.parse(v)
                if hit:
                    return hit
        return None

    def _micro_date(self, names) -> _DateHit | None:
        for name in names:
            for el in self.micro.get(name, []):
                if _inside_comments(el):
                    continue
                hit = self._element_date(el)
                if hit:
                    return hit
        return None

    def _element_date(self, el) -> _DateHit | None:
        d = self.dates
        text = _text(el, 120)
        for attr in ("datetime", "content", "title", "value"):
            v = el.get(attr)
            if v:
                shown = d.search(text) if text else None
                hit = d.parse(v, raw=text if shown else None, visible=shown is not None)
                if hit:
                    if shown and _has_year(text) and not _within_a_day(shown.dt, hit.dt):
                        # the reader sees the text: when it names another day, it is right
                        shown.raw = text
                        return shown
                    return hit
        if text:
            return d.search(text)
        return None

    @property
    def times(self) -> list:
        t = getattr(self, "_times", None)
        if t is None:
            t = self._times = (
                self.index.times
                if self.index is not None
                else self.root.xpath("//time | //abbr[@class][@title]")
            )
        return t

    def _time_kind(self, el) -> str | None:
        """'published', 'modified' or None for a <time>/<abbr>, from its own markup or its parents'."""
        cls = classes_and_id(el)
        prop = (el.get("itemprop") or "").lower()
        if prop == "datemodified" or _MOD_CLASS.search(cls):
            return "modified"
        if (
            prop in ("datepublished", "datecreated")
            or el.get("pubdate") is not None
            or _PUB_CLASS.search(cls)
        ):
            return "published"
        if el.tag == "abbr":
            return None
        p = el.getparent()
        for _ in range(3):
            if p is None or not isinstance(p.tag, str):
                break
            pc = classes_and_id(p)
            if pc.strip():
                if _MOD_CLASS.search(pc):
                    return "modified"
                if _PUB_CLASS.search(pc) or _TIME_CONTEXT.search(pc):
                    return "published"
            p = p.getparent()
        return None

    @property
    def container(self):
        """The element around the headline that holds the article (its <article>, <main> or post
        block), or None."""
        if not hasattr(self, "_container"):
            self._container = None
            p = self.title_h1.getparent() if self.title_h1 is not None else None
            depth = 0
            while p is not None and depth < 6 and p.tag not in ("body", "html"):
                if p.tag in ("article", "main") or _POST_CLASS.search(classes_and_id(p)):
                    self._container = p
                    break
                p = p.getparent()
                depth += 1
        return self._container

    def _time_elements(self, modified: bool) -> _DateHit | None:
        want = "modified" if modified else "published"
        times = self.times
        box = self.container
        if box is not None and len(times) > 1:
            # those inside the content box first, each group in page order (the sort is stable)
            times = sorted(times, key=lambda el: not _is_ancestor(box, el))
        for el in times:
            if self._time_kind(el) != want or _inside_comments(el) or _in_teaser(el):
                continue
            hit = self._element_date(el)
            if hit:
                if not modified:  # 'Publié le' in front of the <time>
                    label = _label_before(el)
                    if (
                        label
                        and hit.visible
                        and (_PUB_LABEL.search(label) or label.lower() in _LEAD_IN_WORDS)
                    ):
                        hit.raw = f"{label} {hit.raw}"
                return hit
        return None

    def _labelled_date(self, modified: bool) -> _DateHit | None:
        """'Publié le 29 avril 2024 à 14h05', 'Mis à jour le ...', 'Updated ...' in date/byline elements."""
        label = _MOD_LABEL if modified else _PUB_LABEL
        for el in self.byline_elements:
            cls = classes_and_id(el)
            if not _DATE_CLASS.search(cls) or _inside_comments(el):
                continue
            t = _text(el, 200)
            if not t:
                continue
            m = label.search(t)
            if not m:
                continue
            hit = self._date_after_label(t, m, modified)
            if hit:
                return hit
        return None

    def _date_after_label(self, t: str, m, modified: bool) -> _DateHit | None:
        rest = t[m.start() :]
        if not modified:  # stop before 'mis à jour' so the update date isn't read as publication
            mm = _MOD_LABEL.search(rest, 1)
            if mm:
                rest = rest[: mm.start()]
        else:
            pm = _PUB_LABEL.search(rest, m.end() - m.start())
            if pm:
                rest = rest[: pm.start()]
        hit = self.dates.search(rest)
        if hit:
            rest = normalize_space(rest).rstrip(" |,;-–—·•")
            hit.raw = rest if len(rest) <= 80 else hit.raw
        return hit

    def _near_title_date(self) -> _DateHit | None:
        """A date in the short texts right after (or just before) the headline: the dateline that
        most templates put under the h1 ('21. Jan 2022 // Dominik Ricker', 'am 20.09.2020')."""
        if self.title_h1 is None:
            return None
        for node in self._near_texts():  # the same text nodes, in the same order
            if True:
                parent = node.getparent()
                if parent is not None and getattr(node, "is_tail", False):
                    parent = parent.getparent()
                if parent is None or parent.tag in ("script", "style", "noscript", "a"):
                    continue
                t = normalize_space(str(node))
                if not (6 <= len(t) <= 200) or not any(ch.isdigit() for ch in t):
                    continue
                if _inside_comments(parent) or _in_teaser(parent, links=False):
                    continue
                hit = self.dates.search(t)
                if hit and _has_year(hit.raw):
                    return hit
        return None

    def _loose_date(self) -> _DateHit | None:
        """A date anywhere in the page's first <time> elements or date-classed elements."""
        for el in self.times[:8]:
            if _inside_comments(el) or _in_teaser(el):
                continue
            hit = self._element_date(el)
            if hit:
                return hit
        n = 0
        for el in self.byline_elements:
            cls = classes_and_id(el)
            if not (_DATE_CLASS.search(cls) or _AUTHOR_CLASS.search(cls)):
                continue
            if re.search(r"comment|update|modif|widget|sidebar|related|footer", cls) or _inside_comments(el):
                continue
            t = _text(el, 100)
            if not t or not any(ch.isdigit() for ch in t):
                continue
            n += 1
            if n > 8:
                break
            hit = self.dates.search(t)
            if hit and _has_year(hit.raw):
                return hit
        return None

    def _visible_raw(self, dt: datetime, modified: bool) -> str | None:
        """The page's visible rendering of a date taken from machine metadata, with its label."""
        for el in self.times:
            v = el.get("datetime") or el.get("title")
            if not v or _in_comment_thread(el):  # a reader's comment of the same day
                continue
            hit = self.dates.parse(v)
            if hit is None or not _same_day(hit.dt, dt):
                continue
            text = _text(el, 120)
            if not text or not any(ch.isdigit() for ch in text) or self.dates.search(text) is None:
                continue  # '12:55 AM' under a date header: the text alone is no date
            cls = classes_and_id(el)
            is_mod = bool(re.search(r"updated|modified", cls))
            if is_mod != modified and re.search(r"published|updated|modified", cls):
                continue
            prefix = (el.getprevious() is None and el.getparent() is not None and el.getparent().text) or ""
            if el.getprevious() is not None:
                prefix = el.getprevious().tail or ""
            prefix = normalize_space(prefix)
            label = _MOD_LABEL if modified else _PUB_LABEL
            if prefix and len(prefix) <= 30 and (label.search(prefix) or prefix.lower() in _LEAD_IN_WORDS):
                return f"{prefix} {text}"
            return text
        # a date line that is no <time>: '<dd class="publish">2018/6/19 5:50</dd>', 'Publié le …'
        other = _PUB_LABEL if modified else _MOD_LABEL
        for el in self.byline_elements:
            if not _DATE_CLASS.search(classes_and_id(el)) or len(el) > 3:
                continue
            text = _text(el, 120)
            if not text or not any(ch.isdigit() for ch in text):
                continue
            if other.search(text):
                # 'Publié le 29 avril 2024 à 14h05, mis à jour le 30 avril 2024 à 09h12': each its part
                own_label = (_MOD_LABEL if modified else _PUB_LABEL).search(text)
                hit = self._date_after_label(text, own_label, modified) if own_label else None
                if (
                    hit is not None
                    and _same_day(hit.dt, dt)
                    and not _inside_comments(el)
                    and not _in_teaser(el)
                ):
                    return hit.raw
                continue
            if len(text) > 80:
                continue
            hit = self.dates.search(text)
            if hit is not None and _same_day(hit.dt, dt) and not _inside_comments(el) and not _in_teaser(el):
                rest = normalize_space(text.replace(hit.raw, " ")).strip(" ,:|-–—")
                own = _PUB_LABEL if not modified else _MOD_LABEL
                labelled = len(rest.split()) <= 3 and (own.search(rest) or rest.lower() in _LEAD_IN_WORDS)
                return text if not rest or labelled else hit.raw
        return None

    # -- category / tags -------------------------------------------------------------------------
    def category(self, title: str | None) -> str | None:
        got = self._category(title)
        if got and _fold(got) in _NO_CATEGORY:
            return None
        return got

    def _category(self, title: str | None) -> str | None:
        art = self.article
        if art is not None:
            v = first_value(art.get("articleSection"))
            if v and not _looks_like_url(v):
                return v
        v = self.m(
            "article:section",
            "og:article:section",
            "section",
            "parsely-section",
            "sailthru.section",
            "category",
        )
        if v:
            return v
        crumb = self._breadcrumb(title)
        if crumb:
            return crumb
        for el in self.links:
            if el.tag == "a" and "category" in (el.get("rel") or "").lower().split():
                t = _text(el, 80)
                if t:
                    return t
        for el in self.micro.get("articlesection", []):
            t = microdata_value(el)
            if t and len(t) < 80:
                return t
        for el in self._marked_links(_CATEGORY_BLOCK):
            t = _text(el, 60).strip(" ·•|/>»,")
            if t:
                return t
        return self._breadcrumb_anywhere(title)

    def _article_scope(self):
        """The headline's <article> or <main> (its category and tag lists may sit in its header or
        footer), else the part of the page around the headline."""
        p, depth = self.title_h1, 0
        while p is not None and depth < 8 and p.tag not in ("body", "html"):
            if p.tag in ("article", "main"):
                return p
            p, depth = p.getparent(), depth + 1
        return self._scan_scope()

    def _term_blocks(self) -> list:
        """Elements of the article scope whose class may name a category or tag list, in page order:
        from the marked elements when the scope lies within the part of the page they were taken
        from (they were looked for anyway), else by a query."""
        scope, scan = self._article_scope(), self._scan_scope()
        if scope is scan or any(a is scan for a in scope.iterancestors()):
            return [
                el
                for el, _ in self.marked
                if _TERM_CLASS.search((el.get("class") or "").lower())
                and (scope is scan or any(a is scope for a in el.iterancestors()))
            ]
        blocks: list = []
        for value in _TERM_CLASSES(scope):
            el = value.getparent()
            if el is not None and (not blocks or blocks[-1] is not el):
                blocks.append(el)
        return blocks

    def _marked_links(self, block: re.Pattern) -> list:
        """The links of the first block around the article whose class token says ``block`` (a theme's
        category or tag list without rel="category" / rel="tag"), outside comments and teasers."""
        for el in self._term_blocks():
            if el.tag == "a" or not any(block.search(t) for t in (el.get("class") or "").lower().split()):
                continue
            if _inside_comments(el) or _in_side_block(el):
                continue
            links = [a for a in el.iter("a") if (a.get("href") or "").strip() not in ("", "#")]
            if links and len(links) <= 12:
                return links
        return []

    def _breadcrumb(self, title: str | None) -> str | None:
        crumbs: list[tuple[str, str | None]] = []
        for obj in self.objects:
            if "breadcrumblist" in types_of(obj):
                items = obj.get("itemListElement")
                if isinstance(items, dict):
                    items = [items]
                if not isinstance(items, list):
                    continue

                def pos(it) -> float:
                    try:
                        return float(it.get("position"))
                    except (TypeError, ValueError, AttributeError):
                        return 0.0

                for it in sorted((x for x in items if isinstance(x, dict)), key=pos):
                    item = it.get("item")
                    name = it.get("name") or (item.get("name") if isinstance(item, dict) else None)
                    link = item.get("@id") or item.get("url") if isinstance(item, dict) else item
                    if isinstance(name, str):
                        crumbs.append((normalize_space(name), link if isinstance(link, str) else None))
                break
        if not crumbs:
            for nav, key in self.marked:
                if "breadcrumb" in key:
                    crumbs = [(text_of(a), a.get("href")) for a in nav.iter("a") if a.get("href")]
                    break
        return self._last_crumb(crumbs, title)

    def _breadcrumb_anywhere(self, title: str | None) -> str | None:
        """The trail outside the part of the page around the headline (Drupal's breadcrumb region
        above the article's container) or named otherwise ('entry-crumbs'): a short list of links,
        not a menu."""
        if self.title_h1 is None:
            return None
        navs: list = []
        for value in _CRUMB_ATTRIBUTES(self.root):
            el = value.getparent()
            if el is not None and el.tag in _CRUMB_TAGS and el not in navs:
                navs.append(el)
        for nav in navs:
            if _inside_comments(nav) or _in_teaser(nav, links=False):
                continue
            crumbs = [(text_of(a), a.get("href")) for a in nav.iter("a") if a.get("href")]
            if crumbs:
                return self._last_crumb(crumbs, title) if len(crumbs) <= 6 else None
        return None

    def _last_crumb(self, crumbs: list[tuple[str, str | None]], title: str | None) -> str | None:
        page = {_url_key(self.url), _url_key(self.url.split("?")[0])}
        for name, link in reversed(crumbs):
            if not name or len(name) > 60:
                continue
            if link and _url_key(_absolute(link, self.url) or "") in page:
                continue
            if title and _agree(name, title):
                continue
            if name.casefold().strip(" >»/") in _HOME_CRUMBS:
                continue
            if link and urlsplit(_absolute(link, self.url) or "").path in ("", "/"):
                continue
            return name
        return None

    def tags(self, category: str | None) -> list[str]:
        tags: list[str] = []
        art = self.article
        if art is not None:
            kw = art.get("keywords")
            if isinstance(kw, str):
                tags = [t for t in (normalize_space(x) for x in kw.split(",")) if t]
            elif isinstance(kw, list):
                for x in kw:
                    v = first_value(x)
                    if v:
                        tags.extend(t for t in (normalize_space(y) for y in v.split(",")) if t)
        if not tags:
            tags = [t for v in self.m_all("article:tag") for t in [normalize_space(v)] if t]
            if len(tags) == 1 and "," in tags[0]:
                tags = [normalize_space(t) for t in tags[0].split(",") if t.strip()]
        if not tags:
            for el in self.links:
                rel = (el.get("rel") or "").lower().split()
                if el.tag == "a" and "tag" in rel and "category" not in rel:
                    if _CATEGORY_PATH.search(el.get("href") or ""):
                        continue  # a category link marked up as a tag
                    t = _text(el, 80)
                    if t:
                        tags.append(t.lstrip("#"))
        if not tags:
            for key in ("news_keywords", "keywords"):
                v = self.m(key)
                if v:
                    tags = [normalize_space(t) for t in re.split(r"[,;]", v) if t.strip()]
                    break
        if not tags:
            for el in self._marked_links(_TAGS_BLOCK):
                if _CATEGORY_PATH.search(el.get("href") or ""):
                    continue
                t = _text(el, 80)
                if t:
                    tags.append(t.lstrip("#"))
        out: list[str] = []
        seen: set[str] = set()
        for t in tags:
            k = t.casefold()
            if k not in seen and len(t) <= 80 and _fold(t) not in _NO_CATEGORY:
                seen.add(k)
                out.append(t)
        if category and len(out) > 1:
            out = [t for t in out if t.casefold() != category.casefold()] or out
        return out

    def comment_count(self) -> int | None:
        art = self.article
        candidates = []
        if art is not None:
            candidates.append(art.get("commentCount"))
            stats = art.get("interactionStatistic")
            for s in stats if isinstance(stats, list) else [stats]:
                if isinstance(s, dict):
                    it = s.get("interactionType")
                    it = it.get("@type") if isinstance(it, dict) else it
                    if isinstance(it, str) and "comment" in it.lower():
                        candidates.append(s.get("userInteractionCount"))
        for el in self.micro.get("commentcount", []):
            candidates.append(microdata_value(el))
        for c in candidates:
            if isinstance(c, bool):
                continue
            if isinstance(c, int):
                return c if c >= 0 else None
            if isinstance(c, float) and c.is_integer():
                return int(c)
            if isinstance(c, str) and c.strip().isdigit():
                return int(c.strip())
        return None


_POST_CLASS = re.compile(r"(?:^|[\s_-])(?:post|article|entry|story|hentry|single)(?:$|[\s_-])")
_TEASER = re.compile(
    r"related|teaser|widget|sidebar|recommend|popular|more-?from|read-?more|most-?read|trending|"
    r"carousel|slider|footer|newsletter|promo|simple-list|link-?list|post-?list|article-?list",
)


_SIDE_BLOCK = re.compile(r"related|teaser|widget|sidebar|recommend|popular|card|carousel|slider|more-?from")


def _in_side_block(el) -> bool:
    """Inside an aside, a menu or a block of other articles (related cards, sidebar widgets), up to the
    article element; unlike _in_teaser, the article's own <footer> (its tag list) is no teaser."""
    p, depth = el, 0
    while p is not None and depth < 8:
        tag = p.tag
        if tag in ("aside", "nav"):
            return True
        if isinstance(tag, str) and _SIDE_BLOCK.search(classes_and_id(p)):
            return True
        if tag in ("article", "main", "body"):
            return False
        p = p.getparent()
        depth += 1
    return False


def _in_teaser(el, links: bool = True) -> bool:
    """Inside a block of links to other articles (sidebars, 'related' lists) or, with `links`,
    inside a link."""
    p = el.getparent()
    depth = 0
    while p is not None and depth < 8:
        tag = p.tag
        if (links and tag == "a") or tag == "aside" or tag == "nav" or tag == "footer":
            return True
        if isinstance(tag, str) and (p.get("class") or p.get("id")):
            if _TEASER.search(classes_and_id(p)):
                return True
            if tag in ("article", "main"):
                return False
        p = p.getparent()
        depth += 1
    return False


def _within_a_day(a: datetime, b: datetime) -> bool:
    if (a.tzinfo is None) != (b.tzinfo is None):
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    try:
        return abs((a - b).total_seconds()) <= 86400 * 1.5
    except (TypeError, OverflowError):
        return True


def _item_scope(el):
    """The nearest ancestor carrying itemscope (the microdata item a property belongs to)."""
    p = el.getparent()
    while p is not None:
        if p.get("itemscope") is not None:
            return p
        p = p.getparent()
    return None


def _text_parent(node):
    """The element whose text a text node belongs to (for a tail: the parent of the tail's element)."""
    parent = node.getparent()
    if parent is not None and getattr(node, "is_tail", False):
        parent = parent.getparent()
    return parent


_RELATIVE = re.compile(
    r"\b(?:ago|il y a|vor|hace|fa|geleden|yesterday|today|hier|aujourd'hui|gestern|heute|ayer|hoy|ieri|oggi)\b",
    re.I,
)


def _has_year(text: str) -> bool:
    """A full date: with a year, or relative to the fetch time ('il y a 3 jours', '2 hours ago')."""
    return bool(re.search(r"(?:19|20)\d{2}|\b\d{1,2}[./]\d{1,2}[./]\d{2}\b", text) or _RELATIVE.search(text))


def _label_before(el) -> str:
    """The short text right before an element within its parent ('Publié le' of 'Publié le <time>')."""
    prev = el.getprevious()
    if prev is not None:
        text = prev.tail or ""
    else:
        parent = el.getparent()
        text = (parent.text or "") if parent is not None else ""
    text = normalize_space(text)
    return text if len(text) <= 30 else ""


def _is_ancestor(a, b) -> bool:
    p = b.getparent()
    while p is not None:
        if p is a:
            return True
        p = p.getparent()
    return False


_COMMENTS_AREA = re.compile(r"comment|respond|discussion|disqus|reply|reaction")


def _inside_comments(el) -> bool:
    p = el.getparent()
    depth = 0
    while p is not None and depth < 12:
        if isinstance(p.tag, str):
            cls, ident = p.get("class"), p.get("id")
            if (cls or ident) and _comments_named(cls, ident):
                return True
        p = p.getparent()
        depth += 1
    return False


_COMMENT_THREAD_TOKEN = re.compile(
    r"^(?:comments?|comment[-_].+|comments[-_].+|commentlist|commentmetadata|respond|"
    r"(?:li|div)-comment-\d+|wpd-comm.*)$"
)


def _in_comment_thread(el) -> bool:
    """Inside a reader comment or the comment list, by a class or id token that says so exactly
    ('comment-metadata', 'comments-area', id 'comment-12'): a page-wide flag ('unfollowComments-on')
    or a 'date-and-comments' line is no comment."""
    p = el.getparent()
    while p is not None and isinstance(p.tag, str) and p.tag not in ("body", "html"):
        tokens = f"{p.get('class') or ''} {p.get('id') or ''}".lower().split()
        if any(_COMMENT_THREAD_TOKEN.match(t) for t in tokens):
            return True
        p = p.getparent()
    return False


@functools.lru_cache(maxsize=8192)
def _comments_named(cls: str | None, ident: str | None) -> bool:
    """_COMMENTS_AREA in classes_and_id of an element with this class and id."""
    return _COMMENTS_AREA.search(f"{cls or ''} {ident or ''}".lower()) is not None


class _TextNode(str):
    """A text node as an XPath query returns it: the string, getparent() (the element whose text or
    tail it is) and is_tail."""

    __slots__ = ("_parent", "is_tail")

    def __new__(cls, text: str, parent, is_tail: bool):
        node = super().__new__(cls, text)
        node._parent = parent
        node.is_tail = is_tail
        return node

    def getparent(self):
        return self._parent


_XPATH_SPACE = " \t\n\r"  # what XPath's normalize-space() strips


def _following_texts(el, limit: int) -> list:
    """following::text()[normalize-space()][position() <= limit] of `el`, in page order."""
    out: list = []
    node = el
    while node is not None:
        tail = node.tail
        if tail and tail.strip(_XPATH_SPACE):
            out.append(_TextNode(tail, node, True))
            if len(out) >= limit:
                return out
        sib = node.getnext()
        while sib is not None:
            if isinstance(sib.tag, str):
                for event, n in etree.iterwalk(sib, events=("start", "end", "comment", "pi")):
                    if event == "start":
                        t, is_tail = n.text, False
                    elif n is sib:
                        continue  # its tail comes below
                    else:
                        t, is_tail = n.tail, True
                    if t and t.strip(_XPATH_SPACE):
                        out.append(_TextNode(t, n, is_tail))
                        if len(out) >= limit:
                            return out
            tail = sib.tail
            if tail and tail.strip(_XPATH_SPACE):
                out.append(_TextNode(tail, sib, True))
                if len(out) >= limit:
                    return out
            sib = sib.getnext()
        node = node.getparent()
    return out


def _preceding_texts(el, limit: int) -> list:
    """The `limit` nearest of preceding::text()[normalize-space()] of `el`, nearest first."""
    out: list = []
    node = el
    while node is not None:
        sib = node.getprevious()
        while sib is not None:
            # sib's tail, then its subtree's text nodes backwards
            stack: list = [(sib, True)]
            while stack:
                n, tail_first = stack.pop()
                if tail_first:
                    t = n.tail
                    if t and t.strip(_XPATH_SPACE):
                        out.append(_TextNode(t, n, True))
                        if len(out) >= limit:
                            return out
                    if isinstance(n.tag, str):
                        stack.append((n, False))  # its own text, after its children (backwards)
                        stack.extend((c, True) for c in n)  # popped last child first
                else:
                    t = n.text
                    if t and t.strip(_XPATH_SPACE):
                        out.append(_TextNode(t, n, False))
                        if len(out) >= limit:
                            return out
            sib = sib.getprevious()
        parent = node.getparent()
        if parent is not None:
            t = parent.text
            if t and t.strip(_XPATH_SPACE):
                out.append(_TextNode(t, parent, False))
                if len(out) >= limit:
                    return out
        node = parent
    return out


def _in_body(el) -> bool:
    """True for an element inside a <body> (//body//h1)."""
    p = el.getparent()
    while p is not None:
        if p.tag == "body":
            return True
        p = p.getparent()
    return False


def _safe(fn, default):
    try:
        return fn()
    except (ValueError, TypeError, AttributeError, IndexError, KeyError, RecursionError, etree.LxmlError):
        return default


def extract_metadata(root, *, url: str, now: datetime | None = None, tz=None) -> Metadata:
    """The article's metadata from a parsed page (`Document.root`). Never raises on odd input.

    ``tz`` is the zone of dates without an offset when the caller knows it (a site profile's);
    without it, the zone the page implies (dates.default_timezone)."""
    if root is None or not isinstance(getattr(root, "tag", None), str):
        return Metadata()
    _memo.texts = {}
    try:
        return _Extractor(root, url, now, tz).run()
    except RecursionError:  # pragma: no cover - pathological nesting
        return Metadata()
    finally:
        _memo.texts = None

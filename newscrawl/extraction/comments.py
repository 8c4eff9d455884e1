"""Reader comments: the comment list of an article page, its declared count and where it sits.

Pure functions over a parsed page (lxml root); the page is never modified. The body extractor gets
the elements of the comment area in ``CommentsResult.containers`` and drops them itself; the crawler
follows ``comment_page_urls`` (applied to every comment page it fetches) and merges the comments.

How comments are found, in order (the first way that yields comments wins):

1. *Comment items* named by their markup, found in one pass over the page: WordPress ``li.comment`` /
   ``li.pingback`` with ``id="comment-N"``, Blogger ``li.comment#cN``, Drupal ``article.comment``,
   wpDiscuz, SPIP ``.forum-message``, Livefyre, Disqus static dumps (``#disqus_thread li.post``),
   schema.org microdata / RDFa (``itemtype=.../Comment``), and any block whose class says it is one
   comment (``comment``, ``js-comment``, ``kb-comment``, ``comment_default`` ...). Candidates are
   grouped by kind (tag + class or id family): a kind whose members each hold several comments is a
   wrapper (``div.comment-box`` around the list) and a kind whose members each sit alone inside a
   member of another kind is a part of it (``article.comment-body`` inside ``li.comment``). Sidebars,
   "recent comments" widgets and forms are left out.
2. *Comment texts* (``.comment-text``, ``.commentText`` ...) with no item around them: each one's item
   is the largest block holding that text and little else.
3. *Repeated blocks* in an element named like a comment area (``#comments``, ``.reactions`` ...), each
   with an author or a date.
4. JSON-LD ``comment`` arrays (the caller passes the parsed objects).
5. A "Kommentare" / "Comments" heading followed by dated blocks, or numbered headers ("#1 von X").

Within a comment: the text is its text element (``itemprop=text``, ``.comment-content``,
``.forum-texte``, ``.field--name-comment-body`` ...) or everything but its author, date, header,
avatar, actions ("Répondre", votes, "Signaler") and replies; the author comes from ``.fn``,
``itemprop=author``, ``*author*`` / ``*username*`` classes, ``cite``, profile links or "X says:" /
"par X" / "X | date" header lines; the date from ``<time datetime>``, ``dateCreated``, ``data-*``
timestamps, permalinks and date-like lines (``published_raw`` is always the visible text, with the
words that introduce it: "Publié le", "le", "Posted on"). Threading comes from the nesting: a reply
inside its parent, or in a replies list right after it (Drupal ``.indented``, SPIP nested ``ul``). On
a forum thread the first post, marked as the thread starter's, is the article and not a comment.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import combinations, islice
from urllib.parse import urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from lxml import etree

from newscrawl.extraction.dates import default_timezone, parse_date, search_date, to_iso
from newscrawl.extraction.text import BLOCK_TAGS, SKIP_TAGS, normalize_space
from newscrawl.items import Comment

__all__ = ["CommentsResult", "comment_page_urls", "extract_comments", "is_first_comment_page"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class CommentsResult:
    comments: list[Comment] = field(default_factory=list)
    """Page order; a reply follows its parent; ``parent_id`` from the markup's nesting."""

    declared_count: int | None = None
    """The count the page shows ("43 avis sur « … »", "N comments", commentCount), None if it shows none."""

    containers: list = field(default_factory=list)
    """lxml elements holding the comment area (list, title, pagination, reply form)."""


# --------------------------------------------------------------------------------------------------
# Vocabulary

_ITEM_TAGS = frozenset("li div article section dd tr td blockquote table aside".split())

# Class tokens that name one comment.
_ITEM_CLASS = re.compile(
    r"""^(?:
        comment|pingback|trackback|
        (?:(?:(?!comment)[a-z0-9])+[-_]?)?comment(?:[-_]?(?:item|entry|single|default|node|unit|article|card|li|row|post))?|
        (?:single|one)[-_]comment|
        (?:[a-z0-9]+[-_])?(?:kommentar|commentaire|comentario|commento|reactie)(?:[-_]?(?:item|entry|single))?|
        forum-message|
        fyre-comment-article
    )$""",
    re.X,
)
# ... but not the buttons, links and widgets around comments.
_NOT_ITEM_PREFIX = re.compile(
    r"^(?:report|add|post|leave|write|new|no|edit|reply|submit|show|load|more|view|count|toggle|open|close|"
    r"hide|flag|like|share|recent|latest|top|best|facebook|fb|has|with|your|my|form|respond|js-form|"
    r"after|before|under|pre|end|start|first|last|goto|go-to|jump|scroll|link|btn|button|icon|ico)[-_]?"
)
# Numbered ids of one comment: comment-12, li-comment-12, comment_12, wc-comm-12_0, c123456 (Blogger).
_ITEM_ID = re.compile(
    r"^(?:li-|wc-)?(?:comment|comm|kommentar|commentaire|reaction|cmt)[-_]?(\d+)(?:_\d+)?$"
    r"|^c(\d{6,})$|^(\d+)$"
)
_BODY_ID = re.compile(r"^div-comment-(\d+)$")
_WORD_NUMBER_ID = re.compile(r"^[a-z]+(?:[-_][a-z]+)*[-_]?(\d+)$")
_ANCHOR_ID = re.compile(r"^(?:comment|comments|forum|c|cmt|reply)[-_]?(\d+)$")
_MICRODATA_COMMENT = re.compile(r"schema\.org/(?:Comment|UserComments|Answer)\b", re.I)

# A class/id token of the area that holds the comments.
_AREA_TOKEN = re.compile(
    r"comment|kommentar|disqus|forum|reaction|discussion|respond|discuss|reacties|comentarios|commenti"
)
# Tokens of the comment list's title / count; a comment system's "thread" header holds it too
# (wpDiscuz: <div class="wpd-thread-info">4 Commentaires</div> in "wpd-thread-head").
_TITLE_TOKEN = re.compile(
    r"(?:comments?|kommentare?|commentaires?|reactions?)[-_]?(?:title|count|number|header|heading|headline|total)"
    r"|(?:title|count|number|heading)[-_]?(?:comments?|kommentare?)|^count$|^comment-?count|commentcount"
    r"|thread[-_]?(?:title|count|number|head|header|heading|info|total)"
)

# Parts of one comment.
_TEXT_STRONG = re.compile(
    r"""comment[-_]*(?:content|text|body|message|msg|inhalt|texte|entry)(?:[-_]?\d+)?$|
        (?:content|text|body|message)[-_]*comment(?:[-_]?\d+)?$|
        field--name-comment-body|field-name-comment-body|forum-texte|forum-item|post-message|
        wc-comment-text|fyre-comment-body|reaction[-_]?(?:text|content)|kommentar[-_]?text|
        ^(?:text|content|message|body)$""",
    re.X,
)
_TEXT_WEAK = re.compile(r"text|content|message|body|entry|texte|inhalt|testo|contenido|msg")
_AUTHOR_TOKEN = re.compile(
    r"^(?:name|nick|nickname|pseudo|poster|user|commenter|by)$|author|autor(?!i)|auteur|user-?name|user_name|"
    r"nick|commenter|kommentator|pseudo|display-?name|(?:comment|user|member|poster)[-_]?name|verfasser"
)
_AUTHOR_NAME_TOKEN = re.compile(
    r"^fn$|(?:author|autor|auteur|user|comment|member|poster|display)[-_]?name|username|nickname|^name$|^nick$"
)
_NOT_AUTHOR_TOKEN = re.compile(
    r"avatar|img|image|photo|pic|gravatar|link|url|date|time|info|bio|desc|meta|about|field--"
)
_DATE_TOKEN = re.compile(
    r"date|time|datum|fecha|zeit|published|timestamp|posted|when|\bago\b|heure|metadata|commentmetadata"
)
_META_TOKEN = re.compile(
    r"meta|info|byline|header|head\b|heading|details|vcard|posted|footer|chapo|titlebar|attribution"
)
# Parts of a comment that are not its text: actions, avatars, badges, hidden and screen-reader text.
# Matched on whole class components (separated by space, - or _) so "field--label-hidden" stays text.
_NOISE_TOKEN = re.compile(
    r"(?:^|[\s_-])(?:reply|respond|repondre|répondre|antworten|antwort|vote|votes|voting|rating|ratings|like|likes|"
    r"dislike|upvote|downvote|karma|report|signaler|signal|flag|melden|share|sharing|social|action|actions|"
    r"toolbar|tools|edit|permalink|says|avatar|gravatar|moderation|awaiting|badge|thumbs|hilfreich|"
    r"hyperlien|controls|links)(?=$|[\s_-])"
    r"|(?:^|\s)(?:hidden|is-hidden|visually-hidden|sr-only|screen-reader-text|d-none|hide|comment-footer|"
    r"quote-button|voir-en-ligne)(?=\s|$)"
)
_ACTION_TEXT = re.compile(
    r"^(?:répondre|repondre|reply|antworten|responder|rispondi|signaler|report|melden|like|j[’']aime|citer|"
    r"zitieren|quote|edit|modifier|bearbeiten|permalink|lien permanent|partager|share|teilen|supprimer|delete|"
    r"löschen|kommentar melden|signaler un abus|report abuse|alerter|répondre à ce message|"
    r"reply to this comment|log in to reply|connectez-vous pour répondre|se connecter pour répondre|"
    r"zum antworten anmelden|anmelden um zu antworten|responder a este comentario|rispondi a questo commento|"
    r"expand full comment|click to expand\.*|show more|read more|voir plus|lire la suite|afficher la suite|"
    r"mehr anzeigen|weiterlesen|leer más|mostra di più|"
    r"\d*\s*(?:likes?|j[’']aime|réponses?|replies|antworten)|[↑↓▲▼+\-]?\s*\d*|\[\s*\w+\s*\])$",
    re.I,
)
_SAYS = re.compile(
    r"\s+(?:dit|a dit|a écrit|écrit|says|said|wrote|writes|sagt|schrieb|schreibt|meint|escribió|escribe|dice|"
    r"ha scritto|scrive|commented|kommentierte|posted|edited|replied|answered|a répondu|antwortete|"
    r"publié|gepostet)(?:\s*:.*|\s*)$",
    re.I,
)
_BY_PREFIX = re.compile(
    r"^\s*(?:#\s*\d+\s*)?(?:(?:kommentar|comment|commentaire|comentario|commento|antwort|réponse|reply|"
    r"posted|publié|publiée|geschrieben|écrit|written|gepostet|verfasst|submitted|envoyé|escrito|scritto)\s+)?"
    r"(?:by|von|par|de|por|da|di)\s*:?\s+",
    re.I,
)
# "Posted by: X", "Kommentar von X", "par X" inside a header line.
_BY_IN_HEADER = re.compile(
    r"(?:^|[\s|•·,(])(?:(?:kommentar|comment|commentaire|antwort|réponse|reply|posted|publié|publiée|geschrieben|"
    r"écrit|written|gepostet|verfasst|submitted|envoyé)\s+)?(?:by|von|par|por)\s*:?\s+"
    r"(.{1,60}?)(?=\s*(?:[,|•·—–]|\s-\s|\s(?:am|le|on|el|il|um|at|à)\s|\d{1,2}[./]\d|\d{1,2}\.?\s+[a-zäéû]{3,}|$))",
    re.I,
)
_PROFILE_HREF = re.compile(
    r"/(?:user|users|profile|profil|profiles|member|members|membre|membres|benutzer|mitglied|autor|author|"
    r"authors|u|people|nutzer|usuario|utente)(?:/|\.|\?|=|$)|[?&](?:user|uid|userid|profile|id_auteur)=",
    re.I,
)

# "43 avis sur « … »", "Un avis", "12 Kommentare", "Comments (3)", "Aucun commentaire".
_NOUN = (
    r"(?:\w*kommentare?|\w*kommentaren|commentaires?|comment(?:s|aires?)?|avis|réponses?|reponses?|réactions?|"
    r"reactions?|réflexions?|reflexions?|messages?|contributions?|responses?|replies|reply|thoughts?|"
    r"opinions?|antworten|antwort|gedanken|gedanke|meinungen|beiträge|beitrag|reaktionen|reaktion|"
    r"comentarios?|respuestas?|opiniones|commenti|commento|risposte|risposta|pensieri|reacties|reactie)"
)
_WORD_NUMBERS = {
    "un": 1,
    "une": 1,
    "one": 1,
    "a": 1,
    "ein": 1,
    "eine": 1,
    "einen": 1,
    "einem": 1,
    "uno": 1,
    "una": 1,
    "deux": 2,
    "two": 2,
    "zwei": 2,
    "dos": 2,
    "due": 2,
    "trois": 3,
    "three": 3,
    "drei": 3,
    "tres": 3,
    "tre": 3,
}
_ZERO = re.compile(
    rf"^(?:aucun(?:e)?|pas\s+d[e’']|no|keine?n?|sin|nessun[oa]?|ningún|ningun|zero|null|0)\s*(?:\w+\s+)?{_NOUN}\b",
    re.I,
)
_COUNT_LEAD = re.compile(
    rf"^(?P<n>\d{{1,3}}(?:[.,\s\u00a0\u202f]\d{{3}})*|\d+|[a-zà-ü]+)\s+(?:\w+\s+)?{_NOUN}\b", re.I
)
_COUNT_TAIL = re.compile(rf"^(?:\w+\s+)?{_NOUN}\s*[:(\[]?\s*(?P<n>\d+)\s*[)\]]?$", re.I)

_COMMENT_HEADING = re.compile(
    rf"^(?:\d+\s+)?(?:\w*kommentare?|commentaires?|comments?|réactions?|reactions?|leserbriefe|"
    rf"comentarios|commenti|vos réactions|ihre meinung|{_NOUN})\s*(?:\(\d+\)|:)?$",
    re.I,
)
_NUMBERED_HEADER = re.compile(
    r"^\s*#\s*(\d+)\s*(?:[-:.)]\s*)?(?:(?:kommentar|comment|commentaire|beitrag|antwort|message)\s+)?"
    r"(?:von|by|de|par|from)\s+(.+)$",
    re.I,
)

_PAGE_HREF = re.compile(
    r"/comment-page-(\d+)/?|[?&](?:cpage|comment-page|commentpage|comments_page|commentspage|comments-page|"
    r"page_comments|cp)=(\d+)|[?&]debut_[a-z_]*forum[a-z_]*=(\d+)",
    re.I,
)
_NAV_TOKEN = re.compile(
    r"comment[-_]?(?:s[-_]?)?(?:nav|navigation|pagination|pager|pages|paging)|nav-links|pagination|pager|page-numbers"
)


# --------------------------------------------------------------------------------------------------
# Small helpers


class _Memo(threading.local):
    """Per-call caches of what is read again and again from the same elements (their short text,
    whether they are noise), keyed by element; set by ``_extract`` for one page and dropped after it.
    Thread-local: lxml trees of different pages may be read in different threads."""

    short: dict | None = None
    noise: dict | None = None
    sidebar: dict | None = None  # element -> _in_sidebar of its children
    form: dict | None = None  # element -> _in_form of its children


def _start_memo() -> None:
    m = _memo
    m.short, m.noise, m.sidebar, m.form = {}, {}, {}, {}
    if (
        len(_HINT_CLASS) + len(_NOISE_CLASS) + len(_CLASS_INFO) + len(_PART_HINT_CLASS) + len(_NAV_HINT_CLASS)
        > _CLASS_CACHE_MAX
    ):
        _clear_caches()


def _end_memo() -> None:
    m = _memo
    m.short = m.noise = m.sidebar = m.form = None


# What the tests read from a class attribute, by class attribute: pages repeat a few class strings
# over and over, and a site's pages share them. Plain functions of the string (the same for every
# page and thread), so shared by all calls; emptied when they grow past _CLASS_CACHE_MAX.
_HINT_CLASS: dict[str, bool] = {}  # -> holds a word the scan looks for
_NOISE_CLASS: dict[str, bool] = {}  # -> holds a noise token
_CLASS_INFO: dict = {}  # -> _ClassInfo
_PART_HINT_CLASS: dict[str, bool] = {}  # -> holds a word of _PART_HINT
_NAV_HINT_CLASS: dict[str, bool] = {}  # -> holds a word of _NAV_HINT
_CLASS_CACHE_MAX = 60_000


def _clear_caches() -> None:
    _HINT_CLASS.clear()
    _NOISE_CLASS.clear()
    _CLASS_INFO.clear()
    _PART_HINT_CLASS.clear()
    _NAV_HINT_CLASS.clear()


_memo = _Memo()


def _tag(el) -> str:
    t = el.tag
    return t.lower() if isinstance(t, str) else ""


def _tokens(el) -> list[str]:
    """Lower-cased class tokens plus the id (as one more token)."""
    cls = el.get("class")
    out = cls.lower().split() if cls else []
    ident = el.get("id")
    if ident:
        out.append(ident.strip().lower())
    return out


def _matches(tokens: list[str], pattern: re.Pattern) -> bool:
    search = pattern.search
    return any(search(t) for t in tokens)


def _collect_text(el, skip=None) -> str:
    """Visible text of `el` with block boundaries as spaces; subtrees for which `skip(e)` is true are
    left out (their tails kept). Iterative, so deep nesting can't overflow the stack."""
    parts = _text_parts(el, skip)
    return normalize_space("".join(parts)) if parts else ""


_WALK_EVENTS = ("start", "end", "comment", "pi")


def _text_parts(el, skip=None, limit: int | None = None) -> list[str] | None:
    """The raw text pieces of ``_collect_text``; with `limit`, None as soon as the text, normalized,
    is known to be longer than that."""
    tag = el.tag
    if not isinstance(tag, str):
        return []
    tag = tag.lower()
    if tag in SKIP_TAGS:
        return []
    parts: list[str] = []
    append = parts.append
    block = tag in BLOCK_TAGS
    if block:
        append(" ")
    if el.text:
        append(el.text)
    if not len(el):
        if block:
            append(" ")
        return parts
    walker = etree.iterwalk(el, events=_WALK_EVENTS)
    next(walker)  # el's own start
    blocks = [block]  # whether each open element is a block (br included)
    size, check_at = 0, limit
    for event, node in walker:
        if event == "start":
            tag = node.tag.lower()
            block = tag in BLOCK_TAGS
            blocks.append(block)
            if tag in SKIP_TAGS or (skip is not None and skip(node)):
                walker.skip_subtree()  # its "end" still comes: the space and its tail
                continue
            if block:
                append(" ")
            text = node.text
            if text:
                append(text)
                if limit is not None:
                    size += len(text)
        elif event == "end":
            if blocks.pop():
                append(" ")
            if node is not el:
                tail = node.tail
                if tail:
                    append(tail)
                    if limit is not None:
                        size += len(tail)
        else:  # comments and processing instructions: their tail only
            tail = node.tail
            if tail:
                append(tail)
                if limit is not None:
                    size += len(tail)
        if limit is not None and size > check_at:
            if len(normalize_space("".join(parts))) > limit:
                return None
            check_at = size + limit
    return parts


def _iter_inside(el, stop):
    """Descendants of `el` in document order, not descending into elements for which stop(e) is true
    (those are not yielded either)."""
    walker = etree.iterwalk(el, events=("start",))
    next(walker)  # el itself
    for _, node in walker:
        if stop(node):
            walker.skip_subtree()
            continue
        yield node


def _ancestors(el):
    p = el.getparent()
    while p is not None:
        yield p
        p = p.getparent()


def _digits(value: str | None) -> str | None:
    if not value:
        return None
    m = re.search(r"\d+", value)
    return m.group(0) if m else None


# --------------------------------------------------------------------------------------------------
# Dates


def _resolve_tz(language, tz, url):
    """The zone for dates written without an offset: the caller's, else the one the page's language
    and domain imply (the article reader passes the zone it found, with the page's declared country)."""
    if isinstance(tz, str):
        try:
            return ZoneInfo(tz)
        except (ValueError, KeyError, OSError):
            tz = None
    if tz is not None:
        return tz
    return default_timezone(language, url=url) if language else None


def _iso(dt: datetime) -> str:
    return to_iso(dt)


_ISO_ATTR = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$"
)


_EPOCH_ATTR = re.compile(r"\d{10}(?:\d{3})?")
_SPACE_BEFORE_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d")
_OFFSET_WITHOUT_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


def _parse_attr_date(value: str | None, tzinfo) -> datetime | None:
    """ISO 8601 or Unix-epoch attribute values."""
    if not value:
        return None
    v = value.strip()
    if _EPOCH_ATTR.fullmatch(v):
        stamp = int(v) / (1000 if len(v) == 13 else 1)
        try:
            dt = datetime.fromtimestamp(stamp, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return dt.astimezone(tzinfo) if tzinfo is not None else dt
    if not _ISO_ATTR.match(v):
        return None
    if _SPACE_BEFORE_TIME.match(v):
        v = v.replace(" ", "T", 1)
    if v.endswith("Z"):
        v = v[:-1] + "+00:00"
    offset = _OFFSET_WITHOUT_COLON.search(v)  # +0200 -> +02:00 (re.sub here cost ~10 µs a comment)
    if offset is not None:
        v = f"{v[: offset.start()]}{offset.group(1)}:{offset.group(2)}"
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        return None
    if tzinfo is not None:
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=tzinfo)
        elif dt.utcoffset() == timedelta(0):
            dt = dt.astimezone(tzinfo)  # same instant, shown in the page's local time
    return dt


_DATE_WORD = re.compile(r"\d|yesterday|hier|gestern|ayer|ieri|today|heute|aujourd", re.I)
# The label or word that introduces a date ('Publié le 3 mai 2024', 'le 3 mai 2024', 'Posted on May 3',
# 'am 3. Mai 2024'): part of the date as the page shows it (published_raw), as for the article's date.
_LEAD_IN_BEFORE = re.compile(
    r"(?<![\w'’])(?:(?:publié|publiée|posté|postée|mis en ligne|paru|parue|published|posted|first published|"
    r"veröffentlicht|erschienen|publiziert|erstellt|geschrieben|publicado|publicada|pubblicato|gepubliceerd)"
    r"\s*:?\s(?:(?:le|am|on|du|el|il|den)\s)?|(?:le|am|on|du|el|il|den)\s)$",
    re.I,
)


def _parse_text_date(text: str, ctx: _Ctx) -> tuple[datetime | None, str | None]:
    """(datetime, the date as written) for the first date in `text`."""
    if not text or not _DATE_WORD.search(text):
        return None, None
    text = normalize_space(text)[:200]
    found = search_date(text, language=ctx.language, now=ctx.now, tz=ctx.tz)
    if found:
        matched = normalize_space(found[1])
        start = text.find(matched)
        lead_in = _LEAD_IN_BEFORE.search(text, 0, start) if start > 0 else None
        return found[0], text[lead_in.start() : start] + matched if lead_in else matched
    if len(text) <= 12 or _DATE_LINE.match(text):
        dt = parse_date(text, language=ctx.language, now=ctx.now, tz=ctx.tz)
        if dt is not None:
            return dt, text
    return None, None


# --------------------------------------------------------------------------------------------------
# Context


@dataclass(slots=True)
class _Ctx:
    url: str
    language: str | None
    now: datetime | None
    tz: object


# --------------------------------------------------------------------------------------------------
# Candidate scan: one pass over the document


@dataclass(slots=True)
class _Scan:
    items: list = field(default_factory=list)  # (element, family)
    text_parts: list = field(default_factory=list)  # strong comment-text elements
    titles: list = field(default_factory=list)  # comment title / count elements
    areas: list = field(default_factory=list)  # elements whose class/id names a comment area
    forms: list = field(default_factory=list)  # comment forms
    disqus: list = field(default_factory=list)
    headings: list = field(default_factory=list)  # short headings that say "Comments"
    itemprops: list = field(default_factory=list)  # elements with an itemprop attribute
    hash_links: list = field(default_factory=list)  # <a> whose href holds a "#"


def _item_family(el, tag: str, tokens: list[str]) -> str | None:
    """The kind of comment item `el` is, or None."""
    itemtype = el.get("itemtype") or el.get("typeof")
    if itemtype and _MICRODATA_COMMENT.search(
        itemtype if "/" in itemtype else "schema.org/" + itemtype.split(":")[-1]
    ):
        return "microdata"
    if tag not in _ITEM_TAGS:
        return None
    cls = (el.get("class") or "").lower().split()
    for t in cls:
        if _ITEM_CLASS.match(t) and not _NOT_ITEM_PREFIX.match(t):
            return f"{tag}.{t}" if t not in ("comment", "pingback", "trackback") else f"{tag}.comment"
    ident = (el.get("id") or "").lower()
    m = _ITEM_ID.match(ident) if ident else None
    if m is None:
        return None
    # bare numbers and Blogger's c123456... count only on comment-named blocks
    if (m.group(2) or m.group(3)) and not any("comment" in t or "kommentar" in t for t in cls):
        return None
    return f"{tag}#" + re.sub(r"\d+", "N", ident)


_NOT_TEXT_TAGS = frozenset(
    "a span img input button label time abbr i b svg textarea select option form h1 h2 h3 h4 h5 h6".split()
)


# Every class or id that any test of the scan accepts holds one of these words (lower-cased): the
# scan looks closer only at elements whose class or id does, at microdata items, forms and headings.
_SCAN_HINT = re.compile(
    "comm|kommentar|pingback|trackback|reacti|forum|disqus|respond|discuss|comentario|cmt|count|titlebar|thread"
)
# compiled once (an XPath string passed to .xpath() is compiled on every call)
_TEXTAREA = etree.XPath("boolean(.//textarea)")
_HAS_H1 = etree.XPath("boolean(.//h1)")
_HAS_FORM_OR_HEADING = etree.XPath("boolean(.//form|.//textarea|.//h1|.//h2)")
_HAS_FORM = etree.XPath("boolean(.//form|.//textarea|self::form)")
_NAME_PROPS = etree.XPath(".//*[@itemprop='name' or contains(@property, 'name')]")
_FN_CLASS = etree.XPath(".//*[contains(concat(' ', normalize-space(@class), ' '), ' fn ')]")
_SCAN_SKIP = frozenset(("script", "style", "noscript", "template", "svg", "head", "meta", "link"))
_HEADING_SCAN = frozenset(("h2", "h3", "h4", "h5"))


_SCAN_TAG_KIND = {"form": 1, "h2": 2, "h3": 2, "h4": 2, "h5": 2}
_NOTHING = (None, False, False, False, False, False)


def _scan_kind(el, tag: str) -> tuple:
    """(family, text part, title, heading, area, disqus) of an element the scan looks closer at;
    family "form" for a form (area: its class or id names a comment area)."""
    tag = tag.lower()
    if tag in _SCAN_SKIP:
        return _NOTHING
    if tag == "form":
        return ("form", False, False, False, _matches(_tokens(el), _AREA_TOKEN), False)
    tokens = _tokens(el)
    fam = _item_family(el, tag, tokens)
    text_part = False
    if fam is None and tag not in _NOT_TEXT_TAGS and el.get("class"):
        cls = el.get("class").lower().split()
        text_part = _matches(cls, _TEXT_STRONG) and any(
            ("comment" in t or "forum" in t or "kommentar" in t or "reaction" in t) for t in cls
        )
    title = _matches(tokens, _TITLE_TOKEN) and tag not in ("a", "li", "ol", "ul", "form")
    heading = tag in ("h2", "h3", "h4", "h5") or "titlebar" in tokens
    area = tag in ("div", "section", "aside", "ol", "ul", "article", "footer", "main") and _matches(
        tokens, _AREA_TOKEN
    )
    found = (fam, bool(text_part), title, heading, area, "disqus_thread" in tokens)
    return _NOTHING if found == _NOTHING else found


def _scan_kind_with_id(el, tag: str, cls: str | None, ident: str, seen: dict) -> tuple:
    """``_scan_kind`` of an element with an id (and no microdata type): what its tag and class say,
    from `seen` ((tag, class) -> _scan_kind), completed by what its id says."""
    key = (tag, cls)
    base = seen.get(key)
    if base is None:
        base = seen[key] = _scan_kind(_Bare(cls), tag)
    tag = tag.lower()
    if tag in _SCAN_SKIP:
        return _NOTHING
    token = ident.strip().lower() if ident else None  # the id as _tokens has it
    fam, text_part, title, heading, area, disqus = base
    if tag == "form":
        return (
            "form",
            False,
            False,
            False,
            area or (token is not None and bool(_AREA_TOKEN.search(token))),
            False,
        )
    if fam is None and tag in _ITEM_TAGS and ident:
        # _item_family, the class having named no family: the id's
        low = ident.lower()
        m = _ITEM_ID.match(low)
        if m is not None:
            cls_tokens = (cls or "").lower().split()
            if not (
                (m.group(2) or m.group(3)) and not any("comment" in t or "kommentar" in t for t in cls_tokens)
            ):
                fam = f"{tag}#" + _DIGITS.sub("N", low)
                text_part = False
    if token is not None:
        if not title and tag not in ("a", "li", "ol", "ul", "form") and _TITLE_TOKEN.search(token):
            title = True
        if token == "titlebar":
            heading = True
        if not area and tag in ("div", "section", "aside", "ol", "ul", "article", "footer", "main"):
            area = _AREA_TOKEN.search(token) is not None
        if token == "disqus_thread":
            disqus = True
    found = (fam, text_part, title, heading, area, disqus)
    return _NOTHING if found == _NOTHING else found


class _Bare:
    """An element with this class and nothing else, for the tests that read attributes."""

    __slots__ = ("_cls",)

    def __init__(self, cls: str | None) -> None:
        self._cls = cls

    def get(self, name: str, default=None):
        return self._cls if name == "class" and self._cls is not None else default


_DIGITS = re.compile(r"\d+")


def _scan(root) -> _Scan:
    scan = _Scan()
    hint_cache = _HINT_CLASS
    hint = _SCAN_HINT.search
    kinds: dict[str, int] = {}  # tag as written -> 1 form, 2 heading h2-h5, 0 other
    seen: dict[tuple, tuple] = {}  # (tag, class) -> _scan_kind of elements without id or microdata
    for el in root.iter(etree.Element):
        tag = el.tag
        keys = el.keys()
        hinted = False
        cls = None
        if keys:
            get = el.get
            if "itemprop" in keys:
                scan.itemprops.append(el)
            if tag == "a" and "href" in keys:
                href = get("href")
                if href and "#" in href:
                    scan.hash_links.append(el)
            if "class" in keys:
                cls = get("class")
                hinted = hint_cache.get(cls)
                if hinted is None:
                    hinted = hint_cache[cls] = hint(cls.lower()) is not None
            if not hinted:
                if "id" in keys:
                    hinted = hint(get("id").lower()) is not None
                if not hinted:
                    hinted = "itemtype" in keys or "typeof" in keys
        if not hinted:
            # nothing in its class or id any test below accepts: a form or a heading at most
            kind = kinds.get(tag)
            if kind is None:
                kind = kinds[tag] = _SCAN_TAG_KIND.get(tag.lower(), 0)
            if kind:
                if kind == 2:
                    scan.headings.append(el)
                elif _TEXTAREA(el):
                    scan.forms.append(el)
            continue
        if "itemtype" in keys or "typeof" in keys:
            found = _scan_kind(el, tag)
        elif "id" in keys:
            found = _scan_kind_with_id(el, tag, cls, get("id"), seen)
        else:  # what the tests make of it depends on its tag and class only
            key = (tag, cls)
            found = seen.get(key)
            if found is None:
                found = seen[key] = _scan_kind(el, tag)
        if found is _NOTHING:
            continue
        fam, text_part, title, heading, area, disqus = found
        if fam == "form":
            if _TEXTAREA(el) or area:
                scan.forms.append(el)
            continue
        if fam is not None:
            scan.items.append((el, fam))
        elif text_part:
            scan.text_parts.append(el)
        if title:
            scan.titles.append(el)
        elif heading:
            scan.headings.append(el)
        if area:
            scan.areas.append(el)
        if disqus:
            scan.disqus.append(el)
    return scan


# --------------------------------------------------------------------------------------------------
# From candidates to items


def _in_form(el) -> bool:
    parent = el.getparent()
    return _form_below(parent) if parent is not None else False


def _form_below(a) -> bool:
    """``_in_form`` of the children of `a`: the nearest form among `a` and its ancestors holds a textarea."""
    memo = _memo.form
    if memo is None:
        while a is not None:
            if _tag(a) == "form":
                return _TEXTAREA(a)
            a = a.getparent()
        return False
    path = []
    answer = False
    while a is not None:
        got = memo.get(a)
        if got is not None:
            answer = got
            break
        path.append(a)
        if _tag(a) == "form":
            answer = _TEXTAREA(a)
            break
        a = a.getparent()
    for p in path:
        memo[p] = answer
    return answer


def _nearest(el, members: set):
    for a in _ancestors(el):
        if a in members:
            return a
    return None


def _resolve_items(cands: list, text_parts: list) -> list:
    """Choose the comment items among candidates (element, kind): drop kinds that wrap several comments
    (``div.comment-box`` around the list), then kinds that are parts of another kind (the body of
    ``li.comment``); what remains, nested or not, are the comments."""
    cands = [(el, fam) for el, fam in cands if not _in_form(el) and not _in_sidebar(el)]
    kind = {el: fam for el, fam in cands}
    if not kind:
        return []

    def nearest_map(members) -> dict:
        return {el: _nearest(el, members) for el in members}

    # 1. wrappers: members that directly hold two or more comments of another kind, or two comment texts
    up = nearest_map(kind.keys())
    held: dict = {}
    for el, anc in up.items():
        if anc is not None and kind[el] != kind[anc]:
            held.setdefault(anc, {}).setdefault(kind[el], 0)
            held[anc][kind[el]] += 1
    texts_held: dict = {}
    for t in _outermost(text_parts):
        owner = _nearest(t, kind)
        if owner is not None:
            texts_held[owner] = texts_held.get(owner, 0) + 1
    groups: dict[str, list] = {}
    for el, fam in cands:
        groups.setdefault(fam, []).append(el)
    for fam, els in list(groups.items()):
        wrapping = sum(
            1 for el in els if max(held.get(el, {}).values(), default=0) >= 2 or texts_held.get(el, 0) >= 2
        )
        if wrapping and wrapping >= 0.7 * len(els):
            del groups[fam]
    # 2. parts: a kind whose members each sit alone inside a member of another kind (li never is a part,
    # and neither is anything separated from that member by a list)
    remaining = {el for els in groups.values() for el in els}
    up = nearest_map(remaining)
    for fam, els in list(groups.items()):
        if len(groups) == 1:
            break
        owners: dict = {}
        inside = 0
        for el in els:
            anc = up[el]
            if anc is None or kind[anc] == fam or _tag(el) == "li" or _list_between(el, anc):
                continue
            inside += 1
            owners[anc] = owners.get(anc, 0) + 1
        if inside and inside >= 0.7 * len(els) and all(v == 1 for v in owners.values()):
            del groups[fam]
    keep = {el for els in groups.values() for el in els}
    return [el for el, _ in cands if el in keep]


def _list_between(el, anc) -> bool:
    """True if a ul/ol sits between `el` and its ancestor `anc`."""
    for a in _ancestors(el):
        if a is anc:
            return False
        if _tag(a) in ("ul", "ol"):
            return True
    return False


def _items_from_text_parts(parts: list) -> list:
    """Items around comment-text elements that have no recognisable item: for each text, the largest
    block that holds that text only and little else (its author, date and actions)."""
    if not parts:
        return []
    part_set = set(parts)
    counts: dict = {}
    for p in parts:
        for a in _ancestors(p):
            counts[a] = counts.get(a, 0) + 1
    items = []
    for p in parts:
        if _nearest(p, part_set) is not None:
            continue  # a text inside another text
        own = _text_len(p)
        best = p
        for a in _ancestors(p):
            if counts.get(a, 0) != 1 or _tag(a) in ("body", "html", "form", "main", "article"):
                break
            if _text_len(a, cap=own + 400) > own + 400 or _HAS_H1(a):
                break
            if _tag(a) in _ITEM_TAGS:
                best = a
        if best not in items:
            items.append(best)
    return items


_STATE_TOKEN = re.compile(
    r"^(?:odd|even|alt|first|last|clearfix|clear|row|parent|secret|private|new|unread|highlight\w*|"
    r"thread-\w+|depth-\d+|level-\d+|by\w*|is-\w+|has-\w+|js-\w+|\w*-?\d+)$"
)


def _signature(el) -> tuple:
    cls = (el.get("class") or "").lower().split()
    return (_tag(el), tuple(sorted(t for t in cls if not _STATE_TOKEN.match(t))))


def _items_from_repeats(scan: _Scan) -> list:
    """Blocks repeated inside a comment area ("comments", "comment-list", "kommentare" ...), each with
    a date or an author: the comments of a layout whose items carry no comment name."""
    for area in scan.areas:
        if _tag(area) in ("form",) or _in_form(area) or _in_sidebar(area):
            continue
        containers = [area]
        for child in area:
            if isinstance(child.tag, str) and _tag(child) in ("ul", "ol", "div", "section", "dl"):
                containers.append(child)
        for container in containers:
            groups: dict[tuple, list] = {}
            for child in container:
                if isinstance(child.tag, str) and _tag(child) in _ITEM_TAGS | {"ul", "ol", "dl", "p"}:
                    groups.setdefault(_signature(child), []).append(child)
            for members in sorted(groups.values(), key=len, reverse=True):
                if len(members) < 2:
                    break
                good = [m for m in members if _looks_like_comment(m)]
                if len(good) >= max(2, 0.6 * len(members)):
                    return good
    return []


def _looks_like_comment(el) -> bool:
    if _HAS_FORM_OR_HEADING(el):
        return False
    parts = _find_parts(el, set())
    if not parts.dates and not parts.authors:
        return False
    return bool(_text_len(el, _is_noise, cap=20) >= 2)


# --------------------------------------------------------------------------------------------------
# One comment


@dataclass(slots=True)
class _Item:
    el: object
    comment: Comment


_NOISE_TAGS = frozenset("img form input button textarea select svg picture figure video".split())
_HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_ACTION_TAGS = frozenset("a span small b strong li button".split())


def _is_noise(el) -> bool:
    """Avatars, actions (reply, vote, report, share), hidden and screen-reader text."""
    memo = _memo.noise
    if memo is None:
        return _noise(el)
    got = memo.get(el)
    if got is None:
        got = memo[el] = _noise(el)
    return got


def _noise(el) -> bool:
    tag = el.tag
    tag = tag.lower() if isinstance(tag, str) else ""
    if tag in _NOISE_TAGS:
        return True
    keys = el.keys()
    if keys:
        get = el.get
        if "hidden" in keys or ("aria-hidden" in keys and get("aria-hidden") == "true"):
            return True
        style = get("style") if "style" in keys else None
        if style and "none" in style and re.search(r"display\s*:\s*none", style):
            return True
        # the token test on "class id" is the test on either (a token never spans the space)
        cls = get("class") if "class" in keys else None
        if cls:
            noisy = _NOISE_CLASS.get(cls)
            if noisy is None:
                noisy = _NOISE_CLASS[cls] = _NOISE_TOKEN.search(cls.lower()) is not None
            if noisy:
                return True
        ident = get("id") if "id" in keys else None
        if ident and _NOISE_TOKEN.search(ident.lower()):
            return True
    if tag in _HEADING_TAGS:
        # a comment's subject line linking to the comment itself (Drupal) is not its text
        return any(_PERMALINK_HREF.search(a.get("href") or "") for a in el.iter("a"))
    if tag in _ACTION_TAGS or (tag in ("p", "div") and len(el) <= 1):
        txt = _short_text(el, 40)
        if txt and _ACTION_TEXT.match(txt):
            return True
    return False


_DATE_LINE = re.compile(
    r"""^(?:(?:le|am|on|el|il|den|du|posted|publié|geschrieben)\s+)?(?:[a-zà-ÿ]{2,10}\.?,?\s+)?
        (?:\d{1,2}\.?\s*[./-]?\s*(?:\d{1,2}|[a-zà-ÿ]{3,10}\.?)\s*[./-]?\s*\d{2,4}|\d{4}-\d{2}-\d{2}|
           [a-zà-ÿ]{3,10}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})
        (?:\s*(?:[,@|–-]|um|at|à|a\s+las|alle|kl\.)?\s*\d{1,2}\s*[:h.]\s*\d{2}(?:\s*(?:uhr|h|min|am|pm))?)?$
      |^\d{1,2}\s*[:h]\s*\d{2}(?:\s*(?:uhr|am|pm|min))?$
      |^(?:il\s+y\s+a|vor|hace|fa)\s+\d+\s+\w+(?:\s+ago)?$|^\d+\s+\w+\s+(?:ago|fa)$""",
    re.X | re.I,
)
_LEADING_DATE = re.compile(
    r"""^((?:\d+\s+(?:years?|months?|weeks?|days?|hours?|minutes?|jahre?n?|monate?n?|wochen?|tage?n?|stunden?|
             minuten?|ans?|mois|semaines?|jours?|heures?)(?:\s+ago|\s+her)?|
          (?:il\s+y\s+a|vor|hace)\s+\d+\s+\w+|[a-zà-ÿ]{3,10}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}\.?\s*(?:\d{1,2}\.|[a-zà-ÿ]{3,10}\.?)\s*\d{4}|
          \d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2})
         (?:,?\s*(?:um|at|à|@|-)?\s*\d{1,2}[:h]\d{2}(?:\s*(?:uhr|am|pm|h))?)?)\s+(?=\S)""",
    re.X | re.I,
)
_DATA_DATE_ATTRS = ("data-timestamp", "data-comment-timestamp", "data-time", "data-utime", "data-datetime")
_PERMALINK_HREF = re.compile(r"#(?:comment|c|cmt|reply|post|forum)[-_]?\d+$|/comment/\d+(?:#|$)", re.I)
_RDFA_DATE = re.compile(r"(?:^|[:\s])(?:datecreated|datepublished|commenttime|created|date)$", re.I)
_RDFA_AUTHOR = re.compile(r"(?:^|[:\s])(?:author|creator)$", re.I)


def _RAW_TEXT(el) -> str:
    """ "".join(el.itertext()): the text of the element and its descendants, not its tail."""
    return etree.tostring(el, method="text", encoding=str, with_tail=False)


def _short_text(el, limit: int = 60) -> str | None:
    """The element's text if it is short (cheap: stops early on long subtrees)."""
    cap = limit * 3
    memo = _memo.short
    got = memo.get(el) if memo is not None else None
    if got is None or (got[0] > got[2] and cap > got[2]):
        # not read yet, or read up to a smaller cap than this one and found longer than that
        got = _read_short(el, cap)
        if memo is not None:
            memo[el] = got
    total, text, _ = got
    if total > cap:
        return None
    return text if len(text) <= limit else None


def _read_short(el, cap: int) -> tuple[int, str, int]:
    """(raw length, normalized text, cap) of an element's text; the length read so far (past `cap`)
    and no text when it is longer than `cap`."""
    n = len(el)
    if not n:
        raw = el.text or ""
        total = len(raw)
        return (total, normalize_space(raw) if total <= cap else "", cap)
    if n <= 3:
        for child in el:
            if len(child):
                break
        else:
            # a few leaves: one serialization is cheaper than the text iterator (and stays small)
            raw = _RAW_TEXT(el)
            total = len(raw)
            return (total, normalize_space(raw) if total <= cap else "", cap)
    # a bigger subtree: its text pieces a few at a time, up to the cap
    pieces = el.itertext()
    total = 0
    parts: list[str] = []
    while True:
        chunk = list(islice(pieces, 12))
        if not chunk:
            return (total, normalize_space("".join(parts)), cap)
        total += sum(map(len, chunk))
        if total > cap:
            return (total, "", cap)
        parts += chunk


# Words any class of an author, date, text or header part contains (a cheap first test).
_PART_HINT = re.compile(
    r"fn|name|nick|pseudo|poster|user|comment|author|autor|auteur|verfasser|by|date|time|datum|fecha|zeit|"
    r"publish|stamp|posted|when|ago|heure|meta|text|content|message|body|entry|inhalt|testo|contenido|msg|"
    r"info|head|detail|vcard|footer|chapo|title|attribution|url|cite|forum|reaction|post|says|reply|vote|"
    r"like|share|avatar|hidden|sr-only|screen-reader|action|tool|edit|link|badge|flag|report|signal"
)


@dataclass(slots=True)
class _Parts:
    semantic: list = field(default_factory=list)  # itemprop=text / property=schema:text
    texts: list = field(default_factory=list)  # strong text elements
    weak: list = field(default_factory=list)  # generic text/content/message elements
    authors: list = field(default_factory=list)  # (priority, element)
    dates: list = field(default_factory=list)  # (priority, element)
    metas: list = field(default_factory=list)  # header/meta/info blocks


@dataclass(slots=True, frozen=True)
class _ClassInfo:
    """What the tests of ``_find_parts`` read from a class attribute, computed once per class string."""

    author_name: bool  # a token names the author's name (not an avatar, a link, a date ...)
    author: bool  # a token names the author
    url: bool  # "url" is a token
    date: bool
    strong: bool  # a token names a comment's text
    weak: bool  # a generic text/content token, and no meta or noise token
    meta: bool


def _class_info(cls_attr: str) -> _ClassInfo:
    info = _CLASS_INFO.get(cls_attr)
    if info is None:
        cls_lower = cls_attr.lower()
        cls = cls_lower.split()
        meta = _matches(cls, _META_TOKEN)
        info = _ClassInfo(
            author_name=any(_AUTHOR_NAME_TOKEN.search(t) and not _NOT_AUTHOR_TOKEN.search(t) for t in cls),
            author=any(_AUTHOR_TOKEN.search(t) and not _NOT_AUTHOR_TOKEN.search(t) for t in cls),
            url="url" in cls,
            date=_matches(cls, _DATE_TOKEN),
            strong=_matches(cls, _TEXT_STRONG),
            weak=_matches(cls, _TEXT_WEAK) and not meta and not _matches(cls, _NOISE_TOKEN),
            meta=meta,
        )
        _CLASS_INFO[cls_attr] = info
    return info


_NO_CLASS = _class_info("")
_SHORT_DATE_SKIP = frozenset(("p", "blockquote", "li", "ul", "ol"))
_SHORT_DATE_SKIP_IMG = _SHORT_DATE_SKIP | {"img"}
_NOT_TEXT_PART_TAGS = frozenset(
    ("a", "span", "img", "time", "abbr", "cite", "b", "strong", "small", "i", "em")
)
_META_TAGS = frozenset(("header", "footer", "h1", "h2", "h3", "h4", "h5", "h6"))
_DIGIT = re.compile(r"\d")
_NO_ATTR_NO_SHORT = _SHORT_DATE_SKIP  # an <a> without href, an <abbr> without title: read too
_DATA_DATE_SET = frozenset(_DATA_DATE_ATTRS)


def _is_date_line(el) -> bool:
    """An element of at most two children whose short text is a date line ("le 3 mai 2024 à 10:05")."""
    n = len(el)
    if n > 2:
        return False
    if not n:
        text = el.text
        if not text or not _DIGIT.search(text):  # every form of _DATE_LINE has a digit
            return False
    short = _short_text(el, 50)
    return bool(short) and _DIGIT.search(short) is not None and _DATE_LINE.match(short) is not None


def _find_parts(item, nested: set) -> _Parts:
    """Author, date and text elements of one item (not looking into nested comments)."""
    parts = _Parts()
    if nested:
        elements = _iter_inside(item, nested.__contains__)
    else:
        elements = item.iter(etree.Element)
        next(elements)  # item itself
    class_cache = _CLASS_INFO
    hint_cache = _PART_HINT_CLASS
    for el in elements:
        tag = el.tag.lower()
        keys = el.keys()
        if not keys:
            # no attributes: what the branches below make of an element without class, id, href ...
            if tag == "time":
                parts.dates.append((1, el))
            elif tag == "cite":
                parts.authors.append((4, el))
            elif tag in _META_TAGS:
                parts.metas.append(el)
            elif tag not in _NO_ATTR_NO_SHORT and _is_date_line(el):
                parts.dates.append((5, el))
            continue
        get = el.get
        itemprop = get("itemprop") if "itemprop" in keys else None
        if itemprop:
            itemprop = itemprop.lower()
            if itemprop in ("text", "commenttext", "reviewbody", "articlebody"):
                parts.semantic.append(el)
                continue
            if itemprop in ("author", "creator"):
                parts.authors.append((0, el))
            elif itemprop in ("datecreated", "datepublished", "commenttime", "uploaddate"):
                parts.dates.append((0, el))
        elif "property" in keys:
            prop = get("property")
            if prop:
                prop = prop.lower()
                if _RDFA_DATE.search(prop):
                    parts.dates.append((0, el))
                elif _RDFA_AUTHOR.search(prop):
                    parts.authors.append((0, el))
                elif prop.endswith(("text", "content", "comment_body")):
                    parts.semantic.append(el)
                    continue
        if tag == "time":
            parts.dates.append((1, el))
            continue
        cls_attr = get("class") if "class" in keys else None
        ident = get("id") if "id" in keys else None
        if cls_attr is None and ident is None:
            if tag == "cite":
                parts.authors.append((4, el))
            elif tag == "a" and _PROFILE_HREF.search(get("href") or ""):
                parts.authors.append((6, el))
            elif tag == "a" and _PERMALINK_HREF.search(get("href") or ""):
                short = _short_text(el, 40)
                if short and _DIGIT.search(short):
                    parts.dates.append((4, el))
            elif tag == "abbr" and get("title"):
                parts.dates.append((2, el))
            elif tag in _META_TAGS:
                parts.metas.append(el)
            elif tag not in _SHORT_DATE_SKIP and _is_date_line(el):
                parts.dates.append((5, el))
            continue
        if cls_attr:
            hinted = hint_cache.get(cls_attr)
            if hinted is None:
                hinted = hint_cache[cls_attr] = _PART_HINT.search(cls_attr.lower().lower()) is not None
        else:
            hinted = False
        if not hinted and not (ident and _PART_HINT.search(ident.lower())):
            # class names that say nothing (hashed, layout): only links and date-like lines matter
            if tag == "a" and _PROFILE_HREF.search(get("href") or ""):
                parts.authors.append((6, el))
            elif tag == "a" and _PERMALINK_HREF.search(get("href") or ""):
                short = _short_text(el, 40)
                if short and _DIGIT.search(short):
                    parts.dates.append((4, el))
            elif not _DATA_DATE_SET.isdisjoint(keys) and any(get(a) for a in _DATA_DATE_ATTRS):
                parts.dates.append((2, el))
            elif tag not in _SHORT_DATE_SKIP_IMG and _is_date_line(el):
                parts.dates.append((5, el))
            continue
        info = (class_cache.get(cls_attr) or _class_info(cls_attr)) if cls_attr else _NO_CLASS
        if info.author_name:
            parts.authors.append((1, el))
        elif tag == "a" and info.url and "external" in (get("rel") or ""):
            parts.authors.append((3, el))
        elif info.author:
            parts.authors.append((2, el))
        elif tag == "cite":
            parts.authors.append((4, el))
        elif tag == "a" and _PROFILE_HREF.search(get("href") or ""):
            parts.authors.append((6, el))
        if tag == "a" and _PERMALINK_HREF.search(get("href") or ""):
            short = _short_text(el, 40)
            if short and _DIGIT.search(short):
                parts.dates.append((4, el))  # WordPress: the date links to the comment
        if not _DATA_DATE_SET.isdisjoint(keys) and any(get(a) for a in _DATA_DATE_ATTRS):
            parts.dates.append((2, el))
        elif info.date and tag != "img":
            parts.dates.append((3, el))
        elif tag not in _SHORT_DATE_SKIP_IMG and _is_date_line(el):
            parts.dates.append((5, el))  # "le 3 mai 2024 à 10:05" in a block named anything
        if tag not in _NOT_TEXT_PART_TAGS:
            if info.strong or (ident and _TEXT_STRONG.search(ident.strip().lower())):
                parts.texts.append(el)
            elif info.weak:
                parts.weak.append(el)
        if info.meta or tag in _META_TAGS:
            parts.metas.append(el)
    return parts


def _outermost(els: list) -> list:
    s = set(els)
    return [e for e in els if _nearest(e, s) is None]


def _contains(a, b) -> bool:
    """True if element b is a or inside a."""
    while b is not None:
        if b is a:
            return True
        b = b.getparent()
    return False


def _clean_author(text: str) -> str | None:
    t = normalize_space(text)
    if not t:
        return None
    t = _BY_PREFIX.sub("", _NOT_VERIFIED.sub("", t))
    t = _AUTHOR_SEPARATOR.split(t)[0]
    # "Name dit :", "Name says:", "Name, le 12 mars", "Name am 12.3.2010"
    t = _SAYS.sub("", t)
    t = _AUTHOR_DATE_TAIL.split(t, maxsplit=1)[0]
    t = _SAYS.sub("", t)
    t = t.strip(" :,-–—|•·")
    if not t or len(t) > 80 or _ACTION_TEXT.match(t) or not _WORD_CHAR.search(t):
        return None
    return t


_NOT_VERIFIED = re.compile(
    r"\s*\((?:not verified|non vérifiée?|nicht (?:überprüft|verifiziert)|no verificad[oa]|non verificat[oa]"
    r"|não verificad[oa]|niet (?:geverifieerd|gecontroleerd))\)$",
    re.I,
)
"""What Drupal writes after the name an anonymous reader gave, in its languages: not part of the name."""
_AUTHOR_SEPARATOR = re.compile(r"\s+[—–|•·]\s+|\s+-\s+|\s+@\s+")
_AUTHOR_DATE_TAIL = re.compile(
    r",\s*(?:le|am|on|el|il|the)?\s*\d|\s+(?:le|am|on|el|il)\s+\d|\s+\d{1,2}[./]\d{1,2}[./]\d{2,4}|"
    r"\s+\d{1,2}\.?\s+(?:jan|fév|feb|mar|avr|apr|mai|may|jun|jui|jul|aoû|aug|sep|oct|nov|déc|dec|d[ie]c|"
    r"janv|märz|mär|juin|juil)",
    re.I,
)
_WORD_CHAR = re.compile(r"\w")


class _Header:
    """A comment's header text, read when first asked for (often the author and date elements say
    all and it never is)."""

    __slots__ = ("_read", "_text", "suffix")

    def __init__(self, read=None, text: str | None = None) -> None:
        self._read = read
        self._text = text
        self.suffix = ""  # a date found in front of the text, added to the header

    def get(self) -> str:
        if self._text is None:
            self._text = self._read()
        return f"{self._text} {self.suffix}".strip() if self.suffix else self._text


_NAME_SAYS = re.compile(
    r"^(.{1,60}?)\s+(?:dit|a dit|a écrit|says|said|wrote|writes|sagt|schrieb|schreibt|meint|escribió|"
    r"dice|ha scritto|scrive)\s*:",
    re.I,
)


def _author_of(authors: list, header: _Header) -> str | None:
    for _, el in sorted(authors, key=lambda p: p[0]):
        if (el.get("itemprop") or el.get("property") or "").lower().split(":")[-1] in ("author", "creator"):
            names = _NAME_PROPS(el)
            src = names[0] if names else el
            value = src.get("content") or _collect_text(src, _is_author_noise)
        else:
            inner_fn = _FN_CLASS(el)
            value = _collect_text(inner_fn[0] if inner_fn else el, _is_author_noise)
        name = _clean_author(value)
        if name:
            return name
    header_text = header.get()
    if header_text:
        m = _BY_IN_HEADER.search(header_text)
        if m:
            name = _clean_author(m.group(1))
            if name:
                return name
        m = _NAME_SAYS.match(header_text)
        if m:
            return _clean_author(m.group(1))
    return None


_ROLE_WORDS = frozenset(
    """autor autorin author auteur auteure autrice admin administrator administrateur moderator modérateur
    modératrice redaktion rédaction redacción redazione editor staff verfasser verfasserin""".split()
) | {"post author", "article author"}
_AUTHOR_NOISE_TOKEN = re.compile(
    r"says|avatar|screen-reader|sr-only|badge|date|time|role|label|rank|flair|karma"
)


def _is_author_noise(el) -> bool:
    tag = _tag(el)
    if tag in ("img", "svg", "time", "button"):
        return True
    cls = el.get("class")
    if cls and _AUTHOR_NOISE_TOKEN.search(cls.lower()):
        return True
    if tag in ("span", "small", "em", "i", "b", "strong", "sup") and len(el) == 0:
        text = normalize_space(el.text).lower().strip("()[] ")
        if text in _ROLE_WORDS:
            return True
    return False


def _date_of(dates: list, header: _Header, ctx: _Ctx) -> tuple[str | None, str | None, str]:
    """(published_at, published_raw, the text the date was found in) of one comment: a machine-readable
    attribute first, else the visible date; published_raw is always the text as shown."""
    best_raw, best_context = None, ""
    ordered = sorted(dates, key=lambda p: p[0])
    early = [el for prio, el in ordered if prio < 6]
    late = [el for prio, el in ordered if prio >= 6]
    for el in early:
        dt, raw, context = _date_from_element(el, ctx)
        if dt is not None:
            if raw is None:
                header_text = header.get()
                if header_text:
                    raw = _parse_text_date(header_text, ctx)[1]
                    context = header_text
            return _iso(dt), raw, context
        if best_raw is None and raw:
            best_raw, best_context = raw, context
    header_text = header.get()
    if header_text:
        dt, matched = _parse_text_date(header_text, ctx)
        if dt is not None:
            return _iso(dt), matched, header_text
    for el in late:
        dt, raw, context = _date_from_element(el, ctx)
        if dt is not None:
            return _iso(dt), raw, context
        if best_raw is None and raw:
            best_raw, best_context = raw, context
    return None, best_raw, best_context


_UTC_MARK = re.compile(r"(?:Z|[+-]00:?00)$")


def _date_from_element(el, ctx: _Ctx) -> tuple[datetime | None, str | None, str]:
    """(datetime, the date as shown, the element's text); the date as shown starts with the label
    right before the element ('Publié le <time>3 mai 2024</time>')."""
    dt, raw, visible = _read_date_element(el, ctx)
    if raw and visible.startswith(raw):
        lead_in = _lead_in_before(el)
        if lead_in:
            raw = f"{lead_in} {raw}"
    return dt, raw, visible


def _lead_in_before(el) -> str | None:
    """The label or word introducing a date ('Publié le', 'Posted', 'le') in the text right before
    `el`, whose own text starts with the date; None if that text is no such label."""
    for _ in range(3):
        prev = el.getprevious()
        if prev is not None:
            before = prev.tail
            break
        parent = el.getparent()
        if parent is None:
            return None
        if parent.text and parent.text.strip():
            before = parent.text
            break
        el = parent  # nothing before el in its parent: the text before the parent is right before it
    else:
        return None
    before = normalize_space(before or "")[-40:]
    m = _LEAD_IN_BEFORE.search(f"{before} ") if before else None
    return m.group(0).strip() if m else None


def _read_date_element(el, ctx: _Ctx) -> tuple[datetime | None, str | None, str]:
    attr = None
    for name in ("datetime", "content", *_DATA_DATE_ATTRS, "data-date", "title"):
        value = el.get(name)
        if value and _DIGIT.search(value):
            attr = value
            break
    visible = _collect_text(el, lambda e: _tag(e) in ("img", "svg"))
    dt = _parse_attr_date(attr, ctx.tz) if attr else None
    if dt is None and attr and attr != visible:
        dt = _parse_text_date(attr, ctx)[0]
    if dt is not None:
        if not visible:
            return dt, None, visible
        # the visible date is read only when needed: to check a "+00:00", or as the raw date when the
        # text is more than a date line
        utc_marked = bool(attr and _UTC_MARK.search(attr.strip()) and dt.utcoffset() != timedelta(0))
        date_line = len(visible) <= 60 and _DATE_LINE.match(visible) is not None
        shown = matched = None
        if utc_marked and date_line and not _may_show_utc_clock(visible, dt.astimezone(UTC)):
            return dt, visible, visible
        if utc_marked:
            shown, matched = _parse_text_date(visible, ctx)
            if shown is not None and shown.replace(tzinfo=None, second=0) == dt.astimezone(UTC).replace(
                tzinfo=None, second=0
            ):
                # "+00:00" on what is the page's local time (the visible clock says so): trust the page's zone
                dt = shown.replace(second=dt.second)
        if date_line:
            return dt, visible, visible
        if not utc_marked:
            matched = _parse_text_date(visible, ctx)[1]
        return dt, matched or (visible if len(visible) <= 60 else None), visible
    if visible:
        dt, matched = _parse_text_date(visible, ctx)
        if dt is not None:
            return dt, matched, visible
        if _DIGIT.search(visible) and len(visible) <= 60:
            return None, visible, visible
    return None, None, visible


def _may_show_utc_clock(visible: str, utc: datetime) -> bool:
    """False when the date line `visible` cannot read as the UTC clock `utc` (so the "+00:00" check
    need not parse it): it names the year, so it is not relative, and no number in it is that hour
    (24- or 12-hour). Midnight and noon stay undecided ("minuit", "noon", a date without a time)."""
    if utc.hour in (0, 12):
        return True
    numbers = {int(n) for n in _DIGITS.findall(visible)}
    return utc.year not in numbers or utc.hour in numbers or utc.hour - 12 in numbers


def _id_of(item, nested: set) -> str | None:
    ident = (item.get("id") or "").lower()
    if ident:
        m = _ITEM_ID.match(ident)
        if m:
            return next(g for g in m.groups() if g is not None)
        if re.search(r"comm|forum|post|reply|kommentar|reaction|^c\d", ident):
            d = _digits(ident)
            if d:
                return d
    for name in (
        "data-comment-id",
        "data-commentid",
        "data-comment",
        "data-message-id",
        "data-id",
        "data-post-id",
        "data-cid",
    ):
        value = item.get(name)
        if value and re.fullmatch(r"[\w-]{1,40}", value.strip()):
            return _digits(value) or value.strip()
    for el in _iter_inside(item, nested.__contains__):
        for attr in ("id", "name"):
            value = (el.get(attr) or "").lower()
            if value:
                m = _BODY_ID.match(value) or _ANCHOR_ID.match(value) or _ITEM_ID.match(value)
                if m and (_tag(el) == "a" or _BODY_ID.match(value) or attr == "id"):
                    return next((g for g in m.groups() if g is not None), None)
        value = el.get("data-comment-id") or el.get("data-commentid")
        if value:
            return _digits(value) or value.strip()
    # Drupal 7: <a id="comment-12"></a> right before the comment
    prev = item.getprevious()
    while prev is not None and _tag(prev) == "a" and not normalize_space("".join(prev.itertext())):
        m = _ANCHOR_ID.match((prev.get("id") or prev.get("name") or "").lower())
        if m:
            return m.group(1)
        prev = prev.getprevious()
    # the item's own numbered id in the site's words ('avis-901', 'reaction_12', 'msg12'), when nothing
    # above names the comment
    m = _WORD_NUMBER_ID.match(ident) if ident else None
    return m.group(1) if m else None


def _build_comment(item, nested: set, ctx: _Ctx) -> Comment | None:
    parts = _find_parts(item, nested)
    authors, dates = parts.authors, parts.dates
    author_els = [el for _, el in authors]
    date_els = [el for _, el in dates]
    skip_in_text = _skip_in_text(nested)

    def usable(el) -> bool:
        return not any(_contains(el, a) for a in author_els) and not any(_contains(el, d) for d in date_els)

    # the comment's text element(s): declared ones (itemprop/property text), strong names, then generic
    # ones, never one holding the meta
    texts = [t for t in _outermost(parts.semantic) if usable(t)]
    if not texts:
        texts = [t for t in _outermost(parts.texts) if usable(t)]
    if not texts:
        texts = _outermost([t for t in parts.texts if usable(t)])
    read: dict = {}  # text element -> its text, read once
    if not texts:
        for t in _outermost([t for t in parts.weak if usable(t)]):
            read[t] = _collect_text(t, skip_in_text)
        texts = [t for t in read if read[t]]
    if texts:
        # an author or date inside the comment's text is quoted matter, not this comment's
        authors = [(p, el) for p, el in authors if not any(_contains(t, el) for t in texts)]
        dates = [(p, el) for p, el in dates if not any(_contains(t, el) for t in texts)]
        text = " ".join(
            filter(None, (read[t] if t in read else _collect_text(t, skip_in_text) for t in texts))
        )
        text_set = set(texts)
        header = _Header(lambda: _collect_text(item, lambda e: e in text_set or e in nested or _is_noise(e)))
    else:
        # everything but the author, the date, the header blocks, actions and replies
        meta = set(author_els) | set(date_els)
        meta.update(m for m in parts.metas if not _holds_prose(m))

        def body_skip(e):
            return e in meta or e in nested or _is_noise(e)

        text = _collect_text(item, body_skip)
        # in page order (a set's order changes from run to run)
        header_text = " ".join(
            _collect_text(m, lambda e: e in nested or _is_noise(e))
            for m in _in_page_order(_outermost(list(meta)), item)
        )
        text, header_text = _split_header(text, header_text)
        header = _Header(text=header_text)
    text = _clean_text(text)
    m = _LEADING_DATE.match(text)
    if m and len(text) > len(m.group(0)) + 1:
        # a date written as bare text before the comment ("März 7, 2018 Liebe Claudia, ...")
        header.suffix = m.group(1)
        text = text[m.end() :].strip()
    author = _author_of(authors, header)
    if text.rstrip(": ").lower() in ("pingback", "trackback"):
        # Pingbacks and trackbacks (another page linking to this one) stay in the list, though no
        # reader wrote them: the contract counts them among the comments (the corpus answers quote a
        # pingback's excerpt as a page's comment) and so does the count the page declares (WordPress's
        # "5 Kommentare" over 3 comments and 2 pingbacks), which is our comment_count.
        # WordPress shows a pingback as "Pingback: <linking post>": the link is its author and its text
        text = _clean_text(_collect_text(item, lambda e: e in nested or _is_noise(e)))
        if author is None and authors:
            author = normalize_space(_collect_text(sorted(authors, key=lambda p: p[0])[0][1]))[:200] or None
    if not text:
        return None
    published_at, raw, context = _date_of(dates, header, ctx)
    if author is None and raw:
        author = _author_before_date(context, raw) or _author_before_date(header.get(), raw)
    return Comment(
        text=text,
        id=_id_of(item, nested),
        author=author,
        published_at=published_at,
        published_raw=raw,
    )


def _in_page_order(els: list, top) -> list:
    """`els`, elements inside `top`, sorted in page order."""
    if len(els) < 2:
        return els
    wanted = set(els)
    out = []
    for el in top.iter():
        if el in wanted:
            out.append(el)
            if len(out) == len(wanted):
                break
    return out


def _holds_prose(el) -> bool:
    """True if a meta-looking block holds paragraphs (a theme that wraps the whole comment in .comment-info)."""
    return any(
        len(normalize_space("".join(p.itertext()))) > 40 for p in el.iterdescendants("p", "blockquote")
    )


_WEEKDAYS = frozenset(
    """mon tue tues wed thu thur thurs fri sat sun monday tuesday wednesday thursday friday saturday sunday
    lun mar mer jeu ven sam dim lundi mardi mercredi jeudi vendredi samedi dimanche mo di mi do fr sa so
    montag dienstag mittwoch donnerstag freitag samstag sonntag lunes martes miércoles jueves viernes sábado
    domingo lunedì martedì mercoledì giovedì venerdì sabato domenica""".split()
)


_LONE_NUMBER = re.compile(r"(?<!\w)\d{3,}(?!\w)")


def _author_before_date(header: str, raw: str) -> str | None:
    """'Heidemarie Heim | Di, 21. April 2020 - 16:40' -> 'Heidemarie Heim'."""
    i = header.find(raw)
    if i <= 0:
        return None
    before = header[:i].strip(" |,–—-:·•")
    before = re.sub(r"\s+(?:am|le|on|el|il|um|at)$", "", before, flags=re.I)
    words = before.split()
    if words and words[-1].strip(".,").lower() in _WEEKDAYS:
        before = " ".join(words[:-1]).strip(" |,–—-:·•")
    # a number standing alone ("#123", "Message 1234") is no name; digits in a pseudonym ("Lecteur100") are
    if not before or len(before.split()) > 5 or _LONE_NUMBER.search(before):
        return None
    return _clean_author(before)


def _skip_in_text(nested: set):
    def skip(e):
        return e in nested or _is_noise(e)

    return skip


def _split_header(text: str, header: str) -> tuple[str, str]:
    """Without recognisable parts, a leading "#1 von X 12.3.2010" line is the header."""
    m = re.match(r"^(#\s*\d+\s+(?:\w+\s+)?(?:von|by|de|par)\s+\S+(?:\s+\S+)?)\s+(.*)$", text)
    if m and not header:
        return m.group(2), m.group(1)
    return text, header


_SAYS_PREFIX = re.compile(r"^(?:dit|says|sagt|schrieb)\s*:\s*", re.I)
_EMPTY_BRACKETS = re.compile(r"[\[(]\s*[|/]?\s*[\])]")


def _clean_text(text: str) -> str:
    text = _SAYS_PREFIX.sub("", text)
    text = _EMPTY_BRACKETS.sub(" ", text)  # brackets left around removed links: "[ ]"
    text = normalize_space(text)
    return text.strip(" |•·").strip() if text[:1] in "|•·" or text[-1:] in "|•·" else text


# --------------------------------------------------------------------------------------------------
# Threading


_REPLIES_TOKEN = re.compile(
    r"indented|children|child|replies|reply|repl|answers|antworten|reponses|sub|thread|nested|level"
)


def _parent_of(item, items: set, area):
    """The comment `item` answers: an item around it, or the item right before the replies list that
    holds it (Drupal .indented, SPIP nested ul)."""
    node = item
    for anc in _ancestors(item):
        if anc in items:
            return anc
        if anc is area or _tag(anc) in ("body", "html"):
            return None
        if _tag(anc) in ("ul", "ol", "div", "section") and (
            _tag(anc) in ("ul", "ol") or _matches(_tokens(anc), _REPLIES_TOKEN)
        ):
            prev = anc.getprevious()
            while prev is not None and (not isinstance(prev.tag, str) or _tag(prev) in ("a", "script", "br")):
                prev = prev.getprevious()
            if prev is not None and prev in items and node is not None:
                return prev
        node = anc
    return None


# --------------------------------------------------------------------------------------------------
# Area, title, count


def _lca(elements: list):
    if not elements:
        return None
    path = [elements[0], *_ancestors(elements[0])]
    pos = {id(e): i for i, e in enumerate(path)}
    best = 0
    for el in elements[1:]:
        node = el
        while node is not None and id(node) not in pos:
            node = node.getparent()
        if node is None:
            return None
        best = max(best, pos[id(node)])
    return path[best]


def _nonblank(t: str) -> int:
    return len(t) - t.count(" ") - t.count("\n") - t.count("\t")


def _text_len(el, skip=None, cap: int | None = None) -> int:
    """Number of non-blank characters of the visible text; with `cap`, counting stops past it."""
    tag = el.tag
    if not isinstance(tag, str) or tag.lower() in SKIP_TAGS:
        return 0
    text = el.text
    total = _nonblank(text) if text else 0
    if (cap is not None and total > cap) or not len(el):
        return total
    walker = etree.iterwalk(el, events=("start", "comment", "pi"))
    next(walker)  # el itself
    for event, node in walker:
        tail = node.tail
        if tail:
            total += len(tail) - tail.count(" ") - tail.count("\n") - tail.count("\t")
        if event != "start":
            continue
        if node.tag.lower() in SKIP_TAGS or (skip is not None and skip(node)):
            walker.skip_subtree()
            continue
        text = node.text
        if text:
            total += len(text) - text.count(" ") - text.count("\n") - text.count("\t")
            if cap is not None and total > cap:
                return total
    return total


_OPENING_MARK = re.compile(
    r"^(?:original poster|op|thread starter|threadstarter|discussion starter|topic starter|topic author|"
    r"themenstarter|themenersteller|auteur du sujet|initiateur de la discussion|autor del tema|"
    r"autore della discussione)$",
    re.I,
)
_OPENING_CLASS = re.compile(
    r"threadstarter|topic-?owner|first-?post|original-?post|op-?post|is-?op\b|opening-?post"
)


def _is_opening_post(el, others: set) -> bool:
    """True for the first post of a forum thread: marked as the thread starter's ("Original poster",
    "Discussion starter", ``.threadStarterPost``, ``.topic-owner-post``)."""
    cls = (el.get("class") or "").lower()
    if cls and _OPENING_CLASS.search(cls):
        return True
    for node in _iter_inside(el, others.__contains__):
        if len(node) > 2 or _tag(node) in ("p", "blockquote"):
            continue
        text = _short_text(node, 30)
        if text and _OPENING_MARK.match(text):
            return True
    return False


def _find_areas(items: list, scan: _Scan, exclude=None) -> list:
    """The elements holding the comment lists with their title, pagination and form: usually one
    (``#comments``); never an element with more than a few lines of other text (the article)."""
    item_set = set(items)
    forms = set(scan.forms)
    area_set = set(scan.areas)

    def skip(e) -> bool:
        return e in item_set or e in forms or _tag(e) in ("form", "nav") or _is_noise(e)

    def outside(el) -> int:
        """Non-comment text of `el`; a paragraph of prose counts as too much by itself."""
        total = _text_len(el, skip, cap=_AREA_SLACK)
        if total > _AREA_SLACK or total < _PROSE:
            return total
        for node in _iter_inside(el, skip):
            if (
                _tag(node) in _PROSE_TAGS
                and _own_text_len(node) >= _PROSE
                and not _matches(_tokens(node), _NOTICE_TOKEN)
            ):
                return _AREA_SLACK + 1
        return total

    top = [el for el in items if _nearest(el, item_set) is None]
    parents: list = []
    for el in top:
        p = el.getparent()
        if p is not None and p not in parents:
            parents.append(p)
    lca = _lca(parents) if parents else None

    def too_big(el) -> bool:
        return (
            _tag(el) in ("body", "html")
            or (exclude is not None and _contains(el, exclude))
            or outside(el) > _AREA_SLACK
        )

    starts = [lca] if lca is not None and not too_big(lca) else parents
    areas: list = []
    for node in starts:
        if too_big(node):
            areas.extend(el for el in top if el.getparent() is node)  # items mixed with other content
            continue
        best = node
        for anc in _ancestors(node):
            if _tag(anc) in ("body", "html", "main", "article"):
                break
            if anc in area_set:
                if too_big(anc):
                    break
                best = anc
        areas.append(best)
    return _outermost(list(dict.fromkeys(areas)))


_AREA_SLACK = 500  # characters of non-comment text an area may hold (title, "log in to reply", notes)
_PROSE = 120  # a block of this much text (non-blank characters) outside the comments is the article (or a forum's first post)
_PROSE_TAGS = frozenset("p blockquote div td dd section article".split())


def _own_text_len(el) -> int:
    """Non-blank characters of the text that belongs to `el` itself (not to its block children)."""

    def count(t):
        return len(t) - t.count(" ") - t.count("\n") - t.count("\t") if t else 0

    total = count(el.text)
    for child in el:
        tag = _tag(child)
        if tag and tag not in BLOCK_TAGS and tag not in SKIP_TAGS:
            total += _text_len(child)
        total += count(child.tail)
    return total


_NOTICE_TOKEN = re.compile(r"note|notice|policy|rules|guideline|disclaimer|moderat|info|hint|legal|terms")


_COUNT_MAX = 300  # _parse_count reads no longer text


def _count_text(el) -> str:
    """``_collect_text(el)`` when it is short enough for ``_parse_count``, else "" (which it reads as
    None too): a big block before the comment area (the article) is not read through."""
    parts = _text_parts(el, limit=_COUNT_MAX)
    return normalize_space("".join(parts)) if parts else ""


# A word every match of _NOUN holds (so _ZERO, _COUNT_LEAD and _COUNT_TAIL need one of these). Searched
# in lowercased text: ten times faster than re.I on a comment's text, where it mostly finds nothing.
_NOUN_HINT = re.compile(
    r"kommentar|comment|avis|réponse|reponse|réaction|reaction|réflexion|reflexion|message|contribution|"
    r"response|replies|reply|thought|opinion|antwort|gedanke|meinung|beiträge|beitrag|reaktion|comentario|"
    r"respuesta|risposte|risposta|pensieri|reactie"
)


def _parse_count(text: str) -> int | None:
    t = normalize_space(text)
    if not t or len(t) > _COUNT_MAX or not _NOUN_HINT.search(t.lower()):
        return None
    if _ZERO.match(t):
        return 0
    m = _COUNT_LEAD.match(t)
    if m:
        n = m.group("n").lower()
        if n.isdigit() or re.fullmatch(r"[\d.,\s\u00a0\u202f]+", n):
            return int(re.sub(r"\D", "", n))
        if n in _WORD_NUMBERS:
            return _WORD_NUMBERS[n]
        return None
    m = _COUNT_TAIL.match(t)
    if m:
        return int(m.group("n"))
    return None


def _same_page(href: str | None, url: str) -> bool:
    if not href:
        return False
    if href.startswith("#"):
        return True
    try:
        a, b = urlsplit(urljoin(url, href)), urlsplit(url)
    except ValueError:
        return False
    return _same_host(a.netloc, b.netloc) and _page_path(a.path) == _page_path(b.path)


def _same_host(netloc: str, other: str) -> bool:
    """One site's host, with ``www.`` or without: a site answering on both writes its links for one
    (``<base href>``, absolute links), whichever the page was read at."""
    return netloc.lower().removeprefix("www.") == other.lower().removeprefix("www.")


def _page_path(path: str) -> str:
    path = re.sub(r"/comment-page-\d+/?$", "/", path)
    return path.rstrip("/")


def _link_target_ok(el, url: str) -> bool:
    """True if `el` is not inside a link to another page."""
    for a in [el, *_ancestors(el)]:
        if _tag(a) == "a" and a.get("href"):
            return _same_page(a.get("href"), url)
        if _tag(a) in ("body", "article", "section", "main"):
            break
    return True


_SIDEBAR = re.compile(
    r"^(?!tag-|category-|cat-|topic-|marke-|post-|postid-)(?:.*[-_])?"
    r"(?:sidebar|widget|related|teaser|recent|popular|most|trending|latest|footer)(?:s?$|[-_])"
)


_LISTING_TOKEN = re.compile(r"recent|latest|popular|widget_")


def _in_sidebar(el) -> bool:
    """True inside a sidebar, navigation or widget (a "recent comments" list is not this page's)."""
    parent = el.getparent()
    return _sidebar_below(parent) if parent is not None else False


def _sidebar_verdict(a) -> bool | None:
    """What ancestor `a` says of the elements inside it: True (a sidebar), False (body, main: none
    above counts) or None (ask its parent)."""
    tag = _tag(a)
    if tag in ("body", "main"):
        return False
    tokens = _tokens(a)
    if tag == "nav" or (tag == "aside" and not _matches(tokens, _AREA_TOKEN)):
        return True
    if (
        tokens
        and _matches(tokens, _SIDEBAR)
        and not (_matches(tokens, _AREA_TOKEN) and not _matches(tokens, _LISTING_TOKEN))
        # a layout wrapper named for the sidebar beside it ("right-sidebar", "has-sidebar") holds the
        # page's headline; a sidebar never does
        and next(a.iter("h1"), None) is None
    ):
        return True
    return None


def _sidebar_below(a) -> bool:
    """``_in_sidebar`` of the children of `a`."""
    memo = _memo.sidebar
    path = []
    answer = False
    while a is not None:
        got = memo.get(a) if memo is not None else None
        if got is not None:
            answer = got
            break
        path.append(a)
        verdict = _sidebar_verdict(a)
        if verdict is not None:
            answer = verdict
            break
        a = a.getparent()
    if memo is not None:
        for p in path:
            memo[p] = answer
    return answer


_COMMENTS_ANCHOR = re.compile(
    r"#(?:comments?|respond|disqus_thread|reactions|kommentare|forum|commentaires|comment-form|reply)", re.I
)


def _declared_count(scan: _Scan, areas: list, ctx: _Ctx, jsonld, root) -> int | None:
    # 1. the comment list's own title, in the area or right before it
    area_set = set(areas)
    cands = [
        el
        for el in (*scan.titles, *scan.headings)
        if el in area_set or any(a in area_set for a in _ancestors(el))
    ]
    for area in areas:
        prev = area.getprevious()
        hops = 0
        while prev is not None and hops < 3:
            if isinstance(prev.tag, str):
                cands.append(prev)
                hops += 1
            prev = prev.getprevious()
    for el in cands:
        if _tag(el) in ("form",) or _matches(_tokens(el), _RESPOND_TOKEN):
            continue
        n = _parse_count(_count_text(el))
        if n is not None:
            return n
    # 2. a title/count element anywhere that belongs to this page
    for el in scan.titles:
        if _in_sidebar(el) or not _link_target_ok(el, ctx.url):
            continue
        n = _parse_count(_count_text(el))
        if n is not None:
            return n
    # 3. microdata / JSON-LD
    n = _structured_count(root, jsonld, scan.itemprops)
    if n is not None:
        return n
    # 4. links to this page's comments ("12 commentaires", "Comments (3)")
    for a in scan.hash_links:
        href = a.get("href") or ""
        if "#" not in href or not _COMMENTS_ANCHOR.search(href):
            continue
        if not _same_page(href, ctx.url) or _in_sidebar(a):
            continue
        n = _parse_count(_collect_text(a))
        if n is not None:
            return n
    return None


def _structured_count(root, jsonld, itemprops: list | None = None) -> int | None:
    """`itemprops`: the elements with an itemprop of the page (the scan's), when `root` is the page's
    root element (an XPath from a root inside a page reads the whole page)."""
    if itemprops is not None and root.getparent() is None:
        counted = [el for el in itemprops if el.get("itemprop") in ("commentCount", "interactionCount")]
    else:
        counted = root.xpath("//*[@itemprop='commentCount' or @itemprop='interactionCount']")
    for el in counted:
        value = el.get("content") or "".join(el.itertext())
        m = re.search(r"(?:UserComments:)?\s*(\d+)", value or "")
        if m and (el.get("itemprop") == "commentCount" or "UserComments" in (value or "")):
            return int(m.group(1))
    for obj in _walk_jsonld(jsonld or []):
        value = obj.get("commentCount")
        if isinstance(value, int | str) and re.fullmatch(r"\s*\d+\s*", str(value)):
            return int(value)
        stats = obj.get("interactionStatistic")
        for stat in stats if isinstance(stats, list) else [stats]:
            if isinstance(stat, dict) and "comment" in str(stat.get("interactionType", "")).lower():
                count = stat.get("userInteractionCount")
                if isinstance(count, int | str) and re.fullmatch(r"\s*\d+\s*", str(count)):
                    return int(count)
    return None


def _walk_jsonld(objs, depth: int = 0):
    if depth > 6:
        return
    for obj in objs if isinstance(objs, list) else [objs]:
        if isinstance(obj, dict):
            yield obj
            graph = obj.get("@graph")
            if graph is not None:
                yield from _walk_jsonld(graph, depth + 1)
            for key in ("mainEntity", "mainEntityOfPage", "itemReviewed", "about"):
                if isinstance(obj.get(key), dict | list):
                    yield from _walk_jsonld(obj[key], depth + 1)
        elif isinstance(obj, list):
            yield from _walk_jsonld(obj, depth + 1)


# --------------------------------------------------------------------------------------------------
# JSON-LD comments


def _jsonld_comments(jsonld, ctx: _Ctx) -> list[Comment]:
    out: list[Comment] = []
    seen = set()

    def name_of(value):
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, dict):
            value = value.get("name") or value.get("alternateName")
        return normalize_space(value) if isinstance(value, str) else None

    def add(node, parent_id, depth):
        if not isinstance(node, dict) or depth > 8:
            return
        text = node.get("text") or node.get("commentText") or node.get("description")
        if not isinstance(text, str) or not normalize_space(text):
            return
        ident = node.get("@id") or node.get("url") or node.get("identifier")
        cid = None
        if isinstance(ident, str | int):
            m = re.search(r"(\d+)\D*$", str(ident))
            cid = m.group(1) if m else str(ident)
        key = (cid, text[:80])
        if key in seen:
            return
        seen.add(key)
        when = node.get("dateCreated") or node.get("datePublished")
        dt = _parse_attr_date(when, ctx.tz) if isinstance(when, str) else None
        if dt is None and isinstance(when, str):
            dt, _ = _parse_text_date(when, ctx)
        plain = normalize_space(re.sub(r"<[^>]+>", " ", text))
        out.append(
            Comment(
                text=plain,
                id=cid,
                parent_id=parent_id,
                author=name_of(node.get("author") or node.get("creator")),
                published_at=_iso(dt) if dt else None,
                published_raw=when if isinstance(when, str) else None,
            )
        )
        replies = node.get("comment") or node.get("replies")
        for reply in replies if isinstance(replies, list) else [replies]:
            add(reply, cid, depth + 1)

    for obj in _walk_jsonld(jsonld or []):
        types = obj.get("@type")
        types = [types] if isinstance(types, str) else types if isinstance(types, list) else []
        if any(str(t).endswith("Comment") for t in types) and obj.get("text"):
            add(obj, None, 0)
            continue
        comments = obj.get("comment")
        for c in comments if isinstance(comments, list) else [comments]:
            add(c, None, 0)
    return out


# --------------------------------------------------------------------------------------------------
# Fallbacks without comment markup


def _heading_blocks(scan: _Scan) -> list:
    """Blocks after a "Kommentare"/"Comments" heading, each with a date: the comments of pages whose
    markup names nothing."""
    for h in scan.headings:
        text = _collect_text(h)
        if not text or len(text) > 40 or not _COMMENT_HEADING.match(text):
            continue
        blocks = []
        node = h.getnext()
        while node is not None:
            if not isinstance(node.tag, str):
                node = node.getnext()
                continue
            tag = _tag(node)
            if tag in ("h1", "h2", "h3") or _HAS_FORM(node):
                break
            if tag in ("div", "section", "article", "li", "dl", "table", "p", "blockquote"):
                blocks.append(node)
            node = node.getnext()
        if blocks:
            return blocks
    return []


# _NUMBERED_HEADER anywhere in a text, whitespace as written: an element's text is a stretch of its
# page's text, so a page whose text has none of these has no numbered header either.
_NUMBERED_ANYWHERE = re.compile(
    r"#\s*\d+\s*(?:[-:.)]\s*)?(?:(?:kommentar|comment|commentaire|beitrag|antwort|message)\s+)?"
    r"(?:von|by|de|par|from)\s+\S",
    re.I,
)


def _numbered_headers(root) -> list:
    """Innermost elements whose text is a numbered comment header: "#1 von X", "#2 Kommentar von Y"."""
    if not _NUMBERED_ANYWHERE.search(etree.tostring(root, method="text", encoding=str, with_tail=False)):
        return []
    found = []
    for el in root.iter("div", "td", "th", "h2", "h3", "h4", "h5", "p", "span", "strong", "b", "dt"):
        head = normalize_space(el.text or "")
        if head and not head.startswith("#"):
            continue
        text = _short_text(el, 160)
        if not text or not _NUMBERED_HEADER.match(text):
            continue
        found.append(el)
    found_set = set(found)
    # keep the innermost: drop any header that holds another
    holders = {a for el in found for a in _ancestors(el) if a in found_set}
    return [el for el in found if el not in holders]


def _comments_from_numbered(headers: list, ctx: _Ctx) -> list[tuple[object, Comment]]:
    out = []
    header_set = set(headers)
    for h in headers:
        m = _NUMBERED_HEADER.match(_collect_text(h))
        if not m:
            continue
        # the comment: the smallest block around the header that has text of its own, widened to
        # the whole table when that block is a row or a cell
        block = None
        for anc in _ancestors(h):
            if _tag(anc) in ("body", "html", "form") or any(
                x is not h and _contains(anc, x) for x in header_set
            ):
                break
            if _collect_text(anc, lambda e: e in header_set or _is_noise(e)):
                block = anc
                break
        if block is None:
            continue
        if _tag(block) in ("td", "tr", "tbody", "th"):
            for anc in _ancestors(block):
                if _tag(anc) == "table":
                    if not any(x is not h and _contains(anc, x) for x in header_set):
                        block = anc
                    break
        body = _clean_text(_collect_text(block, lambda e: e in header_set or _is_noise(e)))
        if not body:
            continue
        rest = m.group(2)
        dt, raw = _parse_text_date(rest, ctx)
        if raw is None:
            after = _collect_text(block, lambda e: e in header_set or _is_noise(e))[:80]
            dt, raw = _parse_text_date(after, ctx)
            if raw and body.startswith(raw):
                body = body[len(raw) :].strip(" ,|-")
        author = _clean_author(rest.split(raw)[0] if raw and raw in rest else rest)
        out.append(
            (
                block,
                Comment(text=body, author=author, published_at=_iso(dt) if dt else None, published_raw=raw),
            )
        )
    return out


# --------------------------------------------------------------------------------------------------
# Entry points


def extract_comments(
    root,
    *,
    url: str,
    language: str | None = None,
    now: datetime | None = None,
    tz=None,
    jsonld: list[dict] | None = None,
) -> CommentsResult:
    """The reader comments of a page, the count it declares and the elements that hold them."""
    try:
        return _extract(root, url=url, language=language, now=now, tz=tz, jsonld=jsonld)
    except Exception:  # never let one odd page stop a crawl
        log.warning("comment extraction failed on %s", url, exc_info=True)
        return CommentsResult()


def _extract(root, *, url, language, now, tz, jsonld) -> CommentsResult:
    if root is None or not isinstance(getattr(root, "tag", None), str):
        return CommentsResult()
    ctx = _Ctx(url=url, language=language or None, now=now, tz=_resolve_tz(language, tz, url))
    _start_memo()
    try:
        return _extract_page(root, ctx, jsonld)
    finally:
        _end_memo()


def _extract_page(root, ctx: _Ctx, jsonld) -> CommentsResult:
    scan = _scan(root)

    items = _resolve_items(scan.items, scan.text_parts)
    for thread in scan.disqus:
        items += [el for el in thread.iter("li") if "post" in (el.get("class") or "").split()]
    items = list(dict.fromkeys(items))
    if not items and scan.text_parts:
        items = _items_from_text_parts([t for t in scan.text_parts if not _in_form(t)])

    built = _build_all(items, ctx)
    if not built:
        built = _build_all(_items_from_repeats(scan), ctx)
    if built and _is_opening_post(built[0].el, {b.el for b in built[1:]}):
        # a forum thread: its first post is the page's article, the replies are its comments
        opening = built.pop(0)
        for b in built:
            if b.comment.parent_id is not None and b.comment.parent_id == opening.comment.id:
                b.comment.parent_id = None
    else:
        opening = None
    comments = _once_each(built)
    if not built and jsonld:
        comments = _jsonld_comments(jsonld, ctx)
    if not built and not comments:
        blocks = _heading_blocks(scan)
        if blocks:
            built = _build_all(blocks, ctx, check_dates=True)
        if not built:
            headers = _numbered_headers(root)
            if headers:
                built = [_Item(el=b, comment=c) for b, c in _comments_from_numbered(headers, ctx)]
        comments = [b.comment for b in built]
    item_els = [b.el for b in built]

    if item_els:
        areas = _find_areas(item_els, scan, exclude=opening.el if opening is not None else None)
    else:
        empty = _empty_area(scan)
        areas = [empty] if empty is not None else []
    containers = _containers(areas, item_els, scan)
    declared = _declared_count(scan, areas, ctx, jsonld, root)
    return CommentsResult(comments=comments, declared_count=declared, containers=containers)


def _once_each(built: list[_Item]) -> list[Comment]:
    """Each comment once, at its first place: a page may show its comment list twice (a theme that
    prints it for two layouts), the same comment ids and texts again. Comments without id are told
    apart by where they are: a reader may post the same words twice in one list, a copy of the
    list is another list (``_first_copy``)."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for comment in (b.comment for b in _first_copy(built)):
        if comment.id is not None:
            if (comment.id, comment.text) in seen:
                continue
            seen.add((comment.id, comment.text))
        kept.append(comment)
    return kept


def _first_copy(built: list[_Item]) -> list[_Item]:
    """The first copy of a comment list the page prints several times whole: the same comments
    (id, author, text) in the same order, each copy in its own element (neither holding another).
    Identical comments in one list are all kept (one reader posting "Merci !" twice, two readers
    posting the same words); so is a list of one comment shown twice, which nothing tells from two
    identical comments in two places."""
    n = len(built)
    keys = [(b.comment.id, b.comment.author, b.comment.text) for b in built]
    for size in range(2, n // 2 + 1):
        if n % size or any(keys[i] != keys[i - size] for i in range(size, n)):
            continue
        holders = [_lca([b.el for b in built[i : i + size]]) for i in range(0, n, size)]
        if all(
            a is not None and b is not None and not _contains(a, b) and not _contains(b, a)
            for a, b in combinations(holders, 2)
        ):
            return built[:size]
    return built


def _build_all(items: list, ctx: _Ctx, check_dates: bool = False) -> list[_Item]:
    if not items:
        return []
    item_set = set(items)
    # each item's nested items (replies) are left out of its text
    nested_of: dict = {el: set() for el in items}
    for el in items:
        anc = _nearest(el, item_set)
        if anc is not None:
            nested_of[anc].add(el)
    area = _lca(items)
    out: list[_Item] = []
    for el in items:
        c = _build_comment(el, nested_of[el], ctx)
        if c is None:
            continue
        if check_dates and c.published_at is None and c.published_raw is None:
            continue
        if c.author is None and c.published_at is None and c.published_raw is None:
            if c.id is None:
                continue  # a block named "comment" with nothing of a comment but text
            if _parse_count(c.text) is not None or _COMMENT_HEADING.match(c.text):
                # a title ("Kommentare", "3 comments"); a comment with its author or date is one
                # whatever it says ("Un petit avis : ...", "Trois réponses à Paul : ...")
                continue
        out.append(_Item(el=el, comment=c))
    kept = {b.el for b in out}
    by_el = {b.el: b for b in out}
    for b in out:
        parent = _parent_of(b.el, kept, area if area not in kept else None)
        if parent is not None:
            b.comment.parent_id = by_el[parent].comment.id
    return out


_EMPTY_AREA_TOKENS = frozenset(
    """comments comments-area respond comment-respond disqus_thread kommentare commentaires comment-section
    comments-section reactions comments-wrapper comments-container comment-form-wrapper""".split()
)


def _empty_area(scan: _Scan):
    """A comment area without comments: the reply form, a 'no comments yet' note, an empty widget."""
    forms = set(scan.forms)
    areas = set(scan.areas)

    def skip(e):
        return e in forms or _tag(e) in ("form", "nav") or _is_noise(e)

    for el in scan.areas:
        if not (_EMPTY_AREA_TOKENS & set(_tokens(el))) or _in_sidebar(el):
            continue
        if _text_len(el, skip, cap=500) > 500:
            continue
        best = el
        for anc in _ancestors(el):
            if anc in areas and _text_len(anc, skip, cap=500) <= 500:
                best = anc
            else:
                break
        return best
    return None


_RESPOND_TOKEN = re.compile(r"respond|comment-?form|reply|leave|write|kommentar-?form|formulaire")


def _containers(areas: list, items: list, scan: _Scan) -> list:
    """The areas, plus the comment title, pagination and form when they sit next to them or apart."""
    out = list(areas) if areas else list(items)
    if not out:
        return out
    forms = set(scan.forms)

    def covered(el) -> bool:
        inside = set(out)
        return el in inside or any(a in inside for a in _ancestors(el))

    # siblings right before and after an area: its title, pagination, form, empty anchors
    for area in list(areas):
        for step in (_previous_element, _next_element):
            node = step(area)
            while node is not None and not covered(node) and _is_furniture(node, forms):
                out.append(node)
                node = step(node)
    # the comment form elsewhere on the page, with its "leave a reply" wrapper
    for form in scan.forms:
        if covered(form) or _in_sidebar(form):
            continue
        block = form
        for anc in _ancestors(form):
            tokens = _tokens(anc)
            if _tag(anc) in ("body", "html", "main", "article") or not (
                _matches(tokens, _RESPOND_TOKEN) or _matches(tokens, _AREA_TOKEN)
            ):
                break
            if _text_len(anc, lambda e: _tag(e) == "form", cap=_AREA_SLACK) > _AREA_SLACK:
                break
            block = anc
        if block is not form or _matches(_tokens(form), _AREA_TOKEN):
            out.append(block)
    return sorted(_outermost(list(dict.fromkeys(out))), key=_doc_position)


def _is_furniture(el, forms: set) -> bool:
    """A comment title, count, pagination, empty anchor or reply form next to the comment list."""
    tag = _tag(el)
    if tag == "a" and not normalize_space("".join(el.itertext())) and (el.get("name") or el.get("id")):
        return True
    tokens = _tokens(el)
    if tokens and _matches(tokens, _NAV_TOKEN):
        return True
    if el in forms or any(f in forms for f in el.iter("form")):
        return _text_len(el, lambda e: _tag(e) == "form", cap=_AREA_SLACK) <= _AREA_SLACK
    text = _short_text(el, 120)
    return bool(text) and (_parse_count(text) is not None or bool(_COMMENT_HEADING.match(text)))


def _next_element(el):
    nxt = el.getnext()
    while nxt is not None and not isinstance(nxt.tag, str):
        nxt = nxt.getnext()
    return nxt


def _previous_element(el):
    prev = el.getprevious()
    while prev is not None and not isinstance(prev.tag, str):
        prev = prev.getprevious()
    return prev


def _doc_position(el) -> tuple:
    """A sort key giving document order (path of child indexes from the root)."""
    path = []
    node = el
    parent = node.getparent()
    while parent is not None:
        path.append(parent.index(node))
        node, parent = parent, parent.getparent()
    return tuple(reversed(path))


def comment_page_urls(root, url: str, *, keep_first: bool = False) -> list[str]:
    """Absolute URLs of the article's other comment pages (WordPress comment-page-N/, ?cpage=N, the
    comment navigation / pagination links, SPIP debut_forum= ...), deduplicated, in page order.

    A link to the first comment page (``comment-page-1/``, ``?cpage=1``) is taken for the article's own
    URL, which shows the first page on most sites; ``keep_first`` returns it as written instead (a
    WordPress site set to show the *newest* comment page with the article has its oldest comments
    there): :func:`is_first_comment_page` tells those links apart. A link to one comment on the first page
    (``comment-page-1/#comment-42``) is still taken for the article's URL."""
    try:
        return _comment_page_urls(root, url, keep_first)
    except Exception:
        log.warning("comment page links failed on %s", url, exc_info=True)
        return []


def is_first_comment_page(url: str) -> bool:
    """``…/comment-page-1/``, ``?cpage=1`` and their cousins: a link to an article's first comment page."""
    parts = urlsplit(url)
    return _FIRST_COMMENT_PAGE_PATH.search(parts.path) is not None or any(
        _FIRST_COMMENT_PAGE_QUERY.fullmatch(q) for q in parts.query.split("&")
    )


def _normalize_page_url(href: str, base: str, keep_first: bool = False) -> str | None:
    try:
        absolute = urljoin(base, href.strip())
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    if keep_first:
        return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
    path = _FIRST_COMMENT_PAGE_PATH.sub("/", parts.path)
    # the first comment page is the article itself: drop cpage=1 / debut_forum=0, keep the rest verbatim
    query = parts.query
    if query:
        query = "&".join(q for q in query.split("&") if q and not _FIRST_COMMENT_PAGE_QUERY.fullmatch(q))
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


_FIRST_COMMENT_PAGE_PATH = re.compile(r"/comment-page-1/?$")
_FIRST_COMMENT_PAGE_QUERY = re.compile(r"(?:cpage|comment-page|commentpage)=1|debut_[a-z_]*=0|page=0", re.I)
_NAV_HINT = re.compile(r"nav|pag", re.I)
_COMMENT_ANCHOR = re.compile(r"#(?:div-)?comment-?\d+$", re.I)
"""A link to one comment (``comment-page-1/#comment-42``: its permalink, a recent-comments widget): not a
sign that the first comment page is another page than the article's, as a pager's link would be."""
_WITH_CLASS_OR_ID = etree.XPath("descendant-or-self::*[@class or @id]")
"""Elements with a class or an id, found by libxml2 rather than by visiting every element in Python."""


def _comment_page_urls(root, url: str, keep_first: bool = False) -> list[str]:
    if root is None or not isinstance(getattr(root, "tag", None), str):
        return []
    here = _normalize_page_url(url, url, keep_first)
    here_parts = urlsplit(here or url)
    # navigation blocks of the comment area ("comment-navigation", a pager inside #comments ...)
    nav_set = set()
    hint, hinted_classes = _NAV_HINT.search, _NAV_HINT_CLASS
    if len(hinted_classes) > _CLASS_CACHE_MAX:  # called on its own, outside extract_comments' check
        hinted_classes.clear()
    for el in _WITH_CLASS_OR_ID(root):
        cls = el.get("class")
        hinted = False
        if cls:
            hinted = hinted_classes.get(cls)
            if hinted is None:
                hinted = hinted_classes[cls] = hint(cls) is not None
        if not hinted:
            ident = el.get("id")
            if not ident or hint(ident) is None:
                continue
        if _tag(el) == "a":
            continue
        tokens = _tokens(el)
        if _matches(tokens, _NAV_TOKEN) and any(
            "comment" in t or "forum" in t or "kommentar" in t for t in [*tokens, *_ancestor_tokens(el)]
        ):
            nav_set.add(el)
    in_nav = {a for nav in nav_set for a in nav.iter("a")}
    out: list[str] = []
    seen = {here}
    for a in root.iter("a"):
        href = a.get("href")
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        paged = _PAGE_HREF.search(href) is not None
        if not paged and a not in in_nav:
            continue
        target = _normalize_page_url(href, url, keep_first and not _COMMENT_ANCHOR.search(href))
        if target is None or target in seen:
            continue
        parts = urlsplit(target)
        if not _same_host(parts.netloc, here_parts.netloc) or _page_path(parts.path) != _page_path(
            here_parts.path
        ):
            continue  # another article
        if not paged and parts.query == here_parts.query:
            continue  # a link back to this very page
        seen.add(target)
        out.append(target)
    return out


def _ancestor_tokens(el, depth: int = 6) -> list[str]:
    out = []
    for i, a in enumerate(_ancestors(el)):
        if i >= depth:
            break
        out.extend(_tokens(a))
    return out

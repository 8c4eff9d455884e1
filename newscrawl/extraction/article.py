"""extract_article: one page's HTML + URL in, one Article record out. Pure: no network, no Scrapy."""

from __future__ import annotations

from datetime import UTC, datetime

from newscrawl.extraction.body import (
    MIN_ARTICLE_CHARS,
    Scoring,
    body_paragraphs,
    content_inside,
    extract_body,
)
from newscrawl.extraction.comments import extract_comments
from newscrawl.extraction.dates import default_timezone, parse_date, to_iso
from newscrawl.extraction.document import Document, NotHTMLError, parse_document
from newscrawl.extraction.language import detect_language
from newscrawl.extraction.metadata import Metadata, declared_region, extract_metadata, split_authors
from newscrawl.extraction.structured import json_ld_objects
from newscrawl.extraction.text import clean_text, normalize_space, prepare_tree, text_of
from newscrawl.items import Article, Comment
from newscrawl.sites import SiteProfile, profile_for_url, site_key


class ExtractionError(ValueError):
    """The page gives no article record; the message says why in one line."""


def parse_fetched_at(value: datetime | str | None) -> datetime:
    """The fetch time as an aware datetime (relative dates resolve against it); now when None."""
    if value is None or value == "":
        return datetime.now(UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ExtractionError(f"fetched_at is not an ISO 8601 date: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def extract_article(
    html: bytes | str,
    url: str,
    *,
    fetched_at: datetime | str | None = None,
    content_type: str | None = None,
    profile: SiteProfile | None = None,
) -> Article:
    """Extract the article record of a page. Raises ExtractionError for input that holds no article."""
    now = parse_fetched_at(fetched_at)
    return extract_parsed_article(_parse(html, url, content_type), fetched_at=now, profile=profile)


def _parse(html: bytes | str, url: str, content_type: str | None) -> Document:
    try:
        return parse_document(html, url, content_type)
    except NotHTMLError as exc:
        raise ExtractionError(str(exc)) from None


def extract_parsed_article(
    document: Document, *, fetched_at: datetime | str | None = None, profile: SiteProfile | None = None
) -> Article:
    """:func:`extract_article` of a page already parsed by ``parse_document`` (the crawler reads links
    from the same parse). It prunes the document's tree: parse the page again to read it intact."""
    now = parse_fetched_at(fetched_at)
    url = document.url
    if profile is None:
        profile = profile_for_url(url)
    root = document.root

    # Order matters: metadata reads the intact tree (JSON-LD scripts included); then the tree is
    # prepared once for fast text reads (scripts dropped, block boundaries spaced) for the rest.
    meta = extract_metadata(root, url=url, now=now, tz=_profile_zone(profile))
    language = meta.language or (profile.language if profile else None)
    zone = _zone(profile, language, meta.region, url)
    selectors = profile.selectors if profile else {}
    overrides = _read_overrides(root, selectors, language, now, zone)
    prepare_tree(root)
    comments = extract_comments(root, url=url, language=language, now=now, tz=zone, jsonld=meta.jsonld)
    title = overrides.get("title") or meta.title
    scoring = Scoring()
    body = extract_body(
        root,
        url=url,
        title=title,
        exclude=comments.containers,
        content_selector=selectors.get("body"),
        prepared=True,
        scoring=scoring,
    )
    areas = comments.containers
    if areas and (
        content_inside(root, areas, scoring=scoring)
        or (
            body.text_size() < MIN_ARTICLE_CHARS
            and content_inside(root, areas, relaxed=True, scoring=scoring)
        )
    ):
        # No article outside the comment area: a forum thread or Q&A page, whose posts are the content.
        thread = extract_body(
            root,
            url=url,
            title=title,
            content_selector=selectors.get("body"),
            prepared=True,
            thread=True,
            scoring=scoring,
        )
        if thread.text_size() > body.text_size():
            body = thread
            in_body = set(body_paragraphs(body))
            comments.comments = [c for c in comments.comments if not _quoted_in(c.text, in_body)]
    article = Article(
        url=url,
        title=meta.title or "",
        canonical_url=meta.canonical_url,
        site=site_key(url),
        language=language,
        lead=body.lead or meta.description,
        authors=meta.authors,
        published_at=meta.published_at,
        published_raw=meta.published_raw,
        modified_at=meta.modified_at,
        modified_raw=meta.modified_raw,
        category=meta.category,
        tags=meta.tags,
        sections=body.sections,
        related_links=body.related_links,
        key_points=body.key_points,
        tables=body.tables,
        comment_count=_believable_count(
            comments.declared_count if comments.declared_count is not None else meta.comment_count
        ),
        comments=comments.comments,
    )
    _apply_overrides(article, overrides)
    _clean_strings(article)
    if article.language is None:
        article.language = detect_language(article.body_text[:5000])
    if not article.title and not article.sections:
        raise ExtractionError("no article found on the page (no headline and no body text)")
    return article


def extract_comment_page(
    html: bytes | str,
    url: str,
    *,
    fetched_at: datetime | str | None = None,
    content_type: str | None = None,
    profile: SiteProfile | None = None,
    language: str | None = None,
) -> list[Comment]:
    """The comments of a further comment page of an article (see :func:`extract_parsed_comments`).
    Raises ExtractionError when the input is not an HTML page."""
    now = parse_fetched_at(fetched_at)
    document = _parse(html, url, content_type)
    return extract_parsed_comments(document, fetched_at=now, profile=profile, language=language)


def extract_parsed_comments(
    document: Document,
    *,
    fetched_at: datetime | str | None = None,
    profile: SiteProfile | None = None,
    language: str | None = None,
) -> list[Comment]:
    """The reader comments of a further comment page of an article (``?cpage=2``,
    ``comment-page-3/``), already parsed: its headline, dates and body are the first page's, so only
    the comment area is read (metadata and body scoring are over half of a full extraction).
    ``language`` is the article's: comment dates are read in it. Prunes the document's tree."""
    now = parse_fetched_at(fetched_at)
    if profile is None:
        profile = profile_for_url(document.url)
    language = language or (profile.language if profile else None)
    root = document.root
    jsonld = json_ld_objects(root)  # comments given as schema.org data (read before the tree is prepared)
    # the article page's zone: this page's head declares the same locale
    zone = _zone(profile, language, declared_region(root, language), document.url)
    prepare_tree(root)
    result = extract_comments(root, url=document.url, language=language, now=now, tz=zone, jsonld=jsonld)
    for comment in result.comments:
        _clean_comment(comment)
    return result.comments


def _clean_strings(article: Article) -> None:
    """NFC, no invisible or control characters, single spaces: every text of the record."""
    for name in ("title", "lead", "published_raw", "modified_raw", "category"):
        setattr(article, name, _clean(getattr(article, name)))
    article.title = article.title or ""
    article.authors = [a for a in map(_clean, article.authors) if a]
    article.tags = [t for t in map(_clean, article.tags) if t]
    article.key_points = [k for k in map(_clean, article.key_points) if k]
    for section in article.sections:
        section.heading = _clean(section.heading)
        section.paragraphs = [p for p in map(_clean, section.paragraphs) if p]
    for link in article.related_links:
        link.title, link.label = _clean(link.title), _clean(link.label)
    for table in article.tables:
        table.caption = _clean(table.caption)
        table.header = [clean_text(c) for c in table.header]
        table.rows = [[clean_text(c) for c in row] for row in table.rows]
    for comment in article.comments:
        _clean_comment(comment)


def _clean(value: str | None) -> str | None:
    return clean_text(value) if value else value


def _clean_comment(comment: Comment) -> None:
    comment.text = _clean(comment.text) or ""
    comment.author, comment.published_raw = _clean(comment.author), _clean(comment.published_raw)


def _quoted_in(comment_text: str, paragraphs: set[str]) -> bool:
    """True when the body already carries this comment's text (its first paragraph at least)."""
    return any(comment_text.startswith(p) or p.startswith(comment_text) for p in paragraphs if len(p) > 20)


def _profile_zone(profile: SiteProfile | None):
    if profile and profile.timezone:
        from zoneinfo import ZoneInfo

        return ZoneInfo(profile.timezone)
    return None


def _zone(profile: SiteProfile | None, language: str | None, region: str | None, url: str):
    """The zone of dates without an offset: the site profile's, else the one the page implies."""
    return _profile_zone(profile) or default_timezone(language, region=region, url=url)


def _read_overrides(root, selectors: dict[str, str], language, now, zone) -> dict:
    """Values a site profile's selectors give; read before the body reader prunes the tree."""
    values: dict = {}
    for name, css in selectors.items():
        if name == "body":
            continue
        elements = root.cssselect(css)
        if not elements:
            continue
        if name in ("authors", "tags"):
            items = [text_of(el) for el in elements]
            if name == "authors":
                items = [a for item in items for a in split_authors(item)]
            values[name] = list(dict.fromkeys(i for i in items if i))
        elif name in ("published", "modified"):
            element = elements[0]
            raw = text_of(element) or element.get("datetime") or element.get("content") or ""
            machine = element.get("datetime") or element.get("content") or raw
            parsed = parse_date(machine, language=language, now=now, tz=zone)
            if parsed is not None:
                values[name] = (to_iso(parsed), normalize_space(raw) or None)
        else:
            text = text_of(elements[0])
            if text:
                values[name] = text
    return values


def _apply_overrides(article: Article, values: dict) -> None:
    for name in ("title", "lead", "category", "authors", "tags"):
        if name in values:
            setattr(article, name, values[name])
    if "published" in values:
        article.published_at, article.published_raw = values["published"]
    if "modified" in values:
        article.modified_at, article.modified_raw = values["modified"]


__all__ = [
    "ExtractionError",
    "Metadata",
    "extract_article",
    "extract_comment_page",
    "extract_parsed_article",
    "extract_parsed_comments",
    "parse_fetched_at",
]


MAX_DECLARED_COMMENTS = 1_000_000
"""A page declaring more comments than this is wrong (a view count, a corrupt JSON-LD field): no
article has a million comments, and a 64-bit overflow would lose the article at the archive."""


def _believable_count(count: int | None) -> int | None:
    return count if count is not None and 0 <= count <= MAX_DECLARED_COMMENTS else None

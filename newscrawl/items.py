"""The article record, defined once.

These dataclasses mirror ``article.schema.json`` (bundled next to this module): extraction builds
them, Scrapy carries them as items (itemadapter understands dataclasses), ``to_dict`` gives the
JSON record that the CLI prints, exports write and storage ingests.

Dates are kept twice, like zyte-common-items: ``*_raw`` is the text as the page shows it and
``*_at`` the parsed ISO 8601 value with its UTC offset.

This module is pure Python: extraction, storage adapters and spiders may all import it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from importlib import resources
from typing import Any


@dataclass(slots=True)
class Section:
    heading: str | None = None
    """The heading text, or None for text that precedes the first heading."""

    level: int | None = None
    """2 for h2, 3 for h3 ...; None when ``heading`` is None."""

    paragraphs: list[str] = field(default_factory=list)
    """Paragraphs and plain list items in reading order, whitespace-normalized."""


@dataclass(slots=True)
class RelatedLink:
    title: str
    """The linked article's title as the link shows it."""

    url: str
    """Absolute URL of the linked article."""

    label: str | None = None
    """The block's label as shown ("À lire", "Lire aussi"), without trailing colon; None if unlabeled."""

    section_index: int | None = None
    """Index in ``Article.sections`` of the section the link appears in."""


@dataclass(slots=True)
class Table:
    header: list[str] = field(default_factory=list)
    """Header cells; empty when the table has no header row."""

    rows: list[list[str]] = field(default_factory=list)
    """Body rows, colspan/rowspan expanded so every row is as wide as the header."""

    caption: str | None = None
    """The ``<caption>`` or ``<figcaption>`` text."""


@dataclass(slots=True)
class Comment:
    text: str
    """The comment's text, whitespace-normalized (paragraphs joined by a single space)."""

    id: str | None = None
    """The site's own comment id (``5012`` from ``id="comment-5012"``)."""

    parent_id: str | None = None
    """Id of the comment this one replies to, from the nesting of the markup."""

    author: str | None = None
    """Display name of the commenter."""

    published_at: str | None = None
    """ISO 8601 with offset."""

    published_raw: str | None = None
    """The date as the page shows it ("29 avril 2024 à 18 h 22 min")."""

    def to_dict(self) -> dict[str, Any]:
        """The comment as the record holds it, keys in schema order."""
        return {
            "id": self.id,
            "parent_id": self.parent_id,
            "author": self.author,
            "published_at": self.published_at,
            "published_raw": self.published_raw,
            "text": self.text,
        }


@dataclass(slots=True)
class Article:
    url: str
    """The URL the page was fetched from."""

    title: str = ""
    """The headline (h1 / JSON-LD headline), without the site-name suffix of ``<title>``."""

    canonical_url: str | None = None
    """rel=canonical / og:url, absolute; a comment page resolves to its article's URL."""

    site: str | None = None
    """Site profile key's domain or the registered domain, e.g. ``blog-auto-info.com``."""

    language: str | None = None
    """Primary language subtag, lower case (fr, en, de)."""

    lead: str | None = None
    """Standfirst / chapo / summary; may repeat the first body paragraph."""

    authors: list[str] = field(default_factory=list)
    """Person or desk names, one per entry, without "par"/"by"."""

    published_at: str | None = None
    """Publication date, ISO 8601 with the offset the page states (Europe/Paris implied for French pages)."""

    published_raw: str | None = None
    """Publication date as the page shows it ("Publié le 29 avril 2024")."""

    modified_at: str | None = None
    """Last update, ISO 8601 with offset."""

    modified_raw: str | None = None
    """Last update as the page shows it."""

    category: str | None = None
    """Main rubric of the site."""

    tags: list[str] = field(default_factory=list)
    """Keywords / tags, in page order, without duplicates."""

    sections: list[Section] = field(default_factory=list)
    """The body in reading order; the first section has heading None when text precedes the first heading."""

    related_links: list[RelatedLink] = field(default_factory=list)
    """'À lire' / 'Lire aussi' / 'Read more' blocks and stand-alone linked titles, in page order."""

    key_points: list[str] = field(default_factory=list)
    """Items of a summary list ('Points clés', 'À retenir', 'Key takeaways')."""

    tables: list[Table] = field(default_factory=list)
    """Data tables of the body (layout tables ignored)."""

    comment_count: int | None = None
    """The count the page declares ('43 avis sur « … »', commentCount), fetched or not."""

    comments: list[Comment] = field(default_factory=list)
    """Reader comments in page order across comment pages; replies follow their parent."""

    @property
    def body_text(self) -> str:
        """All section paragraphs joined by newlines."""
        return "\n".join(p for s in self.sections for p in s.paragraphs)

    def to_dict(self) -> dict[str, Any]:
        """The JSON record of ``article.schema.json``, keys in schema order."""
        return {
            "url": self.url,
            "canonical_url": self.canonical_url,
            "site": self.site,
            "language": self.language,
            "title": self.title,
            "lead": self.lead,
            "authors": list(self.authors),
            "published_at": self.published_at,
            "published_raw": self.published_raw,
            "modified_at": self.modified_at,
            "modified_raw": self.modified_raw,
            "category": self.category,
            "tags": list(self.tags),
            "sections": [
                {"heading": s.heading, "level": s.level, "paragraphs": list(s.paragraphs)}
                for s in self.sections
            ],
            "body_text": self.body_text,
            "related_links": [
                {"label": r.label, "title": r.title, "url": r.url, "section_index": r.section_index}
                for r in self.related_links
            ],
            "key_points": list(self.key_points),
            "tables": [
                {"caption": t.caption, "header": list(t.header), "rows": [list(r) for r in t.rows]}
                for t in self.tables
            ],
            "comment_count": self.comment_count,
            "comments": [c.to_dict() for c in self.comments],
        }

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Article:
        """Rebuild an Article from a record (``body_text`` is derived, extra keys are ignored)."""
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in record.items() if k in known}
        data["sections"] = [Section(**s) for s in record.get("sections") or []]
        data["related_links"] = [RelatedLink(**r) for r in record.get("related_links") or []]
        data["tables"] = [Table(**t) for t in record.get("tables") or []]
        data["comments"] = [Comment(**c) for c in record.get("comments") or []]
        return cls(**data)


def article_schema() -> dict[str, Any]:
    """The JSON Schema of the record (a copy of the project contract, shipped with the package)."""
    return json.loads(resources.files("newscrawl").joinpath("article.schema.json").read_text("utf-8"))

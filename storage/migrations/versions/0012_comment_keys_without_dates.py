"""Comments without a site id are keyed by author and text, not by their date.

A page that dates its comments "il y a 2 jours" gives another date at every crawl, and the key of a
comment without id (``h:`` + a hash of author, date and text) changed with it: every re-crawl stored
such comments again. ``storage.record.comment_key`` now hashes author, text and how many comments of
the same author and text are older (two "Merci" of one reader stay two). This
migration rewrites the stored keys of comments without id; down to 0011 they are written the old
way again. Copies a re-crawl already stored stay (nothing tells them from a reader repeating
himself).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from itertools import groupby
from operator import attrgetter
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.record import comment_key, repeat_numbers

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000


def upgrade() -> None:
    changes = []
    # The rows come in article order: each article's comments without id, in page order.
    for _article, rows in groupby(_comments_without_id(), key=attrgetter("article_id")):
        article = list(rows)
        # The running comment_key and repeat_numbers on purpose: the stored keys must be the ones
        # the archive computes.
        dated = [(r.author, r.text, _stored_instant(r.published_at)) for r in article]
        for stored, repeat in zip(article, repeat_numbers(dated), strict=True):
            key = comment_key({"id": None, "author": stored.author, "text": stored.text}, repeat)
            if key != stored.comment_key:
                changes.append({"id": stored.id, "key": key})
    _rewrite(changes)


def downgrade() -> None:
    changes = []
    for row in _comments_without_id():
        published = _record_date(row.published_at, row.published_offset)
        seed = "\x1f".join((row.author or "", published or "", row.text))
        key = "h:" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]
        if key != row.comment_key:
            changes.append({"id": row.id, "key": key})
    _rewrite(changes)


def _comments_without_id() -> Iterator[Any]:
    """Read in batches; the callers keep only (id, new key) of each row."""
    query = sa.text(
        "SELECT id, article_id, comment_key, author, text, published_at, published_offset FROM comments "
        "WHERE comment_key LIKE 'h:%' ORDER BY article_id, position, id"
    ).execution_options(yield_per=BATCH)
    for rows in op.get_bind().execute(query).partitions():
        yield from rows


def _rewrite(changes: list[dict[str, Any]]) -> None:
    if changes:
        op.get_bind().execute(sa.text("UPDATE comments SET comment_key = :key WHERE id = :id"), changes)


def _stored_instant(value: Any) -> datetime | None:
    """The stored date as an aware UTC datetime (SQLite keeps UTC as text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _record_date(value: Any, offset_minutes: int | None) -> str | None:
    """The ISO string the record gave, from the stored UTC instant and offset (as of 0011)."""
    value = _stored_instant(value)
    if value is None:
        return None
    if offset_minutes is None:
        return value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return value.astimezone(timezone(timedelta(minutes=offset_minutes))).isoformat()

"""Comments without a site id are keyed by author and text, not by their date.

A page that dates its comments "il y a 2 jours" gives another date at every crawl, and the key of a
comment without id (``h:`` + a hash of author, date and text) changed with it: every re-crawl stored
such comments again. ``storage.record.comment_key`` now hashes author, text and how many comments of
the same author and text come before it in the article (two "Merci" of one reader stay two). This
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
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.record import comment_key

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000


def upgrade() -> None:
    repeats: dict[tuple[int, str, str], int] = {}
    changes = []
    for row in _comments_without_id():
        said = (row.article_id, row.author or "", row.text)
        repeat = repeats.get(said, 0)
        repeats[said] = repeat + 1
        # The running comment_key on purpose: the stored keys must be the ones the archive computes.
        key = comment_key({"id": None, "author": row.author, "text": row.text}, repeat)
        if key != row.comment_key:
            changes.append({"id": row.id, "key": key})
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


def _record_date(value: Any, offset_minutes: int | None) -> str | None:
    """The ISO string the record gave, from the stored UTC instant and offset (as of 0011)."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite: UTC as text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if offset_minutes is None:
        return value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return value.astimezone(timezone(timedelta(minutes=offset_minutes))).isoformat()

"""SQLite: the search rows hold œ, æ, ß and ø folded as PostgreSQL folds them (``coeur`` finds ``cœur``).

FTS5's ``unicode61 remove_diacritics 2`` tokenizer removes accents one letter for one and keeps œ,
æ, ß and ø as letters of their own, where PostgreSQL's search reads them ``oe``, ``ae``, ``ss`` and
``o``: ``coeur`` found ``cœur`` there only. The archive now writes the search row's text with those
letters folded (``storage.fulltext.fts5_text``; queries are folded the same way) and keeps the text
as written, where folding changed it, in a new column ``written`` (``UNINDEXED``, a JSON list of
the four columns), from which snippets are quoted. This migration rebuilds the FTS5 table with that
column, every row folded; down to 0012, the table is rebuilt with the text as written. Rows still
waiting in ``article_search_pending`` are written later, the new way. PostgreSQL: nothing to do.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.fulltext import fts5_row

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1_000
TEXT = ("title", "lead", "body", "comments")
WRITTEN = "written"


def upgrade() -> None:
    # The running fold on purpose: the stored rows must be the ones the archive writes.
    _rebuild(TEXT, (*TEXT, WRITTEN), lambda row: fts5_row(dict(zip(("id", *TEXT), row, strict=True))))


def downgrade() -> None:
    _rebuild((*TEXT, WRITTEN), TEXT, _as_written)


def _as_written(row: Sequence[Any]) -> tuple[Any, ...]:
    article_id, *indexed, written = row
    return article_id, *(indexed if written is None else json.loads(written))


def _rebuild(
    read: Sequence[str], written: Sequence[str], row_of: Callable[[Sequence[Any]], tuple[Any, ...]]
) -> None:
    """The search table made again with the columns ``written``, each row ``row_of`` its row of the
    columns ``read`` (rowid first)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    op.execute("ALTER TABLE article_search RENAME TO article_search_rebuilt")
    columns = ", ".join(f"{name} UNINDEXED" if name == WRITTEN else name for name in written)
    op.execute(
        f"CREATE VIRTUAL TABLE article_search USING fts5({columns}, tokenize = 'unicode61 remove_diacritics 2')"
    )
    insert = sa.text(
        f"INSERT INTO article_search (rowid, {', '.join(written)}) "
        f"VALUES (:rowid, {', '.join(':' + name for name in written)})"
    )
    rows = bind.execute(
        sa.text(
            f"SELECT rowid, {', '.join(read)} FROM article_search_rebuilt ORDER BY rowid"
        ).execution_options(yield_per=BATCH)
    )
    for batch in rows.partitions():
        bind.execute(insert, [dict(zip(("rowid", *written), row_of(row), strict=True)) for row in batch])
    op.execute("DROP TABLE article_search_rebuilt")

"""PostgreSQL: ``article_search.document`` is written by the archive from text it folded itself,
no longer generated from the stored text by ``newscrawl_unaccent()``.

Folding accents in SQL (``translate`` over multibyte text, then five ``replace``) cost more than the
French tsvector itself: ~1.1 ms of server time per article on the body and comments, a fifth of a
first ingest, and ~20 ms per search to fold the 20 hits' text for their snippets. Python folds the
same characters the same way in microseconds (``storage.fulltext.fold_accents``; a test compares it
with the SQL function, which stays for folding queries).

``DROP EXPRESSION`` keeps every stored document: nothing is recomputed. The column becomes NOT NULL
(every row has its document). SQLite: nothing changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WEIGHTS = (("title", "A"), ("lead", "B"), ("body", "C"), ("comments", "D"))


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE article_search ALTER COLUMN document DROP EXPRESSION")
    op.execute("ALTER TABLE article_search ALTER COLUMN document SET NOT NULL")


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    generated = " || ".join(
        f"setweight(to_tsvector('french'::regconfig, newscrawl_unaccent({column})), '{weight}')"
        for column, weight in _WEIGHTS
    )
    op.execute("ALTER TABLE article_search DROP COLUMN document")  # drops its index too
    op.execute(
        f"ALTER TABLE article_search ADD COLUMN document tsvector GENERATED ALWAYS AS ({generated}) STORED"
    )
    op.execute("ALTER TABLE article_search ALTER COLUMN document SET STORAGE MAIN")
    op.execute("CREATE INDEX ix_article_search_document ON article_search USING gin (document)")

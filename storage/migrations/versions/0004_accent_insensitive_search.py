"""PostgreSQL search ignores accents, as SQLite's already does (``electrique`` finds ``électrique``).

The French configuration stems but keeps accents, and PostgreSQL's ``unaccent`` is an extension a
team's server may not offer. So ``newscrawl_unaccent(text)``, a plain immutable SQL function
(``translate`` of the Latin letters with diacritics, ``œ`` → ``oe``, ``æ`` → ``ae``, ``ß`` → ``ss``),
folds the text before ``to_tsvector`` in the generated ``document`` column, and the query before
``websearch_to_tsquery`` (storage/fulltext.py). Existing rows are re-indexed by the column change.
SQLite: nothing to do (FTS5's ``remove_diacritics 2`` tokenizer).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCENTED = "ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿ"
PLAIN = "AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyy"

# pg_catalog-qualified so that the function means the same whatever the caller's search_path.
UNACCENT_FUNCTION = f"""
CREATE FUNCTION newscrawl_unaccent(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
    pg_catalog.translate(value, '{ACCENTED}', '{PLAIN}'),
    'œ', 'oe'), 'Œ', 'OE'), 'æ', 'ae'), 'Æ', 'AE'), 'ß', 'ss')
$$
"""


def _document(fold: str) -> str:
    parts = [
        f"setweight(to_tsvector('french'::regconfig, {fold.format(column)}), '{weight}')"
        for column, weight in (("title", "A"), ("lead", "B"), ("body", "C"), ("comments", "D"))
    ]
    return f"ALTER TABLE article_search ADD COLUMN document tsvector GENERATED ALWAYS AS ({' || '.join(parts)}) STORED"


def _replace_document(fold: str) -> None:
    op.execute("ALTER TABLE article_search DROP COLUMN document")  # drops its index too
    op.execute(_document(fold))
    op.execute("CREATE INDEX ix_article_search_document ON article_search USING gin (document)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(UNACCENT_FUNCTION)
    _replace_document("newscrawl_unaccent({})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    _replace_document("{}")
    op.execute("DROP FUNCTION newscrawl_unaccent(text)")

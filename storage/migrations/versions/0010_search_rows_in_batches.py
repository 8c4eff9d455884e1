"""SQLite: search rows written in batches; related-link indexes hold only the rows they are for.

* ``article_search_pending`` (SQLite): the articles whose search row (FTS5) is still to be written,
  with the stamp of the write that asked for it. A writer commits an article with one small row
  here instead of its FTS5 row; the archive writes the waiting FTS5 rows a batch at a time
  (``storage.fulltext``): FTS5 writes a new segment at every commit, which cost ~0.1 ms an article
  committed alone and far less in batches.
* ``v_articles.body_text`` on SQLite is joined from the paragraphs of the current version (it was
  read from the search row, which may now trail the article by a batch).
* ``ix_related_links_url_key`` only indexes links still waiting for their target (the only lookup by
  it resolves those) and ``ix_related_links_target_article_id`` only resolved links (lookups by
  target ask for one article): most links no longer change both indexes when their target arrives.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BODY_FROM_SEARCH_ROW = "(SELECT x.body FROM article_search x WHERE x.rowid = a.id)"
BODY_FROM_PARAGRAPHS = (
    "coalesce((SELECT group_concat(text, char(10)) FROM (SELECT x.text AS text FROM paragraphs x "
    "WHERE x.version_id = v.id ORDER BY x.section_position, x.position)), '')"
)


def _replace_v_articles(old: str, new: str) -> None:
    (definition,) = (
        op.get_bind()
        .execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'v_articles'"))
        .one()
    )
    if old not in definition:
        raise RuntimeError(f"v_articles does not read its body as expected ({old!r} not found)")
    op.execute("DROP VIEW v_articles")
    op.execute(definition.replace(old, new))


def _index_related_links(where_url_key: str | None, where_target: str | None) -> None:
    op.drop_index("ix_related_links_url_key", table_name="related_links")
    op.drop_index("ix_related_links_target_article_id", table_name="related_links")
    for name, column, where in (
        ("ix_related_links_url_key", "url_key", where_url_key),
        ("ix_related_links_target_article_id", "target_article_id", where_target),
    ):
        clause = sa.text(where) if where else None
        op.create_index(name, "related_links", [column], sqlite_where=clause, postgresql_where=clause)


def upgrade() -> None:
    _index_related_links("target_article_id IS NULL", "target_article_id IS NOT NULL")
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TABLE article_search_pending ("
        " article_id INTEGER NOT NULL PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,"
        " stamp INTEGER NOT NULL)"
    )
    _replace_v_articles(BODY_FROM_SEARCH_ROW, BODY_FROM_PARAGRAPHS)


def downgrade() -> None:
    _index_related_links(None, None)
    if op.get_bind().dialect.name != "sqlite":
        return
    # The waiting rows are written before the table goes: the search table is complete again.
    op.execute("DELETE FROM article_search WHERE rowid IN (SELECT article_id FROM article_search_pending)")
    op.execute(
        "INSERT INTO article_search (rowid, title, lead, body, comments) "
        "SELECT a.id, v.title, coalesce(v.lead, ''), "
        f"{BODY_FROM_PARAGRAPHS}, "
        "coalesce((SELECT group_concat(text, char(10)) FROM (SELECT c.text AS text FROM comments c "
        "WHERE c.article_id = a.id ORDER BY c.position)), '') "
        "FROM article_search_pending p JOIN articles a ON a.id = p.article_id "
        "JOIN article_versions v ON v.id = a.current_version_id"
    )
    op.execute("DROP TABLE article_search_pending")
    _replace_v_articles(BODY_FROM_PARAGRAPHS, BODY_FROM_SEARCH_ROW)

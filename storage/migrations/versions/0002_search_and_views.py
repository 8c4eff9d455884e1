"""Full-text search table and the analyst views.

SQLite: ``article_search`` is an FTS5 table (rowid = article id; unicode61 tokenizer, accents and
case folded). PostgreSQL: ``article_search`` is a plain table whose ``document`` column is a
generated ``tsvector`` (French configuration; title > lead > body > comments weights) with a GIN
index. The repository keeps one row per article in sync (current version + all comments).

Views: ``v_articles`` (one row per article, current version, counts), ``v_comments`` (comments with
their article), ``v_related_links`` (the link graph of current versions), ``v_table_cells`` (every
cell of the current versions' tables). See docs/schema.md.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_SEARCH = """
CREATE VIRTUAL TABLE article_search USING fts5(
    title, lead, body, comments,
    tokenize = 'unicode61 remove_diacritics 2'
)
"""

POSTGRESQL_SEARCH = """
CREATE TABLE article_search (
    article_id integer NOT NULL,
    title text NOT NULL DEFAULT '',
    lead text NOT NULL DEFAULT '',
    body text NOT NULL DEFAULT '',
    comments text NOT NULL DEFAULT '',
    document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('french'::regconfig, title), 'A')
        || setweight(to_tsvector('french'::regconfig, lead), 'B')
        || setweight(to_tsvector('french'::regconfig, body), 'C')
        || setweight(to_tsvector('french'::regconfig, comments), 'D')
    ) STORED,
    CONSTRAINT pk_article_search PRIMARY KEY (article_id),
    CONSTRAINT fk_article_search_article_id_articles FOREIGN KEY (article_id)
        REFERENCES articles (id) ON DELETE CASCADE
)
"""


def _ordered_names(table: str, sqlite: bool) -> str:
    """Comma-separated names of a version's authors or tags, in page order."""
    if table == "version_authors":
        source, name = "version_authors x", "x.name"
    else:
        source, name = "tags x", "x.name"
    if sqlite:
        return (
            f"(SELECT group_concat(name, ', ') FROM "
            f"(SELECT {name} AS name FROM {source} WHERE x.version_id = v.id ORDER BY x.position))"
        )
    return f"(SELECT string_agg({name}, ', ' ORDER BY x.position) FROM {source} WHERE x.version_id = v.id)"


def _views(sqlite: bool) -> list[str]:
    # The current body text is kept once, in the search table (versions rebuild it from paragraphs).
    body_text = "(SELECT x.body FROM article_search x WHERE x.rowid = a.id)" if sqlite else "st.body"
    search_join = "" if sqlite else "LEFT JOIN article_search st ON st.article_id = a.id"
    return [
        f"""
CREATE VIEW v_articles AS
SELECT
    a.id AS article_id,
    s.key AS site,
    a.canonical_url,
    a.url,
    v.id AS version_id,
    v.version_number,
    v.title,
    v.lead,
    {_ordered_names("version_authors", sqlite)} AS authors,
    v.language,
    v.category,
    {_ordered_names("tags", sqlite)} AS tags,
    v.published_at,
    v.published_raw,
    v.modified_at,
    v.modified_raw,
    {body_text} AS body_text,
    a.first_seen_at,
    a.last_seen_at,
    v.first_seen_at AS version_first_seen_at,
    (SELECT count(*) FROM article_versions x WHERE x.article_id = a.id) AS version_count,
    (SELECT count(*) FROM sections x WHERE x.version_id = v.id) AS section_count,
    (SELECT count(*) FROM related_links x WHERE x.version_id = v.id) AS related_link_count,
    (SELECT count(*) FROM key_points x WHERE x.version_id = v.id) AS key_point_count,
    (SELECT count(*) FROM article_tables x WHERE x.version_id = v.id) AS table_count,
    a.comment_count AS declared_comment_count,
    (SELECT count(*) FROM comments x WHERE x.article_id = a.id) AS comment_count,
    (SELECT count(*) FROM raw_captures x WHERE x.version_id = v.id) AS capture_count
FROM articles a
JOIN sites s ON s.id = a.site_id
JOIN article_versions v ON v.id = a.current_version_id
{search_join}
""",
        """
CREATE VIEW v_comments AS
SELECT
    c.id AS comment_id,
    c.article_id,
    s.key AS site,
    v.title AS article_title,
    a.canonical_url AS article_url,
    c.position,
    c.site_comment_id,
    c.parent_id AS parent_comment_id,
    c.parent_key AS parent_site_comment_id,
    c.author,
    c.published_at,
    c.published_raw,
    c.text,
    c.first_seen_at,
    c.updated_at
FROM comments c
JOIN articles a ON a.id = c.article_id
JOIN sites s ON s.id = a.site_id
LEFT JOIN article_versions v ON v.id = a.current_version_id
""",
        """
CREATE VIEW v_related_links AS
SELECT
    a.id AS source_article_id,
    s.key AS source_site,
    v.title AS source_title,
    a.canonical_url AS source_url,
    l.version_id AS source_version_id,
    l.position,
    l.label,
    l.title AS link_title,
    l.url AS link_url,
    l.section_index,
    l.target_article_id,
    tv.title AS target_title,
    ta.canonical_url AS target_url
FROM related_links l
JOIN article_versions v ON v.id = l.version_id
JOIN articles a ON a.current_version_id = v.id
JOIN sites s ON s.id = a.site_id
LEFT JOIN articles ta ON ta.id = l.target_article_id
LEFT JOIN article_versions tv ON tv.id = ta.current_version_id
""",
        """
CREATE VIEW v_table_cells AS
SELECT
    a.id AS article_id,
    c.version_id,
    c.table_position,
    t.caption,
    c.row_position,
    c.position AS cell_position,
    c.column_name,
    c.value
FROM table_cells c
JOIN article_tables t ON t.version_id = c.version_id AND t.position = c.table_position
JOIN articles a ON a.current_version_id = c.version_id
""",
    ]


VIEW_NAMES = ("v_table_cells", "v_related_links", "v_comments", "v_articles")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute(SQLITE_SEARCH if sqlite else POSTGRESQL_SEARCH)
    if not sqlite:
        op.execute("CREATE INDEX ix_article_search_document ON article_search USING gin (document)")
    for statement in _views(sqlite):
        op.execute(statement)


def downgrade() -> None:
    for name in VIEW_NAMES:
        op.execute(f"DROP VIEW {name}")
    op.execute("DROP TABLE article_search")

"""Initial schema: sites, crawl runs, articles and their versions, content tables, comments, captures.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # articles.current_version_id and article_versions.article_id reference each other. SQLite accepts
    # a forward reference inside CREATE TABLE (and cannot ALTER one in); PostgreSQL needs the table
    # first and the constraint added afterwards.
    sqlite = op.get_bind().dialect.name == "sqlite"
    current_version_fk = sa.ForeignKeyConstraint(
        ["current_version_id"],
        ["article_versions.id"],
        name=op.f("fk_articles_current_version_id_article_versions"),
        ondelete="SET NULL",
    )
    current_version_fk_inline = [current_version_fk] if sqlite else []
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("settings", JSON_DOCUMENT, nullable=False),
        sa.Column("stats", JSON_DOCUMENT, nullable=False),
        sa.Column("articles_new", sa.Integer(), nullable=False),
        sa.Column("articles_updated", sa.Integer(), nullable=False),
        sa.Column("articles_unchanged", sa.Integer(), nullable=False),
        sa.Column("comments_added", sa.Integer(), nullable=False),
        sa.Column("comments_updated", sa.Integer(), nullable=False),
        sa.Column("captures_stored", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'finished', 'failed', 'interrupted')", name=op.f("ck_crawl_runs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("key", name=op.f("uq_sites_key")),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("canonical_url", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        sa.Column("comment_count", sa.Integer(), nullable=True),
        sa.Column("comments_digest", sa.String(length=64), nullable=True),
        sa.Column("record_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("first_crawl_run_id", sa.Integer(), nullable=True),
        sa.Column("last_crawl_run_id", sa.Integer(), nullable=True),
        *current_version_fk_inline,
        sa.ForeignKeyConstraint(
            ["first_crawl_run_id"], ["crawl_runs.id"], name=op.f("fk_articles_first_crawl_run_id_crawl_runs")
        ),
        sa.ForeignKeyConstraint(
            ["last_crawl_run_id"], ["crawl_runs.id"], name=op.f("fk_articles_last_crawl_run_id_crawl_runs")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_articles_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("canonical_url", "site_id", name=op.f("uq_articles_canonical_url_site_id")),
    )
    op.create_table(
        "article_urls",
        sa.Column("url_key", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_urls_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("url_key", name=op.f("pk_article_urls")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("changed_fields", JSON_DOCUMENT, nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("canonical_url", sa.Text(), nullable=True),
        sa.Column("language", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("lead", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_offset", sa.SmallInteger(), nullable=True),
        sa.Column("published_raw", sa.Text(), nullable=True),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("modified_offset", sa.SmallInteger(), nullable=True),
        sa.Column("modified_raw", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_versions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"], ["crawl_runs.id"], name=op.f("fk_article_versions_crawl_run_id_crawl_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
        sa.UniqueConstraint(
            "article_id", "version_number", name=op.f("uq_article_versions_article_id_version_number")
        ),
    )
    if not sqlite:
        op.create_foreign_key(
            op.f("fk_articles_current_version_id_article_versions"),
            "articles",
            "article_versions",
            ["current_version_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("comment_key", sa.Text(), nullable=False),
        sa.Column("site_comment_id", sa.Text(), nullable=True),
        sa.Column("parent_key", sa.Text(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_offset", sa.SmallInteger(), nullable=True),
        sa.Column("published_raw", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_crawl_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_comments_article_id_articles"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["first_crawl_run_id"], ["crawl_runs.id"], name=op.f("fk_comments_first_crawl_run_id_crawl_runs")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["comments.id"], name=op.f("fk_comments_parent_id_comments"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
        sa.UniqueConstraint("article_id", "comment_key", name=op.f("uq_comments_article_id_comment_key")),
    )
    op.create_table(
        "article_tables",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("header", JSON_DOCUMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["article_versions.id"],
            name=op.f("fk_article_tables_version_id_article_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "position", name=op.f("pk_article_tables")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "key_points",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["article_versions.id"],
            name=op.f("fk_key_points_version_id_article_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "position", name=op.f("pk_key_points")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "raw_captures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("headers", JSON_DOCUMENT, nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("compression", sa.String(length=16), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_raw_captures_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"], ["crawl_runs.id"], name=op.f("fk_raw_captures_crawl_run_id_crawl_runs")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["article_versions.id"],
            name=op.f("fk_raw_captures_version_id_article_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_captures")),
        sa.UniqueConstraint(
            "version_id", "url", "sha256", name=op.f("uq_raw_captures_version_id_url_sha256")
        ),
    )
    op.create_index(op.f("ix_raw_captures_article_id"), "raw_captures", ["article_id"])
    op.create_table(
        "related_links",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_key", sa.Text(), nullable=False),
        sa.Column("section_index", sa.Integer(), nullable=True),
        sa.Column("target_article_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["target_article_id"],
            ["articles.id"],
            name=op.f("fk_related_links_target_article_id_articles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["article_versions.id"],
            name=op.f("fk_related_links_version_id_article_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "position", name=op.f("pk_related_links")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_related_links_target_article_id"), "related_links", ["target_article_id"])
    op.create_index(op.f("ix_related_links_url_key"), "related_links", ["url_key"])
    op.create_table(
        "sections",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("heading", sa.Text(), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["article_versions.id"],
            name=op.f("fk_sections_version_id_article_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "position", name=op.f("pk_sections")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "tags",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["article_versions.id"],
            name=op.f("fk_tags_version_id_article_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "position", name=op.f("pk_tags")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "version_authors",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["article_versions.id"],
            name=op.f("fk_version_authors_version_id_article_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "position", name=op.f("pk_version_authors")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "paragraphs",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("section_position", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id", "section_position"],
            ["sections.version_id", "sections.position"],
            name=op.f("fk_paragraphs_version_id_sections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "section_position", "position", name=op.f("pk_paragraphs")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "table_rows",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("table_position", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id", "table_position"],
            ["article_tables.version_id", "article_tables.position"],
            name=op.f("fk_table_rows_version_id_article_tables"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "table_position", "position", name=op.f("pk_table_rows")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "table_cells",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("table_position", sa.Integer(), nullable=False),
        sa.Column("row_position", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("column_name", sa.Text(), nullable=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id", "table_position", "row_position"],
            ["table_rows.version_id", "table_rows.table_position", "table_rows.position"],
            name=op.f("fk_table_cells_version_id_table_rows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "version_id", "table_position", "row_position", "position", name=op.f("pk_table_cells")
        ),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("table_cells")
    op.drop_table("table_rows")
    op.drop_table("paragraphs")
    op.drop_table("version_authors")
    op.drop_table("tags")
    op.drop_table("sections")
    op.drop_index(op.f("ix_related_links_url_key"), table_name="related_links")
    op.drop_index(op.f("ix_related_links_target_article_id"), table_name="related_links")
    op.drop_table("related_links")
    op.drop_index(op.f("ix_raw_captures_article_id"), table_name="raw_captures")
    op.drop_table("raw_captures")
    op.drop_table("key_points")
    op.drop_table("article_tables")
    op.drop_table("comments")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            op.f("fk_articles_current_version_id_article_versions"), "articles", type_="foreignkey"
        )
    op.drop_table("article_versions")
    op.drop_table("article_urls")
    op.drop_table("articles")
    op.drop_table("sites")
    op.drop_table("crawl_runs")

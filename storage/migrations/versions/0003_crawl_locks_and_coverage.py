"""Crawl health and exclusivity: the site and extractor version of each run, a lock per site, coverage.

* ``crawl_runs.site_id`` (the site a crawl is for) and ``crawl_runs.extractor_version``; existing
  runs get their site back when every article they touched belongs to one site.
* ``crawl_locks``: one row per site being crawled (holder, since when, last heartbeat).
* ``crawl_run_coverage``: per run and site, how many of the articles read had each field.
* the view ``v_crawl_coverage`` (run, site, field, share) for analysts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The one site of the articles a run created, changed or saw (NULL when there were several or none).
BACKFILL_RUN_SITES = """
UPDATE crawl_runs SET site_id = (
    SELECT min(touched.site_id) FROM (
        SELECT a.site_id FROM articles a WHERE a.first_crawl_run_id = crawl_runs.id
        UNION SELECT a.site_id FROM articles a WHERE a.last_crawl_run_id = crawl_runs.id
        UNION SELECT a.site_id FROM article_versions v JOIN articles a ON a.id = v.article_id
            WHERE v.crawl_run_id = crawl_runs.id
    ) touched
    HAVING count(DISTINCT touched.site_id) = 1
)
"""

COVERAGE_VIEW = """
CREATE VIEW v_crawl_coverage AS
SELECT
    r.id AS crawl_run_id,
    r.name AS run_name,
    r.started_at,
    r.status,
    r.extractor_version,
    s.key AS site,
    c.field,
    c.articles,
    c.covered,
    CASE WHEN c.articles > 0 THEN round(100.0 * c.covered / c.articles, 1) END AS percent
FROM crawl_run_coverage c
JOIN crawl_runs r ON r.id = c.crawl_run_id
JOIN sites s ON s.id = c.site_id
"""


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # SQLite adds a column with its REFERENCES clause in place; rebuilding crawl_runs (what
        # batch mode would do) is refused while other tables' foreign keys point at it.
        op.execute(
            "ALTER TABLE crawl_runs ADD COLUMN site_id INTEGER "
            "CONSTRAINT fk_crawl_runs_site_id_sites REFERENCES sites (id)"
        )
    else:
        op.add_column("crawl_runs", sa.Column("site_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_crawl_runs_site_id_sites"), "crawl_runs", "sites", ["site_id"], ["id"])
    op.add_column("crawl_runs", sa.Column("extractor_version", sa.Text(), nullable=True))
    op.create_index(op.f("ix_crawl_runs_site_id"), "crawl_runs", ["site_id"])
    op.execute(BACKFILL_RUN_SITES)
    op.create_table(
        "crawl_locks",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.Text(), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processes", sa.Integer(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_crawl_locks_crawl_run_id_crawl_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_crawl_locks_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_crawl_locks")),
    )
    op.create_table(
        "crawl_run_coverage",
        sa.Column("crawl_run_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("covered", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "covered >= 0 AND covered <= articles", name=op.f("ck_crawl_run_coverage_covered")
        ),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_crawl_run_coverage_crawl_run_id_crawl_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_crawl_run_coverage_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("crawl_run_id", "site_id", "field", name=op.f("pk_crawl_run_coverage")),
        sqlite_with_rowid=False,
    )
    op.execute(COVERAGE_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW v_crawl_coverage")
    op.drop_table("crawl_run_coverage")
    op.drop_table("crawl_locks")
    op.drop_index(op.f("ix_crawl_runs_site_id"), table_name="crawl_runs")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_crawl_runs_site_id_sites"), "crawl_runs", type_="foreignkey")
    # SQLite (3.35+) drops a column in place unless an index or a constraint names it: the index is
    # gone; the column's REFERENCES clause does not block DROP COLUMN.
    op.drop_column("crawl_runs", "extractor_version")
    op.drop_column("crawl_runs", "site_id")

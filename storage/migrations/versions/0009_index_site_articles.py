"""An index on ``articles (site_id, current_version_id)``: a site's articles without reading them all.

``articles`` was only indexed by URL (``canonical_url, site_id``), so a query on one site's articles
through ``v_articles`` (its latest 50, counts per site) read every article row, once per site on
SQLite: per-site counts over 20,000 articles took 50–70 ms on a slow machine. This index holds both
columns the view reads from ``articles`` to join a site's articles to their current versions:
30 ms there, latest 50 of a site 22 → 18 ms.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_articles_site_id_current_version_id", "articles", ["site_id", "current_version_id"])


def downgrade() -> None:
    op.drop_index("ix_articles_site_id_current_version_id", table_name="articles")

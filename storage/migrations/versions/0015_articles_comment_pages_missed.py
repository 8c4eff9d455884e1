"""Articles remember the comment pages their latest crawl could not fetch.

``articles.comment_pages_missed``: how many comment pages the latest crawl of the article failed to
fetch (a timeout, a 500 after its retries). An incremental crawl skipped such an article as long as
its page answered ``304`` (or came back byte for byte as archived), so the comments of the missed
pages were archived only by a full crawl, or a comment revisit of a young article. Now the next
incremental crawl fetches it again, with all its comment pages, until one gets them all (0).
Articles archived before this revision are not known (NULL) and are left as they are.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("comment_pages_missed", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("articles", "comment_pages_missed")

"""Crawl runs keep a heartbeat, so that a run whose process died is closed instead of staying ``running``.

* ``crawl_runs.process``: ``host:pid:token`` of the process running the crawl.
* ``crawl_runs.heartbeat_at``: refreshed while it crawls (with its site's lock).
* ``crawl_runs.lock_holder``: the holder it presented for the site's lock (the job, or the process),
  so that closing a dead worker's run also gives back its share of the job's lock.

The site lock already let the next run close the run that held a stale lock; the workers of a
distributed job share one lock, so a worker that died left its own run ``running`` for good. Runs
recorded before this revision have no heartbeat and are left as they are.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("crawl_runs", sa.Column("process", sa.Text(), nullable=True))
    op.add_column("crawl_runs", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("crawl_runs", sa.Column("lock_holder", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("crawl_runs", "lock_holder")
    op.drop_column("crawl_runs", "heartbeat_at")
    op.drop_column("crawl_runs", "process")

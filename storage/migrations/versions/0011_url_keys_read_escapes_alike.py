"""URL keys read percent-escapes and Unicode forms alike.

``storage.record.url_key`` now writes a URL's path and query one way (``%c3%a9``, ``%C3%A9``, ``é``
and a decomposed ``é`` are one key), so a related link spelled differently from its target's URL
resolves, and an article is recognized whichever way a link spelled its URL. This migration rewrites
the keys of ``article_urls`` and ``related_links`` that change and resolves the links that now find
their target; where two articles' URLs now share a key, the older article keeps it (as when the
second arrives in a crawl). Down to 0010, the keys are written the old way again (links stay
resolved).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

from storage.record import url_key

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000


def upgrade() -> None:
    # The running url_key on purpose: the stored keys must be the ones the archive computes.
    _rekey(url_key)


def downgrade() -> None:
    _rekey(_key_before_0011)


def _key_before_0011(url: str) -> str:
    """url_key as of 0010: the path and query as written."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port if parts.port not in (None, 80, 443) else None
    except ValueError:
        port = None
    path = parts.path.rstrip("/") or "/"
    key = f"{host}:{port}{path}" if port else f"{host}{path}"
    return f"{key}?{parts.query}" if parts.query else key


def _rekey(key_of: Callable[[str], str]) -> None:
    bind = op.get_bind()
    # Read in batches, rewrite after: only the few keys that change are held in memory.
    urls = [
        (old, article_id, url, key_of(url))
        for rows in bind.execute(
            sa.text(
                "SELECT url_key, article_id, url FROM article_urls ORDER BY article_id, url_key"
            ).execution_options(yield_per=BATCH)
        ).partitions()
        for old, article_id, url in rows
        if key_of(url) != old
    ]
    if urls:
        bind.execute(sa.text("DELETE FROM article_urls WHERE url_key = :old"), [{"old": u[0]} for u in urls])
        for _old, article_id, url, new in urls:  # one at a time: the oldest article keeps a shared key
            bind.execute(
                sa.text(
                    "INSERT INTO article_urls (url_key, article_id, url) SELECT :new, :article_id, :url "
                    "WHERE NOT EXISTS (SELECT 1 FROM article_urls WHERE url_key = :new)"
                ),
                {"new": new, "article_id": article_id, "url": url},
            )
    links = [
        {"version_id": version_id, "position": position, "new": key_of(url)}
        for rows in bind.execute(
            sa.text("SELECT version_id, position, url, url_key FROM related_links").execution_options(
                yield_per=BATCH
            )
        ).partitions()
        for version_id, position, url, old in rows
        if key_of(url) != old
    ]
    if links:
        bind.execute(
            sa.text(
                "UPDATE related_links SET url_key = :new WHERE version_id = :version_id AND position = :position"
            ),
            links,
        )
    if urls or links:
        bind.execute(
            sa.text(
                "UPDATE related_links SET target_article_id = "
                "(SELECT u.article_id FROM article_urls u WHERE u.url_key = related_links.url_key) "
                "WHERE target_article_id IS NULL "
                "AND EXISTS (SELECT 1 FROM article_urls u WHERE u.url_key = related_links.url_key)"
            )
        )

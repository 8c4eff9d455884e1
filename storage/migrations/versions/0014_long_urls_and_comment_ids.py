"""PostgreSQL archives records with URLs and comment ids of any length, as SQLite does.

A PostgreSQL B-tree row holds at most ~2.7 KB: an article whose URL (a huge query string), a
related link's or a former URL, or a comment's site id was longer was refused there. Now:

* URL keys longer than ``storage.record.URL_KEY_MAX_BYTES`` are their beginning, ``#`` and the
  sha256 of the whole key (``storage.record.bounded_url_key``), on both backends: this migration
  shortens the stored ones (only SQLite can have any) in ``article_urls`` and ``related_links``.
* PostgreSQL: the unique constraints over ``articles.canonical_url``, ``comments.comment_key`` and
  ``raw_captures.url`` become unique indexes over the md5 of the text; ``articles.canonical_url``
  gets a hash index for lookups by URL. SQLite keeps its constraints.

Down to 0013, the keys are whole again and PostgreSQL has its constraints back (which fails if an
article now stored needs what 0013 could not hold).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from storage.record import URL_KEY_MAX_BYTES, bounded_url_key, whole_url_key

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000
# (table, the former unique constraint's columns, the index in its place)
UNIQUE_TEXT = (
    (
        "articles",
        ("canonical_url", "site_id"),
        "uq_articles_canonical_url_md5_site_id",
        "md5(canonical_url), site_id",
    ),
    (
        "comments",
        ("article_id", "comment_key"),
        "uq_comments_article_id_comment_key_md5",
        "article_id, md5(comment_key)",
    ),
    (
        "raw_captures",
        ("version_id", "url", "sha256"),
        "uq_raw_captures_version_id_url_md5_sha256",
        "version_id, md5(url), sha256",
    ),
)
HASH_INDEX = ("ix_articles_canonical_url_hash", "articles", "canonical_url")


def upgrade() -> None:
    # The running bounded_url_key on purpose: the stored keys must be the ones the archive computes.
    # A key over the bound has more than a quarter as many characters (UTF-8: at most 4 bytes each).
    _rekey(f"length(url_key) > {URL_KEY_MAX_BYTES // 4}", lambda key, _url: bounded_url_key(key))
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns, index, expressions in UNIQUE_TEXT:
        op.drop_constraint(f"uq_{table}_{'_'.join(columns)}", table, type_="unique")
        op.execute(f"CREATE UNIQUE INDEX {index} ON {table} ({expressions})")
    name, table, column = HASH_INDEX
    op.execute(f"CREATE INDEX {name} ON {table} USING hash ({column})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(HASH_INDEX[0], table_name=HASH_INDEX[1])
        for table, columns, index, _expressions in UNIQUE_TEXT:
            op.drop_index(index, table_name=table)
            op.create_unique_constraint(f"uq_{table}_{'_'.join(columns)}", table, list(columns))
    _rekey("url_key LIKE '%#%'", lambda _key, url: whole_url_key(url))


def _rekey(where: str, key_of: Callable[[str, str], str]) -> None:
    """Rewrite the URL keys of the ``article_urls`` and ``related_links`` rows ``where`` selects, as
    ``key_of(key, url)`` gives them (read in batches; only the keys that change are held)."""
    bind = op.get_bind()
    for table, row in (("article_urls", ("url_key",)), ("related_links", ("version_id", "position"))):
        selected = sa.text(f"SELECT url_key, url, {', '.join(row)} FROM {table} WHERE {where}")
        changes = [
            {**dict(zip(row, found[2:], strict=True)), "new": key_of(found[0], found[1])}
            for rows in bind.execute(selected.execution_options(yield_per=BATCH)).partitions()
            for found in rows
            if key_of(found[0], found[1]) != found[0]
        ]
        if changes:
            at_row = " AND ".join(f"{column} = :{column}" for column in row)
            bind.execute(sa.text(f"UPDATE {table} SET url_key = :new WHERE {at_row}"), changes)

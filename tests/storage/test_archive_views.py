"""Analyst views on both backends: v_articles, v_comments, v_related_links, v_table_cells."""

from __future__ import annotations

import re

import pytest
from archive_helpers import APPLE, FLAGSHIP, SUV, TESLA, edited, load_record
from sqlalchemy import text


@pytest.fixture
def stored(repo) -> dict[str, int]:
    ids = {name: repo.upsert_article(load_record(name)).article_id for name in (TESLA, FLAGSHIP, SUV, APPLE)}
    repo.upsert_article(edited(load_record(FLAGSHIP), title="Renault et Xiaomi : la suite"))
    return ids


def rows(session, sql: str, **params) -> list[dict]:
    return [dict(row._mapping) for row in session.execute(text(sql), params)]


def test_v_articles_has_one_row_per_article_with_its_current_version(session, stored) -> None:
    articles = {row["article_id"]: row for row in rows(session, "SELECT * FROM v_articles")}
    assert set(articles) == set(stored.values())
    flagship = articles[stored[FLAGSHIP]]
    assert flagship["title"] == "Renault et Xiaomi : la suite"
    assert (flagship["version_number"], flagship["version_count"]) == (2, 2)
    assert flagship["site"] == "blog-auto-info.com"
    assert flagship["authors"] == "Julien Marchand"
    assert flagship["tags"] == "Renault, Xiaomi, Salon de Pékin"
    assert (flagship["section_count"], flagship["related_link_count"], flagship["key_point_count"]) == (
        4,
        3,
        3,
    )
    assert (flagship["table_count"], flagship["comment_count"], flagship["declared_comment_count"]) == (
        1,
        43,
        43,
    )
    assert flagship["body_text"].startswith("Lors du récent Salon de Pékin")
    assert articles[stored[TESLA]]["comment_count"] == 0


def test_v_comments_joins_comments_to_their_article(session, stored) -> None:
    comments = rows(
        session,
        "SELECT * FROM v_comments WHERE article_id = :article ORDER BY position",
        article=stored[FLAGSHIP],
    )
    assert len(comments) == 43
    assert comments[0]["article_title"] == "Renault et Xiaomi : la suite"
    assert comments[0]["site_comment_id"] == "5012" and comments[0]["author"] == "Lucas M."
    by_id = {c["comment_id"]: c for c in comments}
    reply = next(c for c in comments if c["parent_site_comment_id"] == "5017")
    assert by_id[reply["parent_comment_id"]]["site_comment_id"] == "5017"


def test_v_related_links_is_the_graph_of_current_versions(session, stored) -> None:
    links = rows(session, "SELECT * FROM v_related_links ORDER BY source_article_id, position")
    flagship_links = [link for link in links if link["source_article_id"] == stored[FLAGSHIP]]
    assert [link["target_article_id"] for link in flagship_links] == [
        stored[SUV],
        stored[TESLA],
        stored[APPLE],
    ]
    assert [link["label"] for link in flagship_links] == ["À lire", None, "À lire"]
    assert flagship_links[1]["target_title"].startswith("Les prix des Tesla")
    # Only current versions: the flagship's version 1 links are not repeated.
    assert len(links) == 4


def test_v_table_cells_addresses_every_cell(session, stored) -> None:
    cells = rows(
        session,
        "SELECT row_position, column_name, value FROM v_table_cells WHERE article_id = :article "
        "ORDER BY table_position, row_position, cell_position",
        article=stored[FLAGSHIP],
    )
    assert len(cells) == 6
    assert cells[0] == {"row_position": 0, "column_name": "Aspect", "value": "🚗 Nouveaux partenariats"}
    assert cells[1]["column_name"] == "Détails"


def test_inbound_links_are_found_through_indexes_not_by_reading_every_article(
    backend, session, stored
) -> None:
    # v_related_links joins each link's version to the article it is current for (migration 0008).
    query = "SELECT source_title, label FROM v_related_links WHERE target_article_id = :target"
    if backend == "sqlite":
        plan = " | ".join(
            row[3] for row in session.execute(text("EXPLAIN QUERY PLAN " + query), {"target": 1})
        )
        assert "ix_articles_current_version_id" in plan
        assert "SCAN a" not in plan
    else:
        session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table: make the plan show the index
        plan = " | ".join(row[0] for row in session.execute(text("EXPLAIN " + query), {"target": 1}))
        assert "ix_articles_current_version_id" in plan


@pytest.mark.parametrize(
    "query",
    [
        "SELECT site, count(*) FROM v_articles GROUP BY site",
        "SELECT article_id, title FROM v_articles WHERE site = :site ORDER BY published_at DESC LIMIT 50",
    ],
    ids=["counts per site", "latest of a site"],
)
def test_a_sites_articles_are_read_from_the_index_not_every_article_row(
    backend, session, stored, query
) -> None:
    # articles is indexed by URL first (migration 0001); 0009 added (site_id, current_version_id).
    params = {"site": "blog-auto-info.com"}
    if backend == "sqlite":
        plan = " | ".join(row[3] for row in session.execute(text("EXPLAIN QUERY PLAN " + query), params))
        assert "COVERING INDEX ix_articles_site_id_current_version_id" in plan
        assert not re.search(r"SCAN a($| \|)", plan)  # the table itself is never scanned
    else:
        session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table: make the plan show the index
        plan = " | ".join(row[0] for row in session.execute(text("EXPLAIN " + query), params))
        assert "ix_articles_site_id_current_version_id" in plan
    assert rows(session, query, **params)  # and the query still answers

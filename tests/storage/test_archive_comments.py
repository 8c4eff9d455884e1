"""Comment merging: added, edited, never lost, threads across comment pages (both backends)."""

from __future__ import annotations

import copy

from archive_helpers import edited
from sqlalchemy import func, select

from storage import normalize_record
from storage.models import Comment


def comment_ids(record: dict) -> list[str | None]:
    return [c["id"] for c in record["comments"]]


def test_new_comments_are_added_without_a_new_version(repo, flagship) -> None:
    first_page = edited(flagship, comments=flagship["comments"][:20])
    first = repo.upsert_article(first_page)
    assert first.comments_added == 20
    full = repo.upsert_article(flagship)
    assert (full.status, full.version_id) == ("unchanged", first.version_id)
    assert (full.comments_added, full.comments_updated) == (23, 0)
    assert repo.get_record(first.article_id)["comments"] == normalize_record(flagship)["comments"]


def test_comments_missing_from_a_later_crawl_are_never_lost(repo, flagship) -> None:
    article_id = repo.upsert_article(flagship).article_id
    # A later crawl fetched only the last comment page, plus one new comment.
    new = {"id": "9001", "parent_id": None, "author": "Zoé", "text": "Toujours pas de date de sortie ?"}
    later = repo.upsert_article(edited(flagship, comments=[*flagship["comments"][35:], new]))
    assert (later.comments_added, later.comments_updated) == (1, 0)
    stored = repo.get_record(article_id)
    assert comment_ids(stored) == [*comment_ids(flagship), "9001"]


def test_edited_comment_is_updated_in_place(repo, session, flagship) -> None:
    article_id = repo.upsert_article(flagship).article_id
    comments = [dict(c) for c in flagship["comments"]]
    comments[2]["text"] = comments[2]["text"] + " (modifié)"
    result = repo.upsert_article(edited(flagship, comments=comments))
    assert (result.status, result.comments_added, result.comments_updated) == ("unchanged", 0, 1)
    assert repo.get_record(article_id)["comments"][2]["text"].endswith("(modifié)")
    row = session.scalars(
        select(Comment).where(Comment.article_id == article_id, Comment.comment_key == "5014")
    ).one()
    assert row.updated_at is not None and row.updated_at >= row.first_seen_at
    assert repo.upsert_article(edited(flagship, comments=comments)).comments_updated == 0


def test_replies_point_at_their_parent_row(repo, session, flagship) -> None:
    article_id = repo.upsert_article(flagship).article_id
    rows = {
        c.comment_key: c for c in session.scalars(select(Comment).where(Comment.article_id == article_id))
    }
    replies = [c for c in flagship["comments"] if c["parent_id"]]
    assert replies
    for reply in replies:
        assert rows[reply["id"]].parent_id == rows[reply["parent_id"]].id
        assert rows[reply["id"]].parent_key == reply["parent_id"]


def test_thread_across_comment_pages_links_up_when_the_parent_arrives(repo, session, flagship) -> None:
    reply = next(c for c in flagship["comments"] if c["parent_id"])
    parent = next(c for c in flagship["comments"] if c["id"] == reply["parent_id"])
    # The page with the reply is stored first; its parent sits on a page crawled later.
    first = repo.upsert_article(edited(flagship, comments=[reply]))
    orphan = session.scalars(select(Comment).where(Comment.comment_key == reply["id"])).one()
    assert orphan.parent_id is None and orphan.parent_key == parent["id"]
    repo.upsert_article(edited(flagship, comments=[parent]))
    session.expire_all()
    linked = session.scalars(select(Comment).where(Comment.comment_key == reply["id"])).one()
    parent_row = session.scalars(select(Comment).where(Comment.comment_key == parent["id"])).one()
    assert linked.parent_id == parent_row.id
    assert [c["id"] for c in repo.get_record(first.article_id)["comments"]] == [parent["id"], reply["id"]]


def test_a_reply_listed_before_its_parent_is_archived_with_the_article(repo, session, flagship) -> None:
    # A page listing the newest comments first shows a reply above the comment it answers (and bad
    # data may hold a cycle): SQLite refused the whole new article on the reply's foreign key.
    reply = {"id": "r1", "parent_id": "p1", "author": "Zoé", "text": "Bien d'accord."}
    parent = {"id": "p1", "parent_id": None, "author": "Léa", "text": "Enfin une citadine abordable."}
    loop = [{"id": "c1", "parent_id": "c2", "text": "Un"}, {"id": "c2", "parent_id": "c1", "text": "Deux"}]
    stored = repo.upsert_article(edited(flagship, comments=[reply, parent, *loop]))
    assert (stored.status, stored.comments_added) == ("new", 4)
    rows = {
        c.comment_key: c
        for c in session.scalars(select(Comment).where(Comment.article_id == stored.article_id))
    }
    assert rows["r1"].parent_id == rows["p1"].id
    assert (rows["c1"].parent_id, rows["c2"].parent_id) == (rows["c2"].id, rows["c1"].id)
    assert comment_ids(repo.get_record(stored.article_id)) == ["p1", "r1", "c1", "c2"]


def test_comments_without_site_ids_merge_on_their_content(repo, flagship) -> None:
    anonymous = [
        {
            "id": None,
            "parent_id": None,
            "author": "Anonyme",
            "published_at": "2024-05-01T10:00:00+02:00",
            "text": "Premier",
        },
        {"id": None, "parent_id": None, "author": None, "published_at": None, "text": "Second"},
    ]
    article_id = repo.upsert_article(edited(flagship, comments=anonymous)).article_id
    again = repo.upsert_article(edited(flagship, comments=[*anonymous, {"id": None, "text": "Troisième"}]))
    assert (again.comments_added, again.comments_updated) == (1, 0)
    assert [c["text"] for c in repo.get_record(article_id)["comments"]] == ["Premier", "Second", "Troisième"]


def test_recrawl_of_every_page_duplicates_nothing(repo, session, flagship) -> None:
    repo.upsert_article(flagship)
    for start in range(0, 43, 11):  # the comment pages again, one by one
        result = repo.upsert_article(edited(flagship, comments=flagship["comments"][start : start + 11]))
        assert (result.status, result.comments_added, result.comments_updated) == ("unchanged", 0, 0)
    assert len(session.scalars(select(Comment.id)).all()) == 43


def test_comments_without_id_dated_relatively_are_not_stored_again_at_the_next_crawl(
    repo, session, flagship
) -> None:
    # A page that dates its id-less comments "il y a 2 jours": each crawl resolves them to another second.
    def crawled_at(seconds: int) -> dict:
        record = copy.deepcopy(flagship)
        for i, comment in enumerate(record["comments"][:3]):
            comment.update(
                id=None,
                parent_id=None,
                published_raw="il y a 2 jours",
                published_at=f"2024-05-01T10:0{i}:{seconds:02d}+02:00",
            )
        for comment in record["comments"][3:]:
            if comment["parent_id"] in {c["id"] for c in flagship["comments"][:3]}:
                comment["parent_id"] = None
        return record

    first = repo.upsert_article(crawled_at(0))
    count = session.scalar(select(func.count()).select_from(Comment))
    again = repo.upsert_article(crawled_at(8))
    assert (again.article_id, again.comments_added) == (first.article_id, 0)
    assert session.scalar(select(func.count()).select_from(Comment)) == count


def test_migration_0012_rewrites_the_keys_of_comments_without_id_both_ways(fresh_archive, flagship) -> None:
    import hashlib

    from alembic import command

    from storage.db import alembic_config

    record = copy.deepcopy(flagship)
    merci = {"id": None, "parent_id": None, "author": "Paul", "published_raw": None, "text": "Merci"}
    record["comments"] += [  # the newer first, as pages listing the newest first show them
        {**merci, "published_at": "2024-05-03T09:30:00+02:00"},
        {**merci, "published_at": "2024-05-01T10:00:00+02:00"},
        {**merci, "author": None, "published_at": None, "text": "Anonyme et sans date"},
    ]
    with fresh_archive.transaction() as repo:
        article_id = repo.upsert_article(record).article_id

    def keys() -> list[str]:
        with fresh_archive.session() as session:
            return list(
                session.scalars(
                    select(Comment.comment_key)
                    .where(Comment.article_id == article_id, Comment.site_comment_id.is_(None))
                    .order_by(Comment.position)
                )
            )

    def old_key(author: str, published_at: str, text: str) -> str:
        return "h:" + hashlib.sha256("\x1f".join((author, published_at, text)).encode()).hexdigest()[:32]

    new = keys()
    assert len(set(new)) == 3
    with fresh_archive.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0011")
    assert keys() == [
        old_key("Paul", "2024-05-03T09:30:00+02:00", "Merci"),
        old_key("Paul", "2024-05-01T10:00:00+02:00", "Merci"),
        old_key("", "", "Anonyme et sans date"),
    ]
    with fresh_archive.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    assert keys() == new
    # The next crawl, its relative dates read again later, adds nothing.
    record["comments"][-2]["published_at"] = "2024-05-01T10:00:09+02:00"
    with fresh_archive.transaction() as repo:
        assert repo.upsert_article(record).comments_added == 0


def test_comments_without_id_keep_their_rows_when_a_newer_one_is_listed_above(
    repo, session, flagship
) -> None:
    # Pages that list the newest comments first: Paul's new "Merci" comes above his older one.
    merci = {"id": None, "parent_id": None, "author": "Paul", "published_raw": None, "text": "Merci"}
    older = {**merci, "published_at": "2024-05-01T10:00:00+02:00"}
    newer = {**merci, "published_at": "2024-05-09T10:00:00+02:00"}
    first = repo.upsert_article(edited(flagship, comments=[older]))
    again = repo.upsert_article(edited(flagship, comments=[newer, older]))
    assert (again.comments_added, again.comments_updated) == (1, 0)
    rows = session.execute(
        select(Comment.published_at, Comment.first_crawl_run_id, Comment.updated_at)
        .where(Comment.article_id == first.article_id)
        .order_by(Comment.id)
    ).all()
    assert [(row.published_at.day, row.updated_at) for row in rows] == [(1, None), (9, None)]

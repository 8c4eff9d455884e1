"""Upsert: idempotence, versions, round trip, crawl runs (on both backends)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta

import pytest
from archive_helpers import LONG_TEXT, edited, long_urls_record
from sqlalchemy import func, select

from storage import InvalidRecord, normalize_record, repository
from storage.models import (
    Article,
    ArticleVersion,
    Comment,
    KeyPoint,
    Paragraph,
    RawCapture,
    RelatedLink,
    Section,
    TableCell,
    TableRow,
    Tag,
)
from storage.repository import record_fingerprint

COUNTED = (
    Article,
    ArticleVersion,
    Section,
    Paragraph,
    RelatedLink,
    KeyPoint,
    TableRow,
    TableCell,
    Tag,
    Comment,
)


def row_counts(session) -> dict[str, int]:
    return {model.__tablename__: session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def test_every_fixture_record_round_trips_exactly(repo, all_records) -> None:
    for record in all_records:
        result = repo.upsert_article(record)
        assert result.status == "new"
        assert repo.get_record(result.article_id) == normalize_record(record)


def test_round_trip_keeps_every_order(repo, flagship) -> None:
    back = repo.get_record(repo.upsert_article(flagship).article_id)
    assert [s["heading"] for s in back["sections"]] == [s["heading"] for s in flagship["sections"]]
    assert [link["url"] for link in back["related_links"]] == [
        link["url"] for link in flagship["related_links"]
    ]
    assert back["tables"] == [{"caption": None, **t} for t in flagship["tables"]]
    assert [c["id"] for c in back["comments"]] == [c["id"] for c in flagship["comments"]]
    assert back["published_at"] == "2024-04-29T16:05:00+02:00"  # the page's offset survives UTC storage


def test_same_record_again_changes_nothing_but_last_seen(repo, session, flagship) -> None:
    first_seen = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    first = repo.upsert_article(flagship, seen_at=first_seen)
    before = row_counts(session)
    again = repo.upsert_article(flagship, seen_at=first_seen + timedelta(days=3))
    assert (again.status, again.version_id, again.version_number) == ("unchanged", first.version_id, 1)
    assert (again.comments_added, again.comments_updated, again.captures_stored) == (0, 0, 0)
    assert row_counts(session) == before
    article = session.get(Article, first.article_id)
    session.refresh(article)
    assert article.first_seen_at == first_seen
    assert article.last_seen_at == first_seen + timedelta(days=3)


def test_a_batch_touches_the_records_stored_unchanged_and_leaves_the_others(
    repo, session, all_records
) -> None:
    tesla, flagship, suv, apple = all_records
    first_seen = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    stored = [repo.upsert_article(record, seen_at=first_seen) for record in (tesla, flagship, suv)]
    run_id = repo.start_crawl_run("import")
    before = row_counts(session)
    later = first_seen + timedelta(days=2)
    batch = [
        json.loads(json.dumps(tesla)),  # stored unchanged: touched
        edited(flagship, title="Nouveau titre"),  # changed: left to upsert_article
        apple,  # never stored
        suv,  # twice in the batch: both left, their order decides
        suv,
        {"url": 42},  # not a record
        None,
    ]
    results = repo.touch_unchanged(batch, crawl_run_id=run_id, seen_at=later)
    assert results[1:] == [None] * 6
    touched = results[0]
    assert touched is not None
    assert (touched.article_id, touched.version_id, touched.status, touched.version_number) == (
        stored[0].article_id,
        stored[0].version_id,
        "unchanged",
        1,
    )
    assert touched == repo.upsert_article(tesla, crawl_run_id=run_id, seen_at=later)  # as one by one
    assert row_counts(session) == before
    seen = dict(session.execute(select(Article.id, Article.last_seen_at)).all())
    assert seen[stored[0].article_id] == later
    assert seen[stored[1].article_id] == seen[stored[2].article_id] == first_seen
    run = repo.finish_crawl_run(run_id, status="finished", stats={})
    assert (run.articles_new, run.articles_updated, run.articles_unchanged) == (0, 0, 2)
    assert repo.touch_unchanged([]) == []


def test_changed_content_makes_a_new_version_and_keeps_the_old(repo, session, flagship) -> None:
    first = repo.upsert_article(flagship)
    sections = [dict(s) for s in flagship["sections"]]
    sections[1] = dict(
        sections[1], paragraphs=[*sections[1]["paragraphs"], "Mise à jour : Renault confirme."]
    )
    changed = edited(flagship, sections=sections, modified_at="2024-05-02T10:00:00+02:00")
    second = repo.upsert_article(changed)
    assert second.status == "updated"
    assert second.article_id == first.article_id
    assert (second.version_number, second.changed_fields) == (2, ("modified_at", "sections"))
    assert repo.get_record(first.article_id) == normalize_record(changed)
    old = repo.version_record(first.version_id)
    assert old["sections"] == normalize_record(flagship)["sections"]
    versions = session.execute(
        select(ArticleVersion.version_number, ArticleVersion.changed_fields)
        .where(ArticleVersion.article_id == first.article_id)
        .order_by(ArticleVersion.version_number)
    ).all()
    assert versions[1] == (2, ["modified_at", "sections"])
    assert "title" in versions[0][1]  # version 1 lists the fields it brought
    # Back to the first content: that is a real change again, not a duplicate of the current version.
    assert repo.upsert_article(flagship).version_number == 3
    assert repo.upsert_article(flagship).status == "unchanged"


def test_a_fetch_from_another_url_is_the_same_article(repo, flagship) -> None:
    first = repo.upsert_article(flagship)
    page_two = edited(flagship, url=flagship["url"] + "comment-page-2/")
    again = repo.upsert_article(page_two)
    assert (again.article_id, again.status) == (first.article_id, "unchanged")
    assert repo.get_record(first.article_id)["url"] == page_two["url"]
    assert repo.find_article_id(page_two["url"]) == first.article_id
    assert (
        repo.find_article_id(
            "http://www.blog-auto-info.com/renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques"
        )
        == first.article_id
    )


def test_an_article_whose_canonical_url_moves_to_https_stays_one_article(repo, session, flagship) -> None:
    # A site that moves to https (or drops "www.") declares new canonical URLs: a re-crawl must find
    # the articles it archived under the old ones, not archive each a second time with its comments.
    before = {name: flagship[name].replace("https://", "http://www.") for name in ("url", "canonical_url")}
    first = repo.upsert_article(edited(flagship, **before))
    counts = row_counts(session)
    again = repo.upsert_article(flagship)
    assert (again.article_id, again.status, again.comments_added) == (first.article_id, "unchanged", 0)
    assert row_counts(session) == counts
    assert repo.get_record(first.article_id)["canonical_url"] == flagship["canonical_url"]
    # Found by its new canonical URL from now on, and still by the old one.
    assert repo.upsert_article(flagship).article_id == first.article_id
    assert repo.find_article_id(before["canonical_url"]) == first.article_id


def test_an_article_whose_canonical_url_changes_is_found_by_its_fetch_url(repo, session, flagship) -> None:
    first = repo.upsert_article(flagship)
    counts = row_counts(session)
    renamed = flagship["canonical_url"].rstrip("/") + "-2024/"
    again = repo.upsert_article(edited(flagship, canonical_url=renamed))
    assert (again.article_id, again.comments_added) == (first.article_id, 0)
    assert row_counts(session) == counts
    assert repo.get_record(first.article_id)["canonical_url"] == renamed
    assert repo.find_article_id(renamed) == first.article_id


def test_articles_sharing_no_url_stay_apart(repo, flagship) -> None:
    first = repo.upsert_article(flagship)
    other = edited(
        flagship,
        url="https://blog-auto-info.com/un-autre-article/",
        canonical_url="https://blog-auto-info.com/un-autre-article/",
    )
    assert repo.upsert_article(other).article_id != first.article_id


def test_a_page_renamed_with_a_redirect_stays_one_article(repo, session, flagship) -> None:
    # The site renames the page and answers its old address with a 301: the crawler asked for the
    # old URL (a revisit, an old link) and got the record of the new one.
    old = "https://blog-auto-info.com/ancien-nom/"
    new = "https://blog-auto-info.com/nouveau-nom/"
    first = repo.upsert_article(edited(flagship, url=old, canonical_url=old))
    counts = row_counts(session)
    again = repo.upsert_article(edited(flagship, url=new, canonical_url=new), redirected_from=[old])
    assert (again.article_id, again.comments_added) == (first.article_id, 0)
    assert row_counts(session) == counts
    assert repo.get_record(first.article_id)["canonical_url"] == new
    assert repo.find_article_id(old) == repo.find_article_id(new) == first.article_id


@pytest.mark.parametrize("redirect", [False, True])
def test_a_rename_seen_in_the_other_order_stays_one_article(repo, session, flagship, redirect) -> None:
    # The renamed page is archived first (still served at its old address, or answering it with a
    # 301), then a record from before the rename (an import out of order): that made a second
    # article, with every comment archived again.
    old = "https://blog-auto-info.com/ancien-nom/"
    new = "https://blog-auto-info.com/nouveau-nom/"
    if redirect:
        first = repo.upsert_article(edited(flagship, url=new, canonical_url=new), redirected_from=[old])
    else:
        first = repo.upsert_article(edited(flagship, url=old, canonical_url=new))
    counts = row_counts(session)
    again = repo.upsert_article(edited(flagship, url=old, canonical_url=old))
    assert (again.article_id, again.status, again.comments_added) == (first.article_id, "unchanged", 0)
    assert row_counts(session) == counts


def test_a_page_renamed_back_stays_one_article(repo, session, flagship) -> None:
    old = "https://blog-auto-info.com/ancien-nom/"
    first = repo.upsert_article(edited(flagship, url=old, canonical_url=old))
    repo.upsert_article(edited(flagship, url=old, canonical_url="https://blog-auto-info.com/nouveau-nom/"))
    # Renamed back, with a new title: the same article by its comments.
    back = repo.upsert_article(edited(flagship, url=old, canonical_url=old, title="Un titre revu"))
    assert (back.article_id, back.status, back.comments_added) == (first.article_id, "updated", 0)
    assert repo.get_record(first.article_id)["canonical_url"] == old
    assert session.scalar(select(func.count()).select_from(Article)) == 1


def test_the_urls_that_redirected_to_an_article_find_it(repo, flagship) -> None:
    stored = repo.upsert_article(flagship, redirected_from=["https://blog-auto-info.com/?p=5012"])
    assert repo.find_article_id("https://blog-auto-info.com/?p=5012") == stored.article_id
    with pytest.raises(InvalidRecord, match="redirected_from"):
        repo.upsert_article(flagship, redirected_from="https://blog-auto-info.com/?p=5012")


def test_urls_and_comment_ids_of_any_length_are_archived_once(repo, session, flagship) -> None:
    # PostgreSQL refused them (a B-tree index row holds ~2.7 KB), where SQLite stored them.
    record = long_urls_record(flagship)
    former = f"https://blog-auto-info.com/?p=5012&from={LONG_TEXT}"
    capture = {"url": record["url"], "status": 200, "body": b"<html>page</html>"}
    first = repo.upsert_article(record, redirected_from=[former], captures=[capture])
    assert (first.status, first.captures_stored) == ("new", 1)
    assert repo.get_record(first.article_id) == normalize_record(record)
    counts = row_counts(session)
    again = repo.upsert_article(record, redirected_from=[former], captures=[capture])
    refetched = repo.upsert_article(edited(record, url=record["canonical_url"]), captures=[capture])
    assert [(r.article_id, r.status, r.comments_added) for r in (again, refetched)] == [
        (first.article_id, "unchanged", 0)
    ] * 2
    assert row_counts(session) == counts
    assert session.scalar(select(func.count()).select_from(RawCapture)) == 1
    for url in (record["canonical_url"], record["url"], former):
        assert repo.find_article_id(url) == first.article_id
    long_id = f"comment-{LONG_TEXT}"
    parent = session.scalar(select(Comment.id).where(Comment.site_comment_id == long_id))
    assert session.scalar(select(Comment.parent_id).where(Comment.parent_key == long_id)) == parent


def test_two_articles_fetched_at_one_url_stay_two(repo, session, flagship) -> None:
    # An "article du jour" page (or a reused slug) serves one article, then another, each declaring
    # its own canonical URL: the URL that only served the first one does not make them one.
    daily = "https://blog-auto-info.com/article-du-jour/"
    clio = repo.upsert_article(
        edited(
            flagship,
            url=daily,
            canonical_url="https://blog-auto-info.com/2024/essai-clio/",
            title="Essai Clio",
        )
    )
    other = edited(
        flagship, url=daily, canonical_url="https://blog-auto-info.com/2024/essai-208/", title="Essai 208"
    )
    other["comments"] = []
    peugeot = repo.upsert_article(other)
    assert peugeot.status == "new" and peugeot.article_id != clio.article_id
    assert repo.get_record(clio.article_id)["title"] == "Essai Clio"
    # A later record that declares the daily page itself canonical is a third article too.
    third = repo.upsert_article(edited(other, canonical_url=daily, title="Le direct du jour"))
    assert third.article_id not in (clio.article_id, peugeot.article_id)


def test_an_article_is_the_same_whichever_way_its_url_is_percent_encoded(repo, session, flagship) -> None:
    encoded = "https://blog-auto-info.com/la-voiture-%c3%a9lectrique/"
    first = repo.upsert_article(edited(flagship, url=encoded, canonical_url=encoded))
    counts = row_counts(session)
    for spelling in (
        "https://blog-auto-info.com/la-voiture-%C3%A9lectrique/",
        "https://blog-auto-info.com/la-voiture-électrique/",
        "https://blog-auto-info.com/la-voiture-e\u0301lectrique/",  # decomposed é (NFD)
    ):
        again = repo.upsert_article(edited(flagship, url=spelling, canonical_url=spelling))
        assert (again.article_id, again.comments_added) == (first.article_id, 0), spelling
    assert row_counts(session) == counts


def test_dates_given_without_a_time_zone_are_archived_as_written(repo, session, flagship) -> None:
    # A page that states or implies no time zone (an English page, a .com site) gives date-times
    # without offset; the schema allows them and the article must not be lost for it.
    record = edited(flagship, published_at="2024-05-02T10:00:00", modified_at="2024-05-03T08:30:00.250000")
    record["comments"][0]["published_at"] = "2024-05-02T18:22:00"
    first = repo.upsert_article(record)
    assert first.status == "new"
    back = repo.get_record(first.article_id)
    assert back == normalize_record(record)
    assert (back["published_at"], back["comments"][0]["published_at"]) == (
        "2024-05-02T10:00:00",
        "2024-05-02T18:22:00",
    )
    assert repo.upsert_article(edited(record)).status == "unchanged"
    # Read as UTC where a column holds instants (the views, --since), the offset unknown (NULL).
    stored = session.execute(
        select(ArticleVersion.published_at, ArticleVersion.published_offset).where(
            ArticleVersion.id == first.version_id
        )
    ).one()
    assert stored == (datetime(2024, 5, 2, 10, tzinfo=UTC), None)


def test_comment_count_is_updated_without_a_version(repo, flagship) -> None:
    first = repo.upsert_article(flagship)
    again = repo.upsert_article(edited(flagship, comment_count=44))
    assert (again.status, again.version_id) == ("unchanged", first.version_id)
    assert repo.get_record(first.article_id)["comment_count"] == 44


def test_comment_pages_a_crawl_missed_are_remembered_until_one_gets_them_all(repo, session, flagship) -> None:
    def missed() -> int | None:
        return session.scalar(select(Article.comment_pages_missed))

    repo.upsert_article(flagship, comment_pages_missed=2)
    assert missed() == 2
    repo.upsert_article(flagship)  # an import or a re-extraction cannot tell: kept
    assert missed() == 2
    repo.upsert_article(edited(flagship, title="Autre titre"), comment_pages_missed=1)
    assert missed() == 1
    repo.upsert_article(edited(flagship, title="Autre titre"), comment_pages_missed=0)  # the same record
    assert missed() == 0


def test_invalid_record_is_rejected_before_anything_is_written(repo, session, flagship) -> None:
    broken = edited(flagship)
    broken["comments"][7]["text"] = None
    with pytest.raises(InvalidRecord, match=r"^comments\[7\]\.text: expected string, got null$"):
        repo.upsert_article(broken)
    assert row_counts(session)["articles"] == 0


def test_crawl_run_records_counts_settings_and_stats(repo, all_records, flagship) -> None:
    run_id = repo.start_crawl_run("blog-auto-info", settings={"DOWNLOAD_DELAY": 1.5, "spider": object()})
    for record in all_records:
        repo.upsert_article(record, crawl_run_id=run_id)
    repo.upsert_article(flagship, crawl_run_id=run_id)
    repo.upsert_article(edited(flagship, title="Nouveau titre"), crawl_run_id=run_id)
    run = repo.finish_crawl_run(run_id, status="finished", stats={"pages": 9})
    assert (run.articles_new, run.articles_unchanged, run.articles_updated) == (4, 1, 1)
    assert run.comments_added == 47
    assert run.status == "finished" and run.finished_at >= run.started_at
    assert run.settings["DOWNLOAD_DELAY"] == 1.5 and run.settings["spider"].startswith("<object")
    assert run.stats == {"pages": 9}
    with pytest.raises(ValueError, match="status must be one of"):
        repo.finish_crawl_run(run_id, status="done")


def test_records_are_read_back_in_batches(repo, all_records) -> None:
    ids = [repo.upsert_article(record).article_id for record in all_records]
    records = repo.get_records(list(reversed(ids)))
    assert [r["url"] for r in records] == [r["url"] for r in reversed(all_records)]
    assert repo.get_record(10**9) is None


def test_a_record_fingerprint_depends_on_its_values_only(flagship) -> None:
    # The same values built anew (JSON round trip), shared (one object for two fields), with keys
    # interned or not, and held by other references: one fingerprint. Marshal's format 4 gave the
    # very same record another fingerprint after it had been referenced elsewhere.
    fingerprint = record_fingerprint(flagship)
    rebuilt = json.loads(json.dumps(flagship))
    assert rebuilt["canonical_url"] is not rebuilt["url"]
    assert record_fingerprint(rebuilt) == fingerprint
    rebuilt["canonical_url"] = rebuilt["url"]
    interned = {sys.intern(key): value for key, value in rebuilt.items()}
    held = [comment["text"] for comment in interned["comments"]]
    assert record_fingerprint(interned) == fingerprint
    assert held and record_fingerprint(edited(flagship, title="Autre titre")) != fingerprint


def test_the_same_record_rebuilt_is_recognized_by_its_fingerprint(repo, flagship, monkeypatch) -> None:
    repo.upsert_article(flagship)
    rebuilt = json.loads(json.dumps(flagship))  # as a re-import reads it from a file

    def reread(record):
        raise AssertionError("the stored record was compared in full")

    monkeypatch.setattr(repository, "normalize_record", reread)
    assert repo.upsert_article(rebuilt).status == "unchanged"


def test_the_same_record_again_is_recognized_without_being_reread(repo, session, flagship) -> None:
    first = repo.upsert_article(flagship)
    stored_fingerprint = session.get(Article, first.article_id).record_fingerprint
    assert stored_fingerprint is not None
    reordered = dict(reversed(list(flagship.items())))  # same record, other key order: the full comparison
    assert repo.upsert_article(reordered).status == "unchanged"
    # Equal values shared differently (one object for url and canonical_url): maybe another
    # fingerprint, never another verdict.
    shared = json.loads(json.dumps(flagship))
    assert shared["canonical_url"] == shared["url"] and shared["canonical_url"] is not shared["url"]
    shared["canonical_url"] = shared["url"]
    assert repo.upsert_article(shared).status == "unchanged"
    assert repo.upsert_article(flagship).status == "unchanged"
    # After a re-extraction replaced the stored content, the old record is a real change again.
    improved = edited(flagship, key_points=["Un seul point"])
    assert repo.replace_version_record(first.version_id, improved) is True
    assert repo.upsert_article(flagship).status == "updated"
    assert repo.upsert_article(flagship).status == "unchanged"

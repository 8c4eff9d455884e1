"""Dates a page gives as ages ("il y a 3 heures"): read again later, they resolve to another instant
of the same precision; the archive keeps the date it has instead of versioning a date that did not
change (both backends). The archive reads no language: tests give it a small precision function."""

from __future__ import annotations

import re
from datetime import timedelta

from archive_helpers import edited
from sqlalchemy import func, select

from storage import normalize_record
from storage.models import ArticleVersion, Comment
from storage.record import same_relative_date

_AGE = re.compile(r"il y a (\d+) (minute|heure|jour)s?")
_UNIT = {"minute": timedelta(minutes=1), "heure": timedelta(hours=1), "jour": timedelta(days=1)}


def precision(raw: str | None) -> timedelta | None:
    match = _AGE.search(raw or "")
    if match is None:
        return None
    return _UNIT[match.group(2)]


def dated(record: dict, published_at: str, published_raw: str) -> dict:
    return edited(record, published_at=published_at, published_raw=published_raw)


def archived_date(repo, article_id: int) -> tuple[str, str]:
    stored = repo.get_record(article_id)
    return stored["published_at"], stored["published_raw"]


def version_count(session, article_id: int) -> int:
    return session.scalar(select(func.count()).where(ArticleVersion.article_id == article_id))


def test_an_age_read_again_within_its_precision_keeps_the_archived_date(repo, session, flagship) -> None:
    first = repo.upsert_article(
        dated(flagship, "2026-12-07T09:30:00+01:00", "Publié il y a 3 heures"), date_precision=precision
    )
    # Read two hours and twenty minutes later: "5 heures", resolved 20 minutes off the first reading.
    again = repo.upsert_article(
        dated(flagship, "2026-12-07T09:10:00+01:00", "Publié il y a 5 heures"), date_precision=precision
    )
    assert (again.status, again.version_id) == ("unchanged", first.version_id)
    assert archived_date(repo, first.article_id) == ("2026-12-07T09:30:00+01:00", "Publié il y a 3 heures")
    assert version_count(session, first.article_id) == 1


def test_without_a_precision_function_the_new_reading_is_a_version(repo, flagship) -> None:
    first = repo.upsert_article(dated(flagship, "2026-12-07T09:30:00+01:00", "Publié il y a 3 heures"))
    again = repo.upsert_article(dated(flagship, "2026-12-07T09:10:00+01:00", "Publié il y a 5 heures"))
    assert (again.status, again.changed_fields) == ("updated", ("published_at", "published_raw"))
    assert again.version_id != first.version_id


def test_an_age_that_disagrees_beyond_its_precision_is_a_new_version(repo, flagship) -> None:
    repo.upsert_article(
        dated(flagship, "2026-12-07T09:30:00+01:00", "Publié il y a 3 heures"), date_precision=precision
    )
    later = repo.upsert_article(
        dated(flagship, "2026-12-07T07:00:00+01:00", "Publié il y a 5 heures"), date_precision=precision
    )
    assert (later.status, later.changed_fields) == ("updated", ("published_at", "published_raw"))


def test_an_absolute_date_on_either_side_is_never_replaced(repo, flagship) -> None:
    repo.upsert_article(
        dated(flagship, "2026-12-07T09:30:00+01:00", "Publié il y a 3 heures"), date_precision=precision
    )
    # The page now prints the date itself: more precise, archived as a version.
    exact = repo.upsert_article(
        dated(flagship, "2026-12-07T09:12:00+01:00", "Publié le 7 décembre 2026 à 9h12"),
        date_precision=precision,
    )
    assert exact.status == "updated"
    # An absolute date read differently (a date parser fixed by reextract) is a change too.
    fixed = repo.upsert_article(
        dated(flagship, "2026-12-07T09:13:00+01:00", "Publié le 7 décembre 2026 à 9h12"),
        date_precision=precision,
    )
    assert fixed.status == "updated"


def test_an_age_agreeing_with_an_archived_absolute_date_keeps_it(repo, session, flagship) -> None:
    # The page showed the date itself, then its age again (another template, or records imported
    # out of order): the precise date stays, no version replaces it with an approximate one.
    first = repo.upsert_article(
        dated(flagship, "2026-12-07T09:12:00+01:00", "Publié le 7 décembre 2026 à 9h12"),
        date_precision=precision,
    )
    again = repo.upsert_article(
        dated(flagship, "2026-12-07T09:30:00+01:00", "Publié il y a 3 heures"), date_precision=precision
    )
    assert (again.status, again.version_id) == ("unchanged", first.version_id)
    assert archived_date(repo, first.article_id) == (
        "2026-12-07T09:12:00+01:00",
        "Publié le 7 décembre 2026 à 9h12",
    )
    # beyond the age's precision it is a change
    moved = repo.upsert_article(
        dated(flagship, "2026-12-07T07:30:00+01:00", "Publié il y a 5 heures"), date_precision=precision
    )
    assert (moved.status, moved.changed_fields) == ("updated", ("published_at", "published_raw"))
    assert version_count(session, first.article_id) == 2


def first_comment_dated(record: dict, published_at: str, published_raw: str, **changes) -> dict:
    """``record`` whose first comment says this date (and ``changes``)."""
    comments = [dict(c) for c in record["comments"]]
    comments[0].update(published_at=published_at, published_raw=published_raw, **changes)
    return edited(record, comments=comments)


def first_comment(repo, article_id: int) -> dict:
    return repo.get_record(article_id)["comments"][0]


def first_comment_date(repo, article_id: int) -> tuple[str, str]:
    stored = first_comment(repo, article_id)
    return stored["published_at"], stored["published_raw"]


def test_a_comment_age_agreeing_with_its_archived_absolute_date_is_no_edit(repo, flagship) -> None:
    first = first_comment_dated(flagship, "2026-12-04T12:07:00+01:00", "4 décembre 2026 à 12h07")
    article_id = repo.upsert_article(first, date_precision=precision).article_id
    later = first_comment_dated(first, "2026-12-04T20:00:00+01:00", "il y a 2 jours")
    result = repo.upsert_article(later, date_precision=precision)
    assert (result.comments_added, result.comments_updated) == (0, 0)
    assert first_comment_date(repo, article_id) == ("2026-12-04T12:07:00+01:00", "4 décembre 2026 à 12h07")


def test_a_real_edit_keeps_the_archived_date_and_lists_only_what_changed(repo, flagship) -> None:
    repo.upsert_article(
        dated(flagship, "2026-12-07T09:30:00+01:00", "Publié il y a 3 heures"), date_precision=precision
    )
    retitled = edited(
        dated(flagship, "2026-12-07T09:10:00+01:00", "Publié il y a 5 heures"), title="Un nouveau titre"
    )
    result = repo.upsert_article(retitled, date_precision=precision)
    assert (result.status, result.changed_fields) == ("updated", ("title",))
    assert repo.get_record(result.article_id)["published_at"] == "2026-12-07T09:30:00+01:00"


def test_a_comment_dated_by_its_age_is_not_edited_by_a_later_reading(repo, session, flagship) -> None:
    first = first_comment_dated(flagship, "2026-12-04T12:00:00+01:00", "il y a 3 jours")
    article_id = repo.upsert_article(first, date_precision=precision).article_id
    later = first_comment_dated(first, "2026-12-04T20:00:00+01:00", "il y a 2 jours")
    later["comments"].append(
        {"id": "9001", "parent_id": None, "author": "Zoé", "text": "Et la version break ?"}
    )
    result = repo.upsert_article(later, date_precision=precision)
    assert (result.comments_added, result.comments_updated) == (1, 0)
    assert first_comment_date(repo, article_id) == ("2026-12-04T12:00:00+01:00", "il y a 3 jours")
    row = session.scalars(
        select(Comment).where(
            Comment.article_id == article_id, Comment.comment_key == first["comments"][0]["id"]
        )
    ).one()
    assert row.updated_at is None
    # the next reading compares against the same digest: still nothing to update
    again = repo.upsert_article(later, date_precision=precision)
    assert (again.comments_added, again.comments_updated) == (0, 0)


def test_an_edited_comment_dated_by_its_age_keeps_its_date(repo, flagship) -> None:
    first = first_comment_dated(flagship, "2026-12-04T12:00:00+01:00", "il y a 3 jours")
    article_id = repo.upsert_article(first, date_precision=precision).article_id
    later = first_comment_dated(first, "2026-12-04T20:00:00+01:00", "il y a 2 jours", text="Texte corrigé.")
    assert repo.upsert_article(later, date_precision=precision).comments_updated == 1
    stored = first_comment(repo, article_id)
    assert (stored["text"], stored["published_at"]) == ("Texte corrigé.", "2026-12-04T12:00:00+01:00")


def test_same_relative_date() -> None:
    hours = normalize_record(dated(_minimal(), "2026-12-07T09:30:00+01:00", "il y a 3 heures"))
    assert same_relative_date(
        precision, "2026-12-07T09:10:00+01:00", "il y a 5 heures", hours["published_at"], "il y a 3 heures"
    )
    # an hour apart at most, across zones too
    assert same_relative_date(
        precision,
        "2026-12-07T09:30:00+00:00",
        "il y a 5 heures",
        "2026-12-07T10:30:00+01:00",
        "il y a 3 heures",
    )
    assert not same_relative_date(
        precision,
        "2026-12-07T08:24:00+01:00",
        "il y a 5 heures",
        "2026-12-07T09:30:00+01:00",
        "il y a 3 heures",
    )
    # with a few minutes for a page served from a cache: minutes are not held to one minute
    assert same_relative_date(
        precision,
        "2026-12-07T10:45:00+01:00",
        "il y a 40 minutes",
        "2026-12-07T10:48:00+01:00",
        "il y a 12 minutes",
    )
    assert not same_relative_date(
        precision,
        "2026-12-07T10:41:00+01:00",
        "il y a 40 minutes",
        "2026-12-07T10:48:00+01:00",
        "il y a 12 minutes",
    )
    # days are as precise as a day, whichever side says it
    assert same_relative_date(
        precision,
        "2026-12-06T10:00:00+01:00",
        "il y a 1 jour",
        "2026-12-06T22:00:00+01:00",
        "il y a 3 heures",
    )
    assert not same_relative_date(
        precision, None, "il y a 5 heures", "2026-12-07T09:30:00+01:00", "il y a 3 heures"
    )
    # an archived absolute date: within the new age's precision, not within another's
    assert same_relative_date(
        precision, "2026-12-07T09:30:00+01:00", "il y a 3 heures", "2026-12-07T09:12:00+01:00", "à 9h12"
    )
    assert same_relative_date(
        precision, "2026-12-07T09:30:00+01:00", "il y a 3 heures", "2026-12-07T09:12:00+01:00", None
    )
    assert not same_relative_date(
        precision, "2026-12-07T09:30:00+01:00", "il y a 3 heures", "2026-12-07T08:12:00+01:00", "à 8h12"
    )
    assert not same_relative_date(
        precision, "2026-12-07T09:12:00+01:00", "à 9h12", "2026-12-07T09:30:00+01:00", "il y a 3 heures"
    )
    assert not same_relative_date(
        precision,
        "2026-12-07T09:30:00+01:00",
        "il y a 3 heures",
        "2026-12-07T09:30:00+01:00",
        "il y a 3 heures",
    )


def _minimal() -> dict:
    return {
        "url": "https://site.example/a/",
        "title": "Titre",
        "sections": [],
        "related_links": [],
        "key_points": [],
        "tables": [],
        "comments": [],
    }

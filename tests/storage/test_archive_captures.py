"""Raw captures: stored compressed with their sha256, read back intact, re-extraction (both backends)."""

from __future__ import annotations

import hashlib
import zlib
from datetime import UTC, datetime

import pytest
import zstandard
from archive_helpers import edited
from sqlalchemy import select

from storage import normalize_record
from storage.models import ArticleVersion, RawCapture
from storage.repository import compress_capture
from tests.saved_pages import saved_page

PAGE = saved_page("blog-auto-info--renault-xiaomi").read_bytes()
PAGE_TWO = saved_page("blog-auto-info--renault-xiaomi--comment-page-2").read_bytes()
FETCHED = datetime(2024, 5, 3, 9, 30, tzinfo=UTC)


def captures(record: dict) -> list[dict]:
    return [
        {
            "url": record["url"],
            "status": 200,
            "headers": {
                "Content-Type": "text/html; charset=UTF-8",
                "Set-Cookie": "session=secret",
                "ETag": '"v1"',
            },
            "fetched_at": FETCHED,
            "body": PAGE,
        },
        {
            "url": record["url"] + "comment-page-2/",
            "status": 200,
            "headers": {b"Last-Modified": b"Thu, 02 May 2024 10:00:00 GMT"},
            "fetched_at": FETCHED.isoformat(),
            "body": PAGE_TWO,
        },
    ]


def test_captures_round_trip_with_sha256_and_compression(repo, session, flagship) -> None:
    result = repo.upsert_article(flagship, captures=captures(flagship))
    assert result.captures_stored == 2
    stored = list(repo.iter_captures(article_id=result.article_id))
    assert [c.body for c in stored] == [PAGE, PAGE_TWO]
    assert [c.version_id for c in stored] == [result.version_id, result.version_id]
    assert stored[0].sha256 == hashlib.sha256(PAGE).hexdigest()
    assert stored[0].headers == {"content-type": "text/html; charset=UTF-8", "etag": '"v1"'}
    assert stored[1].headers == {"last-modified": "Thu, 02 May 2024 10:00:00 GMT"}
    assert stored[0].fetched_at == FETCHED and stored[0].http_status == 200
    row = session.scalars(select(RawCapture).where(RawCapture.id == stored[0].id)).one()
    assert row.compression == "zstd" and row.size == len(PAGE)
    assert len(row.body) < len(PAGE) / 2 and zstandard.ZstdDecompressor().decompress(row.body) == PAGE


def test_captures_stored_zlib_compressed_before_zstd_still_read(repo, session, flagship) -> None:
    article_id = repo.upsert_article(flagship, captures=captures(flagship)).article_id
    session.execute(
        RawCapture.__table__.update()
        .where(RawCapture.url == flagship["url"])
        .values(compression="zlib", body=zlib.compress(PAGE, 6))
    )
    assert [c.body for c in repo.iter_captures(article_id=article_id)] == [PAGE, PAGE_TWO]


def test_identical_captures_are_not_stored_twice(repo, flagship) -> None:
    article_id = repo.upsert_article(flagship, captures=captures(flagship)).article_id
    again = repo.upsert_article(flagship, captures=captures(flagship))
    assert again.captures_stored == 0
    changed_bytes = captures(flagship)[:1]
    changed_bytes[0]["body"] = PAGE.replace(b"</body>", b"<!-- cache 2 --></body>")
    assert repo.upsert_article(flagship, captures=changed_bytes).captures_stored == 1
    assert len(list(repo.iter_captures(article_id=article_id))) == 3


def test_captures_of_a_new_version_belong_to_it(repo, flagship) -> None:
    first = repo.upsert_article(flagship, captures=captures(flagship))
    second = repo.upsert_article(edited(flagship, title="Titre corrigé"), captures=captures(flagship)[:1])
    assert second.captures_stored == 1
    assert [c.version_id for c in repo.iter_captures(version_id=second.version_id)] == [second.version_id]
    assert len(list(repo.iter_captures(version_id=first.version_id))) == 2
    assert len(list(repo.iter_captures(site="blog-auto-info.com", batch_size=1))) == 3
    assert list(repo.iter_captures(site="other.example")) == []


def test_a_corrupt_capture_is_reported(repo, session, flagship) -> None:
    repo.upsert_article(flagship, captures=captures(flagship)[:1])
    session.execute(RawCapture.__table__.update().values(body=compress_capture(b"tampered")))
    with pytest.raises(ValueError, match="sha256 mismatch"):
        list(repo.iter_captures())


@pytest.mark.parametrize(
    ("compression", "body", "problem"),
    [
        ("zstd", b"not zstd at all", r"cannot decompress \(zstd\)"),
        ("zlib", b"not zlib either", r"cannot decompress \(zlib\)"),
        ("lz4", b"whatever", "unknown compression 'lz4'"),
    ],
)
def test_a_capture_that_cannot_be_decompressed_is_reported_as_corrupt(
    repo, session, flagship, compression, body, problem
) -> None:
    repo.upsert_article(flagship, captures=captures(flagship)[:1])
    session.execute(RawCapture.__table__.update().values(compression=compression, body=body))
    with pytest.raises(ValueError, match=rf"raw capture \d+ \(https://\S+\) is corrupt: {problem}"):
        list(repo.iter_captures())


def test_reextraction_replaces_a_version_only_when_content_changed(repo, session, flagship) -> None:
    first = repo.upsert_article(flagship, captures=captures(flagship))
    second = repo.upsert_article(edited(flagship, title="Titre v2"))
    capture = next(iter(repo.iter_captures(version_id=first.version_id)))
    assert capture.body == PAGE
    # Re-extracting with an unchanged extractor: nothing to do.
    assert repo.replace_version_record(first.version_id, flagship) is False
    # A better extractor found the key points' missing fourth item.
    improved = edited(flagship, key_points=[*flagship["key_points"], "Un quatrième point"])
    assert repo.replace_version_record(first.version_id, improved) is True
    assert repo.version_record(first.version_id)["key_points"] == normalize_record(improved)["key_points"]
    changed = dict(
        session.execute(
            select(ArticleVersion.version_number, ArticleVersion.changed_fields).where(
                ArticleVersion.article_id == first.article_id
            )
        ).all()
    )
    assert changed[2] == ["title", "key_points"]  # version 2 is now compared with the new version 1
    assert repo.get_record(second.article_id)["title"] == "Titre v2"  # the current version is untouched
    assert len(repo.get_record(second.article_id)["comments"]) == 43


def test_reextraction_leaves_alone_an_article_a_crawl_archived_meanwhile(
    fresh_archive, flagship, monkeypatch
) -> None:
    """The pass lists the articles first; one re-crawled (changed) before its turn keeps the crawl's
    version and visit — re-extracting its older captures would make the old content current again."""
    import storage.crawl_state as crawl_state
    from newscrawl.reextract import reextract_archive
    from storage.models import Article

    with fresh_archive.transaction() as repo:
        first = repo.upsert_article(flagship, captures=captures(flagship), seen_at=FETCHED)
    crawled_at = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
    listed = crawl_state.articles_for_reextraction

    def listed_then_recrawled(session, site=None):
        todo = listed(session, site)
        with fresh_archive.transaction() as repo:  # a crawl, between the listing and the article's turn
            repo.upsert_article(edited(flagship, title="Titre v2"), seen_at=crawled_at)
        return todo

    monkeypatch.setattr(crawl_state, "articles_for_reextraction", listed_then_recrawled)
    report = reextract_archive(fresh_archive)
    assert (report.articles, report.skipped, report.updated, report.failed) == (1, 1, 0, [])
    with fresh_archive.session() as session:
        titles = session.scalars(
            select(ArticleVersion.title)
            .where(ArticleVersion.article_id == first.article_id)
            .order_by(ArticleVersion.version_number)
        ).all()
        assert titles == [flagship["title"], "Titre v2"]
        article = session.scalars(select(Article).where(Article.id == first.article_id)).one()
        assert article.last_seen_at == crawled_at

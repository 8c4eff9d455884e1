"""Related links resolve to archived articles whichever arrives first (both backends)."""

from __future__ import annotations

from archive_helpers import APPLE, FLAGSHIP, SUV, TESLA, edited, load_record
from sqlalchemy import select

from storage.models import RelatedLink


def targets(session, version_id: int) -> list[int | None]:
    return list(
        session.scalars(
            select(RelatedLink.target_article_id)
            .where(RelatedLink.version_id == version_id)
            .order_by(RelatedLink.position)
        )
    )


def test_links_to_articles_already_archived_resolve_on_insert(repo, session) -> None:
    ids = {name: repo.upsert_article(load_record(name)).article_id for name in (SUV, TESLA, APPLE)}
    flagship = repo.upsert_article(load_record(FLAGSHIP))
    assert targets(session, flagship.version_id) == [ids[SUV], ids[TESLA], ids[APPLE]]


def test_links_resolve_when_the_target_arrives_later(repo, session) -> None:
    flagship = repo.upsert_article(load_record(FLAGSHIP))
    assert targets(session, flagship.version_id) == [None, None, None]
    tesla = repo.upsert_article(load_record(TESLA))
    assert tesla.links_resolved == 1
    session.expire_all()
    assert targets(session, flagship.version_id) == [None, tesla.article_id, None]
    suv = repo.upsert_article(load_record(SUV))
    assert suv.links_resolved == 1  # the SUV article's own link to the flagship resolved on insert
    session.expire_all()
    assert targets(session, flagship.version_id) == [suv.article_id, tesla.article_id, None]
    suv_links = targets(session, suv.version_id)
    assert suv_links == [flagship.article_id]


def test_links_match_equivalent_urls(repo, session) -> None:
    flagship = load_record(FLAGSHIP)
    flagship["related_links"][1]["url"] = (
        "http://www.blog-auto-info.com/les-prix-des-tesla-model-s-x-et-3-viennent-de-chuter#respond"
    )
    stored = repo.upsert_article(flagship)
    tesla = repo.upsert_article(load_record(TESLA))
    session.expire_all()
    assert targets(session, stored.version_id)[1] == tesla.article_id


def test_a_target_known_by_its_fetch_url_resolves_too(repo, session) -> None:
    tesla = load_record(TESLA)
    canonical = tesla["url"]
    fetched = edited(tesla, url=canonical + "?utm_source=rss")
    flagship = load_record(FLAGSHIP)
    flagship["related_links"][1]["url"] = fetched["url"]
    stored = repo.upsert_article(flagship)
    target = repo.upsert_article(fetched)
    session.expire_all()
    assert targets(session, stored.version_id)[1] == target.article_id


def test_resolve_related_links_catches_up_everything(repo, session) -> None:
    flagship = repo.upsert_article(load_record(FLAGSHIP))
    for name in (SUV, TESLA, APPLE):
        repo.upsert_article(load_record(name))
    assert repo.resolve_related_links() == 0  # nothing left: upserts resolved as articles arrived
    session.execute(RelatedLink.__table__.update().values(target_article_id=None))
    assert repo.resolve_related_links() == 4
    session.expire_all()
    assert None not in targets(session, flagship.version_id)

"""Related links resolve to archived articles whichever arrives first (both backends)."""

from __future__ import annotations

from archive_helpers import APPLE, FLAGSHIP, SUV, TESLA, edited, load_record, long_urls_record
from sqlalchemy import select, update

from storage.models import ArticleUrl, RelatedLink


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


def test_links_to_urls_of_any_length_resolve(repo, session) -> None:
    # A link's URL past ~2.7 KB was refused by PostgreSQL (a B-tree index row holds no more).
    tesla = long_urls_record(load_record(TESLA))
    flagship = load_record(FLAGSHIP)
    flagship["related_links"][1]["url"] = tesla["url"]
    waiting = repo.upsert_article(flagship)
    target = repo.upsert_article(tesla)
    assert target.links_resolved == 1
    arriving_after = repo.upsert_article(edited(flagship, title="Renault et Xiaomi, la suite"))
    session.expire_all()
    assert targets(session, waiting.version_id)[1] == target.article_id
    assert targets(session, arriving_after.version_id)[1] == target.article_id
    assert repo.resolve_related_links() == 0


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


def test_links_match_urls_spelled_with_other_escapes(repo, session) -> None:
    # WordPress writes permalinks with lower-case escapes; another page may write the same URL
    # with upper-case ones or the letters themselves.
    tesla = load_record(TESLA)
    spelled = "https://blog-auto-info.com/les-prix-des-tesla-baissent-%c3%a0-nouveau/"
    target = repo.upsert_article(edited(tesla, url=spelled, canonical_url=spelled))
    flagship = load_record(FLAGSHIP)
    flagship["related_links"][0]["url"] = "https://blog-auto-info.com/les-prix-des-tesla-baissent-à-nouveau/"
    flagship["related_links"][2]["url"] = (
        "https://blog-auto-info.com/les-prix-des-tesla-baissent-%C3%A0-nouveau"
    )
    stored = repo.upsert_article(flagship)
    assert targets(session, stored.version_id) == [target.article_id, None, target.article_id]


def test_migration_0011_rewrites_url_keys_both_ways(fresh_archive) -> None:
    """Up from 0010, the keys of URLs spelled with escapes or accents are rewritten and the links
    they now match resolve; down, they are written as before."""
    from alembic import command

    from storage.db import alembic_config

    spelled = "https://blog-auto-info.com/les-prix-des-tesla-baissent-%c3%a0-nouveau/"
    with fresh_archive.transaction() as repo:
        target = repo.upsert_article(edited(load_record(TESLA), url=spelled, canonical_url=spelled))
        flagship = load_record(FLAGSHIP)
        flagship["related_links"][0]["url"] = (
            "https://blog-auto-info.com/les-prix-des-tesla-baissent-à-nouveau/"
        )
        source = repo.upsert_article(flagship)

    def keys() -> tuple[set[str], str, int | None]:
        with fresh_archive.session() as session:
            urls = set(
                session.scalars(select(ArticleUrl.url_key).where(ArticleUrl.article_id == target.article_id))
            )
            link = session.execute(
                select(RelatedLink.url_key, RelatedLink.target_article_id).where(
                    RelatedLink.version_id == source.version_id, RelatedLink.position == 0
                )
            ).one()
        return urls, link.url_key, link.target_article_id

    new_key = "blog-auto-info.com/les-prix-des-tesla-baissent-%C3%A0-nouveau"
    assert keys() == ({new_key}, new_key, target.article_id)
    with fresh_archive.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0010")
        # As 0010 archived it: the link spelled otherwise than its target did not resolve.
        connection.execute(update(RelatedLink).values(target_article_id=None))
    old_key = "blog-auto-info.com/les-prix-des-tesla-baissent-%c3%a0-nouveau"
    assert keys() == ({old_key}, "blog-auto-info.com/les-prix-des-tesla-baissent-à-nouveau", None)
    with fresh_archive.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    assert keys() == ({new_key}, new_key, target.article_id)

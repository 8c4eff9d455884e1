"""Crawl health (storage/health.py): coverage per field, a site's runs, the drop rule, site summaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from archive_helpers import APPLE, FLAGSHIP, SUV, TESLA, edited, load_record

from storage import run_query
from storage.db import alembic_config
from storage.health import (
    COVERAGE_FIELDS,
    REEXTRACT_RUN,
    CoverageTally,
    DropRule,
    FieldCoverage,
    RunHealth,
    binomial_lower_tail,
    coverage_drops,
    covered_fields,
    site_imports,
    site_runs,
    site_summaries,
    store_coverage,
    tag_crawl_run,
)
from storage.locks import acquire_crawl_lock

SITE = "blog-auto-info.com"
T0 = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- coverage of records


def test_a_full_record_covers_every_field() -> None:
    assert covered_fields(load_record(FLAGSHIP)) == list(COVERAGE_FIELDS)


def test_empty_values_do_not_count() -> None:
    record = {
        "url": "https://blog-auto-info.com/x/",
        "title": "Un titre",
        "lead": "   ",
        "authors": [],
        "sections": [{"heading": "Intro", "paragraphs": []}],
        "comments": [],
        "comment_count": 3,
        "language": None,
    }
    assert covered_fields(record) == ["title", "comment_count"]


def test_the_tally_counts_per_site() -> None:
    tally = CoverageTally()
    assert not tally
    for name in (TESLA, FLAGSHIP, SUV, APPLE):
        tally.add(load_record(name))
    tally.add(edited(load_record(TESLA), site=None, url="https://www.autoplus.fr/essai/"))
    rows = {(site, name): (articles, covered) for site, name, articles, covered in tally.rows()}
    assert rows[SITE, "title"] == (4, 4)
    assert rows[SITE, "modified_at"] == (4, 2)
    assert rows[SITE, "key_points"] == (4, 1)
    assert rows[SITE, "comments"] == (4, 4)  # the Tesla article, without, declares none
    assert rows["autoplus.fr", "authors"] == (1, 1)  # the site falls back to the URL's host
    assert len(rows) == 2 * len(COVERAGE_FIELDS)


# --------------------------------------------------------------------------- stored and read back


def crawl_run(repo, records, *, site=SITE, stats=None, started_at=None, status="finished"):
    run_id = repo.start_crawl_run("blog-auto-info", started_at=started_at)
    tag_crawl_run(repo.session, run_id, site=site, extractor_version="newscrawl-0.1.0+0123abcd")
    tally = CoverageTally()
    for record in records:
        repo.upsert_article(record, crawl_run_id=run_id)
        tally.add(record)
    store_coverage(repo.session, run_id, tally)
    finished = (started_at or datetime.now(UTC)) + timedelta(seconds=42)
    repo.finish_crawl_run(run_id, status=status, stats=stats or {}, finished_at=finished)
    return run_id


def test_a_runs_coverage_and_figures_are_read_back(repo) -> None:
    records = [load_record(name) for name in (TESLA, FLAGSHIP, SUV, APPLE)]
    stats = {"response_received_count": 12, "newscrawl/errors": 1}
    run_id = crawl_run(repo, records, stats=stats, started_at=T0)
    [run] = site_runs(repo.session, SITE)
    assert (run.id, run.name, run.site, run.status) == (run_id, "blog-auto-info", SITE, "finished")
    assert (run.pages, run.new, run.updated, run.unchanged, run.errors) == (12, 4, 0, 0, 1)
    assert run.extractor_version == "newscrawl-0.1.0+0123abcd"
    assert run.duration == timedelta(seconds=42)
    assert run.articles_read == 4
    assert list(run.coverage) == list(COVERAGE_FIELDS)
    assert run.coverage["title"] == FieldCoverage(4, 4)
    assert run.coverage["related_links"] == FieldCoverage(4, 2)
    assert run.coverage["related_links"].share == 0.5


def test_runs_are_listed_oldest_first_and_limited_to_the_latest(repo) -> None:
    ids = [crawl_run(repo, [load_record(TESLA)], started_at=T0 + timedelta(days=n)) for n in range(4)]
    assert [run.id for run in site_runs(repo.session, SITE)] == ids
    assert [run.id for run in site_runs(repo.session, SITE, limit=2)] == ids[-2:]
    assert site_runs(repo.session, "unknown.example") == []


def test_a_run_that_read_nothing_is_listed_without_coverage(repo) -> None:
    run_id = crawl_run(repo, [], status="failed")
    [run] = site_runs(repo.session, SITE)
    assert run.id == run_id and run.coverage == {} and run.articles_read == 0
    assert run.pages is None and run.errors is None


def test_a_run_over_several_sites_appears_in_each(repo) -> None:
    other = edited(load_record(TESLA), site="autoplus.fr", url="https://autoplus.fr/a/", canonical_url=None)
    run_id = crawl_run(repo, [load_record(FLAGSHIP), other], site=None)
    assert [run.id for run in site_runs(repo.session, SITE)] == [run_id]
    [autoplus] = site_runs(repo.session, "autoplus.fr")
    assert autoplus.coverage["title"] == FieldCoverage(1, 1)


def test_storing_again_replaces_the_rows(repo) -> None:
    run_id = crawl_run(repo, [load_record(FLAGSHIP)])
    tally = CoverageTally()
    tally.add(load_record(TESLA))
    tally.add(load_record(SUV))
    assert store_coverage(repo.session, run_id, tally) == len(COVERAGE_FIELDS)
    [run] = site_runs(repo.session, SITE)
    assert run.coverage["title"] == FieldCoverage(2, 2)


def test_the_coverage_view_gives_percentages(fresh_archive) -> None:
    with fresh_archive.transaction() as repo:
        crawl_run(repo, [load_record(name) for name in (TESLA, FLAGSHIP, SUV, APPLE)])
    result = run_query(
        fresh_archive,
        "SELECT site, field, articles, covered, percent, extractor_version FROM v_crawl_coverage "
        "WHERE field IN ('modified_at', 'title') ORDER BY field",
    )
    assert [tuple(row) for row in result.rows] == [
        (SITE, "modified_at", 4, 2, 50.0, "newscrawl-0.1.0+0123abcd"),
        (SITE, "title", 4, 4, 100.0, "newscrawl-0.1.0+0123abcd"),
    ]


# --------------------------------------------------------------------------- the drop rule


def run_with(run_id: int, articles: int, **covered: int) -> RunHealth:
    """A run of SITE that read ``articles`` articles, every field covered unless given."""
    coverage = {name: FieldCoverage(articles, covered.get(name, articles)) for name in COVERAGE_FIELDS}
    return RunHealth(
        id=run_id,
        name="blog-auto-info",
        site=SITE,
        started_at=T0 + timedelta(hours=run_id),
        finished_at=None,
        status="finished",
        extractor_version=None,
        pages=None,
        new=0,
        updated=0,
        unchanged=articles,
        errors=0,
        comments_added=0,
        coverage=coverage,
    )


def test_a_layout_change_is_flagged_with_a_plain_message() -> None:
    runs = [run_with(n, 40, authors=39) for n in range(1, 6)] + [run_with(42, 40, authors=5)]
    [drop] = coverage_drops(runs)
    assert (drop.run_id, drop.field, drop.covered, drop.articles) == (42, "authors", 5, 40)
    assert drop.baseline == pytest.approx(39 / 40)
    assert drop.message == (
        "authors coverage fell from 98% to 12% on run 42 (blog-auto-info.com, 5 of 40 articles; "
        "median of the 5 previous runs) — did the site change its layout?"
    )


def test_steady_runs_and_small_wobbles_raise_nothing() -> None:
    runs = [run_with(n, 30, tags=27 + n % 3, key_points=10 - n % 4) for n in range(1, 12)]
    assert coverage_drops(runs) == []


def test_an_article_that_declares_no_comments_has_none_missing() -> None:
    # A new article has no comments yet, and an incremental run reads mostly new articles: counted as
    # missing, its comments fell from the site's usual share to 0 %, a layout change in `sites`.
    new = {"url": "https://blog-auto-info.com/x/", "title": "Un titre", "comments": [], "comment_count": 0}
    assert covered_fields(new) == ["title", "comments", "comment_count"]
    assert covered_fields({**new, "comment_count": None}) == ["title"]  # none said: not read
    runs = [run_with(run_id, 40, comments=30) for run_id in range(1, 6)]
    tally = CoverageTally()
    for n in range(8):
        tally.add({**new, "url": f"https://blog-auto-info.com/new-{n}/"})
    [(_, _, articles, covered)] = [row for row in tally.rows() if row[1] == "comments"]
    assert coverage_drops([*runs, run_with(6, articles, comments=covered)]) == []


def test_a_run_of_two_articles_does_not_alarm() -> None:
    runs = [run_with(n, 40) for n in range(1, 6)] + [run_with(6, 2, authors=0, title=0)]
    assert coverage_drops(runs) == []


def test_a_fall_that_chance_explains_does_not_alarm() -> None:
    # Half the articles usually have a table; 1 of 6 this time is a 33-point fall, but likely enough.
    runs = [run_with(n, 40, tables=20) for n in range(1, 6)] + [run_with(6, 6, tables=1)]
    assert coverage_drops(runs) == []
    assert binomial_lower_tail(1, 6, 0.5) == pytest.approx(7 / 64)


def test_the_baseline_is_the_median_so_one_odd_run_does_not_set_it() -> None:
    odd = run_with(3, 40, lead=0)  # flagged itself, and must not hide the next real drop
    runs = [run_with(1, 40), run_with(2, 40), odd, run_with(4, 40), run_with(5, 40, lead=2)]
    assert [(d.run_id, d.field) for d in coverage_drops(runs)] == [(3, "lead"), (5, "lead")]


def test_runs_too_small_are_not_a_baseline_either() -> None:
    runs = [run_with(1, 3, authors=0), run_with(2, 40, authors=2)]
    assert coverage_drops(runs) == []  # nothing to compare with
    assert coverage_drops(runs, DropRule(min_articles=3)) == []  # 0% before, nothing fell


def test_binomial_tail_edges() -> None:
    assert binomial_lower_tail(5, 5, 0.9) == 1.0
    assert binomial_lower_tail(0, 5, 1.0) == 0.0
    assert binomial_lower_tail(0, 5, 0.0) == 1.0
    assert binomial_lower_tail(0, 2, 0.5) == pytest.approx(0.25)


# --------------------------------------------------------------------------- site summaries


def test_site_summaries_give_figures_last_run_lock_and_standing_drops(repo) -> None:
    full = [load_record(FLAGSHIP)] + [
        edited(load_record(FLAGSHIP), url=f"https://blog-auto-info.com/a{n}/", canonical_url=None)
        for n in range(7)
    ]
    for day in range(3):
        crawl_run(repo, full, started_at=T0 + timedelta(days=day))
    no_authors = [edited(record, authors=[]) for record in full]
    dropped = crawl_run(repo, no_authors, started_at=T0 + timedelta(days=3))
    acquire_crawl_lock(repo.session, SITE, "cron:1", ttl=600)
    repo.upsert_article(edited(load_record(TESLA), site="autoplus.fr", url="https://autoplus.fr/t/"))
    summaries = {summary.site: summary for summary in site_summaries(repo.session)}
    assert list(summaries) == ["autoplus.fr", SITE]
    blog = summaries[SITE]
    assert (blog.articles, blog.comments, blog.runs) == (8, 43 * 8, 4)
    assert blog.last_run is not None and blog.last_run.id == dropped
    assert [(d.field, d.run_id) for d in blog.drops] == [("authors", dropped)]
    assert blog.lock is not None and blog.lock.holder == "cron:1"
    autoplus = summaries["autoplus.fr"]
    assert (autoplus.articles, autoplus.runs, autoplus.last_run, autoplus.drops) == (1, 0, None, [])


def test_a_healthy_run_after_a_drop_clears_it(repo) -> None:
    full = [
        edited(load_record(FLAGSHIP), url=f"https://blog-auto-info.com/a{n}/", canonical_url=None)
        for n in range(8)
    ]
    for day in range(3):
        crawl_run(repo, full, started_at=T0 + timedelta(days=day))
    crawl_run(repo, [edited(r, authors=[]) for r in full], started_at=T0 + timedelta(days=3))
    crawl_run(repo, full[:2], started_at=T0 + timedelta(days=4))  # too small to judge: the drop stands
    [summary] = site_summaries(repo.session)
    assert [d.field for d in summary.drops] == ["authors"]
    crawl_run(repo, full, started_at=T0 + timedelta(days=5))
    [summary] = site_summaries(repo.session)
    assert summary.drops == []


def test_imports_are_told_apart_from_a_sites_runs(repo) -> None:
    # `newscrawl db ingest` records a run for no site in particular: its articles are "imported", and the
    # run is none of their site's runs (`sites` and `report` said "no crawl runs yet" and nothing else).
    crawled = crawl_run(repo, [load_record(FLAGSHIP)], started_at=T0)
    first = repo.start_crawl_run("import", started_at=T0 + timedelta(days=1))
    repo.upsert_article(load_record(SUV), crawl_run_id=first)
    repo.upsert_article(load_record(FLAGSHIP), crawl_run_id=first)  # archived by the crawl: not imported
    repo.upsert_article(
        edited(load_record(TESLA), site="autoplus.fr", url="https://autoplus.fr/t/"), crawl_run_id=first
    )
    second = repo.start_crawl_run("import", started_at=T0 + timedelta(days=2))
    repo.upsert_article(load_record(APPLE), crawl_run_id=second)
    # A re-extraction of every site is a run for no site too, but it stores no new article.
    reextract = repo.start_crawl_run(REEXTRACT_RUN, started_at=T0 + timedelta(days=3))
    repo.upsert_article(edited(load_record(APPLE), title="Un autre titre"), crawl_run_id=reextract)
    imports = site_imports(repo.session)
    assert {site: (i.articles, i.runs, i.last_started_at) for site, i in imports.items()} == {
        SITE: (2, (first, second), T0 + timedelta(days=2)),
        "autoplus.fr": (1, (first,), T0 + timedelta(days=1)),
    }
    summaries = {summary.site: summary for summary in site_summaries(repo.session)}
    assert summaries[SITE].imports == imports[SITE] and summaries[SITE].runs == 1
    assert summaries[SITE].last_run is not None and summaries[SITE].last_run.id == crawled
    assert (summaries["autoplus.fr"].runs, summaries["autoplus.fr"].last_run) == (0, None)


# --------------------------------------------------------------------------- migration 0003


def test_upgrading_an_archive_finds_the_site_of_its_earlier_runs(fresh_archive) -> None:
    other = edited(load_record(TESLA), site="autoplus.fr", url="https://autoplus.fr/t/", canonical_url=None)
    with fresh_archive.transaction() as repo:
        one_site = repo.start_crawl_run("blog-auto-info")
        repo.upsert_article(load_record(FLAGSHIP), crawl_run_id=one_site)
        repo.upsert_article(load_record(SUV), crawl_run_id=one_site)
        mixed = repo.start_crawl_run("import")
        repo.upsert_article(load_record(APPLE), crawl_run_id=mixed)
        repo.upsert_article(other, crawl_run_id=mixed)
        seen_again = repo.start_crawl_run("blog-auto-info")
        # Unchanged: the run is only in the article's last_crawl_run_id.
        repo.upsert_article(load_record(FLAGSHIP), crawl_run_id=seen_again)
        empty = repo.start_crawl_run("blog-auto-info")
    with fresh_archive.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0002")
        assert "site_id" not in {c["name"] for c in sa.inspect(connection).get_columns("crawl_runs")}
        command.upgrade(alembic_config(connection), "head")
        rows = dict(
            connection.execute(
                sa.text(
                    "SELECT r.id, s.key FROM crawl_runs r LEFT JOIN sites s ON s.id = r.site_id ORDER BY r.id"
                )
            ).all()
        )
    assert rows == {one_site: SITE, mixed: None, seen_again: SITE, empty: None}

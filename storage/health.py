"""Crawl health: which fields each run's articles had (coverage), and the runs of a site over time.

Writing (the crawl's pipeline, ``newscrawl reextract``)::

    tally = CoverageTally()
    tally.add(record)                   # each record the run archived
    with archive.transaction() as repo:
        tag_crawl_run(repo.session, run_id, site="blog-auto-info.com", extractor_version="newscrawl-0.1.0+ab12cd34")
        store_coverage(repo.session, run_id, tally)

``crawl_run_coverage`` then holds, per run and site, how many articles the run read (``articles``)
and how many of them had each of :data:`COVERAGE_FIELDS` (``covered``); ``v_crawl_coverage`` adds
the share. Reading: :func:`site_runs` (a site's runs, oldest first, with their coverage and figures),
:func:`coverage_drops` (the rule that flags a layout change), :func:`site_summaries` (every site
of the archive, its last run, lock and health; :func:`site_imports`, what imports brought to it).

The drop rule, per field: a run's share is compared with the median share of the site's previous
runs (up to ``window`` of them) that read at least ``min_articles`` articles; it is a drop when the
run itself read at least ``min_articles``, fell by ``min_drop`` or more (absolute), and the fall is
unlikely to be chance: fewer covered articles than that, if the field were still present as often
as before, would happen with probability under ``significance`` (binomial tail).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from storage.locks import ABANDONED_REASON, HeldLock, crawl_locks, ensure_site
from storage.models import Article, CrawlRun, CrawlRunCoverage, Site
from storage.query import comment_counts_by_site
from storage.record import site_from_url

__all__ = [
    "COVERAGE_FIELDS",
    "REEXTRACT_RUN",
    "CoverageDrop",
    "CoverageTally",
    "DropRule",
    "FieldCoverage",
    "RunHealth",
    "SiteImports",
    "SiteSummary",
    "coverage_drops",
    "covered_fields",
    "site_imports",
    "site_runs",
    "site_summaries",
    "store_coverage",
    "tag_crawl_run",
]

_RUNS = CrawlRun.__table__
_COVERAGE = CrawlRunCoverage.__table__
_SITES = Site.__table__


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _items(value: Any) -> bool:
    return isinstance(value, list) and bool(value)


def _paragraphs(sections: Any) -> bool:
    return isinstance(sections, list) and any(
        isinstance(section, Mapping) and section.get("paragraphs") for section in sections
    )


COVERAGE_FIELDS: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "title": lambda r: _text(r.get("title")),
    "lead": lambda r: _text(r.get("lead")),
    "authors": lambda r: _items(r.get("authors")),
    "published_at": lambda r: _text(r.get("published_at")),
    "modified_at": lambda r: _text(r.get("modified_at")),
    "category": lambda r: _text(r.get("category")),
    "tags": lambda r: _items(r.get("tags")),
    "sections": lambda r: _paragraphs(r.get("sections")),
    "related_links": lambda r: _items(r.get("related_links")),
    "key_points": lambda r: _items(r.get("key_points")),
    "tables": lambda r: _items(r.get("tables")),
    "comments": lambda r: _items(r.get("comments")) or r.get("comment_count") == 0,
    "comment_count": lambda r: isinstance(r.get("comment_count"), int),
    "language": lambda r: _text(r.get("language")),
}
"""Field → "does this record have it": non-empty text or list; ``sections``: at least one paragraph;
``comment_count``: the page declared a count (0 included); ``comments``: read, or none to read (the page
declares 0): a new article has no comments yet, and the articles an incremental run reads are mostly
new ones, which read as a collapse of the site's comments."""


def covered_fields(record: Mapping[str, Any]) -> list[str]:
    """The :data:`COVERAGE_FIELDS` a record (schema dict) has."""
    return [name for name, present in COVERAGE_FIELDS.items() if present(record)]


class CoverageTally:
    """Counts, per site, the records a run archived and how many had each field."""

    def __init__(self) -> None:
        self.articles: Counter[str] = Counter()
        self.covered: dict[str, Counter[str]] = {}

    def add(self, record: Mapping[str, Any]) -> None:
        site = record.get("site") or site_from_url(str(record.get("url") or ""))
        self.articles[site] += 1
        self.covered.setdefault(site, Counter()).update(covered_fields(record))

    def __bool__(self) -> bool:
        return bool(self.articles)

    def rows(self) -> Iterable[tuple[str, str, int, int]]:
        """``(site, field, articles, covered)`` for every site seen and every field."""
        for site, articles in sorted(self.articles.items()):
            for name in COVERAGE_FIELDS:
                yield site, name, articles, self.covered[site][name]


def tag_crawl_run(
    session: Session, run_id: int, *, site: str | None = None, extractor_version: str | None = None
) -> None:
    """Record which site a run crawls (the site row is created if needed) and with which extractor."""
    values: dict[str, Any] = {"extractor_version": extractor_version}
    if site is not None:
        values["site_id"] = ensure_site(session, site)
    session.execute(update(_RUNS).where(_RUNS.c.id == run_id).values(**values))


def store_coverage(session: Session, run_id: int, tally: CoverageTally) -> int:
    """Write the run's coverage rows (replacing any it had); returns how many rows."""
    session.execute(delete(_COVERAGE).where(_COVERAGE.c.crawl_run_id == run_id))
    site_ids: dict[str, int] = {}
    rows = []
    for site, name, articles, covered in tally.rows():
        if site not in site_ids:
            site_ids[site] = ensure_site(session, site)
        rows.append(
            {
                "crawl_run_id": run_id,
                "site_id": site_ids[site],
                "field": name,
                "articles": articles,
                "covered": covered,
            }
        )
    if rows:
        session.execute(insert(_COVERAGE), rows)
    return len(rows)


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class FieldCoverage:
    articles: int
    covered: int

    @property
    def share(self) -> float:
        return self.covered / self.articles if self.articles else 0.0


@dataclass(frozen=True, slots=True)
class RunHealth:
    """One run as the health report shows it, for one site."""

    id: int
    name: str
    site: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    extractor_version: str | None
    pages: int | None
    """Responses received (None when the run fetched nothing over HTTP, e.g. a re-extraction)."""
    new: int
    updated: int
    unchanged: int
    errors: int | None
    comments_added: int
    coverage: dict[str, FieldCoverage] = field(default_factory=dict)
    """Field → coverage among the articles this run read on this site (empty: none recorded)."""
    abandoned: bool = False
    """Closed by another process after its own stopped heartbeating (a killed worker)."""
    heartbeat_at: datetime | None = None
    """The last sign of life of a crawl while it runs (None: a run that keeps no heartbeat)."""

    @property
    def articles_read(self) -> int:
        return max((c.articles for c in self.coverage.values()), default=0)

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None


def _stat(stats: Mapping[str, Any] | None, name: str) -> int | None:
    value = (stats or {}).get(name)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def site_runs(session: Session, site: str, *, limit: int | None = None) -> list[RunHealth]:
    """The runs of a site (crawls of it, and runs that recorded coverage for it), oldest first;
    ``limit``: only the latest ones."""
    site_id = session.execute(select(_SITES.c.id).where(_SITES.c.key == site)).scalar_one_or_none()
    if site_id is None:
        return []
    query = (
        select(_RUNS)
        .where(
            or_(
                _RUNS.c.site_id == site_id,
                _RUNS.c.id.in_(select(_COVERAGE.c.crawl_run_id).where(_COVERAGE.c.site_id == site_id)),
            )
        )
        .order_by(_RUNS.c.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    runs = list(reversed(session.execute(query).all()))
    coverage: dict[int, dict[str, FieldCoverage]] = {run.id: {} for run in runs}
    if runs:
        for run_id, name, articles, covered in session.execute(
            select(
                _COVERAGE.c.crawl_run_id, _COVERAGE.c.field, _COVERAGE.c.articles, _COVERAGE.c.covered
            ).where(_COVERAGE.c.site_id == site_id, _COVERAGE.c.crawl_run_id.in_(list(coverage)))
        ):
            coverage[run_id][name] = FieldCoverage(articles, covered)
    return [
        RunHealth(
            id=run.id,
            name=run.name,
            site=site,
            started_at=run.started_at,
            finished_at=run.finished_at,
            status=run.status,
            extractor_version=run.extractor_version,
            pages=_stat(run.stats, "response_received_count"),
            new=run.articles_new,
            updated=run.articles_updated,
            unchanged=run.articles_unchanged,
            errors=_stat(run.stats, "newscrawl/errors"),
            comments_added=run.comments_added,
            coverage={name: coverage[run.id][name] for name in COVERAGE_FIELDS if name in coverage[run.id]},
            abandoned=(run.stats or {}).get("finish_reason") == ABANDONED_REASON,
            heartbeat_at=run.heartbeat_at,
        )
        for run in runs
    ]


# --------------------------------------------------------------------------- the drop rule


@dataclass(frozen=True, slots=True)
class CoverageDrop:
    """A field whose coverage fell sharply on a run, against the site's previous runs."""

    site: str
    run_id: int
    started_at: datetime
    field: str
    baseline: float
    """Median share of the previous runs compared with."""
    current: float
    articles: int
    covered: int
    previous_runs: int

    @property
    def message(self) -> str:
        return (
            f"{self.field} coverage fell from {self.baseline:.0%} to {self.current:.0%} on run {self.run_id} "
            f"({self.site}, {self.covered} of {self.articles} articles; median of the {self.previous_runs} "
            "previous runs) — did the site change its layout?"
        )


def binomial_lower_tail(covered: int, articles: int, share: float) -> float:
    """P(X <= covered) for X ~ Binomial(articles, share): how likely so few covered by chance."""
    if covered >= articles or share <= 0.0:
        return 1.0
    if share >= 1.0:
        return 0.0
    log_p, log_q = math.log(share), math.log1p(-share)
    log_n = math.lgamma(articles + 1)
    return min(
        1.0,
        sum(
            math.exp(
                log_n
                - math.lgamma(k + 1)
                - math.lgamma(articles - k + 1)
                + k * log_p
                + (articles - k) * log_q
            )
            for k in range(covered + 1)
        ),
    )


@dataclass(frozen=True, slots=True)
class DropRule:
    """When a field's coverage on a run counts as a sharp drop (see the module doc)."""

    window: int = 5
    """Previous runs whose median share is the baseline."""
    min_articles: int = 5
    """Runs that read fewer articles are neither judged nor used as a baseline."""
    min_drop: float = 0.25
    """Smallest fall of the share (absolute: 0.25 is 25 points)."""
    significance: float = 0.01
    """Largest probability of so few covered articles by chance at the baseline share."""

    def judges(self, run: RunHealth) -> bool:
        return run.articles_read >= self.min_articles


def coverage_drops(runs: Sequence[RunHealth], rule: DropRule = DropRule()) -> list[CoverageDrop]:
    """The sharp drops of every run of ``runs`` (one site, oldest first)."""
    drops: list[CoverageDrop] = []
    history: list[RunHealth] = []
    for run in runs:
        if not rule.judges(run):
            continue
        previous = history[-rule.window :]
        for name, now in run.coverage.items():
            shares = [r.coverage[name].share for r in previous if name in r.coverage]
            if not shares:
                continue
            baseline = statistics.median(shares)
            if (
                baseline - now.share >= rule.min_drop
                and binomial_lower_tail(now.covered, now.articles, baseline) < rule.significance
            ):
                drops.append(
                    CoverageDrop(
                        site=run.site,
                        run_id=run.id,
                        started_at=run.started_at,
                        field=name,
                        baseline=baseline,
                        current=now.share,
                        articles=now.articles,
                        covered=now.covered,
                        previous_runs=len(shares),
                    )
                )
        history.append(run)
    return drops


# --------------------------------------------------------------------------- sites


@dataclass(frozen=True, slots=True)
class SiteImports:
    """The articles of a site that imports stored first: runs for no site in particular (``newscrawl db
    ingest`` records one per import; a crawl is tagged with its site, a re-extraction stores no new
    article), which are none of the site's runs and record no coverage."""

    articles: int
    runs: tuple[int, ...]
    """The imports' crawl run ids, in order."""
    last_started_at: datetime


def site_imports(session: Session) -> dict[str, SiteImports]:
    """Site key → what imports brought to it, for the sites they stored articles of."""
    rows = session.execute(
        select(_SITES.c.key, _RUNS.c.id, _RUNS.c.started_at, func.count(Article.id))
        .select_from(Article)
        .join(_SITES, _SITES.c.id == Article.site_id)
        .join(_RUNS, _RUNS.c.id == Article.first_crawl_run_id)
        .where(_RUNS.c.site_id.is_(None))
        .group_by(_SITES.c.key, _RUNS.c.id, _RUNS.c.started_at)
        .order_by(_SITES.c.key, _RUNS.c.id)
    ).all()
    found: dict[str, list[tuple[int, datetime, int]]] = {}
    for key, run_id, started_at, articles in rows:
        found.setdefault(key, []).append((run_id, started_at, articles))
    return {
        key: SiteImports(
            articles=sum(articles for _, _, articles in runs),
            runs=tuple(run_id for run_id, _, _ in runs),
            last_started_at=max(started_at for _, started_at, _ in runs),
        )
        for key, runs in found.items()
    }


@dataclass(frozen=True, slots=True)
class SiteSummary:
    """A site of the archive: its figures, last run, lock and the coverage drops that stand."""

    site: str
    articles: int
    comments: int
    runs: int
    last_run: RunHealth | None
    last_coverage: RunHealth | None
    """The latest run that recorded coverage for the site (the last run may have read nothing)."""
    drops: list[CoverageDrop]
    """Drops of the latest run that read enough articles to be judged (they stand until a healthy one)."""
    lock: HeldLock | None
    imports: SiteImports | None = None
    """What imports brought to the site (None: none of its articles came from one)."""


REEXTRACT_RUN = "reextract"
"""The name of the runs of ``newscrawl reextract``: they re-read archived pages offline; they count
among a site's runs, with their coverage, but a site's last run is its last crawl."""

HISTORY_FOR_HEALTH = 30
"""Runs per site read to judge its health (the latest judged run and the window before it)."""


def site_summaries(session: Session, rule: DropRule = DropRule()) -> list[SiteSummary]:
    """Every site of the archive, by key, with its health judged by ``rule``."""
    keys = list(session.execute(select(_SITES.c.key).order_by(_SITES.c.key)).scalars())
    articles = dict(
        session.execute(
            select(Site.key, func.count(Article.id))
            .join(Article, Article.site_id == Site.id)
            .group_by(Site.key)
        ).all()
    )
    comments = comment_counts_by_site(session)
    locks = crawl_locks(session)
    imports = site_imports(session)
    summaries = []
    for key in keys:
        runs = site_runs(session, key, limit=HISTORY_FOR_HEALTH)
        judged = [run for run in runs if rule.judges(run)]
        drops = coverage_drops(runs, rule)
        standing = [drop for drop in drops if judged and drop.run_id == judged[-1].id]
        with_coverage = [run for run in runs if run.coverage]
        crawls = [run for run in runs if run.name != REEXTRACT_RUN]
        summaries.append(
            SiteSummary(
                site=key,
                articles=articles.get(key, 0),
                comments=comments.get(key, 0),
                runs=_count_runs(session, key),
                last_run=crawls[-1] if crawls else None,
                last_coverage=with_coverage[-1] if with_coverage else None,
                drops=standing,
                lock=locks.get(key),
                imports=imports.get(key),
            )
        )
    return summaries


def _count_runs(session: Session, site: str) -> int:
    site_id = select(_SITES.c.id).where(_SITES.c.key == site).scalar_subquery()
    return (
        session.scalar(
            select(func.count())
            .select_from(_RUNS)
            .where(
                or_(
                    _RUNS.c.site_id == site_id,
                    _RUNS.c.id.in_(select(_COVERAGE.c.crawl_run_id).where(_COVERAGE.c.site_id == site_id)),
                )
            )
        )
        or 0
    )

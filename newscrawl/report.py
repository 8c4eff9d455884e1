"""``newscrawl sites`` and ``newscrawl report``: the sites, their runs over time, coverage, warnings.

The figures come from ``storage.health`` (runs, coverage per field, the drop rule) and
``storage.locks``; this module only gathers them with the site profiles and renders them: plain
text, JSON, or one static HTML file (inline CSS and inline SVG charts drawn here, no script, nothing
fetched), readable from a mail attachment or a shared folder.
"""

from __future__ import annotations

import html
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from newscrawl.run_guard import DEFAULT_LOCK_TTL
from newscrawl.sites import SiteProfile, all_profiles
from newscrawl.wording import counted
from storage.health import (
    COVERAGE_FIELDS,
    CoverageDrop,
    DropRule,
    RunHealth,
    SiteImports,
    SiteSummary,
    coverage_drops,
    site_runs,
    site_summaries,
)
from storage.locks import HeldLock

__all__ = [
    "ReportError",
    "SiteLine",
    "SiteReport",
    "build_reports",
    "list_sites",
    "render_html",
    "render_sites",
    "render_text",
    "sites_as_json",
]

RULE = DropRule()
TEXT_COVERAGE_RUNS = 6
"""Runs shown side by side in the text coverage table (the HTML report shows every run asked for)."""


class ReportError(ValueError):
    """The report cannot be made (unknown site, nothing crawled yet); the message is one line."""


# --------------------------------------------------------------------------- formatting helpers


def _when(moment: datetime | None) -> str:
    return "—" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}"


def _seconds(duration: timedelta | None) -> str:
    if duration is None:
        return "—"
    seconds = duration.total_seconds()
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


def _number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _percent(share: float) -> str:
    return f"{share:.0%}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    """Aligned plain-text columns; numbers (``right``) aligned on the right."""
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if align else cell.ljust(width)
            for cell, width, align in zip(cells, widths, right, strict=True)
        ).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *(line(row) for row in rows)])


def _coverage_summary(run: RunHealth | None) -> str:
    """One cell: the mean share over the fields, and the weak ones."""
    if run is None or not run.coverage:
        return "—"
    shares = {name: coverage.share for name, coverage in run.coverage.items()}
    weak = [name for name, share in shares.items() if share < 0.5]
    text = (
        f"{statistics.mean(shares.values()):.0%} mean of {counted(len(shares), 'field')} "
        f"({counted(run.articles_read, 'article')})"
    )
    return text + (f"; under 50%: {', '.join(weak)}" if weak else "")


def crawl_runs_phrase(runs: Sequence[int]) -> str:
    """``crawl run 1``, ``crawl runs 1, 3``."""
    return f"crawl run{'s' if len(runs) > 1 else ''} {', '.join(map(str, runs))}"


def _imported(imports: SiteImports) -> str:
    """``4 articles imported (crawl run 1)``: what imports brought to a site."""
    return f"{counted(imports.articles, 'article')} imported ({crawl_runs_phrase(imports.runs)})"


def _health(summary: SiteSummary | None, now: datetime) -> str:
    if summary is None or summary.last_run is None:
        if summary is not None and summary.imports is not None:
            return f"never crawled; {_imported(summary.imports)}"
        return "never crawled"
    problems = [
        f"WARNING {drop.field} {_percent(drop.baseline)}→{_percent(drop.current)} (run {drop.run_id})"
        for drop in summary.drops
    ]
    last = summary.last_run
    if last.status == "failed":
        why = " (its process died; closed by another run)" if last.abandoned else ""
        problems.append(f"WARNING last run #{last.id} failed{why}")
    silent = now - last.heartbeat_at if last.status == "running" and last.heartbeat_at else None
    if silent is not None and silent.total_seconds() > DEFAULT_LOCK_TTL:
        # killed (or its machine lost): 'running' until the next run of the site closes it
        problems.append(
            f"WARNING last run #{last.id} silent for {_seconds(silent)} (its process may be gone)"
        )
    return "; ".join(problems) or "OK"


def _lock(lock: HeldLock, now: datetime) -> str:
    silent = max(0, int((now - lock.heartbeat_at).total_seconds()))
    sharing = f", {lock.processes} processes" if lock.processes > 1 else ""
    return (
        f"held by {lock.holder} since {_when(lock.acquired_at)} UTC "
        f"(crawl run {lock.crawl_run_id}{sharing}, last heartbeat {silent} s ago)"
    )


# --------------------------------------------------------------------------- newscrawl sites


@dataclass(frozen=True, slots=True)
class SiteLine:
    """A site as ``newscrawl sites`` lists it: its profile, if any, and what the archive knows."""

    site: str
    profile: SiteProfile | None
    summary: SiteSummary | None


def list_sites(summaries: Sequence[SiteSummary]) -> list[SiteLine]:
    """Every profile and every site of the archive (with or without a profile), by site key."""
    by_site = {summary.site: summary for summary in summaries}
    profiles = {profile.site: profile for profile in all_profiles().values()}
    return [
        SiteLine(site, profiles.get(site), by_site.get(site)) for site in sorted(set(by_site) | set(profiles))
    ]


def render_sites(lines: Sequence[SiteLine], now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    rows = []
    for line in lines:
        summary = line.summary
        last = summary.last_run if summary else None
        rows.append(
            [
                line.site,
                line.profile.name if line.profile else "—",
                ", ".join(line.profile.domains) if line.profile else "—",
                f"#{last.id} {_when(last.started_at)}" if last else "never",
                last.status if last else "—",
                _seconds(last.duration) if last else "—",
                _number(summary.runs if summary else 0),
                _number(summary.articles if summary else 0),
                _number(summary.comments if summary else 0),
                _coverage_summary(summary.last_coverage if summary else None),
                _health(summary, now),
            ]
        )
    headers = [
        "site",
        "profile",
        "domains",
        "last run (UTC)",
        "status",
        "duration",
        "runs",
        "articles",
        "comments",
        "last coverage",
        "health",
    ]
    right = [False] * 5 + [True] * 4 + [False] * 2
    text = _table(headers, rows, right)
    locks = [
        f"{line.site}: crawl lock {_lock(line.summary.lock, now)}"
        for line in lines
        if line.summary is not None and line.summary.lock is not None
    ]
    return text + ("\n\n" + "\n".join(locks) if locks else "")


def _run_json(run: RunHealth | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "id": run.id,
        "name": run.name,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "duration_seconds": run.duration.total_seconds() if run.duration else None,
        "status": run.status,
        "pages": run.pages,
        "articles_new": run.new,
        "articles_updated": run.updated,
        "articles_unchanged": run.unchanged,
        "errors": run.errors,
        "extractor_version": run.extractor_version,
        "articles_read": run.articles_read,
        "coverage": {
            name: {"articles": c.articles, "covered": c.covered, "share": round(c.share, 4)}
            for name, c in run.coverage.items()
        },
    }


def _drop_json(drop: CoverageDrop) -> dict[str, Any]:
    return {
        "run_id": drop.run_id,
        "field": drop.field,
        "baseline": round(drop.baseline, 4),
        "current": round(drop.current, 4),
        "articles": drop.articles,
        "covered": drop.covered,
        "message": drop.message,
    }


def sites_as_json(lines: Sequence[SiteLine], now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or datetime.now(UTC)
    result = []
    for line in lines:
        summary = line.summary
        lock = summary.lock if summary else None
        result.append(
            {
                "site": line.site,
                "profile": line.profile.name if line.profile else None,
                "domains": list(line.profile.domains) if line.profile else [line.site],
                "runs": summary.runs if summary else 0,
                "articles": summary.articles if summary else 0,
                "comments": summary.comments if summary else 0,
                "last_run": _run_json(summary.last_run if summary else None),
                "last_coverage_run": _run_json(summary.last_coverage if summary else None),
                "health": "never crawled"
                if summary is None or summary.last_run is None
                else ("OK" if _health(summary, now) == "OK" else "warning"),
                "warnings": [_drop_json(drop) for drop in summary.drops] if summary else [],
                "imports": None
                if summary is None or summary.imports is None
                else {
                    "articles": summary.imports.articles,
                    "crawl_runs": list(summary.imports.runs),
                    "last_started_at": summary.imports.last_started_at.isoformat(),
                },
                "lock": None
                if lock is None
                else {
                    "holder": lock.holder,
                    "acquired_at": lock.acquired_at.isoformat(),
                    "heartbeat_at": lock.heartbeat_at.isoformat(),
                    "processes": lock.processes,
                    "crawl_run_id": lock.crawl_run_id,
                },
            }
        )
    return result


# --------------------------------------------------------------------------- newscrawl report


@dataclass(slots=True)
class SiteReport:
    site: str
    profile: str | None
    runs: list[RunHealth]
    """The runs shown, oldest first."""
    drops: list[CoverageDrop] = field(default_factory=list)
    """Drops of the runs shown (judged against earlier runs too)."""
    total_runs: int = 0
    articles: int = 0
    comments: int = 0
    imports: SiteImports | None = None
    """What imports brought to the site; a site never crawled has these alone (no runs)."""


def resolve_site(name: str, known: Sequence[str]) -> str:
    """A profile name or a site key → the site key; ReportError when the archive has no such site."""
    profile = all_profiles().get(name)
    site = profile.site if profile is not None else name
    if site not in known:
        listed = ", ".join(known) or "none yet"
        raise ReportError(f"no crawl run or import of {name!r} in the archive (its sites: {listed})")
    return site


def build_reports(session: Any, *, site: str | None = None, runs: int = 10) -> list[SiteReport]:
    """The report of one site (profile name or site key) or of every site with runs or imported
    articles (a site never crawled has no runs to show: its report says what was imported)."""
    summaries = [summary for summary in site_summaries(session, RULE) if summary.runs or summary.imports]
    known = [summary.site for summary in summaries]
    if not known:
        raise ReportError("the archive has no crawl runs yet: run `newscrawl crawl SITE` first")
    chosen = [resolve_site(site, known)] if site else known
    profiles = {profile.site: profile.name for profile in all_profiles().values()}
    by_site = {summary.site: summary for summary in summaries}
    reports = []
    for key in chosen:
        # Earlier runs too, so the first runs shown are judged against their own predecessors.
        history = site_runs(session, key, limit=runs + RULE.window * 4)
        shown = history[-runs:]
        shown_ids = {run.id for run in shown}
        drops = [drop for drop in coverage_drops(history, RULE) if drop.run_id in shown_ids]
        summary = by_site[key]
        reports.append(
            SiteReport(
                key,
                profiles.get(key),
                shown,
                drops,
                summary.runs,
                articles=summary.articles,
                comments=summary.comments,
                imports=summary.imports,
            )
        )
    return reports


def _imports_lines(report: SiteReport) -> list[str]:
    """What imports brought to the site, in a sentence or two (none: nothing)."""
    imports = report.imports
    if imports is None:
        return []
    when = ("the last " if len(imports.runs) > 1 else "") + f"{_when(imports.last_started_at)} UTC"
    where = f"`newscrawl db ingest` ({crawl_runs_phrase(imports.runs)}, {when})"
    share = "all" if imports.articles == report.articles else f"{imports.articles:,} of them"
    articles = counted(report.articles, "article")
    if report.runs:
        return [f"{articles}, {share} first stored by {where}."]
    target = report.profile or f"https://{report.site}/"  # a site without a profile: its address
    return [
        f"{articles} ({counted(report.comments, 'comment')}), {share} imported by {where}.",
        f"Never crawled: no runs, coverage or warnings yet (`newscrawl crawl {target}` records them).",
    ]


def render_text(reports: Sequence[SiteReport]) -> str:
    blocks = []
    for report in reports:
        title = report.site + (f" (profile {report.profile})" if report.profile else "")
        shown = (
            f"the last {len(report.runs)} of {report.total_runs}"
            if report.total_runs > len(report.runs)
            else ""
        )
        imported = _imports_lines(report)
        if not report.runs:
            blocks.append("\n".join([f"{title} — never crawled", "", *imported]))
            continue
        lines = [
            f"{title} — {counted(report.total_runs, 'run')}{', ' + shown + ' shown' if shown else ''}",
            "",
        ]
        if imported:
            lines += [*imported, ""]
        lines.append(
            _table(
                [
                    "run",
                    "started (UTC)",
                    "status",
                    "duration",
                    "pages",
                    "new",
                    "updated",
                    "unchanged",
                    "errors",
                    "read",
                    "extractor",
                ],
                [
                    [
                        str(run.id),
                        _when(run.started_at),
                        run.status,
                        _seconds(run.duration),
                        _number(run.pages),
                        _number(run.new),
                        _number(run.updated),
                        _number(run.unchanged),
                        _number(run.errors),
                        _number(run.articles_read),
                        run.extractor_version or "—",
                    ]
                    for run in report.runs
                ],
                [True, False, False, True, True, True, True, True, True, True, False],
            )
        )
        with_coverage = [run for run in report.runs if run.coverage][-TEXT_COVERAGE_RUNS:]
        lines.append("")
        if with_coverage:
            dropped = {(drop.run_id, drop.field) for drop in report.drops}
            lines.append("coverage per field (share of the articles each run read; ! marks a sharp drop)")
            lines.append(
                _table(
                    ["field", *(f"run {run.id}" for run in with_coverage)],
                    [
                        [
                            name,
                            *(
                                (
                                    _percent(run.coverage[name].share)
                                    + ("!" if (run.id, name) in dropped else " ")
                                )
                                if name in run.coverage
                                else "— "
                                for run in with_coverage
                            ),
                        ]
                        for name in COVERAGE_FIELDS
                    ],
                    [False] + [True] * len(with_coverage),
                )
            )
        else:
            lines.append("no coverage recorded for these runs (they archived no article)")
        lines.append("")
        if report.drops:
            lines.append("warnings")
            lines.extend(f"  ! {drop.message}" for drop in report.drops)
        else:
            lines.append("no sharp coverage drop")
        blocks.append("\n".join(lines))
    return "\n\n\n".join(blocks) + "\n"


# --------------------------------------------------------------------------- HTML

COLORS = {
    "new": "#2f6fdb",
    "updated": "#f08c00",
    "unchanged": "#a3acb9",
    "errors": "#d62728",
    "coverage": "#13866f",
    "drop": "#d62728",
}

CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d2330;
       background: #f6f7f9; }
header, section, footer { max-width: 1100px; margin: 0 auto; padding: 16px 24px; }
header h1 { margin: 8px 0 0; font-size: 22px; }
header p, footer p { color: #5a6272; margin: 4px 0; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 8px; }
nav a { text-decoration: none; color: inherit; background: #fff; border: 1px solid #d9dde3; border-radius: 6px;
        padding: 4px 10px; display: inline-block; }
section.site { background: #fff; border: 1px solid #d9dde3; border-radius: 10px; margin-top: 18px; }
h2 { font-size: 18px; margin: 4px 0 12px; }
h3 { font-size: 14px; margin: 18px 0 6px; color: #3b4352; }
.badge { font-size: 12px; border-radius: 10px; padding: 2px 8px; margin-left: 8px; vertical-align: middle; }
.badge.ok { background: #dff5ea; color: #0c6b45; }
.badge.warning { background: #fde2e1; color: #a11a1a; }
.badge.never { background: #eceef2; color: #3b4352; }
.warnings { border-left: 4px solid #d62728; background: #fff4f3; padding: 8px 12px; margin: 8px 0; }
.warnings p { margin: 4px 0; color: #8d1515; font-weight: 600; }
svg { display: block; width: 100%; height: auto; }
svg text { font: 11px system-ui, sans-serif; fill: #5a6272; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; color: #3b4352; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
.sparks { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 8px; }
.spark { border: 1px solid #e3e6eb; border-radius: 8px; padding: 6px 8px; }
.spark.dropped { border-color: #d62728; background: #fff4f3; }
.spark .head { display: flex; justify-content: space-between; font-size: 12px; }
.spark .value { font-weight: 600; }
.spark.dropped .value { color: #a11a1a; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #eceef2; text-align: right; white-space: nowrap; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
thead th { color: #5a6272; font-weight: 600; }
tr.status-failed td, tr.status-interrupted td { color: #a11a1a; }
tr.has-drop td { background: #fff4f3; }
td.dropped { background: #fde2e1; color: #8d1515; font-weight: 700; }
table.coverage { width: auto; }
table.coverage td, table.coverage th { min-width: 56px; }
.scroll { overflow-x: auto; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _x_positions(count: int, left: float, width: float) -> list[float]:
    if count == 1:
        return [left + width / 2]
    return [left + width * i / (count - 1) for i in range(count)]


def _nice_ceiling(value: int) -> int:
    """A round axis maximum at or above value (1, 2, 5, 10, 20, 50 ...)."""
    if value <= 1:
        return 1
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _runs_chart(report: SiteReport) -> str:
    """Stacked bars per run: articles new / updated / unchanged; errors as red dots (own scale)."""
    width, height, left, right, top, bottom = 760, 230, 48, 48, 14, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    runs = report.runs
    top_value = _nice_ceiling(max((run.new + run.updated + run.unchanged for run in runs), default=0))
    errors_top = _nice_ceiling(max((run.errors or 0 for run in runs), default=0))
    slot = plot_w / max(len(runs), 1)
    bar = max(3.0, min(36.0, slot * 0.6))
    parts = [
        f'<svg class="runs-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Articles per run for {_e(report.site)}">'
    ]
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e6eb"/>')
        for value, x, anchor, color in (
            (top_value * fraction, left - 6, "end", "#5a6272"),
            (errors_top * fraction, width - right + 6, "start", COLORS["errors"]),
        ):
            if value == int(value):  # whole numbers only: no "2" for half of 5
                parts.append(
                    f'<text x="{x}" y="{y + 4:.1f}" text-anchor="{anchor}" fill="{color}">{int(value)}</text>'
                )
    for index, run in enumerate(runs):
        center = left + slot * (index + 0.5)
        base = top + plot_h
        for kind, value in (("new", run.new), ("updated", run.updated), ("unchanged", run.unchanged)):
            if value <= 0:
                continue
            h = plot_h * value / top_value
            base -= h
            parts.append(
                f'<rect class="bar {kind}" data-run="{run.id}" x="{center - bar / 2:.1f}" y="{base:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}" fill="{COLORS[kind]}">'
                f"<title>run {run.id}: {value} {kind}</title></rect>"
            )
        errors = run.errors or 0
        y = top + plot_h * (1 - errors / errors_top)
        parts.append(
            f'<circle class="run-point" data-run="{run.id}" cx="{center:.1f}" cy="{y:.1f}" r="3.5" '
            f'fill="{COLORS["errors"]}"><title>run {run.id} ({_e(run.status)}, {_when(run.started_at)} UTC): '
            f"{run.new} new, {run.updated} updated, {run.unchanged} unchanged, {counted(errors, 'error')}</title></circle>"
        )
        if len(runs) <= 12 or index % max(1, len(runs) // 8) == 0 or index == len(runs) - 1:
            parts.append(
                f'<text x="{center:.1f}" y="{height - bottom + 16}" text-anchor="middle">#{run.id}</text>'
                f'<text x="{center:.1f}" y="{height - bottom + 30}" text-anchor="middle">'
                f"{run.started_at.astimezone(UTC):%m-%d %H:%M}</text>"
            )
    parts.append("</svg>")
    legend = "".join(
        f'<span><i style="background:{COLORS[kind]}"></i>{label}</span>'
        for kind, label in (
            ("new", "new"),
            ("updated", "updated"),
            ("unchanged", "unchanged"),
            ("errors", "errors (right scale)"),
        )
    )
    return "".join(parts) + f'<div class="legend">{legend}</div>'


def _spark(report: SiteReport, name: str, dropped: set[tuple[int, str]]) -> str:
    """One field's coverage over the runs that recorded it: a line from 0 to 100 %."""
    width, height, pad = 200, 54, 5
    points = [(run, run.coverage[name]) for run in report.runs if name in run.coverage]
    xs = _x_positions(len(points), pad, width - 2 * pad)
    drop_here = any((run.id, name) in dropped for run, _ in points)
    color = COLORS["drop"] if drop_here else COLORS["coverage"]
    latest = _percent(points[-1][1].share) if points else "—"
    shapes = [
        f'<line x1="{pad}" x2="{width - pad}" y1="{pad}" y2="{pad}" stroke="#eceef2"/>',
        f'<line x1="{pad}" x2="{width - pad}" y1="{height - pad}" y2="{height - pad}" stroke="#d9dde3"/>',
    ]
    coordinates = [
        (x, pad + (height - 2 * pad) * (1 - coverage.share))
        for x, (_, coverage) in zip(xs, points, strict=True)
    ]
    if len(coordinates) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
        shapes.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
    for (x, y), (run, coverage) in zip(coordinates, points, strict=True):
        is_drop = (run.id, name) in dropped
        shapes.append(
            f'<circle class="point{" drop" if is_drop else ""}" data-run="{run.id}" data-field="{name}" '
            f'cx="{x:.1f}" cy="{y:.1f}" r="{4 if is_drop else 2.6}" fill="{COLORS["drop"] if is_drop else color}">'
            f"<title>run {run.id}: {name} {coverage.covered}/{coverage.articles} ({_percent(coverage.share)})</title>"
            "</circle>"
        )
    return (
        f'<div class="spark{" dropped" if drop_here else ""}" data-field="{name}">'
        f'<div class="head"><span class="field">{name}</span><span class="value">{latest}</span></div>'
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{name} coverage per run">'
        + "".join(shapes)
        + "</svg></div>"
    )


def _runs_table(report: SiteReport, drop_runs: set[int]) -> str:
    head = "".join(
        f'<th class="{"text" if text else ""}">{label}</th>'
        for label, text in (
            ("run", True),
            ("started (UTC)", True),
            ("status", True),
            ("duration", False),
            ("pages", False),
            ("new", False),
            ("updated", False),
            ("unchanged", False),
            ("errors", False),
            ("articles read", False),
            ("extractor", True),
        )
    )
    rows = []
    for run in reversed(report.runs):
        classes = f"run status-{_e(run.status)}" + (" has-drop" if run.id in drop_runs else "")
        rows.append(
            f'<tr class="{classes}" data-run-id="{run.id}"><td>#{run.id}</td><td class="text">{_when(run.started_at)}</td>'
            f'<td class="text">{_e(run.status)}</td><td>{_seconds(run.duration)}</td><td>{_number(run.pages)}</td>'
            f"<td>{_number(run.new)}</td><td>{_number(run.updated)}</td><td>{_number(run.unchanged)}</td>"
            f"<td>{_number(run.errors)}</td><td>{_number(run.articles_read)}</td>"
            f'<td class="text">{_e(run.extractor_version or "—")}</td></tr>'
        )
    return f'<div class="scroll"><table class="runs"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def _coverage_table(report: SiteReport, dropped: set[tuple[int, str]]) -> str:
    runs = [run for run in report.runs if run.coverage]
    if not runs:
        return "<p>No coverage recorded for these runs (they archived no article).</p>"
    head = '<th class="text">field</th>' + "".join(f"<th>#{run.id}</th>" for run in runs)
    rows = []
    for name in COVERAGE_FIELDS:
        cells = []
        for run in runs:
            coverage = run.coverage.get(name)
            if coverage is None:
                cells.append("<td>—</td>")
                continue
            share = coverage.share
            if (run.id, name) in dropped:
                cells.append(f'<td class="dropped" title="sharp drop">{_percent(share)}</td>')
            else:
                # Greener as the share grows: the table reads as a heat map.
                cells.append(
                    f'<td style="background: rgba(19, 134, 111, {0.06 + 0.3 * share:.2f})">{_percent(share)}</td>'
                )
        rows.append(f'<tr class="field" data-field="{name}"><td>{name}</td>{"".join(cells)}</tr>')
    return f'<div class="scroll"><table class="coverage"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def render_html(reports: Sequence[SiteReport], *, database: str, generated_at: datetime | None = None) -> str:
    """The whole report as one self-contained HTML page."""
    generated_at = generated_at or datetime.now(UTC)
    nav = []
    sections = []
    for report in reports:
        dropped = {(drop.run_id, drop.field) for drop in report.drops}
        anchor = "site-" + "".join(ch if ch.isalnum() else "-" for ch in report.site)
        badge = (
            f'<span class="badge warning">{len(report.drops)} warning{"s" if len(report.drops) > 1 else ""}</span>'
            if report.drops
            else '<span class="badge ok">OK</span>'
        )
        imports = "".join(f'<p class="imports">{_e(line)}</p>' for line in _imports_lines(report))
        if not report.runs:  # imported, never crawled: nothing to chart
            badge = '<span class="badge never">never crawled</span>'
            nav.append(f'<li><a href="#{anchor}">{_e(report.site)}{badge}</a></li>')
            sections.append(
                f'<section class="site" id="{anchor}" data-site="{_e(report.site)}">'
                f"<h2>{_e(report.site)}{badge}</h2>{imports}</section>"
            )
            continue
        nav.append(f'<li><a href="#{anchor}">{_e(report.site)}{badge}</a></li>')
        warnings = (
            '<div class="warnings">'
            + "".join(f"<p>{_e(drop.message)}</p>" for drop in report.drops)
            + "</div>"
            if report.drops
            else ""
        )
        profile = f" · profile {_e(report.profile)}" if report.profile else ""
        shown = (
            f"the last {len(report.runs)} of {report.total_runs} runs"
            if report.total_runs > len(report.runs)
            else counted(report.total_runs, "run")
        )
        sparks = "".join(_spark(report, name, dropped) for name in COVERAGE_FIELDS)
        sections.append(
            f'<section class="site" id="{anchor}" data-site="{_e(report.site)}">'
            f"<h2>{_e(report.site)}{badge}</h2><p>{shown}{profile}</p>{imports}{warnings}"
            f'<h3>Runs over time</h3><figure class="chart">{_runs_chart(report)}</figure>'
            f"<h3>Coverage per field <small>(share of the articles each run read)</small></h3>"
            f'<div class="sparks">{sparks}</div>'
            f"<h3>Runs</h3>{_runs_table(report, {drop.run_id for drop in report.drops})}"
            f"<h3>Coverage per run</h3>{_coverage_table(report, dropped)}"
            "</section>"
        )
    rule = (
        f"A warning marks a field whose share on a run fell by {RULE.min_drop:.0%} or more below the median of "
        f"the site's previous {RULE.window} runs, when that run read at least {RULE.min_articles} articles and "
        f"the fall is unlikely to be chance (p &lt; {RULE.significance})."
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>newscrawl report — {_e(', '.join(r.site for r in reports))}</title><style>{CSS}</style></head><body>"
        f"<header><h1>Crawl report</h1><p>{_e(database)} · generated {_when(generated_at)} UTC · "
        f"{len(reports)} site{'s' if len(reports) != 1 else ''}</p>"
        f"<nav><ul>{''.join(nav)}</ul></nav></header>"
        + "".join(sections)
        + f"<footer><p>{rule}</p></footer></body></html>\n"
    )

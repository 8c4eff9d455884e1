"""`newscrawl sites` and `newscrawl report`: output, JSON, HTML structure, and one-line errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
from click.testing import CliRunner

from newscrawl.cli import cli
from storage import Archive
from storage.health import COVERAGE_FIELDS, tag_crawl_run
from storage.locks import acquire_crawl_lock
from tests.crawl.helpers import EXPECTED, sql
from tests.health.conftest import BLOG, OTHER, History

TESLA_SLUG = "les-prix-des-tesla-model-s-x-et-3-viennent-de-chuter"


def newscrawl(*args: str):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def one_line_error(result, message: str) -> None:
    assert result.exit_code == 1, result.stdout + result.stderr
    assert result.stderr.strip() == message


# --------------------------------------------------------------------------- sites


def test_sites_without_an_archive_lists_the_profiles(tmp_path: Path) -> None:
    path = tmp_path / "none.sqlite"
    result = newscrawl("sites", "--db", f"sqlite:///{path}")
    assert result.exit_code == 0
    [header, _, line] = result.stdout.splitlines()
    assert header.split()[:4] == ["site", "profile", "domains", "last"]
    assert line.split()[:5] == [BLOG, "blog-auto-info", BLOG, "never", "—"]
    assert line.endswith("never crawled")
    assert result.stderr == f"no archive at {path} yet: `newscrawl crawl SITE` creates it\n"
    assert not path.exists()


def test_sites_on_an_empty_archive_says_so(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    Archive(db).close()
    result = newscrawl("sites", "--db", db)
    assert result.exit_code == 0
    assert "never crawled" in result.stdout
    assert result.stderr == "the archive has no crawl runs yet: `newscrawl crawl SITE` records them\n"


def test_an_archive_filled_by_imports_says_so(tmp_path: Path) -> None:
    # `db ingest` records a run for no site: `sites` said "the archive has no crawl runs yet", under a
    # site it listed with 4 articles, and `report` failed with that line.
    db = f"sqlite:///{tmp_path / 'imported.sqlite'}"
    records = sorted(str(path) for path in EXPECTED.glob("*.json"))
    assert newscrawl("db", "ingest", "--db", db, "--quiet", *records).exit_code == 0
    sites = newscrawl("sites", "--db", db)
    assert sites.exit_code == 0
    [_, _, line] = sites.stdout.splitlines()
    assert line.split()[:9] == [BLOG, "blog-auto-info", BLOG, "never", "—", "—", "0", "4", "47"]
    assert line.endswith("never crawled; 4 articles imported (crawl run 1)")
    assert sites.stderr == (
        "no site crawled yet: the 4 articles of 1 site came from `newscrawl db ingest` (crawl run 1); "
        "`newscrawl crawl SITE` records crawls, with their coverage and health\n"
    )
    [entry] = json.loads(newscrawl("sites", "--db", db, "--json").stdout)
    assert entry["imports"]["articles"] == 4 and entry["imports"]["crawl_runs"] == [1]
    assert entry["health"] == "never crawled"

    report = newscrawl("report", "--db", db)
    assert report.exit_code == 0, report.stderr
    assert re.fullmatch(
        rf"{BLOG} \(profile blog-auto-info\) — never crawled\n\n"
        r"4 articles \(47 comments\), all imported by `newscrawl db ingest` \(crawl run 1, \S+ \S+ UTC\)\.\n"
        r"Never crawled: no runs, coverage or warnings yet \(`newscrawl crawl blog-auto-info` records them\)\.\n",
        report.stdout,
    )
    assert newscrawl("report", "--db", db, "--site", BLOG).stdout == report.stdout
    page = tmp_path / "report.html"
    assert (
        newscrawl("report", "--db", db, "--html", str(page)).stderr == f"{page}: 1 site, 0 runs, 0 warnings\n"
    )
    [section] = lxml.html.fromstring(page.read_text(encoding="utf-8")).xpath("//section[@class='site']")
    assert section.get("data-site") == BLOG
    assert section.xpath("string(.//p[@class='imports'])").startswith(
        "4 articles (47 comments), all imported"
    )
    assert not section.xpath(".//svg | .//table")  # no runs to chart


def test_a_crawled_sites_report_says_what_imports_added(crawled: str, tmp_path: Path) -> None:
    record = json.loads((EXPECTED / f"{TESLA_SLUG}.json").read_text(encoding="utf-8"))
    record.update(url="https://blog-auto-info.com/importe/", canonical_url=None)
    other = dict(record, url="https://www.autoplus.fr/essai/", site="autoplus.fr")
    lines = tmp_path / "records.jsonl"
    lines.write_text(json.dumps(record) + "\n" + json.dumps(other) + "\n", encoding="utf-8")
    assert newscrawl("db", "ingest", "--db", crawled, "--quiet", str(lines)).exit_code == 0
    sites = newscrawl("sites", "--db", crawled)
    assert sites.stderr == ""  # crawled sites: nothing to add
    autoplus = next(line for line in sites.stdout.splitlines() if line.startswith("autoplus.fr"))
    assert autoplus.endswith("never crawled; 1 article imported (crawl run 3)")
    report = newscrawl("report", "--db", crawled).stdout
    assert "5 articles, 1 of them first stored by `newscrawl db ingest` (crawl run 3, " in report
    # a site key is no crawl target: its URL is
    assert "(`newscrawl crawl https://autoplus.fr/` records them)" in report


def test_sites_shows_last_run_counts_coverage_and_health(history: History) -> None:
    result = newscrawl("sites", "--db", history.db)
    assert result.exit_code == 0 and result.stderr == ""
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[2:]}
    assert list(lines) == [OTHER, BLOG]
    blog = lines[BLOG]
    assert re.search(
        rf"^{BLOG} +blog-auto-info +{BLOG} +#{history.dropped_run} 2026-11-07 05:30 +finished +4 min 07 s +7 +12 +36 ",
        blog,
    )
    assert "79% mean of 14 fields (12 articles); under 50%: authors, modified_at, key_points" in blog
    assert blog.endswith(f"WARNING authors 100%→0% (run {history.dropped_run})")
    other = lines[OTHER]
    assert re.search(rf"^{OTHER} +— +— +#{history.other_runs[-1]} 2026-11-06 05:30 +failed ", other)
    assert "(5 articles)" in other  # the coverage of its last run that read articles
    assert other.endswith(f"WARNING last run #{history.other_runs[-1]} failed")


def test_sites_says_when_the_last_run_failed_because_its_process_died(history: History) -> None:
    from sqlalchemy import update

    from storage.models import CrawlRun

    with Archive(history.db) as archive, archive.transaction() as repo:
        repo.session.execute(  # what a live run writes when it closes a killed worker's run
            update(CrawlRun)
            .where(CrawlRun.id == history.other_runs[-1])
            .values(stats={"finish_reason": "abandoned"})
        )
    result = newscrawl("sites", "--db", history.db)
    other = next(line for line in result.stdout.splitlines() if line.startswith(OTHER))
    assert other.endswith(
        f"WARNING last run #{history.other_runs[-1]} failed (its process died; closed by another run)"
    )


def test_sites_warns_of_a_running_run_that_stopped_heartbeating(history: History) -> None:
    # A crawl killed outright (or its machine lost) stays 'running' until the next run of its site closes
    # it; with no next run (cron gone with the machine), `sites` said OK for good.
    from datetime import UTC, datetime, timedelta

    from storage.locks import heartbeat_crawl_run

    now = datetime.now(UTC)
    with Archive(history.db) as archive, archive.transaction() as repo:
        silent = repo.start_crawl_run("autoplus", started_at=now - timedelta(hours=3))
        tag_crawl_run(repo.session, silent, site=OTHER, extractor_version="newscrawl-0.1.0+5ca1ab1e")
        heartbeat_crawl_run(repo.session, silent, "web2:77:0123abcd", now=now - timedelta(hours=2, minutes=5))
    lines = newscrawl("sites", "--db", history.db).stdout.splitlines()
    other = next(line for line in lines if line.startswith(OTHER))
    assert re.search(
        rf" running +— .* WARNING last run #{silent} silent for 2 h 0[56] min \(its process may be gone\)$",
        other,
    )
    [site] = [
        site
        for site in json.loads(newscrawl("sites", "--db", history.db, "--json").stdout)
        if site["site"] == OTHER
    ]
    assert site["health"] == "warning"

    with Archive(history.db) as archive, archive.transaction() as repo:
        heartbeat_crawl_run(repo.session, silent, "web2:77:0123abcd", now=now)  # alive after all
    other = next(
        line for line in newscrawl("sites", "--db", history.db).stdout.splitlines() if line.startswith(OTHER)
    )
    assert other.endswith(" OK")


def test_a_reextract_does_not_hide_the_failed_crawl_before_it(history: History) -> None:
    # reextract re-reads archived pages offline: its coverage counts, but the site's last crawl failed.
    result = newscrawl("reextract", "--db", history.db, "--site", OTHER, "--quiet")
    assert result.exit_code == 0, result.stderr
    sites = newscrawl("sites", "--db", history.db)
    other = next(line for line in sites.stdout.splitlines() if line.startswith(OTHER))
    assert re.search(rf"^{OTHER} +— +— +#{history.other_runs[-1]} 2026-11-06 05:30 +failed ", other)
    assert f" {len(history.other_runs) + 1} " in other  # a run, but not the last crawl
    report = newscrawl("report", "--db", history.db, "--site", OTHER).stdout
    assert report.startswith(f"{OTHER} — {len(history.other_runs) + 1} runs")
    assert other.endswith(f"WARNING last run #{history.other_runs[-1]} failed")


def test_sites_shows_who_holds_a_lock(history: History) -> None:
    with Archive(history.db) as archive, archive.transaction() as repo:
        acquire_crawl_lock(
            repo.session, BLOG, "web1:4242:ab12cd34", ttl=600, crawl_run_id=history.blog_runs[-1]
        )
    result = newscrawl("sites", "--db", history.db)
    assert re.search(
        rf"^{BLOG}: crawl lock held by web1:4242:ab12cd34 since \S+ \S+ UTC \(crawl run {history.blog_runs[-1]}, "
        r"last heartbeat \d+ s ago\)$",
        result.stdout.splitlines()[-1],
    )


def test_sites_as_json(history: History) -> None:
    with Archive(history.db) as archive, archive.transaction() as repo:
        acquire_crawl_lock(repo.session, BLOG, "nightly", ttl=600)
    result = newscrawl("sites", "--db", history.db, "--json")
    assert result.exit_code == 0
    sites = {entry["site"]: entry for entry in json.loads(result.stdout)}
    blog = sites[BLOG]
    assert (blog["profile"], blog["domains"], blog["runs"], blog["articles"], blog["comments"]) == (
        "blog-auto-info",
        [BLOG],
        7,
        12,
        36,
    )
    assert blog["health"] == "warning"
    [warning] = blog["warnings"]
    assert (warning["field"], warning["run_id"], warning["baseline"], warning["current"]) == (
        "authors",
        history.dropped_run,
        1.0,
        0.0,
    )
    assert warning["message"].endswith("— did the site change its layout?")
    last = blog["last_run"]
    assert (
        last["id"],
        last["status"],
        last["pages"],
        last["articles_updated"],
        last["duration_seconds"],
    ) == (
        history.dropped_run,
        "finished",
        30,
        12,
        247.0,
    )
    assert last["coverage"]["authors"] == {"articles": 12, "covered": 0, "share": 0.0}
    assert list(last["coverage"]) == list(COVERAGE_FIELDS)
    assert blog["lock"]["holder"] == "nightly" and blog["lock"]["processes"] == 1
    assert sites[OTHER]["profile"] is None and sites[OTHER]["lock"] is None
    assert sites[OTHER]["last_coverage_run"]["id"] == history.other_runs[1]


def test_sites_on_a_crawled_archive(crawled: str) -> None:
    result = newscrawl("sites", "--db", crawled)
    [line] = result.stdout.splitlines()[2:]
    assert re.search(rf"^{BLOG} +blog-auto-info +{BLOG} +#2 \S+ \S+ +finished +\S+ s +2 +4 +47 ", line)
    assert line.endswith(" OK")


# --------------------------------------------------------------------------- report (text)


def test_report_shows_runs_coverage_and_the_warning(history: History) -> None:
    result = newscrawl("report", "--db", history.db, "--site", BLOG)
    assert result.exit_code == 0
    text = result.stdout
    assert text.startswith(f"{BLOG} (profile blog-auto-info) — 7 runs\n")
    runs = re.findall(r"^ +(\d+) +2026-11-\d\d 05:30 +finished +4 min 07 s +30 ", text, re.M)
    assert [int(run) for run in runs] == history.blog_runs
    assert re.search(
        rf"^ +{history.dropped_run} .* 0 +12 +0 +0 +12 +newscrawl-0\.1\.0\+5ca1ab1e$", text, re.M
    )
    coverage = text.split("coverage per field", 1)[1]
    header = coverage.splitlines()[1].split()
    assert header[0] == "field" and header[-2:] == ["run", str(history.dropped_run)]
    assert re.search(r"^authors +100% +100% +100% +100% +100% +0%!$", coverage, re.M)
    assert re.search(r"^title +(100% +){5}100%$", coverage, re.M)
    assert text.endswith(
        "warnings\n"
        f"  ! authors coverage fell from 100% to 0% on run {history.dropped_run} ({BLOG}, 0 of 12 articles; "
        "median of the 5 previous runs) — did the site change its layout?\n"
    )


def test_report_of_every_site_limited_to_the_latest_runs(history: History) -> None:
    result = newscrawl("report", "--db", history.db, "--runs", "2")
    assert result.exit_code == 0
    assert f"{OTHER} — 3 runs, the last 2 of 3 shown" in result.stdout
    assert f"{BLOG} (profile blog-auto-info) — 7 runs, the last 2 of 7 shown" in result.stdout
    # The last run shown is still judged against the runs before it.
    assert f"authors coverage fell from 100% to 0% on run {history.dropped_run}" in result.stdout
    other = result.stdout.split(BLOG)[0]
    assert re.search(rf"^ +{history.other_runs[-1]} .* failed .* 3 +0 ", other, re.M)
    assert "no sharp coverage drop" in other


def test_report_accepts_the_profile_name(crawled: str) -> None:
    result = newscrawl("report", "--db", crawled, "--site", "blog-auto-info")
    assert result.exit_code == 0
    # errors 0: the mirror's broken footer link made it 1 (and, once that was no error, "—": a clean run
    # recorded no error count); 18 pages: 19 while robots.txt was fetched twice.
    assert re.findall(r"^ +([12]) +\S+ \S+ +finished .* +18 +(\d) +0 +(\d) +0 +4 ", result.stdout, re.M) == [
        ("1", "4", "0"),
        ("2", "0", "4"),
    ]
    assert re.search(r"^key_points +25% +25%$", result.stdout, re.M)
    assert result.stdout.endswith("no sharp coverage drop\n")


def test_reextract_records_its_coverage(crawled: str) -> None:
    result = newscrawl("reextract", "--db", crawled, "--site", "blog-auto-info", "--quiet")
    assert result.exit_code == 0, result.stderr
    [(run_id, version)] = sql(
        crawled, "SELECT id, extractor_version FROM crawl_runs WHERE name = 'reextract'"
    )
    assert re.fullmatch(r"newscrawl-\d+\.\d+\.\d+\+[0-9a-f]{8}", version)
    assert sql(
        crawled,
        f"SELECT field, articles, covered FROM crawl_run_coverage WHERE crawl_run_id = {run_id} AND field IN ('title', 'tables') ORDER BY field",
    ) == [
        ("tables", 4, 3),
        ("title", 4, 4),
    ]
    report = newscrawl("report", "--db", crawled).stdout
    assert re.search(rf"^ +{run_id} +\S+ \S+ +finished .* +— +0 +0 +4 +0 +4 ", report, re.M)


# --------------------------------------------------------------------------- one-line errors


def test_report_errors_are_one_line(history: History, tmp_path: Path) -> None:
    one_line_error(
        newscrawl("report", "--db", history.db, "--site", "nope"),
        f"Error: no crawl run or import of 'nope' in the archive (its sites: {OTHER}, {BLOG})",
    )
    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    Archive(empty).close()
    one_line_error(
        newscrawl("report", "--db", empty),
        "Error: the archive has no crawl runs yet: run `newscrawl crawl SITE` first",
    )
    missing = tmp_path / "missing.sqlite"
    one_line_error(
        newscrawl("report", "--db", f"sqlite:///{missing}"),
        f"Error: no archive at {missing}: ingest records or run `newscrawl db upgrade` first",
    )
    one_line_error(
        newscrawl("report", "--db", history.db, "--html", str(tmp_path / "no" / "such" / "dir" / "r.html")),
        f"Error: cannot write {tmp_path / 'no' / 'such' / 'dir' / 'r.html'}: No such file or directory",
    )
    one_line_error(
        newscrawl("report", "--db", history.db, "--html", f"{tmp_path}/reports/"),
        f"Error: cannot write {tmp_path}/reports/: it names a directory, give a file name",
    )
    assert not (tmp_path / "reports").exists()  # (it was a file, the page)
    bad_runs = newscrawl("report", "--db", history.db, "--runs", "0")
    assert bad_runs.exit_code == 2 and "Invalid value for '--runs'" in bad_runs.stderr


def test_the_html_report_refuses_to_overwrite_the_archive(history: History) -> None:
    # It wrote the page over the archive and exited 0.
    archive_file = Path(history.db.removeprefix("sqlite:///"))
    before = archive_file.read_bytes()
    for output in (archive_file, Path(f"{archive_file}-wal")):
        one_line_error(
            newscrawl("report", "--db", history.db, "--html", str(output)),
            f"Error: cannot write {output}: it would overwrite the archive ({output}); choose another output file",
        )
    assert archive_file.read_bytes() == before
    assert newscrawl("report", "--db", history.db).exit_code == 0


def test_an_archive_behind_the_schema_is_one_line(tmp_path: Path) -> None:
    from alembic import command

    from storage.db import alembic_config

    db = f"sqlite:///{tmp_path / 'old.sqlite'}"
    with Archive(db) as archive, archive.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0002")
    for args in (["sites"], ["report"]):
        result = newscrawl(*args, "--db", db)
        assert result.exit_code == 1
        assert result.stderr.strip().endswith("run `newscrawl db upgrade`")


# --------------------------------------------------------------------------- report (HTML)


def test_the_html_report_is_one_self_contained_file(history: History, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    result = newscrawl("report", "--db", history.db, "--html", str(path))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == f"{path}: 2 sites, 10 runs, 1 warning\n"
    page = path.read_text(encoding="utf-8")
    document = lxml.html.fromstring(page)
    # Nothing to fetch: no script, no stylesheet link, no image or frame, only in-page anchors.
    assert not document.xpath("//script | //link | //img | //iframe | //object")
    assert all(href.startswith("#") for href in document.xpath("//@href"))
    assert not document.xpath("//@src")
    sections = {section.get("data-site"): section for section in document.xpath("//section[@class='site']")}
    assert list(sections) == [OTHER, BLOG]
    blog = sections[BLOG]
    assert [int(row.get("data-run-id")) for row in blog.xpath(".//tr[contains(@class, 'run')]")] == list(
        reversed(history.blog_runs)
    )
    assert len(blog.xpath(".//svg[@class='runs-chart']//*[@class='run-point']")) == 7
    assert len(blog.xpath(".//div[contains(@class, 'spark')][@data-field]")) == len(COVERAGE_FIELDS)
    assert len(blog.xpath(".//div[@data-field='authors']//*[contains(@class, 'point')]")) == 7
    [dropped] = blog.xpath(".//*[contains(@class, 'point') and contains(@class, 'drop')]")
    assert (dropped.get("data-run"), dropped.get("data-field")) == (str(history.dropped_run), "authors")
    assert blog.xpath(".//div[@class='spark dropped']/@data-field") == ["authors"]
    assert blog.xpath(f".//tr[@data-run-id='{history.dropped_run}']/@class") == [
        "run status-finished has-drop"
    ]
    [warning] = blog.xpath(".//div[@class='warnings']/p/text()")
    assert warning.startswith(f"authors coverage fell from 100% to 0% on run {history.dropped_run}")
    assert blog.xpath(".//td[@class='dropped']/text()") == ["0%"]
    other = sections[OTHER]
    assert other.xpath(".//tr[contains(@class, 'status-failed')]/@data-run-id") == [
        str(history.other_runs[-1])
    ]
    assert not other.xpath(".//div[@class='warnings']")
    assert [a.text_content() for a in document.xpath("//nav//a")] == [f"{OTHER}OK", f"{BLOG}1 warning"]


def test_site_names_are_escaped_in_html(tmp_path: Path) -> None:
    from newscrawl.report import SiteReport, render_html

    page = render_html([SiteReport('x"><script>alert(1)</script>', None, [], [], 0)], database="sqlite:///a")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page

"""The archive commands of `newscrawl`, end to end on both backends: output, exit status, errors."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from archive_helpers import APPLE, FIXTURES, FLAGSHIP, SUV, TESLA, load_record, new_archive_url
from click.testing import CliRunner
from sqlalchemy import select

from newscrawl.cli import (
    MAX_ARTICLES,
    MAX_COMMIT_EVERY,
    MAX_JOBS,
    MAX_QUERY_ROWS,
    MAX_REPORT_RUNS,
    MAX_SEARCH_HITS,
    cli,
)
from storage import (
    EXPORT_FORMATS,
    Archive,
    ArchiveRepository,
    StorageError,
    archive_stats,
    ingest,
    normalize_record,
    read_records,
)
from storage.db import head_revision
from storage.models import Article, CrawlRun
from storage.output import output_file


@pytest.fixture
def db(fresh_archive) -> str:
    return fresh_archive.url.render_as_string(hide_password=False)


@pytest.fixture
def run(db):
    runner = CliRunner()

    def invoke(*args: str, with_db: bool = True, **kwargs):
        result = runner.invoke(
            cli, [*args, *(["--db", db] if with_db else [])], catch_exceptions=False, **kwargs
        )
        assert "Traceback" not in result.stdout + result.stderr
        return result

    return invoke


@pytest.fixture
def records_file(tmp_path: Path) -> Path:
    """A JSONL file: four good records, a record missing its title, a line that is not JSON."""
    lines = [json.dumps(load_record(name), ensure_ascii=False) for name in (TESLA, FLAGSHIP, SUV, APPLE)]
    bad = load_record(TESLA)
    del bad["title"]
    lines[2:2] = [json.dumps(bad), "{not json"]
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_ingest_reports_rejected_lines_and_stores_the_rest(run, records_file) -> None:
    result = run("db", "ingest", str(records_file), "--quiet")
    assert result.exit_code == 1
    assert f"rejected {records_file}:3: title: required field missing" in result.stderr
    assert f"rejected {records_file}:4: invalid JSON" in result.stderr
    assert "4 new, 0 updated, 0 unchanged, 47 comments added" in result.stderr
    again = run("db", "ingest", str(FIXTURES / f"{FLAGSHIP}.json"), "--commit-every", "10")
    assert again.exit_code == 0, again.stderr
    assert "0 new, 0 updated, 1 unchanged" in again.stderr


def test_an_ingest_of_a_missing_file_fails_before_touching_the_archive(run, db, tmp_path) -> None:
    # It recorded a failed crawl run (and stored the files before the missing one).
    one = tmp_path / "one.json"
    one.write_text(json.dumps(load_record(APPLE)), encoding="utf-8")
    missing = tmp_path / "missing.jsonl"
    result = run("db", "ingest", str(one), str(missing), "--quiet")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {missing}: No such file or directory\n"
    stats = json.loads(run("stats", "--json").stdout)
    assert (stats["articles"], stats["crawl_runs"]) == (0, 0)


def test_ingest_reads_a_byte_order_mark_and_reports_text_that_is_not_utf8(run, tmp_path: Path) -> None:
    # A line that is not UTF-8 stopped the import with a UnicodeDecodeError traceback; a file
    # starting with a byte order mark (Windows tools write one) had its first record rejected.
    records = [json.dumps(load_record(name), ensure_ascii=False).encode() for name in (TESLA, FLAGSHIP)]
    jsonl = tmp_path / "export-windows.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + records[0] + b"\n" + "Citroën".encode("latin-1") + b"\n" + records[1])
    single = tmp_path / "one.json"
    single.write_bytes(b"\xef\xbb\xbf" + json.dumps(load_record(SUV)).encode())
    latin = tmp_path / "latin.json"
    latin.write_bytes("Citroën".encode("latin-1"))
    result = run("db", "ingest", str(jsonl), str(single), str(latin), "--quiet")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"rejected {jsonl}:2: not UTF-8 text",
        f"rejected {latin}: not UTF-8 text",
        "crawl run 1: 3 new, 0 updated, 0 unchanged, 46 comments added, 0 comments updated, 2 rejected",
    ]
    piped = run("db", "ingest", "-", "--quiet", input=b"\xef\xbb\xbf" + records[0] + b"\n\xff\n")
    assert piped.stderr.splitlines()[0] == "rejected <stdin>:2: not UTF-8 text"
    assert "0 new, 0 updated, 1 unchanged" in piped.stderr


@pytest.mark.parametrize(
    ("early", "late"),
    [
        # the same article extracted an hour apart
        (
            ("2026-12-07T09:00:00+01:00", "Publié il y a 3 heures"),
            ("2026-12-07T09:20:00+01:00", "Publié il y a 4 heures"),
        ),
        # "à l'instant" is the fetch time; two hours and a half later the page says "il y a 2 heures"
        (
            ("2026-12-07T12:00:00+01:00", "Publié à l'instant"),
            ("2026-12-07T12:30:00+01:00", "Publié il y a 2 heures"),
        ),
        # "aujourd'hui" read again the next day: "hier", the same day
        (("2026-12-07T00:00:00+01:00", "Publié aujourd'hui"), ("2026-12-07T00:00:00+01:00", "Publié hier")),
    ],
)
def test_ingest_keeps_a_date_read_again_as_an_age(run, tmp_path: Path, early, late) -> None:
    for name, (published_at, published_raw) in (("early", early), ("late", late)):
        record = load_record(FLAGSHIP)
        record.update(published_at=published_at, published_raw=published_raw)
        (tmp_path / f"{name}.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    assert run("db", "ingest", str(tmp_path / "early.json"), "--quiet").exit_code == 0
    result = run("db", "ingest", str(tmp_path / "late.json"), "--quiet")
    assert "0 new, 0 updated, 1 unchanged" in result.stderr


def test_search_export_query_stats(run, records_file, tmp_path: Path) -> None:
    run("db", "ingest", str(records_file), "--quiet")

    found = run("search", "xiaomi renault", "--site", "blog-auto-info.com", "--since", "2024-04-01")
    assert found.exit_code == 0
    assert (
        found.stdout.splitlines()[0]
        == "2024-04-29  Renault et Xiaomi redéfinissent l’avenir des voitures électriques"
    )
    hits = json.loads(run("search", "tesla", "--json").stdout)
    assert hits[0]["title"].startswith("Les prix des Tesla") and hits[0]["published_at"].startswith(
        "2024-04-27"
    )
    assert run("search", "introuvable").stderr.strip() == "no match"

    exported = run("export", "--format", "jsonl", "--quiet")
    assert [json.loads(line) for line in exported.stdout.splitlines()][1] == normalize_record(
        load_record(FLAGSHIP)
    )
    progress = run("export", "--format", "csv", "-o", str(tmp_path / "a.csv"))
    assert progress.exit_code == 0 and "4 records exported" in progress.stderr
    assert (tmp_path / "a.csv").read_text(encoding="utf-8").startswith("url,canonical_url,site,")
    assert run("export", "--format", "parquet", "-o", str(tmp_path / "a.parquet"), "-q").exit_code == 0
    assert pq.read_table(tmp_path / "a.parquet").num_rows == 4

    table = run("query", "SELECT site, count(*) AS n FROM v_articles GROUP BY site")
    assert table.stdout.splitlines() == [
        "site                n",
        "------------------  -",
        "blog-auto-info.com  4",
    ]
    as_json = run("query", "SELECT count(*) AS comments FROM v_comments", "--json")
    assert json.loads(as_json.stdout) == [{"comments": 47}]

    figures = json.loads(run("stats", "--json").stdout)
    assert (figures["articles"], figures["comments"]) == (4, 47)
    assert "articles" in run("stats").stdout


def test_site_is_a_key_or_a_profile_name_and_an_unknown_one_is_named(run, records_file, tmp_path) -> None:
    run("db", "ingest", str(records_file), "--quiet")
    by_profile = run("search", "xiaomi", "--site", "blog-auto-info", "--json")
    by_key = run("search", "xiaomi", "--site", "blog-auto-info.com", "--json")
    assert json.loads(by_profile.stdout) == json.loads(by_key.stdout) != []
    exported = run("export", "--site", "blog-auto-info", "--quiet")
    assert len(exported.stdout.splitlines()) == 4
    for args in (
        ["search", "xiaomi", "--site", "autoplus.fr"],
        ["export", "--site", "autoplus.fr", "-o", str(tmp_path / "none.jsonl")],
        ["reextract", "--site", "autoplus.fr"],
    ):
        result = run(*args)
        assert result.exit_code == 1, args
        assert result.stderr.strip() == (
            "Error: no site 'autoplus.fr' in the archive (archived sites: blog-auto-info.com)"
        )
    assert not (tmp_path / "none.jsonl").exists()


def test_search_words_may_be_given_one_by_one(run, records_file) -> None:
    run("db", "ingest", str(records_file), "--quiet")
    quoted = run("search", "xiaomi renault", "--json")
    assert run("search", "xiaomi", "renault", "--json").stdout == quoted.stdout
    assert json.loads(quoted.stdout)
    # -word is an excluded word, not an option, wherever it comes
    urls = {hit["url"] for hit in json.loads(run("search", "électriques", "--json").stdout)}
    without = run("search", "électriques", "-xiaomi", "--json")
    assert without.stdout == run("search", "-xiaomi", "électriques", "--json").stdout
    remaining = {hit["url"] for hit in json.loads(without.stdout)}
    assert remaining and remaining == urls - {hit["url"] for hit in json.loads(quoted.stdout)}
    # a "-" given alone is punctuation, not the exclusion of the next word
    assert run("search", "-", "renault", "--json").stdout == run("search", "renault", "--json").stdout
    # a misspelled option is not searched for
    misspelled = run("search", "renault", "--sitex=blog-auto-info.com")
    assert misspelled.exit_code == 2
    assert "No such option '--sitex'" in misspelled.stderr


def test_after_two_dashes_every_argument_is_a_word_of_the_query(run, db, records_file) -> None:
    # `search -- électriques --xiaomi` was refused as "No such option '--xiaomi'": "--" ends the
    # options, and "--word" is "-word" in a query.
    run("db", "ingest", str(records_file), "--quiet")
    expected = run("search", "électriques -xiaomi", "--json").stdout
    assert json.loads(expected)
    dashed = run("search", "--db", db, "--json", "--", "électriques", "--xiaomi", with_db=False)
    assert (dashed.exit_code, dashed.stdout) == (0, expected)
    # a "--" that is an option's value ends nothing: a misspelled option after it is still refused
    misspelled = run("search", "--db", db, "--site", "--", "électriques", "--sitex", with_db=False)
    assert misspelled.exit_code == 2 and "No such option '--sitex'" in misspelled.stderr


def test_an_empty_search_is_refused(run) -> None:
    run("db", "upgrade")
    for query in ("", "  ", '"*"'):
        result = run("search", query)
        assert result.exit_code == 2
        assert "nothing to search for: give one or more words" in result.stderr
    # The same answer on both backends (PostgreSQL listed every article without them; FTS5 cannot).
    for query in (" -xiaomi -tesla", "- -xiaomi", "-xiaomi or -tesla"):
        result = run("search", query)
        assert result.exit_code == 2
        assert "nothing to search for: -word only excludes, give a word to find" in result.stderr


def test_progress_is_not_drawn_into_a_log(run, records_file, tmp_path) -> None:
    """Off a terminal (cron, a pipe) the progress line's carriage returns would garble the log."""
    run("db", "ingest", str(records_file), "--quiet")
    result = run("export", "-o", str(tmp_path / "all.jsonl"))
    assert result.stderr == f"4 records exported -> {tmp_path / 'all.jsonl'}\n"


def test_a_count_of_one_is_in_the_singular(run, tmp_path) -> None:
    # "1 records exported", "1 comments added", "(first 1 rows)".
    one = tmp_path / "one.json"
    one.write_text(json.dumps(load_record(APPLE)), encoding="utf-8")  # an article with one comment
    ingested = run("db", "ingest", str(one), "--quiet")
    assert ingested.stderr == (
        "crawl run 1: 1 new, 0 updated, 0 unchanged, 1 comment added, 0 comments updated, 0 rejected\n"
    )
    assert (
        run("export", "-o", str(tmp_path / "one.jsonl")).stderr
        == f"1 record exported -> {tmp_path / 'one.jsonl'}\n"
    )
    assert run("query", "SELECT 1 AS n UNION ALL SELECT 2", "--max-rows", "1").stderr == "(first 1 row)\n"


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    """An SQLite archive of four records, by its path."""
    path = tmp_path / "news.sqlite"
    with Archive(f"sqlite:///{path}") as archive:
        ingest(archive, ((name, load_record(name)) for name in (TESLA, FLAGSHIP, SUV, APPLE)))
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
@pytest.mark.parametrize(
    ("output_name", "archive_file_name", "link"),
    [
        ("news.sqlite", "news.sqlite", None),
        ("news.sqlite-wal", "news.sqlite-wal", None),
        ("news.sqlite-shm", "news.sqlite-shm", None),
        ("link.sqlite", "news.sqlite", "symlink"),
        ("hard.sqlite", "news.sqlite", "hard link"),
    ],
)
def test_export_refuses_to_overwrite_the_sqlite_archive(
    sqlite_file: Path, fmt: str, output_name: str, archive_file_name: str, link: str | None
) -> None:
    # It wrote the export over the archive itself, said "4 records exported" and exited 0.
    output = sqlite_file.with_name(output_name)
    if link == "symlink":
        output.symlink_to(sqlite_file)
    elif link == "hard link":
        output.hardlink_to(sqlite_file)
    archive_before = sqlite_file.read_bytes()
    result = CliRunner().invoke(cli, ["export", "--db", str(sqlite_file), "--format", fmt, "-o", str(output)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: cannot write {output}: it would overwrite the archive "
        f"({sqlite_file.with_name(archive_file_name)}); choose another output file\n"
    )
    assert sqlite_file.read_bytes() == archive_before
    with Archive(f"sqlite:///{sqlite_file}", must_exist=True) as archive:
        assert archive_stats(archive)["articles"] == 4


def test_export_refuses_the_real_companions_of_an_archive_given_by_a_symbolic_link(sqlite_file: Path) -> None:
    # SQLite names -wal and -shm after the database's real path: those are the files to protect.
    link = sqlite_file.with_name("link.sqlite")
    link.symlink_to(sqlite_file)
    wal = sqlite_file.with_name(sqlite_file.name + "-wal")
    result = CliRunner().invoke(cli, ["export", "--db", str(link), "-o", str(wal)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: cannot write {wal}: it would overwrite the archive ({wal}); choose another output file\n"
    )


def test_an_archive_given_as_a_read_only_sqlite_uri_is_read_and_never_written(sqlite_file: Path) -> None:
    # The reading commands looked for a file named "file:PATH" (no archive at file:...), and the
    # export did not know the archive's file, which it may not overwrite.
    uri = f"sqlite:///file:{sqlite_file}?mode=ro&uri=true"
    before = sqlite_file.read_bytes()
    runner = CliRunner()
    assert json.loads(runner.invoke(cli, ["stats", "--json", "--db", uri]).stdout)["articles"] == 4
    assert "Renault et Xiaomi" in runner.invoke(cli, ["search", "xiaomi", "--db", uri]).stdout
    refused = runner.invoke(cli, ["db", "ingest", str(FIXTURES / f"{TESLA}.json"), "--db", uri])
    assert refused.exit_code == 1 and "read-only" in refused.stderr
    over = runner.invoke(cli, ["export", "--db", uri, "-o", str(sqlite_file)])
    assert over.exit_code == 1 and "it would overwrite the archive" in over.stderr
    assert sqlite_file.read_bytes() == before
    # Read-only, an archive in another journal mode cannot be switched to WAL: it is read as it is.
    with closing(sqlite3.connect(sqlite_file)) as connection:
        assert connection.execute("PRAGMA journal_mode = DELETE").fetchone() == ("delete",)
    assert json.loads(runner.invoke(cli, ["stats", "--json", "--db", uri]).stdout)["articles"] == 4


def test_export_writes_into_a_pipe_named_by_dev_fd(sqlite_file: Path) -> None:
    # `-o /dev/stdout | gzip` or a shell's `-o >(gzip > out.gz)` (/dev/fd/63): the path's "real
    # path" is /proc/PID/fd/pipe:[N], no file, and the export said "No such file or directory".
    read_end, write_end = os.pipe()
    received: list[bytes] = []
    with open(read_end, "rb") as pipe:
        reader = threading.Thread(target=lambda: received.append(pipe.read()), daemon=True)
        reader.start()
        with open(write_end, "wb"):
            result = CliRunner().invoke(
                cli, ["export", "--db", str(sqlite_file), "--format", "parquet", "-o", f"/dev/fd/{write_end}"]
            )
        reader.join(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert pq.read_table(io.BytesIO(received[0])).num_rows == 4


def test_export_writes_into_a_fifo_a_device_and_through_a_symlink(sqlite_file: Path, tmp_path: Path) -> None:
    # Each was replaced by a regular file (the temporary file renamed over it), /dev/null too as root.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    piped = CliRunner().invoke(
        cli, ["export", "--db", str(sqlite_file), "--format", "parquet", "-o", str(fifo)]
    )
    reader.join(timeout=30)
    assert piped.exit_code == 0, piped.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert pq.read_table(io.BytesIO(received[0])).num_rows == 4  # pyarrow seeked in the file it opened

    with output_file(os.devnull) as destination:
        # checked inside the block: were it a temporary file, the failure would remove it, not
        # rename it over /dev/null
        assert destination == Path(os.devnull)
    discarded = CliRunner().invoke(cli, ["export", "--db", str(sqlite_file), "-o", os.devnull])
    assert discarded.exit_code == 0, discarded.stderr
    assert stat.S_ISCHR(Path(os.devnull).stat().st_mode)

    target = tmp_path / "exports" / "latest.jsonl"
    target.parent.mkdir()
    target.write_text("the previous export\n", encoding="utf-8")
    link = tmp_path / "latest.jsonl"
    link.symlink_to(target)
    followed = CliRunner().invoke(cli, ["export", "--db", str(sqlite_file), "-o", str(link)])
    assert followed.exit_code == 0, followed.stderr
    assert link.is_symlink() and link.readlink() == target
    assert len(target.read_text(encoding="utf-8").splitlines()) == 4
    assert sorted(path.name for path in target.parent.iterdir()) == ["latest.jsonl"]  # no temporary left


def test_search_and_export_since_take_an_age_as_crawl_does(run, tmp_path: Path) -> None:
    # --since 7d was "invalid date '7d'" for search and export, which crawl --since accepts.
    now = datetime.now(UTC)
    for name, fixture, age in (("recent", FLAGSHIP, timedelta(days=2)), ("older", TESLA, timedelta(days=30))):
        record = load_record(fixture)
        record.update(published_at=(now - age).isoformat(timespec="seconds"), published_raw=None)
        (tmp_path / f"{name}.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        assert run("db", "ingest", str(tmp_path / f"{name}.json"), "--quiet").exit_code == 0

    def exported(since: str) -> list[str]:
        result = run("export", "--since", since, "--quiet")
        assert result.exit_code == 0, result.stderr
        return sorted(json.loads(line)["url"] for line in result.stdout.splitlines())

    assert exported("7d") == exported("168h") == [load_record(FLAGSHIP)["url"]]
    assert exported("5w") == sorted(load_record(f)["url"] for f in (FLAGSHIP, TESLA))

    def found(since: str) -> list[str]:
        return sorted(
            hit["url"] for hit in json.loads(run("search", "tesla", "--since", since, "--json").stdout)
        )

    assert load_record(TESLA)["url"] not in found("7d")
    assert load_record(TESLA)["url"] in found("5w")
    too_old = run("search", "tesla", "--since", "999999999w")
    assert too_old.exit_code == 2 and "before the year 1" in too_old.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "DELETE FROM comments"], "Error: refused: this connection is read-only"),
        (["query", "SELEC 1"], "Error: SQL error:"),
        (["query", "SELECT 1 AS n, 2 AS n", "--json"], "Error: JSON rows need distinct column names: 'n'"),
        (["export", "--format", "parquet"], "Error: Parquet is a binary file format"),
        (["export", "-o", "/nonexistent-dir/out.jsonl"], "Error: cannot write /nonexistent-dir/out.jsonl"),
        (["search", "renault", "--since", "hier"], "Error: invalid date 'hier': expected YYYY-MM-DD"),
        # an SQL error ("date value out of range") from the bound taken to UTC
        (
            ["export", "--since", "9999-12-31T23:59-01:00"],
            "Error: invalid date '9999-12-31T23:59-01:00': out of range in UTC",
        ),
        (
            ["search", "renault", "--since", "0001-01-01T00:00+01:00"],
            "Error: invalid date '0001-01-01T00:00+01:00': out of range in UTC",
        ),
    ],
)
def test_user_mistakes_are_one_line_errors(run, args: list[str], message: str) -> None:
    run("db", "upgrade")
    result = run(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_a_full_disk_is_one_error_naming_the_output(run, records_file, fmt) -> None:
    # It said "Error: file: No space left on device" (the temporary file has no name to give).
    run("db", "ingest", str(records_file), "--quiet")
    result = run("export", "--format", fmt, "-o", "/dev/full")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: cannot write /dev/full: No space left on device\n",
    )


def test_db_upgrade_and_current(run) -> None:
    head = head_revision()
    assert f"schema {head} -> {head}" in run("db", "upgrade").stdout
    assert run("db", "current").stdout.strip() == f"{head} (head: {head})"


@pytest.mark.parametrize(
    ("db_url", "message"),
    [
        ("mysql://root@localhost/news", "Error: unsupported database 'mysql'"),
        ("postgresql://postgres@127.0.0.1:1/test", "Error: cannot connect to PostgreSQL at 127.0.0.1:1/test"),
        ("sqlite:////nonexistent-dir/archive.sqlite", "Error: cannot open SQLite database"),
        # it said "schema empty -> 0013" (and an import "4 new"), and kept nothing
        ("sqlite://", "Error: --db sqlite://: an in-memory SQLite database ends with the command"),
    ],
)
def test_database_problems_are_one_line_errors(db_url: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["db", "upgrade", "--db", db_url])
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1


def test_reading_commands_do_not_create_an_archive(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSCRAWL_DB", raising=False)
    result = CliRunner().invoke(cli, ["stats"])
    assert result.exit_code == 1 and "no archive at newscrawl.sqlite" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_directory_given_as_the_archive_is_said_to_be_one(tmp_path: Path, monkeypatch) -> None:
    # "no archive at news.sqlite" (reading commands, 'sites' adding "`newscrawl crawl SITE` creates
    # it"), "cannot open SQLite database news.sqlite: the file or its directory is missing" (writing).
    monkeypatch.chdir(tmp_path)
    (tmp_path / "news.sqlite").mkdir()
    for db_url in ("news.sqlite", f"sqlite:///{tmp_path / 'news.sqlite'}"):
        for command in (["stats"], ["sites"], ["db", "upgrade"], ["search", "renault"]):
            result = CliRunner().invoke(cli, [*command, "--db", db_url])
            assert result.exit_code == 1
            assert result.stderr.endswith(
                "news.sqlite is a directory, not an SQLite archive: give the archive's file path\n"
            )
            assert len(result.stderr.strip().splitlines()) == 1
    assert list((tmp_path / "news.sqlite").iterdir()) == []


def test_the_environment_chooses_the_database(db, records_file, monkeypatch) -> None:
    monkeypatch.setenv("NEWSCRAWL_DB", db)
    CliRunner().invoke(cli, ["db", "ingest", str(records_file), "-q"])
    assert json.loads(CliRunner().invoke(cli, ["stats", "--json"]).stdout)["articles"] == 4


def test_a_nul_character_is_a_rejected_record_on_every_backend(fresh_archive, tmp_path) -> None:
    """PostgreSQL cannot store U+0000: such a record is rejected by name, not a database error that
    stops the import (and SQLite, which could store it, refuses it alike)."""
    bad = load_record(FLAGSHIP)
    bad["comments"][0]["text"] += "\x00"
    path = tmp_path / "nul.jsonl"
    path.write_text(f"{json.dumps(bad)}\n{json.dumps(load_record(APPLE))}\n", encoding="utf-8")
    report = ingest(fresh_archive, read_records(path))
    assert report.rejected == [f"{path}:1: comments[0].text: contains a NUL character (U+0000), which "
                               "PostgreSQL text cannot hold"]  # fmt: skip
    assert report.new == 1


def test_a_lone_surrogate_is_a_rejected_record_on_every_backend(fresh_archive, tmp_path) -> None:
    """JSON can write half of a UTF-16 pair ("\\ud800"), which no backend can store: the record is
    rejected by name; the import stopped with a traceback (UnicodeEncodeError), the rest not stored."""
    lines = []
    for field in ("title", "comment", "comment id", "url"):
        bad = load_record(FLAGSHIP)
        if field == "title":
            bad["title"] += "\ud800"
        elif field == "comment":
            bad["comments"][2]["text"] += "\udfff"
        elif field == "comment id":
            bad["comments"][2]["id"] = "\udc80"
        else:
            bad["url"] += "\udc80"
        lines.append(json.dumps(bad))  # ASCII: the surrogate written as a JSON escape
    path = tmp_path / "surrogates.jsonl"
    path.write_text("\n".join([*lines, json.dumps(load_record(APPLE))]) + "\n", encoding="utf-8")
    report = ingest(fresh_archive, read_records(path))
    problem = "contains a lone surrogate (U+D800 to U+DFFF), which is no Unicode text"
    assert report.rejected == [
        f"{path}:{line}: {field}: {problem}"
        for line, field in enumerate(("title", "comments[2].text", "comments[2].id", "url"), start=1)
    ]
    assert report.new == 1


def test_bulk_ingest_keeps_each_record_atomic(fresh_archive, records_file) -> None:
    report = ingest(fresh_archive, read_records(records_file), crawl_name="bulk", commit_every=3)
    assert (report.new, len(report.rejected)) == (4, 2)
    with fresh_archive.transaction() as repo:
        run = repo.get_crawl_run(report.crawl_run_id)
        assert (run.name, run.status, run.articles_new, run.stats["rejected"]) == ("bulk", "finished", 4, 2)


def test_bulk_ingest_gives_what_one_record_at_a_time_gives(
    fresh_archive, records_file, tmp_path, request, backend
) -> None:
    # A batch recognizes the records stored unchanged at once: the reports and the archive must be
    # those of the record-by-record import, in every mix (changed, new, repeated, rejected lines).
    edited_flagship = load_record(FLAGSHIP)
    edited_flagship["title"] = "Nouveau titre"
    second = tmp_path / "second.jsonl"
    second.write_text(
        records_file.read_text(encoding="utf-8")
        + "\n".join(
            json.dumps(record, ensure_ascii=False)
            for record in (edited_flagship, load_record(SUV), load_record(FLAGSHIP), load_record(TESLA))
        )
        + "\n",
        encoding="utf-8",
    )
    outcomes = []
    with Archive(new_archive_url(backend, tmp_path, request)) as one_by_one:
        for archive, commit_every in ((one_by_one, 1), (fresh_archive, 50)):
            reports = [
                ingest(archive, read_records(path), commit_every=commit_every).summary()
                for path in (records_file, records_file, second)
            ]
            with archive.session() as session:
                articles = session.execute(
                    select(Article.canonical_url, Article.last_crawl_run_id).order_by(Article.canonical_url)
                ).all()
                ids = session.scalars(select(Article.id).order_by(Article.canonical_url)).all()
                records = ArchiveRepository(session).get_records(list(ids))
                runs = session.execute(
                    select(
                        CrawlRun.articles_new, CrawlRun.articles_updated, CrawlRun.articles_unchanged
                    ).order_by(CrawlRun.id)
                ).all()
            outcomes.append((reports, articles, runs, records))
    assert outcomes[0] == outcomes[1]
    reports = outcomes[1][0]
    assert [(r["new"], r["updated"], r["unchanged"], r["rejected"]) for r in reports] == [
        (4, 0, 0, 2),
        (0, 0, 4, 2),
        (0, 2, 6, 2),  # the flagship edited then back: two new versions; the SUV and Tesla again
    ]


def test_a_database_failure_in_a_batch_keeps_every_record_before_it(
    fresh_archive, records_file, monkeypatch
) -> None:
    real_upsert = ArchiveRepository.upsert_article

    def failing_on_suv(self, record, **kwargs):
        if record.get("url", "").endswith(
            "/voici-les-suv-electriques-qui-vous-meneront-le-plus-loin-sur-autoroute/"
        ):
            raise StorageError("database is locked by another process")
        return real_upsert(self, record, **kwargs)

    monkeypatch.setattr(ArchiveRepository, "upsert_article", failing_on_suv)
    with pytest.raises(StorageError) as raised:
        ingest(fresh_archive, read_records(records_file), commit_every=10)
    # the record the import stopped at is named (line 5 of the file)
    assert str(raised.value) == f"{records_file}:5: database is locked by another process"
    with fresh_archive.session() as session:
        urls = session.scalars(select(Article.url).order_by(Article.id)).all()
        run = session.scalars(select(CrawlRun)).one()
    assert [url.rsplit("/", 2)[1] for url in urls] == [TESLA, FLAGSHIP]  # stored before the failure
    assert (run.status, run.articles_new) == ("failed", 2)


def test_ctrl_c_during_an_export_is_interrupted_with_status_130(db, monkeypatch, capsys, tmp_path) -> None:
    # Click ended it with "Aborted!" and status 1, which a scheduler reads as a failure.
    import storage
    from newscrawl.cli import main

    def pressed_ctrl_c(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(storage, "export_records", pressed_ctrl_c)
    monkeypatch.setattr("sys.argv", ["newscrawl", "export", "--db", db, "-o", str(tmp_path / "x.jsonl")])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "interrupted"


TERMINATED_MIDWAY = """
import os, signal, sys, time
import storage, storage.export
from newscrawl.cli import main

SENT = getattr(signal, sys.argv.pop(1))

def terminated():  # what systemd, a timeout or kill does (SIGTERM), or a terminal closed (SIGHUP)
    os.kill(os.getpid(), SENT)
    time.sleep(10)  # (the signal ends the command here)

def half_an_export(records, stream):
    stream.write("half a record")
    stream.flush()
    terminated()

def records_then_terminated(name, read=storage.read_records):
    yield from read(name)
    terminated()

storage.export.write_jsonl = half_an_export
storage.read_records = records_then_terminated
sys.argv = ["newscrawl", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP"])
def test_sigterm_or_sighup_ends_an_export_or_an_import_cleanly_with_status_130(
    db, records_file, tmp_path, signal_name: str
) -> None:
    # Python's own SIGTERM, and SIGHUP (an ssh session lost), ended the process on the spot: the
    # export left its .part file behind and the import left its crawl run "running" for good.
    def newscrawl(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-c", TERMINATED_MIDWAY, signal_name, *args, "--db", db]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    imported = newscrawl("db", "ingest", str(records_file), "-q")
    assert (imported.returncode, imported.stderr.splitlines()[-1:]) == (130, ["interrupted"])
    with Archive(db) as archive, archive.session() as session:
        run = session.scalars(select(CrawlRun)).one()
        assert (run.status, run.articles_new) == ("interrupted", 4) and run.finished_at is not None
    output = tmp_path / "out" / "articles.jsonl"
    output.parent.mkdir()
    output.write_text("the previous export\n", encoding="utf-8")
    exported = newscrawl("export", "-o", str(output))
    assert (exported.returncode, exported.stderr.splitlines()[-1:]) == (130, ["interrupted"])
    assert list(output.parent.iterdir()) == [output]
    assert output.read_text(encoding="utf-8") == "the previous export\n"


STOPPED_WHILE_QUERYING = """
import os, signal, sys, threading
from contextlib import contextmanager
from storage.db import Archive
from newscrawl.cli import main

SENT = getattr(signal, sys.argv.pop())
opened = Archive.read_only_connection

@contextmanager
def then_a_signal(self):
    with opened(self) as connection:  # the query runs half a second, then Ctrl-C or a SIGTERM
        threading.Timer(0.5, os.kill, (os.getpid(), SENT)).start()
        yield connection

Archive.read_only_connection = then_a_signal
sys.argv = ["newscrawl", *sys.argv[1:]]
main()
"""
ENDLESS_QUERY = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_ctrl_c_or_sigterm_stops_a_query_that_would_never_end(db, signal_name: str) -> None:
    # SQLite runs a statement in C, where Python runs no signal handler: Ctrl-C and SIGTERM were
    # ignored by such a query on SQLite (only SIGKILL ended it); psycopg cancels the statement.
    command = [sys.executable, "-c", STOPPED_WHILE_QUERYING, "query", ENDLESS_QUERY, "--db", db, signal_name]
    try:
        stopped = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{signal_name} did not stop the query")
    assert (stopped.returncode, stopped.stderr.splitlines()[-1:]) == (130, ["interrupted"]), stopped.stderr


@pytest.mark.parametrize(
    ("args", "code", "shown"),
    [
        (["stats", "--json"], 0, '"articles": 0'),
        (["--help"], 0, "Usage: "),
        (["export", "--nope"], 2, "Error: No such option '--nope'"),
        (
            ["export", "--format", "xml"],
            2,
            "Error: Invalid value for '--format': 'xml' is not one of 'jsonl', 'csv', 'parquet'.",
        ),
        (["query", "SELECT nope"], 1, "Error: "),
    ],
)
def test_main_keeps_click_s_exit_statuses(db, monkeypatch, capsys, args, code, shown) -> None:
    from newscrawl.cli import main

    with_db = [] if args == ["--help"] else ["--db", db]
    monkeypatch.setattr("sys.argv", ["newscrawl", *args, *with_db])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == code
    output = capsys.readouterr()
    assert shown in output.out + output.err


@pytest.mark.parametrize(
    ("args", "shown_option", "maximum"),
    [
        (["search", "renault", "--limit"], "'--limit'", MAX_SEARCH_HITS),
        (["query", "SELECT 1", "--max-rows"], "'--max-rows'", MAX_QUERY_ROWS),
        (["report", "--runs"], "'--runs'", MAX_REPORT_RUNS),
        (["db", "ingest", "-", "--commit-every"], "'--commit-every'", MAX_COMMIT_EVERY),
        (["crawl", "no-such-profile", "--max-articles"], "'--max-articles'", MAX_ARTICLES),
        (["extract", "no-such-page.html", "--jobs"], "'--jobs' / '-j'", MAX_JOBS),
    ],
)
@pytest.mark.parametrize("too_big", ["maximum + 1", "2**63"])
def test_counts_beyond_their_maximum_are_usage_errors(
    run, args: list[str], shown_option: str, maximum: int, too_big: str
) -> None:
    # 2**63 was an OverflowError traceback from SQLite (--limit, --runs) or from C (--max-rows).
    value = maximum + 1 if too_big == "maximum + 1" else 2**63
    result = run(*args, str(value), with_db=args[0] != "extract", input="")
    assert result.exit_code == 2, result.stdout + result.stderr
    minimum = 0 if args[0] == "extract" else 1  # --jobs 0: one per CPU
    assert result.stderr.startswith("Usage: ")
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: Invalid value for {shown_option}: {value} is not in the range {minimum}<=x<={maximum}."
    )


def test_the_export_formats_offered_are_storage_s(run, tmp_path: Path) -> None:
    format_option = next(option for option in cli.commands["export"].params if option.name == "fmt")
    assert tuple(format_option.type.choices) == EXPORT_FORMATS
    result = run("export", "--format", "CSV", "-o", str(tmp_path / "a.csv"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "a.csv").read_text(encoding="utf-8").startswith("url,canonical_url,")


def test_reextract_of_imported_records_has_nothing_to_read_again(run) -> None:
    # Each record without captures was a "not re-extracted" warning and a failure (exit status 0).
    assert run("db", "ingest", str(FIXTURES / f"{FLAGSHIP}.json"), "--quiet").exit_code == 0
    result = run("reextract", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "1 article re-extracted: 0 changed (new version), 0 unchanged, 0 failed, "
        "1 without raw captures (imported records: nothing to read again)"
    )
    assert result.stderr == ""


def test_reextract_with_pages_that_no_longer_read_exits_1(run, fresh_archive) -> None:
    record = load_record(FLAGSHIP)
    with fresh_archive.transaction() as repo:
        repo.upsert_article(
            record, captures=[{"url": record["url"], "status": 200, "body": b"\x00\x01 binary"}]
        )
    result = run("reextract", "--quiet")
    assert result.exit_code == 1
    assert f"failed: {record['canonical_url']}: binary content, not an HTML page" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: 1 article could not be re-extracted (above); they are left as they were"
    )

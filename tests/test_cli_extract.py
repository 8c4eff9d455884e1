"""`newscrawl extract`: one page, batches, and user mistakes answered in one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from newscrawl.cli import cli

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
FLAGSHIP = GOLDEN / "blog-auto-info--renault-xiaomi.html"
FLAGSHIP_URL = "https://blog-auto-info.com/renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques/"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_extract_prints_the_record_as_json():
    result = run("extract", str(FLAGSHIP), "--url", FLAGSHIP_URL, "--fetched-at", "2024-05-03T12:00:00+02:00")
    record = json.loads(result.stdout)
    assert result.exit_code == 0
    assert record["title"] == "Renault et Xiaomi redéfinissent l’avenir des voitures électriques"
    assert record["comment_count"] == 43


def test_extract_writes_to_output_file(tmp_path):
    out = tmp_path / "record.json"
    result = run("extract", str(FLAGSHIP), "--url", FLAGSHIP_URL, "-o", str(out))
    assert result.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["url"] == FLAGSHIP_URL


def test_an_output_name_ending_in_a_slash_is_refused(tmp_path):
    # Path() drops the final /: "records/" (a directory not made yet) became a file named records.
    manifest = tmp_path / "pages.jsonl"
    manifest.write_text(json.dumps({"path": str(FLAGSHIP), "url": FLAGSHIP_URL}) + "\n", encoding="utf-8")
    for args in (
        ["extract", str(FLAGSHIP), "--url", FLAGSHIP_URL, "-o", f"{tmp_path}/records/"],
        ["extract", "--manifest", str(manifest), "--output", f"{tmp_path}/records/", "-q"],
        ["scrape", FLAGSHIP_URL, "-o", f"{tmp_path}/records/"],
    ):
        result = run(*args)
        assert result.exit_code == 2, result.output
        assert result.stderr.strip().splitlines()[-1] == (
            f"Error: Invalid value for '--output' / '-o': '{tmp_path}/records/' names a directory: "
            "give a file name"
        )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pages.jsonl"]


def test_batch_keeps_order_and_reports_failures_per_page(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01\x02" * 500)
    pages = sorted(GOLDEN.glob("blog-auto-info--*.html"))
    items = [
        {"path": str(p), "url": f"https://blog-auto-info.com/{p.stem}/", "fetched_at": None} for p in pages
    ]
    items.insert(2, {"path": str(junk), "url": "https://blog-auto-info.com/junk/", "fetched_at": None})
    items.insert(4, {"path": str(tmp_path / "missing.html"), "url": "https://blog-auto-info.com/missing/"})
    manifest = tmp_path / "in.jsonl"
    manifest.write_text("".join(json.dumps(i) + "\n" for i in items) + "{not json\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"

    result = run("extract", "--manifest", str(manifest), "--output", str(out), "--jobs", "2")

    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert result.exit_code == 0
    assert len(lines) == len(items) + 1
    assert [line["url"] for line in lines[:-1]] == [i["url"] for i in items]
    assert "binary" in lines[2]["error"]
    assert "cannot read" in lines[4]["error"]
    assert lines[-1]["error"].startswith("manifest line")
    assert sum("error" in line for line in lines) == 3


def test_a_bad_manifest_line_is_an_error_line_and_the_batch_goes_on(tmp_path):
    # A path that was no string stopped the whole batch with a traceback, and an empty line gave no
    # output line (the lines no longer matched).
    good = json.dumps({"path": str(FLAGSHIP), "url": FLAGSHIP_URL})
    lines = [
        '{"path": 42, "url": "https://x.example/a/"}',
        good,
        '{"path": true}',
        "",
        '{"path": ["x"]}',
        json.dumps({"path": "a\u0000b"}),
        json.dumps({"path": str(FLAGSHIP), "url": 7}),
        good,
    ]
    manifest = tmp_path / "in.jsonl"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("extract", "--manifest", str(manifest), "--output", str(out), "-q")
    assert result.exit_code == 0, result.output
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(written) == len(lines)
    assert [("error" in line) for line in written] == [True, False, True, True, True, True, True, False]
    assert written[0]["error"] == 'manifest line 1: "path" must be a file path, not 42'
    assert written[3]["error"] == "manifest line 4: empty line"
    assert written[6]["error"] == 'manifest line 7: "url" must be a string, not 7'
    assert written[7]["title"] == written[1]["title"]


def test_manifest_paths_relative_to_the_working_directory(tmp_path, monkeypatch):
    shutil.copy(FLAGSHIP, tmp_path / "page.html")
    (tmp_path / "sub").mkdir()
    manifest = tmp_path / "sub" / "in.jsonl"
    manifest.write_text(json.dumps({"path": "page.html", "url": FLAGSHIP_URL}) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("extract", "--manifest", str(manifest), "--output", "out.jsonl", "-q")
    assert result.exit_code == 0
    assert "error" not in json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))


def test_missing_file_is_a_one_line_error(tmp_path):
    result = run("extract", str(tmp_path / "nope.html"), "--url", "https://x.example/")
    assert result.exit_code != 0
    assert "file not found" in result.output and "Traceback" not in result.output


def test_file_and_manifest_together_is_a_usage_error(tmp_path):
    result = run("extract", str(FLAGSHIP), "--manifest", str(FLAGSHIP))
    assert result.exit_code == 2 and "either FILE or --manifest" in result.output


def test_manifest_without_output_is_a_usage_error(tmp_path):
    manifest = tmp_path / "in.jsonl"
    manifest.write_text("", encoding="utf-8")
    result = run("extract", "--manifest", str(manifest))
    assert result.exit_code == 2 and "--output" in result.output


def test_bad_fetched_at_is_a_clear_error():
    result = run("extract", str(FLAGSHIP), "--url", FLAGSHIP_URL, "--fetched-at", "yesterday-ish")
    assert result.exit_code == 1 and "ISO 8601" in result.output


def test_page_without_article_is_a_clear_error(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body></body></html>", encoding="utf-8")
    result = run("extract", str(empty), "--url", "https://x.example/")
    assert result.exit_code == 1 and "no article" in result.output

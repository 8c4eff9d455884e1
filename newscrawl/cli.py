"""The `newscrawl` command: thin commands over the library (one module, like sqlite-utils' cli.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from newscrawl import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newscrawl")
def cli() -> None:
    """Crawl news sites into a SQL archive of clean article records."""


# ---------------------------------------------------------------- extraction


@cli.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url", help="The URL the page was fetched from (default: the file's file:// URL).")
@click.option("--fetched-at", help="Fetch time, ISO 8601; relative dates ('il y a 3 jours') count from it.")
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), help="Batch: JSONL of {path, url, fetched_at}.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, help="Worker processes for --manifest (0: one per CPU).")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def extract(file, url, fetched_at, manifest, output, jobs, quiet) -> None:
    """Extract the article record of a saved page (FILE) or of every page in a manifest.

    \b
      newscrawl extract page.html --url https://site/article/
      newscrawl extract --manifest in.jsonl --output out.jsonl
    """
    from newscrawl.batch import ManifestError, run_batch
    from newscrawl.extraction import ExtractionError, extract_article

    if (file is None) == (manifest is None):
        raise click.UsageError("give either FILE or --manifest (not both)")
    if manifest is not None:
        if output is None:
            raise click.UsageError("--manifest needs --output")
        if not manifest.is_file():
            raise click.ClickException(f"manifest not found: {manifest}")
        show = None if quiet else _progress_printer("pages")
        try:
            stats = run_batch(manifest, output, jobs=jobs or None, progress=show)
        except ManifestError as exc:
            raise click.ClickException(str(exc)) from None
        if not quiet:
            click.echo(f"\r{stats.pages} pages, {stats.errors} without a record -> {output}", err=True)
        return
    if not file.is_file():
        raise click.ClickException(f"file not found: {file}")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {file}: {exc.strerror}") from None
    try:
        record = extract_article(data, url or file.resolve().as_uri(), fetched_at=fetched_at).to_dict()
    except ExtractionError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    _write_json(record, output)


def _write_json(record: dict, output: Path | None) -> None:
    text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None


def _progress_printer(unit: str):
    """A callback drawing 'N/M unit' on stderr, at most every 1 % of the work."""

    def show(done: int, total: int) -> None:
        if done == total or done % max(1, total // 100) == 0:
            click.echo(f"\r{done}/{total} {unit}", nl=False, err=True)

    return show


def main() -> None:
    cli()

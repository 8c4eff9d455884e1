"""The `newscrawl` command: thin commands over the library (one module, like sqlite-utils' cli.py)."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from contextlib import contextmanager, suppress
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import click

from newscrawl import __version__
from newscrawl.wording import counted


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newscrawl")
def cli() -> None:
    """Crawl news sites into a SQL archive of clean article records."""


# Upper bounds of the counts given as options: far above any real use, and within what SQL's
# integers and C's take (an unbounded --limit was an OverflowError traceback, not a usage error).
MAX_JOBS = 256
MAX_COMMIT_EVERY = 100_000
MAX_SEARCH_HITS = 10_000
MAX_QUERY_ROWS = 1_000_000
MAX_ARTICLES = 10_000_000
MAX_REPORT_RUNS = 10_000


class _OutputFile(click.Path):
    """A file to write (``--output``): a name ending in / is refused, as naming a directory; Path()
    drops the slash, and ``-o records/`` (a directory not made yet) became a file named records."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value.endswith(os.sep):
            self.fail(f"{value!r} names a directory: give a file name", param, ctx)
        return super().convert(value, param, ctx)


# ---------------------------------------------------------------- extraction


@cli.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url", help="The URL the page was fetched from (default: the file's file:// URL).")
@click.option("--fetched-at", help="Fetch time, ISO 8601; relative dates ('il y a 3 jours') count from it.")
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Batch: JSONL of {path, url, fetched_at}.",
)
@click.option("--output", "-o", type=_OutputFile(), help="Write here instead of stdout.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0, max=MAX_JOBS),
    default=0,
    help="Worker processes for --manifest (0: one per CPU).",
)
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
            click.echo(
                _after_progress(
                    f"{counted(stats.pages, 'page')}, {stats.errors} without a record -> {output}"
                ),
                err=True,
            )
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


def _progress_shown() -> bool:
    """Progress lines redraw themselves with a carriage return: only on a terminal, never in a log."""
    return sys.stderr.isatty()


def _progress_printer(unit: str):
    """A callback drawing 'N/M unit' on stderr, at most every 1 % of the work (None off a terminal)."""
    if not _progress_shown():
        return None

    def show(done: int, total: int) -> None:
        if done == total or done % max(1, total // 100) == 0:
            click.echo(f"\r{done}/{total} {unit}", nl=False, err=True)

    return show


def _after_progress(message: str) -> str:
    """``message`` drawn over the progress line on a terminal (the line cleared first)."""
    return ("\r\x1b[K" if _progress_shown() else "") + message


def _archived_site(session, site: str | None) -> str | None:
    """The archive's key of ``--site`` (a site key or a profile name); a clear error if it has none."""
    from newscrawl.sites import all_profiles
    from storage.query import archived_site_keys

    if site is None:
        return None
    profiles = all_profiles()
    key = profiles[site].site if site in profiles else site
    keys = archived_site_keys(session)
    if key not in keys:
        known = ", ".join(keys) if keys else "none yet"
        raise click.ClickException(f"no site {site!r} in the archive (archived sites: {known})")
    return key


# ---------------------------------------------------------------- archive (storage/)

_DB_HELP = "Archive database: sqlite:///FILE, a file path ending in .sqlite or .db, or postgresql+psycopg://USER@HOST/DB. [env NEWSCRAWL_DB; default: sqlite:///newscrawl.sqlite]"


def _refuse_in_memory_database(_ctx, _param, value: str | None) -> str | None:
    """An in-memory SQLite database (``sqlite://``, ``sqlite:///``) ends with the command: a crawl or
    an import into it said what it stored, and kept nothing."""
    if value is None:
        return None
    from storage import StorageError
    from storage.db import parse_database_url, sqlite_file

    try:
        url = parse_database_url(value)
    except StorageError:
        return value  # said when the command opens it
    if url.get_backend_name() == "sqlite" and sqlite_file(url) is None:
        raise click.ClickException(
            f"--db {value}: an in-memory SQLite database ends with the command, and all it holds: "
            "give a file (sqlite:///PATH)"
        )
    return value


def _db_option(command):
    return click.option(
        "--db",
        "db_url",
        envvar="NEWSCRAWL_DB",
        metavar="URL",
        help=_DB_HELP,
        callback=_refuse_in_memory_database,
    )(command)


@contextmanager
def _storage_errors():
    """StorageError and file errors become one 'Error: ...' line and exit status 1, never a traceback."""
    from storage import StorageError

    try:
        yield
    except StorageError as exc:
        raise click.ClickException(str(exc)) from None
    except BrokenPipeError:
        # The reader went away (`newscrawl export | head`): stop quietly, like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as exc:
        raise click.ClickException(f"{exc.filename or 'file'}: {exc.strerror or exc}") from None


@contextmanager
def _terminate_as_interrupt():
    """SIGTERM (a service stopped, a timeout, ``kill``) and SIGHUP (the terminal or the ssh session
    gone) end the command as Ctrl-C does: what it began is ended cleanly (an export's temporary file
    removed, an import's crawl run closed as interrupted) and the status is 130. Python's own
    handling ended the process on the spot, which left a ``.part`` file beside the export and the
    import's run ``running`` for good. A signal ignored (SIGHUP under ``nohup``) stays ignored."""

    def interrupt(_signum, _frame) -> None:
        raise KeyboardInterrupt

    taken = {}
    try:
        for signum in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) is not signal.SIG_IGN:
                taken[signum] = signal.signal(signum, interrupt)
    except ValueError:  # not the main thread: its signals are not ours to take
        yield
        return
    try:
        yield
    finally:
        for signum, previous in taken.items():
            signal.signal(signum, previous)


@contextmanager
def _open_archive(db_url: str | None, *, create: bool = True, must_exist: bool = False):
    from storage import Archive

    with _terminate_as_interrupt(), _storage_errors():
        archive = Archive(db_url, create=create, must_exist=must_exist)
        try:
            yield archive
        finally:
            archive.close()


@cli.group()
def db() -> None:
    """The archive database: schema migrations and record imports."""


@db.command("upgrade")
@_db_option
@click.option("--revision", default="head", show_default=True, help="Target schema revision.")
def db_upgrade(db_url, revision) -> None:
    """Create or migrate the archive schema (Alembic migrations shipped with newscrawl)."""
    with _open_archive(db_url, create=False) as archive, _storage_errors():
        before, after = archive.upgrade(revision)
    click.echo(f"{archive!r}: schema {before or 'empty'} -> {after}")


@db.command("current")
@_db_option
def db_current(db_url) -> None:
    """Print the archive's schema revision."""
    from storage.db import head_revision

    with _open_archive(db_url, create=False, must_exist=True) as archive, _storage_errors():
        revision = archive.current_revision()
    click.echo(f"{revision or 'empty'} (head: {head_revision()})")


@db.command("ingest")
@_db_option
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--crawl-name",
    default="import",
    show_default=True,
    help="Name of the crawl run the import is recorded as.",
)
@click.option(
    "--commit-every",
    type=click.IntRange(min=1, max=MAX_COMMIT_EVERY),
    default=1,
    show_default=True,
    help="Records per transaction: faster bulk imports; on a database error the batch is replayed record by record.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def db_ingest(db_url, files, crawl_name, commit_every, quiet) -> None:
    """Store article records from JSON / JSONL FILES ('-': JSONL on stdin) in the archive.

    Invalid records are reported (file:line: field: problem) and skipped; the exit status is 1 if
    any was rejected.
    """
    from newscrawl.extraction.dates import relative_precision
    from storage import ingest, read_records

    def sources():
        for name in files:
            yield from read_records(name)

    def draw(report) -> None:
        click.echo(f"\r{counted(report.stored + len(report.rejected), 'record')}", nl=False, err=True)

    show = None if quiet or not _progress_shown() else draw
    _check_readable(files)
    with _open_archive(db_url) as archive, _storage_errors():
        report = ingest(
            archive,
            sources(),
            crawl_name=crawl_name,
            commit_every=commit_every,
            progress=show,
            date_precision=relative_precision,
        )
    if show is not None:
        click.echo(_after_progress(""), nl=False, err=True)
    for line in report.rejected:
        click.echo(f"rejected {line}", err=True)
    counts = ", ".join(_summary_count(name, value) for name, value in report.summary().items())
    click.echo(f"crawl run {report.crawl_run_id}: {counts}", err=True)
    if report.rejected:
        sys.exit(1)


def _check_readable(files: tuple[str, ...]) -> None:
    """Every file named exists and may be read, checked before the archive is touched: an import
    that cannot read its files records no crawl run (nor creates an archive)."""
    for name in files:
        if name == "-":
            continue
        if not os.path.exists(name):
            raise click.ClickException(f"{name}: No such file or directory")
        if not os.access(name, os.R_OK):
            raise click.ClickException(f"{name}: Permission denied")


def _summary_count(name: str, value: int) -> str:
    """A count of an import's summary: ``1 new``, ``1 comment added``, ``2 comments updated``."""
    noun, _, what = name.partition("_")
    return f"{counted(value, noun.removesuffix('s'))} {what}" if what else f"{value:,} {name}"


_SINCE_HELP = (
    "Only articles published on/after this date: YYYY-MM-DD[THH:MM] (UTC unless an offset is given), "
    "or 48h / 7d / 2w ago."
)
_RELATIVE_SINCE = re.compile(r"\s*\d+\s*[hdw]\s*", re.I)


def _since_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | datetime | None:
    """``--since`` of the archive's commands as ``crawl --since`` reads it: an age (48h, 7d, 2w) is the
    instant that long ago; a date or date-time goes to the archive as written (it says what is wrong)."""
    if value is None or not _RELATIVE_SINCE.fullmatch(value):
        return value
    from newscrawl.discovery import parse_since

    try:
        return parse_since(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


class _QueryCommand(click.Command):
    """``search``: unknown options reach the query (``-word`` excludes a word; a misspelled --option is
    refused), except after ``--``, where every argument is a word of the query, whatever it looks
    like (``search -- renault --xiaomi``: ``--xiaomi`` is ``-xiaomi``, as in a quoted query)."""

    WORDS_AFTER_DASHES = "newscrawl.words_after_dashes"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # where click's parser stops reading options: the first "--" that is no option's value
        takes_value = {
            name
            for param in self.params
            if isinstance(param, click.Option) and not param.is_flag and not param.count
            for name in param.opts
        }
        index = 0
        while index < len(args):
            if args[index] == "--":
                ctx.meta[self.WORDS_AFTER_DASHES] = len(args) - index - 1
                break
            index += 2 if args[index] in takes_value else 1
        return super().parse_args(ctx, args)


@cli.command(cls=_QueryCommand, context_settings={"ignore_unknown_options": True})
@_db_option
@click.argument("words", nargs=-1, required=True, metavar="QUERY...")
@click.option("--site", help="Only this site (profile name or site key, e.g. blog-auto-info.com).")
@click.option("--since", metavar="DATE", help=_SINCE_HELP, callback=_since_option)
@click.option("--limit", type=click.IntRange(min=1, max=MAX_SEARCH_HITS), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Hits as JSON.")
def search(db_url, words, site, since, limit, as_json) -> None:
    """Full-text search of titles, leads, bodies and comments, best hits first.

    Every word is required; "a phrase" must appear as written, -word must not appear, and or
    between two terms makes either one enough (PostgreSQL's web search syntax, on both backends); a
    - followed by a space is punctuation. The query's words may be given quoted together or one by
    one; after --, every argument is a word (--word is -word).

    \b
      newscrawl search xiaomi renault --site blog-auto-info.com --since 2024-04-01
      newscrawl search renault -xiaomi
      newscrawl search '"voiture électrique" or hydrogène'
    """
    from storage import StorageError
    from storage import search as search_archive
    from storage.fulltext import parse_query
    from storage.query import jsonable

    literal = click.get_current_context().meta.get(_QueryCommand.WORDS_AFTER_DASHES, 0)
    misspelled = next((word for word in words[: len(words) - literal] if word.startswith("--")), None)
    if misspelled is not None:
        raise click.NoSuchOption(misspelled.split("=", 1)[0])
    query = " ".join(words)
    if not any(character.isalnum() for character in query):
        raise click.UsageError("nothing to search for: give one or more words")
    with _open_archive(db_url, must_exist=True) as archive, _storage_errors():
        if not parse_query(query):
            # FTS5 cannot list every article without the excluded words, which PostgreSQL can: the same
            # query gives the same answer on both backends
            raise click.UsageError("nothing to search for: -word only excludes, give a word to find")
        with suppress(StorageError):  # an archive this user cannot write: search what is indexed
            archive.write_search_index()
        with archive.session() as session:
            hits = search_archive(
                session, query, site=_archived_site(session, site), since=since, limit=limit
            )
    if as_json:
        rows = [{name: jsonable(value) for name, value in asdict(hit).items()} for hit in hits]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not hits:
        click.echo("no match", err=True)
        return
    for hit in hits:
        published = hit.published_at.date().isoformat() if hit.published_at else "????-??-??"
        click.echo(f"{published}  {hit.title}\n            {hit.url}\n            {hit.snippet}\n")


@cli.command()
@_db_option
@click.option(
    "--format",
    "fmt",
    # storage.EXPORT_FORMATS, spelled out: importing storage here would slow every command's start
    type=click.Choice(["jsonl", "csv", "parquet"], case_sensitive=False),
    default="jsonl",
    show_default=True,
)
@click.option("--site", help="Only this site (profile name or site key, e.g. blog-auto-info.com).")
@click.option("--since", metavar="DATE", help=_SINCE_HELP, callback=_since_option)
@click.option(
    "--output", "-o", default="-", show_default=True, help="Output file ('-': stdout; Parquet needs a file)."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def export(db_url, fmt, site, since, output, quiet) -> None:
    """Export the current record of every article: JSONL (schema records), CSV (flat) or Parquet."""
    from storage import export_records

    show = None if quiet else _progress_printer("records")
    with _open_archive(db_url, must_exist=True) as archive, _storage_errors(), archive.session() as session:
        site = _archived_site(session, site)
        count = export_records(session, fmt, output, site=site, since=since, progress=show)
    if not quiet:
        click.echo(
            _after_progress(
                f"{counted(count, 'record')} exported" + ("" if output == "-" else f" -> {output}")
            ),
            err=True,
        )


@cli.command()
@_db_option
@click.argument("sql")
@click.option("--json", "as_json", is_flag=True, help="Rows as a JSON array of objects.")
@click.option(
    "--max-rows",
    type=click.IntRange(min=1, max=MAX_QUERY_ROWS),
    default=None,
    help="Stop after this many rows.",
)
def query(db_url, sql, as_json, max_rows) -> None:
    """Run a read-only SQL query on the archive (writes are refused).

    \b
      newscrawl query "SELECT site, count(*) FROM v_articles GROUP BY site"
    """
    from storage import render_table, result_as_json, run_query

    with _open_archive(db_url, must_exist=True) as archive, _storage_errors():
        result = run_query(archive, sql, max_rows=max_rows)
        shown = result_as_json(result) if as_json else render_table(result.columns, result.rows)
    click.echo(shown)
    if result.truncated:
        click.echo(f"(first {counted(max_rows, 'row')})", err=True)


@cli.command()
@_db_option
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
def stats(db_url, as_json) -> None:
    """Counts and per-site figures of the archive."""
    from storage import archive_stats, render_table

    with _open_archive(db_url, must_exist=True) as archive, _storage_errors():
        figures = archive_stats(archive)
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False, indent=1))
        return
    per_site, last_run = figures.pop("per_site"), figures.pop("last_crawl_run")
    click.echo(render_table(["figure", "value"], list(figures.items())))
    if last_run:
        click.echo("\nlast crawl run\n" + render_table(["figure", "value"], list(last_run.items())))
    if per_site:
        click.echo("\n" + render_table(list(per_site[0]), [tuple(site.values()) for site in per_site]))


# ---------------------------------------------------------------- crawling (newscrawl/crawl.py)


def _network_options(command):
    """Options shared by crawl and scrape: host mapping, user agent, settings, verbosity."""
    options = [
        click.option(
            "--resolve",
            multiple=True,
            metavar="HOST=URL",
            help="Fetch HOST's pages from another server (e.g. blog-auto-info.com=http://127.0.0.1:8000); "
            "records keep the real URLs. Repeatable.",
        ),
        click.option(
            "--user-agent",
            envvar="NEWSCRAWL_USER_AGENT",
            metavar="UA",
            help="User-Agent header. [env NEWSCRAWL_USER_AGENT]",
        ),
        click.option(
            "--set",
            "-s",
            "overrides",
            multiple=True,
            metavar="NAME=VALUE",
            help="Any Scrapy or NEWSCRAWL_ setting (DOWNLOAD_DELAY=2, CONCURRENT_REQUESTS_PER_DOMAIN=1 ...). Repeatable.",
        ),
        click.option("--verbose", "-v", count=True, help="Log more (-v: each page archived, -vv: debug)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _setting_overrides(values: tuple[str, ...]) -> dict:
    settings = {}
    for value in values:
        name, sep, raw = value.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"--set {value!r}: expected NAME=VALUE")
        try:
            settings[name.strip()] = json.loads(raw)
        except ValueError:
            settings[name.strip()] = raw
    return settings


def _log_level(verbose: int, quiet: bool) -> str:
    if quiet:
        return "ERROR"
    return {0: "WARNING", 1: "INFO"}.get(verbose, "DEBUG")


EXIT_LOCKED = 75
"""``newscrawl crawl``'s status when another run holds the site's lock (sysexits' EX_TEMPFAIL: try later)."""
LOCKED_REASON = "crawl_locked"
LOCKED_STAT = "newscrawl/crawl_locked"
"""The close reason and stat of a refused run (``newscrawl/run_guard.py``)."""


def _run(options):
    from newscrawl.crawl import CrawlSetupError, run_crawl

    try:
        return run_crawl(options)
    except CrawlSetupError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.argument("target")
@_db_option
@click.option(
    "--max-articles",
    type=click.IntRange(min=1, max=MAX_ARTICLES),
    help="Stop after this many articles read (with --incremental, those revisited for new comments too; "
    "not those skipped as unchanged).",
)
@click.option("--since", metavar="DATE", help="Skip articles published before DATE (2024-04-01, or 7d, 48h).")
@click.option(
    "--incremental",
    is_flag=True,
    help="Skip what the archive says is unchanged (sitemap lastmod, ETag, Last-Modified); revisit recent articles for new comments.",
)
@click.option(
    "--jobdir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the crawl state here; rerun to resume.",
)
@click.option(
    "--warc",
    "warc_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write a WARC file of everything fetched here.",
)
@click.option("--generic", is_flag=True, help="Ignore the site's profile: judge pages by their own evidence.")
@click.option(
    "--frontier",
    metavar="REDIS_URL",
    help="Be one worker of a distributed crawl: share the request queue and duplicate filter in Redis "
    "(redis://HOST:PORT/DB) with every worker of the same job, on any machine. Needs a PostgreSQL --db.",
)
@click.option(
    "--job",
    metavar="NAME",
    help="Name of the distributed job (default: the site profile's name, or the site's host).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress, errors only (for cron).")
@_network_options
def crawl(
    target,
    db_url,
    max_articles,
    since,
    incremental,
    jobdir,
    warc_dir,
    generic,
    frontier,
    job,
    quiet,
    resolve,
    user_agent,
    overrides,
    verbose,
) -> None:
    """Crawl a site (a profile name, or any URL or host name of it) into the archive.

    \b
      newscrawl crawl blog-auto-info
      newscrawl crawl https://www.example-auto.fr/ --max-articles 50
      newscrawl crawl blog-auto-info --incremental --quiet          # cron
      newscrawl crawl blog-auto-info --resolve blog-auto-info.com=http://127.0.0.1:8000
      newscrawl crawl blog-auto-info --frontier redis://frontier.example:6379/0 --db postgresql+psycopg://crawler@archive.example/news

    Exit status: 0 done, 1 failed, 75 skipped because another run is crawling the site (it holds the
    site's lock in the archive) or uses the --jobdir, 130 interrupted.
    """
    from newscrawl.crawl import CrawlOptions
    from newscrawl.pipelines import FINISH_STATUS, NOTHING_FETCHED, NOTHING_READ, run_failure

    result = _run(
        CrawlOptions(
            target=target,
            db=db_url,
            max_articles=max_articles,
            since=since,
            incremental=incremental,
            generic=generic,
            resolve=list(resolve),
            warc_dir=warc_dir,
            jobdir=jobdir,
            frontier=frontier,
            job=job,
            user_agent=user_agent,
            progress=not quiet,
            log_level=_log_level(verbose, quiet),
            settings=_setting_overrides(overrides),
        )
    )
    if result.reason == LOCKED_REASON:
        click.echo(f"skipped: {result.stats.get(LOCKED_STAT)}", err=True)
        sys.exit(EXIT_LOCKED)
    if result.reason == "shutdown":
        click.echo("interrupted" + (f"; rerun with --jobdir {jobdir} to resume" if jobdir else ""), err=True)
        sys.exit(130)
    failure = run_failure(result.stats) if result.reason in FINISH_STATUS else None
    if failure is not None:
        where = f" from {target}" if failure in (NOTHING_FETCHED, NOTHING_READ) else ""
        if not quiet:
            raise click.ClickException(f"{failure}{where} (see the errors above)")
        # --quiet showed none of them (they are warnings): the last one says what went wrong
        last = result.stats.get("newscrawl/last_error")
        raise click.ClickException(f"{failure}{where}" + (f" (the last error: {last})" if last else ""))
    if result.status == "failed":
        # --quiet showed no warning: the one that said why the crawl stopped, if any, goes here
        because = result.stats.get("newscrawl/stopped_because") if quiet else None
        stopped = f"crawl stopped: {result.reason.replace('_', ' ')}"
        raise click.ClickException(stopped + (f" ({because})" if because else ""))


@cli.command()
@click.argument("url")
@click.option("--save", is_flag=True, help="Also archive it (default: print only, nothing written).")
@_db_option
@click.option(
    "--output",
    "-o",
    type=_OutputFile(),
    help="Write the record here instead of stdout.",
)
@click.option(
    "--generic",
    is_flag=True,
    help="Ignore the site's profile: read the page as an article if it is not a listing.",
)
@_network_options
def scrape(url, save, db_url, output, generic, resolve, user_agent, overrides, verbose) -> None:
    """Fetch one article and all its comment pages; print its record as JSON.

    \b
      newscrawl scrape https://blog-auto-info.com/renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques/
    """
    from newscrawl.crawl import CrawlOptions

    result = _run(
        CrawlOptions(
            target=url,
            mode="scrape",
            db=db_url,
            archive=save,
            generic=generic,
            resolve=list(resolve),
            user_agent=user_agent,
            progress=False,
            log_level=_log_level(verbose, False),
            settings=_setting_overrides(overrides),
            collect_items=True,
        )
    )
    if not result.items:
        problem = result.stats.get("newscrawl/last_error") or "no article record"
        raise click.ClickException(f"{url}: {problem}")
    item = result.items[0]
    for failure in item.comment_pages_failed:
        click.echo(f"warning: comment page not fetched: {failure}", err=True)
    _write_json(item.record, output)
    if save:
        click.echo(f"saved: {item.status} (article {item.article_id})", err=True)


@cli.command()
@_db_option
@click.option(
    "--port", type=click.IntRange(min=0, max=65535), default=0, help="Port of the demo site (0: a free one)."
)
@click.option("--quiet", "-q", is_flag=True, help="Only the summary.")
def demo(db_url, port, quiet) -> None:
    """Serve the bundled demo site on 127.0.0.1, crawl it into the archive, show what was archived."""
    from newscrawl.crawl import CrawlSetupError
    from newscrawl.demo import run_demo

    try:
        result = run_demo(db_url, port=port, quiet=quiet, echo=click.echo)
    except CrawlSetupError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot serve the demo site: {exc.strerror or exc}") from None
    if result.status == "failed":
        from newscrawl.pipelines import run_failure

        why = run_failure(result.stats) or result.reason.replace("_", " ")
        raise click.ClickException(f"demo crawl stopped: {why}")


@cli.command()
@_db_option
@click.option("--site", help="Only this site (profile name or site key, e.g. blog-auto-info.com).")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def reextract(db_url, site, quiet) -> None:
    """Rebuild every record from its raw captures with the current extractor (offline).

    A new version is stored only where the output changed.
    """
    from newscrawl.reextract import reextract_archive

    show = None if quiet else _progress_printer("articles")
    with _open_archive(db_url, must_exist=True) as archive, _storage_errors():
        with archive.session() as session:
            site = _archived_site(session, site)
        report = reextract_archive(archive, site=site, progress=show)
    if show is not None:
        click.echo(_after_progress(""), nl=False, err=True)
    skipped = f", {report.skipped:,} re-crawled meanwhile (left as they are)" if report.skipped else ""
    if report.without_captures:
        skipped += (
            f", {report.without_captures:,} without raw captures (imported records: nothing to read again)"
        )
    click.echo(
        f"{counted(report.articles, 'article')} re-extracted: {report.updated:,} changed (new version), "
        f"{report.unchanged:,} unchanged, {len(report.failed):,} failed{skipped}; "
        f"{counted(report.comments_added, 'comment')} added"
    )
    for failure in report.failed[:20]:
        click.echo(f"  failed: {failure}", err=True)
    if report.failed:
        more = (
            f" (the first 20 above; {len(report.failed)} in all)" if len(report.failed) > 20 else " (above)"
        )
        raise click.ClickException(
            f"{counted(len(report.failed), 'article')} could not be re-extracted{more}; they are left as they were"
        )


# ---------------------------------------------------------------- health (storage/health.py, newscrawl/report.py)


def _missing_sqlite_archive(db_url: str | None) -> str | None:
    """The path of an SQLite archive that does not exist yet (None: it exists, or it is PostgreSQL)."""
    from storage.db import database_url, parse_database_url, sqlite_archive_file

    database = sqlite_archive_file(parse_database_url(database_url(db_url)))
    return None if database is None or Path(database).is_file() else database


@cli.command()
@_db_option
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
def sites(db_url, as_json) -> None:
    """Site profiles and the archive's sites: last run, counts, coverage and health.

    Health is OK, or a warning naming the field whose coverage fell sharply on the last run that
    read enough articles (see `newscrawl report`), or that the last run failed.
    """
    from newscrawl.report import crawl_runs_phrase, list_sites, render_sites, sites_as_json
    from storage.health import site_summaries

    with _storage_errors():
        missing = _missing_sqlite_archive(db_url)
    summaries = []
    if missing is None:
        with (
            _open_archive(db_url, must_exist=True) as archive,
            _storage_errors(),
            archive.session() as session,
        ):
            summaries = site_summaries(session)
    lines = list_sites(summaries)
    if as_json:
        click.echo(json.dumps(sites_as_json(lines), ensure_ascii=False, indent=1))
    elif lines:
        click.echo(render_sites(lines))
    if missing is not None:
        click.echo(f"no archive at {missing} yet: `newscrawl crawl SITE` creates it", err=True)
    elif not any(summary.runs for summary in summaries):
        imported = [summary.imports for summary in summaries if summary.imports is not None]
        if imported:  # `db ingest` records runs for no site in particular
            articles = sum(imports.articles for imports in imported)
            runs = sorted({run for imports in imported for run in imports.runs})
            click.echo(
                f"no site crawled yet: the {counted(articles, 'article')} of {counted(len(imported), 'site')} "
                "came from `newscrawl db ingest` "
                f"({crawl_runs_phrase(runs)}); "
                "`newscrawl crawl SITE` records crawls, with their coverage and health",
                err=True,
            )
        else:
            click.echo("the archive has no crawl runs yet: `newscrawl crawl SITE` records them", err=True)


@cli.command()
@_db_option
@click.option("--site", help="Only this site (profile name or site key, e.g. blog-auto-info.com).")
@click.option(
    "--runs",
    type=click.IntRange(min=1, max=MAX_REPORT_RUNS),
    default=10,
    show_default=True,
    help="Latest runs shown per site.",
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False),  # (as typed: a Path drops a final /, which names a directory)
    help="Write a static HTML report (charts of runs and coverage, runs table, warnings) to FILE instead.",
)
def report(db_url, site, runs, html_file) -> None:
    """Runs over time, coverage per field, and warnings when a field's coverage drops sharply.

    \b
      newscrawl report                       # every site, as text
      newscrawl report --site blog-auto-info --runs 30
      newscrawl report --html report.html    # one self-contained file, open it in any browser
    """
    from newscrawl.report import ReportError, build_reports, render_html, render_text
    from storage import StorageError
    from storage.output import output_file

    with _open_archive(db_url, must_exist=True) as archive, _storage_errors(), archive.session() as session:
        try:
            reports = build_reports(session, site=site, runs=runs)
        except ReportError as exc:
            raise click.ClickException(str(exc)) from None
        archive_url = archive.url
    if html_file is None:
        click.echo(render_text(reports), nl=False)
        return
    page = render_html(reports, database=archive_url.render_as_string(hide_password=True))
    try:
        with _terminate_as_interrupt(), output_file(html_file, archive_url=archive_url) as destination:
            destination.write_text(page, encoding="utf-8")
    except StorageError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {html_file}: {exc.strerror}") from None
    counts = {
        "site": len(reports),
        "run": sum(len(r.runs) for r in reports),
        "warning": sum(len(r.drops) for r in reports),
    }
    click.echo(
        f"{html_file}: " + ", ".join(counted(n, name) for name, n in counts.items()),
        err=True,
    )


def main() -> None:
    # Click's own ending of a Ctrl-C is "Aborted!" with status 1, which a scheduler reads as a failure:
    # "interrupted" and 130 instead, as for a crawl stopped with Ctrl-C.
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    sys.exit(code if isinstance(code, int) else 0)

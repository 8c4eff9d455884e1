"""The `newscrawl` command: thin commands over the library (one module, like sqlite-utils' cli.py)."""

from __future__ import annotations

import click

from newscrawl import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newscrawl")
def cli() -> None:
    """Crawl news sites into a SQL archive of clean article records."""


def main() -> None:
    cli()

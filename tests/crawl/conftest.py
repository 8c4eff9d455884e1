"""Crawl tests: local servers on 127.0.0.1 only; each crawl runs in its own process (one reactor each)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from newscrawl.demo_site import demo_site_dir
from newscrawl.testing.server import SiteServer


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[SiteServer]:
    """A private copy of the reference mirror (tests may edit it), served on 127.0.0.1."""
    root = tmp_path / "www"
    shutil.copytree(demo_site_dir(), root)
    with SiteServer(root) as server:
        yield server


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'archive.sqlite'}"

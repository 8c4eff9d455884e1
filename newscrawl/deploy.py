"""Running from a scrapyd egg: what differs when the project is imported from a zip file.

``scrapyd-deploy`` (see ``scrapy.cfg`` and ``setup.py``) uploads the project as an egg, and scrapyd's
runner imports the project straight from that zip. Everything read through ``importlib.resources``
works there; Alembic, though, reads the archive's migrations (``storage/migrations``) as files of a
directory. :class:`EggSupport` (an ``ADDONS`` entry) notices a zipped ``storage`` package and
extracts the migrations once, to a directory named after their content, before the archive opens.
Outside an egg it does nothing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

log = logging.getLogger(__name__)


def _files(folder: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            found.extend(_files(entry, f"{prefix}{entry.name}/"))
        else:
            found.append((prefix + entry.name, entry))
    return found


def extract_migrations(folder: Traversable, cache: Path) -> Path:
    """``folder`` (a package directory inside a zip) copied to ``cache/migrations-<hash>``, once."""
    files = [(name, entry.read_bytes()) for name, entry in _files(folder)]
    digest = hashlib.sha256()
    for name, data in files:
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    target = cache / f"migrations-{digest.hexdigest()[:16]}"
    if target.is_dir():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="migrations-", dir=cache))
    for name, data in files:
        path = staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    try:
        staging.rename(target)  # atomic: two jobs starting together both end up with a whole copy
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not target.is_dir():
            raise
    return target


def use_extracted_migrations(cache: Path | None = None) -> Path | None:
    """When ``storage`` runs from a zip, point it at an extracted copy of its migrations."""
    import storage.db

    if Path(storage.db.MIGRATIONS_DIR).is_dir():
        return None
    folder = resources.files("storage").joinpath("migrations")
    if cache is not None:
        target = extract_migrations(folder, cache)
    else:
        try:
            home_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newscrawl"
            target = extract_migrations(folder, home_cache)
        except OSError:  # a service account without a writable home
            target = extract_migrations(folder, Path(tempfile.gettempdir()) / f"newscrawl-{os.getuid()}")
    storage.db.MIGRATIONS_DIR = target
    log.debug("archive migrations read from %s (the project runs from a zipped egg)", target)
    return target


class EggSupport:
    """``ADDONS`` entry: make a crawl run from a scrapyd egg read its archive migrations."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EggSupport:
        return cls(crawler)

    def update_settings(self, settings: BaseSettings) -> None:
        use_extracted_migrations()

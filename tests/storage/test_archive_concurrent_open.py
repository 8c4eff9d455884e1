"""Several processes opening a brand-new archive at once (workers of a distributed crawl) all succeed."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from archive_helpers import new_archive_url

from storage import Archive
from storage.db import head_revision


def test_simultaneous_first_opens_migrate_once(backend: str, tmp_path: Path, request: pytest.FixtureRequest):
    url = new_archive_url(backend, tmp_path, request)
    start = threading.Barrier(4)
    errors: list[BaseException] = []
    revisions: list[str | None] = []

    def open_archive() -> None:
        start.wait()
        try:
            with Archive(url, busy_timeout=30) as archive:
                revisions.append(archive.current_revision())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_archive) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert revisions == [head_revision()] * 4

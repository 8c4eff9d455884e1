"""Shared test data of the storage suite (imported by conftest and tests; not a test module)."""

from __future__ import annotations

import copy
import json
import random
import string
import uuid
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "storage"
FLAGSHIP = "renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques"
SUV = "voici-les-suv-electriques-qui-vous-meneront-le-plus-loin-sur-autoroute"
TESLA = "les-prix-des-tesla-model-s-x-et-3-viennent-de-chuter"
APPLE = "voici-pourquoi-lalliance-entre-apple-et-rivian-pourrait-redefinir-lavenir-de-la-mobilite"


LONG_TEXT = "".join(random.Random(5).choices(string.ascii_lowercase + string.digits, k=5_000))
"""5,000 characters, past what a PostgreSQL B-tree row holds (~2.7 KB): a URL's query or a comment id
this long was refused there."""


def long_urls_record(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with a 5,000-character query in its canonical and fetch URLs, and a 5,000-character
    site id for the first comment that has a reply, if any (the reply's ``parent_id`` too)."""
    canonical = f"{record['canonical_url'] or record['url']}?ref={LONG_TEXT}"
    changed = edited(record, canonical_url=canonical, url=canonical + "&utm_source=rss")
    reply = next((c for c in changed["comments"] if c["parent_id"] is not None), None)
    if reply is not None:
        parent = next(c for c in changed["comments"] if c["id"] == reply["parent_id"])
        parent["id"] = reply["parent_id"] = f"comment-{LONG_TEXT}"
    return changed


def load_record(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def edited(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``record`` with top-level fields replaced."""
    changed = copy.deepcopy(record)
    changed.update(changes)
    return changed


def new_archive_url(backend: str, directory: Path, request: pytest.FixtureRequest) -> str:
    """A new, empty archive of ``backend``: an SQLite file in ``directory`` or a PostgreSQL schema."""
    if backend == "sqlite":
        return f"sqlite:///{directory / f'archive-{uuid.uuid4().hex[:8]}.sqlite'}"
    return request.getfixturevalue("pg_schemas").new()

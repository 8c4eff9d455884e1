"""Shared test data of the storage suite (imported by conftest and tests; not a test module)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "storage"
FLAGSHIP = "renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques"
SUV = "voici-les-suv-electriques-qui-vous-meneront-le-plus-loin-sur-autoroute"
TESLA = "les-prix-des-tesla-model-s-x-et-3-viennent-de-chuter"
APPLE = "voici-pourquoi-lalliance-entre-apple-et-rivian-pourrait-redefinir-lavenir-de-la-mobilite"


def load_record(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def edited(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``record`` with top-level fields replaced."""
    changed = copy.deepcopy(record)
    changed.update(changes)
    return changed

"""newscrawl.deploy: the archive migrations, read from a zipped package, extracted once."""

from __future__ import annotations

import zipfile
from pathlib import Path

from newscrawl.deploy import extract_migrations

ROOT = Path(__file__).resolve().parents[2]


def zipped_migrations(tmp_path: Path) -> zipfile.Path:
    source = ROOT / "storage" / "migrations"
    bundle = tmp_path / "project.egg"
    with zipfile.ZipFile(bundle, "w") as archive:
        for path in sorted(source.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, "storage/migrations/" + path.relative_to(source).as_posix())
    return zipfile.Path(bundle, "storage/migrations/")


def test_migrations_in_a_zip_are_extracted_whole_and_once(tmp_path):
    folder = zipped_migrations(tmp_path)
    target = extract_migrations(folder, tmp_path / "cache")
    source = ROOT / "storage" / "migrations"
    expected = {
        path.relative_to(source).as_posix(): path.read_bytes()
        for path in source.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    extracted = {
        path.relative_to(target).as_posix(): path.read_bytes() for path in target.rglob("*") if path.is_file()
    }
    assert extracted == expected
    assert "versions/0001_initial_schema.py" in extracted and "script.py.mako" in extracted
    # Same content, same directory: a second job reuses it, nothing left half-written beside it.
    assert extract_migrations(folder, tmp_path / "cache") == target
    assert [path.name for path in (tmp_path / "cache").iterdir()] == [target.name]

"""The extractor version recorded with each run: the package version and a hash of the extraction code."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

from newscrawl import __version__
from newscrawl.run_guard import extractor_version
from tests.crawl.helpers import ROOT

PRINT_VERSION = (
    "import sys; sys.path.insert(0, sys.argv[1]); import newscrawl; assert newscrawl.__file__.startswith(sys.argv[1]); "
    "from newscrawl.run_guard import extractor_version; print(extractor_version())"
)


def zipped_project(path: Path, change: tuple[str, bytes] | None = None) -> Path:
    """The newscrawl and storage packages in a zip file, as scrapyd runs them from an egg."""
    with zipfile.ZipFile(path, "w") as archive:
        for package in ("newscrawl", "storage"):
            for source in sorted((ROOT / package).rglob("*")):
                name = source.relative_to(ROOT).as_posix()
                if (
                    source.is_file()
                    and "__pycache__" not in name
                    and not name.startswith("newscrawl/demo_site/")
                ):
                    data = source.read_bytes()
                    if change is not None and name == change[0]:
                        data += change[1]
                    archive.writestr(name, data)
    return path


def version_in(egg: Path) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", PRINT_VERSION, str(egg)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=egg.parent,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout.strip()


def test_the_version_names_the_package_and_the_code() -> None:
    assert re.fullmatch(rf"newscrawl-{re.escape(__version__)}\+[0-9a-f]{{8}}", extractor_version())


def test_a_zipped_egg_gives_the_same_version_and_a_changed_extractor_another(tmp_path: Path) -> None:
    assert version_in(zipped_project(tmp_path / "same.egg")) == extractor_version()
    changed = zipped_project(tmp_path / "changed.egg", ("newscrawl/extraction/body.py", b"\n# tuned\n"))
    assert version_in(changed) != extractor_version()

"""The HTML report as a browser shows it: headless Chromium renders the file, offline.

The rendered DOM must hold every run (table rows and chart points), and the screenshot must show
the charts: pixels of the bar colours and of the highlighted drop, not a blank page. Without
Chromium the test skips with the reason, except in CI (``NEWSCRAWL_REQUIRE_SERVICES=1``, where
``.ci/run`` installs Debian's ``chromium``), where it fails.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import lxml.html
from click.testing import CliRunner

from newscrawl.cli import cli
from newscrawl.report import COLORS
from tests.health.conftest import BLOG, OTHER, History
from tests.services import unavailable

BROWSER_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    unavailable("Chromium is not installed (Debian: apt-get install --no-install-recommends chromium)")


def render(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    completed = subprocess.run(
        [chromium(), *BROWSER_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        timeout=90,
    )
    assert completed.returncode == 0, completed.stderr.decode(errors="replace")[-2000:]
    return completed


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB triples) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks, header = 8, [], b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
    channels = 3 if color == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 0xFF
        previous = line
        rgb = bytes(line) if channels == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3)
        rows.append(rgb)
    return width, height, rows


def count_colour(rows: list[bytes], hex_colour: str) -> int:
    """Pixels of exactly that colour (solid fills and the middle of lines are drawn in it)."""
    target = bytes.fromhex(hex_colour.lstrip("#"))
    return sum(1 for row in rows for x in range(0, len(row), 3) if row[x : x + 3] == target)


def write_report(db: str, path: Path, *args: str) -> Path:
    result = CliRunner().invoke(cli, ["report", "--db", db, "--html", str(path), *args])
    assert result.exit_code == 0, result.stderr
    return path


def test_chromium_renders_every_run_of_every_site(history: History, tmp_path: Path) -> None:
    report = write_report(history.db, tmp_path / "report.html")
    dom = render(report, tmp_path / "profile", "--dump-dom").stdout.decode()
    document = lxml.html.fromstring(dom)
    for site, runs in ((BLOG, history.blog_runs), (OTHER, history.other_runs)):
        [section] = document.xpath(f"//section[@data-site='{site}']")
        rows = section.xpath(".//table[@class='runs']//tr[contains(@class, 'run')]/@data-run-id")
        assert sorted(int(run) for run in rows) == runs
        points = section.xpath(
            ".//svg[@class='runs-chart']//*[local-name()='circle'][@class='run-point']/@data-run"
        )
        assert [int(run) for run in points] == runs
    [warning] = document.xpath("//section[@data-site='blog-auto-info.com']//div[@class='warnings']/p")
    assert "authors coverage fell from 100% to 0%" in warning.text_content()


def test_chromium_screenshot_shows_the_charts(history: History, tmp_path: Path) -> None:
    report = write_report(history.db, tmp_path / "report.html", "--site", BLOG)
    screenshot = tmp_path / "report.png"
    # Half scale: a smaller image to decode in pure Python, the same page.
    size = ("--window-size=1100,1500", "--force-device-scale-factor=0.5")
    render(report, tmp_path / "profile", f"--screenshot={screenshot}", *size)
    width, height, rows = png_pixels(screenshot)
    assert (width, height) == (550, 750)
    assert len(set(rows)) > 100  # a page with content, not a blank one
    # The bars of the first run (new articles) and of the run that lost the authors (updated ones).
    assert count_colour(rows, COLORS["new"]) > 200
    assert count_colour(rows, COLORS["updated"]) > 200
    # The coverage lines, and the drop drawn in red.
    assert count_colour(rows, COLORS["coverage"]) > 50
    assert count_colour(rows, COLORS["drop"]) > 20

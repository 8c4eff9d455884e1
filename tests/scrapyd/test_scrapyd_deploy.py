"""The project deployed to a real scrapyd on 127.0.0.1 and its `site` spider scheduled there.

A scrapyd of its own (config, eggs, logs and dbs in a temporary directory, a free port) gets the
egg that `scrapyd-deploy` builds from a copy of the project (its scrapy.cfg pointed at that port);
`schedule.json` runs the spider on the reference mirror served on 127.0.0.1, with the archive URL
and the host mapping passed as `setting=`; `listjobs.json` says when it is finished. The archive
then holds the mirror's 4 articles (43 comments on the flagship) and the job's log no error.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest

from newscrawl.demo_site import DEMO_HOST, demo_site_dir
from newscrawl.testing.server import SiteServer
from tests.crawl.helpers import FLAGSHIP, ROOT, archive_records, sql
from tests.services import unavailable

PROJECT_FILES = ("newscrawl", "storage", "pyproject.toml", "setup.py", "README.md", "scrapy.cfg")


def _environment(home: Path) -> dict[str, str]:
    """What scrapyd and its jobs see: no PYTHONPATH, so the project comes from the deployed egg."""
    skip = ("PYTHONPATH", "NEWSCRAWL_DB", "SCRAPY_SETTINGS_MODULE")
    environment = {name: value for name, value in os.environ.items() if name not in skip}
    environment["XDG_CACHE_HOME"] = str(home / "cache")  # where a job extracts the egg's migrations
    return environment


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> dict:
    with urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


def _post(url: str, fields: list[tuple[str, str]]) -> dict:
    with urlopen(url, data=urlencode(fields).encode(), timeout=10) as answer:
        return json.loads(answer.read())


class Scrapyd:
    def __init__(self, home: Path, url: str, process: subprocess.Popen, log: Path) -> None:
        self.home, self.url, self.process, self.log = home, url, process, log


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[Scrapyd]:
    missing = [name for name in ("scrapyd", "scrapyd_client") if find_spec(name) is None]
    if missing:
        unavailable(f"{' and '.join(missing)} not installed: make .venv/.installed")
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = _free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        "eggs_dir = eggs\nlogs_dir = logs\ndbs_dir = dbs\nitems_dir =\n"
        "max_proc = 2\n"
        "poll_interval = 0.2\n",
        encoding="utf-8",
    )
    log = home / "scrapyd.out"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "scrapyd"],
            cwd=home,
            env=_environment(home),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 20
    while True:
        try:
            if _get(url + "daemonstatus.json")["status"] == "ok":
                break
        except (URLError, OSError, ValueError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            unavailable(
                f"scrapyd did not start on 127.0.0.1:{port}: {log.read_text(errors='replace')[-800:]}"
            )
        time.sleep(0.1)
    try:
        yield Scrapyd(home, url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def deploy(scrapyd: Scrapyd, workdir: Path) -> str:
    """`scrapyd-deploy` from a copy of the project whose scrapy.cfg points at this scrapyd."""
    project = workdir / "project"
    project.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=ignore)
        else:
            shutil.copy2(source, project / name)
    config = (project / "scrapy.cfg").read_text(encoding="utf-8")
    assert "url = http://127.0.0.1:6800/" in config, "the deploy target of scrapy.cfg"
    (project / "scrapy.cfg").write_text(
        config.replace("http://127.0.0.1:6800/", scrapyd.url), encoding="utf-8"
    )
    run = subprocess.run(
        [sys.executable, "-m", "scrapyd_client.deploy", "--version", "r1"],
        cwd=project,
        env=_environment(scrapyd.home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    assert answer["status"] == "ok" and answer["project"] == "newscrawl" and answer["spiders"] == 1, answer
    return "r1"


def test_deployed_to_scrapyd_the_site_spider_archives_the_mirror(scrapyd, tmp_path):
    version = deploy(scrapyd, tmp_path)
    assert _get(scrapyd.url + "listspiders.json?project=newscrawl")["spiders"] == ["site"]

    egg = scrapyd.home / "eggs" / "newscrawl" / f"{version}.egg"
    with zipfile.ZipFile(egg) as archive:
        names = set(archive.namelist())
        entry_points = archive.read("EGG-INFO/entry_points.txt").decode()
    for needed in (
        "newscrawl/settings.py",
        "newscrawl/spiders/site.py",
        "newscrawl/frontier.py",
        "newscrawl/article.schema.json",
        "newscrawl/sites/blog_auto_info.py",
        "storage/migrations/env.py",
        "storage/migrations/script.py.mako",
        "storage/migrations/versions/0001_initial_schema.py",
    ):
        assert needed in names, f"{needed} missing from the egg"
    assert "[scrapy]\nsettings = newscrawl.settings" in entry_points
    # A job imports newscrawl from the egg (scrapyd's runner activates it the same way).
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from scrapyd.runner import activate_egg; activate_egg(sys.argv[1]); "
            "import newscrawl, storage; print(newscrawl.__file__); print(storage.__file__)",
            str(egg),
        ],
        cwd=scrapyd.home,
        env=_environment(scrapyd.home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert where.returncode == 0, where.stderr
    assert all(line.startswith(str(egg)) for line in where.stdout.split()), where.stdout

    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    root = tmp_path / "www"
    shutil.copytree(demo_site_dir(), root)
    with SiteServer(root) as mirror:
        scheduled = _post(
            scrapyd.url + "schedule.json",
            [
                ("project", "newscrawl"),
                ("spider", "site"),
                ("target", "blog-auto-info"),  # spider arguments, as `newscrawl crawl` takes them
                ("setting", f"NEWSCRAWL_DB={db}"),
                ("setting", "NEWSCRAWL_RESOLVE=" + json.dumps({DEMO_HOST: mirror.base_url})),
                ("setting", "DOWNLOAD_DELAY=0"),
                ("setting", "AUTOTHROTTLE_ENABLED=False"),
                ("setting", "RETRY_BACKOFF_BASE=0.1"),
            ],
        )
        assert scheduled["status"] == "ok", scheduled
        job = scheduled["jobid"]
        deadline = time.monotonic() + 60
        while True:
            jobs = _get(scrapyd.url + "listjobs.json?project=newscrawl")
            if any(entry["id"] == job for entry in jobs["finished"]):
                break
            assert time.monotonic() < deadline, f"job {job} not finished: {jobs}"
            time.sleep(0.2)

    log = (scrapyd.home / "logs" / "newscrawl" / "site" / f"{job}.log").read_text(encoding="utf-8")
    assert "Spider closed (finished)" in log, log[-3000:]
    assert " ERROR " not in log and "Traceback" not in log, log[-3000:]
    records = archive_records(db)
    assert len(records) == 4
    assert len(records[FLAGSHIP]["comments"]) == 43
    assert sql(db, "SELECT status, articles_new FROM crawl_runs") == [("finished", 4)]
    # The job read the archive migrations from the egg (newscrawl.deploy extracts them once).
    assert list((scrapyd.home / "cache" / "newscrawl").glob("migrations-*/versions/0001_initial_schema.py"))

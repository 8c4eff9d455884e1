"""Copying an SQLite archive's write-ahead log back into the database beside the writers.

In WAL mode every commit appends the pages it changed to the log; a *checkpoint* copies them back
into the database file, and SQLite starts the log over once it has been copied completely. Left to
SQLite, the writer whose commit crosses ``wal_autocheckpoint`` copies the whole log itself: on the
archive bench ~28 ms every ~180 articles, about a seventh of a first ingest, and a stall of the
crawler's event loop each time.

:class:`WalCheckpointer` moves that copy to a thread. Its passes (``PRAGMA wal_checkpoint(PASSIVE)``)
run in SQLite's C code without the GIL and never block a writer, so the writers go on on the other
CPU. A passive pass only copies what was committed when it started, and SQLite restarts only a log
copied completely; so once the log is long, the writer of this process finishes the cycle itself
right after one of its commits (between transactions), copying the few pages committed since the
thread's last pass. Writers of other processes are not coordinated: for them, and should the thread
fall behind, the writers' own ``wal_autocheckpoint`` stays as the backstop.

The thread starts with the first write and ends after :data:`IDLE_SECONDS` without one. Only
``sqlite3`` and ``threading`` are used here.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from urllib.request import pathname2url

log = logging.getLogger(__name__)

PASS_INTERVAL = 0.05
"""Seconds the thread waits before looking again whether to pass."""
PASS_COMMITS = 50
"""A pass copies at least this many commits (~2,800 pages for articles of 20 comments), unless the
commits stopped coming: each pass also syncs both files, and copies a page rewritten by many commits once.
Passing far more often slowed the writers' commits and cost a crawl's CPUs more copying."""
RESTART_PAGES = 6_000
"""Once the log holds this many pages (~24 MB), a writer finishes the copy after its next commit so
that the log starts over (a pause of a few ms: the pages committed since the thread's last pass,
and two syncs). Below the writers' own ``wal_autocheckpoint`` backstop
(``storage.db.WAL_AUTOCHECKPOINT_PAGES``), which then rarely fires."""
IDLE_SECONDS = 30.0
"""The thread ends after this long without a commit (the next commit starts it again)."""


class WalCheckpointer:
    """Background checkpoints of one SQLite database file (see the module doc).

    Writers call :meth:`committed` after each commit (it costs about a microsecond), and
    :meth:`close` when done.
    """

    def __init__(self, path: str, *, busy_timeout: float) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self.passes = 0
        """Passes run so far (by the thread or by a writer finishing a cycle)."""
        self.restarts = 0
        """Times a writer finished copying a long log, so that the next write starts it over."""
        self._wake = threading.Event()
        self._pass_lock = threading.Lock()  # one pass at a time, on the one connection
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._connection: sqlite3.Connection | None = None
        self._finish_requested = False
        self._closed = False
        self._commits = 0
        self._copied_through = 0  # the commit count when the last pass started

    # ------------------------------------------------------------------ writers' side

    def committed(self) -> None:
        """A write transaction of this process just committed (call it outside any transaction)."""
        if self._closed:
            return
        self._commits += 1
        if self._finish_requested and self._pass_lock.acquire(blocking=False):
            # Once per request: should a writer of another process keep the pass from completing,
            # the thread asks again after its next pass rather than this writer retrying each commit.
            self._finish_requested = False
            try:
                if self._pass()[1]:
                    self.restarts += 1
            finally:
                self._pass_lock.release()
        if not self._wake.is_set():
            self._wake.set()
        thread = self._thread
        if thread is None or not thread.is_alive():
            self._start()

    def close(self) -> None:
        """Stop the thread (waiting for a pass under way) and close its connection."""
        self._closed = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        with self._pass_lock:
            self._close_connection()

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    # ------------------------------------------------------------------ the thread

    def _start(self) -> None:
        with self._start_lock:
            if self._closed or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._run, name="newscrawl-wal-checkpoint", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            if not self._wake.wait(IDLE_SECONDS):
                with self._pass_lock:
                    self._close_connection()
                return  # a commit arriving now finds the thread gone and starts another
            if self._closed:
                return
            arrived = self._commits
            time.sleep(PASS_INTERVAL)
            if self._commits - self._copied_through < PASS_COMMITS and self._commits != arrived:
                continue  # commits are still coming: let more accumulate (the wake stays set)
            self._wake.clear()
            if self._closed:
                return
            self._copied_through = self._commits
            with self._pass_lock:
                logged, _complete = self._pass()
                if logged >= RESTART_PAGES:
                    # Catch up with what was committed during that pass: the writer's part is then small.
                    logged, _complete = self._pass()
            if logged >= RESTART_PAGES:
                # Writers commit while a pass runs, and the log only starts over at a write that
                # begins when every page in it is copied: the writer finishes the copy after a commit.
                self._finish_requested = True

    def _pass(self) -> tuple[int, bool]:
        """One passive checkpoint: (pages in the log, whether all of them are now copied)."""
        try:
            if self._connection is None:
                # mode=rw: a database file removed meanwhile is an error here, never a new empty file.
                self._connection = sqlite3.connect(
                    f"file:{pathname2url(self.path)}?mode=rw",
                    uri=True,
                    timeout=self.busy_timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
            busy, logged, copied = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as error:
            # The writers' own autocheckpoint still bounds the log; say why this one gave up.
            log.debug("background checkpoint of %s failed: %s", self.path, error)
            self._close_connection()
            return 0, False
        self.passes += 1
        return logged, not busy and logged == copied

    def _close_connection(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None

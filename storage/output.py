"""Writing an output file (an export, a report) without harming what is already there.

* A regular file (or a new one) is written to a temporary file beside it, renamed into place only
  when the writing succeeded: a failed export never leaves a truncated file behind.
* Anything else (a character device such as ``/dev/null``, a FIFO) is written straight into: a
  rename would put a regular file in its place.
* A symbolic link is followed: its target is written, so the link stays a link.
* A name ending in ``/`` is refused: it names a directory (``exports/``), existing or not.
* The files of the SQLite archive being read (the database, its write-ahead log, its shared memory,
  its rollback journal) are refused: the export would destroy the archive.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import URL

from storage.errors import StorageError

SQLITE_COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")
"""Files SQLite keeps beside a database, named after it."""


def archive_files(url: URL) -> tuple[Path, ...]:
    """The files of an on-disk SQLite archive (none for PostgreSQL or an in-memory database)."""
    from storage.db import sqlite_file  # (storage.db is heavy; an archive is opened by then anyway)

    database = sqlite_file(url)
    if database is None:
        return ()
    # SQLite names its companion files after the database's real path when it is a symbolic link.
    names = dict.fromkeys((database, os.path.realpath(database)))
    return tuple(Path(name + suffix) for name in names for suffix in ("", *SQLITE_COMPANION_SUFFIXES))


def _same_file(first: Path, second: Path) -> bool:
    try:
        return os.path.samefile(first, second)  # a hard link or another spelling of an existing file
    except OSError:  # one of them does not exist (yet): compare where they lead
        return os.path.realpath(first) == os.path.realpath(second)


def refuse_archive_file(path: Path, archive_url: URL | None) -> None:
    """Raise :class:`StorageError` if ``path`` is one of the files of the archive at ``archive_url``."""
    if archive_url is None:
        return
    for archive_file in archive_files(archive_url):
        if _same_file(path, archive_file):
            raise StorageError(
                f"cannot write {path}: it would overwrite the archive ({archive_file}); "
                "choose another output file"
            )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def output_file(path: str | Path, *, archive_url: URL | None = None) -> Iterator[Path]:
    """The path to write ``path``'s new content to (see the module's docstring): a temporary file
    moved onto ``path`` only if the block succeeds, or ``path`` itself when it is no regular file.
    ``archive_url`` is the archive being read, whose files are refused."""
    if str(path).endswith(os.sep):  # (Path() drops the slash: "exports/" made a file named exports)
        raise StorageError(f"cannot write {path}: it names a directory, give a file name")
    path = Path(path)
    refuse_archive_file(path, archive_url)
    target = Path(os.path.realpath(path))  # a symlink's target, so the link stays
    try:
        # what the path leads to, asked of the path itself: /dev/stdout or a shell's /dev/fd/63 lead
        # to a pipe, whose "real path" (/proc/PID/fd/pipe:[N]) is no file ("No such file or directory")
        mode = path.stat().st_mode
    except OSError:
        mode = None  # a new file (or the parent is missing: mkstemp names the problem below)
    if mode is not None and stat.S_ISDIR(mode):  # else the move fails at the end, naming the temporary file
        raise StorageError(f"cannot write {path}: it is a directory")
    if mode is not None and not stat.S_ISREG(mode):
        yield path
        return
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as error:
        raise StorageError(f"cannot write {path}: {error.strerror or error}") from None
    os.close(descriptor)
    os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; an export is an ordinary file
    try:
        yield Path(temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

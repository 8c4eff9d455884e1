"""The two exceptions storage raises on purpose; the CLI prints their message as one line."""

from __future__ import annotations


class StorageError(Exception):
    """The archive cannot be used: bad URL, unsupported backend, unreachable or locked database, bad SQL.

    ``str(error)`` is a single line meant for an end user (no traceback needed).
    """


class InvalidRecord(ValueError):
    """A record does not follow ``article.schema.json``.

    ``path`` names the offending field (``sections[2].paragraphs[0]``); ``str(error)`` reads
    ``sections[2].paragraphs[0]: expected string, got int``.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)

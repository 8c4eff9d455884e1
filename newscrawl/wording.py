"""Counts in words, as every message of the command line writes them: ``1 record``, ``2 records``."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``1 record``, ``0 records``, ``1,234 records`` (``plural``: where it is not ``noun`` + s)."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"

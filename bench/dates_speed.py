"""Parses per second of newscrawl.extraction.dates on the forms pages print most.

    .venv/bin/python bench/dates_speed.py [--seconds 1.0]

Each group cycles through its strings for about --seconds; the dateparser group uses distinct strings
per call (the fallback memoizes, so repeating strings would only time the cache).
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from newscrawl.extraction.dates import default_timezone, parse_date, search_date

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2024, 5, 2, 10, 0, tzinfo=PARIS)

GROUPS: dict[str, tuple[str | None, list[str]]] = {
    "iso": (
        None,
        [
            "2024-04-29T14:05:00+02:00",
            "2024-04-29T12:05:00Z",
            "2024-04-29",
            "2019-04-28 06:01:07",
            "2020-05-16T09:00:40.509-04:00",
        ],
    ),
    "french textual": (
        "fr",
        [
            "Publié le 29 avril 2024 à 14h05",
            "29 avril 2024 à 18 h 22 min",
            "le 7 mai 2020 - 12:38",
            "Mis à jour le 30/04/2024 à 09:12",
            "lundi 1er mai 2023",
        ],
    ),
    "english textual": (
        "en",
        [
            "April 29, 2024 at 2:05 pm",
            "Updated: Sept. 3, 2023",
            "Mon, 29 Apr 2024 14:05:00 GMT",
            "Posted on Tuesday 15 October 2019 at 09:11",
            "Dec 6, 2024, 10:00 PM UTC",
        ],
    ),
    "relative": (
        "fr",
        ["il y a 3 jours", "il y a 2 h", "hier à 14h30", "3 days ago", "vor 3 Stunden", "aujourd'hui à 10h"],
    ),
}
BYLINES = [
    "Par Julien Martin, publié le 29 avril 2024 à 14h05 - mis à jour le 30 avril 2024 à 09h12",
    "Posted by: Florida CPA, 27 Sep 2011 | 15:22",
]


def rate(func, texts: list[str], seconds: float, **kwargs) -> float:
    calls = 0
    start = time.perf_counter()
    while True:
        for text in texts:
            func(text, **kwargs)
        calls += len(texts)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls / elapsed


def fallback_rate(count: int) -> float:
    # distinct Polish dates: the rules do not read Polish, dateparser does
    months = ["stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca"]
    texts = [f"{1 + i % 28} {months[i % 6]} {2000 + i % 24}" for i in range(count)]
    start = time.perf_counter()
    for text in texts:
        parse_date(text, language="pl", now=NOW)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    start = time.perf_counter()
    parse_date("29 kwietnia 2024", language="pl")
    print(f"first fallback call (dateparser import and locale load): {time.perf_counter() - start:.2f} s")
    for name, (language, texts) in GROUPS.items():
        tz = default_timezone(language)
        per_second = rate(parse_date, texts, args.seconds, language=language, now=NOW, tz=tz)
        print(f"parse_date  {name:16} {per_second:10,.0f} /s")
    per_second = rate(search_date, BYLINES, args.seconds, language="fr", now=NOW, tz=PARIS)
    print(f"search_date {'bylines':16} {per_second:10,.0f} /s")
    print(f"parse_date  {'dateparser (pl)':16} {fallback_rate(300):10,.0f} /s  (distinct strings, uncached)")


if __name__ == "__main__":
    main()

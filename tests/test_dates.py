"""Date parsing: every form each fast-path language prints, offsets, DST, relative phrases, rejections,
the dateparser fallback, and search_date on bylines taken from the corpus pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from newscrawl.extraction.dates import default_timezone, parse_date, relative_precision, search_date, to_iso

PARIS = ZoneInfo("Europe/Paris")
BERLIN = ZoneInfo("Europe/Berlin")
# Thursday 2 May 2024, 10:00 in Paris: every relative expectation below counts back from here.
NOW = datetime(2024, 5, 2, 10, 0, tzinfo=PARIS)


def iso(value: datetime | None) -> str | None:
    return None if value is None else to_iso(value)


# --------------------------------------------------------------------------------------------------
# absolute dates, language by language: (text, language, tz, expected)

ABSOLUTE = [
    # French
    ("Publié le 29 avril 2024 à 14h05", "fr", PARIS, "2024-04-29T14:05:00+02:00"),
    ("le 7 mai 2020 - 12:38", "fr", PARIS, "2020-05-07T12:38:00+02:00"),
    ("29 avril 2024 à 18 h 22 min", "fr", PARIS, "2024-04-29T18:22:00+02:00"),
    ("30 avril 2024 à 0 h 32 min", "fr", PARIS, "2024-04-30T00:32:00+02:00"),
    ("Mis à jour le 30/04/2024 à 09:12", "fr", PARIS, "2024-04-30T09:12:00+02:00"),
    ("lundi 29 avril 2024", "fr", PARIS, "2024-04-29T00:00:00+02:00"),
    ("Lun. 29 avril 2024 à 14 h 05", "fr", PARIS, "2024-04-29T14:05:00+02:00"),
    ("1er mai 2024", "fr", PARIS, "2024-05-01T00:00:00+02:00"),
    ("15 janv. 2024 à 14h", "fr", PARIS, "2024-01-15T14:00:00+01:00"),
    ("3 févr. 2024", "fr", PARIS, "2024-02-03T00:00:00+01:00"),
    ("3 fevrier 2024", "fr", PARIS, "2024-02-03T00:00:00+01:00"),
    ("30 juil. 2019", "fr", PARIS, "2019-07-30T00:00:00+02:00"),
    ("29 AVRIL 2024", "fr", PARIS, "2024-04-29T00:00:00+02:00"),
    ("le 05/04/2013 à 17:08", "fr", PARIS, "2013-04-05T17:08:00+02:00"),
    ("04.05.2015 à 13h36", "fr", PARIS, "2015-05-04T13:36:00+02:00"),
    ("Publié le 29/04/24 à 14h05", "fr", PARIS, "2024-04-29T14:05:00+02:00"),
    (
        "Publié le 07 mai 2019 à 13h59 - Mis à jour le 08 mai 2019 à 09h03",
        "fr",
        PARIS,
        "2019-05-07T13:59:00+02:00",
    ),
    # English
    ("April 29, 2024 at 2:05 pm", "en", None, "2024-04-29T14:05:00"),
    ("Posted on April 29, 2024", "en", None, "2024-04-29T00:00:00"),
    ("Updated: Apr. 30, 2024 9:12 AM", "en", None, "2024-04-30T09:12:00"),
    ("Monday, April 29, 2024", "en", None, "2024-04-29T00:00:00"),
    ("29 April 2024", "en", None, "2024-04-29T00:00:00"),
    ("May 1st, 2024", "en", None, "2024-05-01T00:00:00"),
    ("the 29th of April 2024", "en", None, "2024-04-29T00:00:00"),
    ("Sept. 3, 2023", "en", None, "2023-09-03T00:00:00"),
    ("Sep 3, 2023", "en", None, "2023-09-03T00:00:00"),
    ("AUG. 9, 2008", "en", None, "2008-08-09T00:00:00"),
    ("posted on April 21, 2015, at 11:29 a.m.", "en", None, "2015-04-21T11:29:00"),
    ("Wednesday, December 20, 2023 8:09:56 PM", "en", None, "2023-12-20T20:09:56"),
    ("16 November 2017 • 2:15pm", "en", None, "2017-11-16T14:15:00"),
    ("17:00, 24 December 2015", "en", None, "2015-12-24T17:00:00"),
    ("Posted the September 1, 2017 at 0h00", "en", None, "2017-09-01T00:00:00"),
    ("08.17.15", "en", None, "2015-08-17T00:00:00"),
    # German
    ("29. April 2024, 14:05 Uhr", "de", BERLIN, "2024-04-29T14:05:00+02:00"),
    ("Veröffentlicht am 29. April 2024 um 14 Uhr", "de", BERLIN, "2024-04-29T14:00:00+02:00"),
    ("Montag, 29. April 2024", "de", BERLIN, "2024-04-29T00:00:00+02:00"),
    ("Donnerstag, 4. November 2021", "de", BERLIN, "2021-11-04T00:00:00+01:00"),
    ("Aktualisiert am 30.04.2024 um 09:12 Uhr", "de", BERLIN, "2024-04-30T09:12:00+02:00"),
    ("7. Dez 2018 um 13:22 Uhr", "de", BERLIN, "2018-12-07T13:22:00+01:00"),
    ("20. November 2022 um 10:36 Uhr", "de", BERLIN, "2022-11-20T10:36:00+01:00"),
    ("Do 1 Aug 2019 / 01:15", "de", BERLIN, "2019-08-01T01:15:00+02:00"),
    ("28.01.2020-15:49", "de", BERLIN, "2020-01-28T15:49:00+01:00"),
    ("3. Maerz 2024", "de", BERLIN, "2024-03-03T00:00:00+01:00"),
    # Spanish
    ("Publicado el 29 de abril de 2024 a las 14:05", "es", None, "2024-04-29T14:05:00"),
    ("Sábado, 4 de mayo de 2024", "es", None, "2024-05-04T00:00:00"),
    ("jueves, 09 enero 2014 - 10:21 h", "es", None, "2014-01-09T10:21:00"),
    ("Actualizado: 30/04/2024 09:12 h", "es", None, "2024-04-30T09:12:00"),
    # Italian
    ("Pubblicato il 29 aprile 2024 alle 14:05", "it", "Europe/Rome", "2024-04-29T14:05:00+02:00"),
    ("lunedì 29 aprile 2024", "it", None, "2024-04-29T00:00:00"),
    ("Aggiornato il 30/04/2024 ore 09:12", "it", None, "2024-04-30T09:12:00"),
    ("3 ott 2023", "it", None, "2023-10-03T00:00:00"),
    # Portuguese
    ("Publicado em 29 de abril de 2024 às 14h05", "pt", None, "2024-04-29T14:05:00"),
    ("segunda-feira, 29 de abril de 2024", "pt", None, "2024-04-29T00:00:00"),
    ("1º de maio de 2024", "pt", None, "2024-05-01T00:00:00"),
    ("21.dez.2018 às 12h55", "pt", None, "2018-12-21T12:55:00"),
    ("Atualizado em 30/04/2024 09h12", "pt", None, "2024-04-30T09:12:00"),
    # Dutch
    ("Gepubliceerd op 29 april 2024 om 14:05", "nl", "Europe/Amsterdam", "2024-04-29T14:05:00+02:00"),
    ("ma 29 apr 2024, 14:05", "nl", None, "2024-04-29T14:05:00"),
    ("3 mrt 2024", "nl", None, "2024-03-03T00:00:00"),
    ("Bijgewerkt: 30-04-2024 09:12", "nl", None, "2024-04-30T09:12:00"),
    # CJK numeric dates
    ("2024年4月29日", "zh", None, "2024-04-29T00:00:00"),
    ("2024年4月29日 14:05", "zh", None, "2024-04-29T14:05:00"),
    ("2024年4月29日(月) 14時05分", "ja", "Asia/Tokyo", "2024-04-29T14:05:00+09:00"),
    ("2024년 4월 29일 오후 2시 5분", "ko", None, "2024-04-29T14:05:00"),
    # language unknown: the union of the vocabularies
    ("29 avril 2024", None, None, "2024-04-29T00:00:00"),
    ("29. April 2024", None, None, "2024-04-29T00:00:00"),
]


@pytest.mark.parametrize(("text", "language", "tz", "expected"), ABSOLUTE, ids=[c[0] for c in ABSOLUTE])
def test_absolute_dates(text, language, tz, expected):
    assert iso(parse_date(text, language=language, tz=tz, now=NOW)) == expected


def test_date_only_gives_midnight_and_time_forms_agree():
    forms = [
        "29/04/2024 14h05",
        "29/04/2024 14 h 05",
        "29/04/2024 14:05",
        "29/04/2024 2:05 PM",
        "29/04/2024 14:05 Uhr",
        "29/04/2024 à 14h05",
        "29/04/2024 14.05",
    ]
    assert {iso(parse_date(f)) for f in forms} == {"2024-04-29T14:05:00"}
    assert iso(parse_date("29/04/2024 à 14h")) == "2024-04-29T14:00:00"
    assert iso(parse_date("29/04/2024 2pm")) == "2024-04-29T14:00:00"
    assert iso(parse_date("29/04/2024")) == "2024-04-29T00:00:00"


# --------------------------------------------------------------------------------------------------
# offsets and zones

OFFSETS = [
    ("2024-04-29T14:05:00+09:00", "2024-04-29T14:05:00+09:00"),
    ("2024-04-29T12:05:00Z", "2024-04-29T12:05:00+00:00"),
    ("2020-05-16T09:00:40.509-04:00", "2020-05-16T09:00:40-04:00"),
    ("2024-10-08T05:58:20-0500", "2024-10-08T05:58:20-05:00"),
    ("2016-08-05 04:16:13Z", "2016-08-05T04:16:13+00:00"),
    ("2014-01-26 21:32:46 UTC", "2014-01-26T21:32:46+00:00"),
    ("20240429T140500Z", "2024-04-29T14:05:00+00:00"),
    ("Mon, 29 Apr 2024 14:05:00 GMT", "2024-04-29T14:05:00+00:00"),
    ("Sun, 26 Jan 2014 21:32:46 +0000", "2014-01-26T21:32:46+00:00"),
    ("29 avril 2024 14:05 UTC+3", "2024-04-29T14:05:00+03:00"),
    ("29 avril 2024 à 14h05 est passé", "2024-04-29T14:05:00+02:00"),  # "est": a verb, not US Eastern
    ("Friday 18 November 2011 18.00 EST", "2011-11-18T18:00:00-05:00"),
    ("1 de diciembre de 2017 3:00 AM PST", "2017-12-01T03:00:00-08:00"),
    ("Updated 9:22 PM EST, Mon November 6, 2023", "2023-11-06T21:22:00-05:00"),
    # US generic zones follow DST
    ("First published February 1, 2016: 1:28 AM ET", "2016-02-01T01:28:00-05:00"),
    ("July 1, 2016 1:28 AM ET", "2016-07-01T01:28:00-04:00"),
]


@pytest.mark.parametrize(("text", "expected"), OFFSETS, ids=[c[0] for c in OFFSETS])
def test_explicit_offset_is_kept_as_written(text, expected):
    # tz only fills in for naive values: a written offset is never converted to it
    assert iso(parse_date(text, tz=PARIS)) == expected


def test_iso_date_only_and_naive_values_take_tz():
    assert iso(parse_date("2024-04-29", tz=PARIS)) == "2024-04-29T00:00:00+02:00"
    assert iso(parse_date("2019-04-28 06:01:07")) == "2019-04-28T06:01:07"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15 janvier 2024 à 10h00", "2024-01-15T10:00:00+01:00"),  # winter
        ("29 avril 2024 à 14h05", "2024-04-29T14:05:00+02:00"),  # summer
        ("31 mars 2024 à 01h30", "2024-03-31T01:30:00+01:00"),  # last hour before spring-forward
        ("31 mars 2024 à 03h30", "2024-03-31T03:30:00+02:00"),  # first hour after it
        ("27 octobre 2024 à 01h30", "2024-10-27T01:30:00+02:00"),  # before fall-back
        ("27 octobre 2024 à 04h00", "2024-10-27T04:00:00+01:00"),  # after it
    ],
)
def test_dst_both_sides(text, expected):
    assert iso(parse_date(text, language="fr", tz=PARIS)) == expected


def test_tz_by_name_and_unknown_name():
    assert iso(parse_date("29 avril 2024 à 14h05", tz="Europe/Paris")) == "2024-04-29T14:05:00+02:00"
    assert iso(parse_date("29 avril 2024 à 14h05", tz="UTC")) == "2024-04-29T14:05:00+00:00"
    assert iso(parse_date("29 avril 2024 à 14h05", tz="+05:30")) == "2024-04-29T14:05:00+05:30"
    assert iso(parse_date("29 avril 2024 à 14h05", tz="Mars/Olympus_Mons")) == "2024-04-29T14:05:00"


# --------------------------------------------------------------------------------------------------
# relative expressions, resolved against NOW (Thursday 2 May 2024 10:00 Paris)

RELATIVE = [
    ("il y a 3 jours", "fr", "2024-04-29T10:00:00+02:00"),
    ("il y a 2 h", "fr", "2024-05-02T08:00:00+02:00"),
    ("il y a une heure", "fr", "2024-05-02T09:00:00+02:00"),
    ("il y a 38 secondes", "fr", "2024-05-02T09:59:22+02:00"),
    ("il y a 1 an et 2 mois", "fr", "2023-03-02T10:00:00+01:00"),  # winter: DST-correct
    ("aujourd'hui à 10h", "fr", "2024-05-02T10:00:00+02:00"),
    ("hier", "fr", "2024-05-01T00:00:00+02:00"),
    ("hier à 14h30", "fr", "2024-05-01T14:30:00+02:00"),
    ("avant-hier", "fr", "2024-04-30T00:00:00+02:00"),
    ("à l'instant", "fr", "2024-05-02T10:00:00+02:00"),
    ("3 days ago", "en", "2024-04-29T10:00:00+02:00"),
    ("2 hours ago", "en", "2024-05-02T08:00:00+02:00"),
    ("an hour ago", "en", "2024-05-02T09:00:00+02:00"),
    ("9 years, 7 months ago", "en", "2014-10-02T10:00:00+02:00"),
    ("1 hr 4 mins ago", "en", "2024-05-02T08:56:00+02:00"),
    ("3 yr. ago", "en", "2021-05-02T10:00:00+02:00"),
    ("52m ago", "en", "2024-05-02T09:08:00+02:00"),
    ("yesterday", "en", "2024-05-01T00:00:00+02:00"),
    ("yesterday at 5pm", "en", "2024-05-01T17:00:00+02:00"),
    ("Yesterday 11:04am", "en", "2024-05-01T11:04:00+02:00"),
    ("Tuesday at 4:27 AM", "en", "2024-04-30T04:27:00+02:00"),
    ("vor 3 Tagen", "de", "2024-04-29T10:00:00+02:00"),
    ("vor 3 Stunden", "de", "2024-05-02T07:00:00+02:00"),
    ("vor einer Stunde", "de", "2024-05-02T09:00:00+02:00"),
    ("vor 2 Std.", "de", "2024-05-02T08:00:00+02:00"),
    ("gestern", "de", "2024-05-01T00:00:00+02:00"),
    ("gestern um 14:30 Uhr", "de", "2024-05-01T14:30:00+02:00"),
    ("vorgestern", "de", "2024-04-30T00:00:00+02:00"),
    ("Heute vor 70 Jahren", "de", None),  # 1954: before 1990, and not "today"
    ("hace 2 días", "es", "2024-04-30T10:00:00+02:00"),
    ("Hace 28 minutos", "es", "2024-05-02T09:32:00+02:00"),
    ("ayer a las 14:30", "es", "2024-05-01T14:30:00+02:00"),
    ("3 giorni fa", "it", "2024-04-29T10:00:00+02:00"),
    ("un'ora fa", "it", "2024-05-02T09:00:00+02:00"),
    ("ieri alle 14:30", "it", "2024-05-01T14:30:00+02:00"),
    ("há 3 dias", "pt", "2024-04-29T10:00:00+02:00"),
    ("3 dias atrás", "pt", "2024-04-29T10:00:00+02:00"),
    ("ontem às 14h30", "pt", "2024-05-01T14:30:00+02:00"),
    ("3 dagen geleden", "nl", "2024-04-29T10:00:00+02:00"),
    ("2 uur geleden", "nl", "2024-05-02T08:00:00+02:00"),
    ("gisteren om 14:30", "nl", "2024-05-01T14:30:00+02:00"),
]


@pytest.mark.parametrize(("text", "language", "expected"), RELATIVE, ids=[c[0] for c in RELATIVE])
def test_relative_expressions(text, language, expected):
    assert iso(parse_date(text, language=language, now=NOW)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "il y a 3 jours",
        "3 days ago",
        "vor 3 Stunden",
        "hier à 14h30",
        "yesterday",
        "Tuesday at 4:27 AM",
        "Publié le 10 juillet",
        "4月29日",
    ],
)
def test_relative_and_year_less_need_now(text):
    assert parse_date(text) is None


def test_relative_result_expressed_in_tz_else_in_nows_zone():
    utc_now = datetime(2024, 5, 2, 8, 0, tzinfo=UTC)
    assert iso(parse_date("il y a 2 h", now=utc_now, tz="Europe/Paris")) == "2024-05-02T08:00:00+02:00"
    assert iso(parse_date("il y a 2 h", now=utc_now)) == "2024-05-02T06:00:00+00:00"
    naive_now = datetime(2024, 5, 2, 10, 0)
    assert iso(parse_date("hier à 14h30", now=naive_now)) == "2024-05-01T14:30:00"
    # a naive now is read as wall time in tz
    assert iso(parse_date("hier à 14h30", now=naive_now, tz=PARIS)) == "2024-05-01T14:30:00+02:00"


def test_relative_across_dst_change():
    after_spring_forward = datetime(2024, 3, 31, 12, 0, tzinfo=PARIS)
    # days count on the calendar, hours on the clock
    assert iso(parse_date("il y a 1 jour", now=after_spring_forward)) == "2024-03-30T12:00:00+01:00"
    assert iso(parse_date("il y a 12 heures", now=after_spring_forward)) == "2024-03-30T23:00:00+01:00"


def test_year_less_dates_take_the_latest_past_year():
    assert iso(parse_date("Publié le 10 juillet", language="fr", now=NOW)) == "2023-07-10T00:00:00"
    assert (
        iso(parse_date("Le 1er mai à 19:47", language="fr", now=NOW, tz=PARIS)) == "2024-05-01T19:47:00+02:00"
    )
    assert iso(parse_date("Mar 27", language="en", now=NOW)) == "2024-03-27T00:00:00"
    assert iso(parse_date("4月29日", language="ja", now=NOW)) == "2024-04-29T00:00:00"
    assert iso(parse_date("29 février", language="fr", now=NOW)) == "2024-02-29T00:00:00"
    assert iso(parse_date("29 février", language="fr", now=datetime(2027, 1, 5))) == "2024-02-29T00:00:00"
    # a bare foreign abbreviation is no month: "out" is October only in Portuguese
    assert parse_date("2 out of 3", language="en", now=NOW) is None


# --------------------------------------------------------------------------------------------------
# numeric ambiguity


@pytest.mark.parametrize(
    ("text", "language", "day_first", "expected"),
    [
        ("04/05/2024", None, None, "2024-05-04T00:00:00"),
        ("04/05/2024", "fr", None, "2024-05-04T00:00:00"),
        ("04/05/2024", "de", None, "2024-05-04T00:00:00"),
        ("04/05/2024", "en", None, "2024-04-05T00:00:00"),
        ("04/05/2024", "fr", False, "2024-04-05T00:00:00"),
        ("04/05/2024", "en", True, "2024-05-04T00:00:00"),
        ("13/05/2024", "en", None, "2024-05-13T00:00:00"),
        ("05/13/2024", "fr", None, "2024-05-13T00:00:00"),
        ("29.04.24", "de", None, "2024-04-29T00:00:00"),
        ("08-13-10 05:18 PM", "en", None, "2010-08-13T17:18:00"),
        ("2024/04/29", None, None, "2024-04-29T00:00:00"),
        ("13/13/2024", None, None, None),
    ],
)
def test_numeric_day_month_order(text, language, day_first, expected):
    assert iso(parse_date(text, language=language, day_first=day_first)) == expected


# --------------------------------------------------------------------------------------------------
# rejections

REJECTED = [
    "",
    "   ",
    "version 2.0",
    "v1.2.24",
    "Python 3.10.12",
    "12:30",
    "14h05",
    "à 14h",
    "2:05 PM",
    "29,99 €",
    "$1,299.00",
    "1 299 €",
    "01 23 45 67 89",
    "+33 6 12 34 56 78",
    "06.12.34.56.78",
    "192.168.1.1",
    "2024",
    "1714392300",
    "20240429",
    "29 avril 1850",
    "1850-04-29",
    "29 avril 2030",
    "avril 2024",
    "This post was last updated July 2021.",
    "Toute la journée",
    "Chapter 12",
    "Renault 5 E-Tech",
    "lorem ipsum dolor",
    "31/02/2024",
    "32 mai 2024",
    "Report: Jefferson, 3 other LSU players to meet with police Monday",
    # a paragraph is search_date's job, not parse_date's
    "Renault a annoncé le 29 avril 2024 une hausse de ses ventes de douze pour cent au premier trimestre, "
    "portée par la Clio et le Captur, selon un communiqué publié mardi soir par le constructeur",
]


@pytest.mark.parametrize("text", REJECTED)
def test_rejects_non_dates(text):
    assert parse_date(text, now=NOW) is None
    assert parse_date(text, language="fr", now=NOW) is None


def test_far_future_is_relative_to_now_or_today():
    assert parse_date("29 avril 2025", now=NOW) is not None
    assert parse_date("29 mai 2025", now=NOW) is None
    assert parse_date("29 avril 2099") is None


@pytest.mark.parametrize(
    "junk",
    [
        None,
        b"29 avril 2024",
        42,
        3.5,
        object(),
        "\x00\x01\x02",
        "\ud800",
        "a" * 100_000,
        "29 avril " * 20_000,
        "1 " * 50_000,
        "il y a " * 20_000,
    ],
)
def test_never_raises(junk):
    assert parse_date(junk, now=NOW) is None
    result = search_date(junk, now=NOW)
    assert result is None or isinstance(result[0], datetime)


def test_search_in_huge_text_finds_the_date_at_the_end():
    text = "x " * 200_000 + "Publié le 29 avril 2024"
    assert search_date(text, language="fr") == (datetime(2024, 4, 29), "29 avril 2024")


# --------------------------------------------------------------------------------------------------
# search_date on bylines taken from the corpus pages (and the French blog)

BYLINES = [
    (
        "Publié le 07 mai 2019 à 13h59 - Mis à jour le 08 mai 2019 à 09h03",
        "fr",
        "2019-05-07T13:59:00+02:00",
        "07 mai 2019 à 13h59",
    ),
    ("Mis à jour le 29/10/2012 à 14h03", "fr", "2012-10-29T14:03:00+01:00", "29/10/2012 à 14h03"),
    (
        "Par Julien, publié le 29 avril 2024 à 14h05 - mis à jour le 30 avril",
        "fr",
        "2024-04-29T14:05:00+02:00",
        "29 avril 2024 à 14h05",
    ),
    (
        "Jean Dupont 29 avril 2024 à 23 h 55 min Répondre",
        "fr",
        "2024-04-29T23:55:00+02:00",
        "29 avril 2024 à 23 h 55 min",
    ),
    # two adjacent <time> elements (published, updated) whose texts run together
    (
        "Publié le 29 avril 202430 avril 2024 par Julien Marchand 43 commentaires",
        "fr",
        "2024-04-29T00:00:00+02:00",
        "29 avril 2024",
    ),
    ("il y a 38 secondes", "fr", "2024-05-02T09:59:22+02:00", "il y a 38 secondes"),
    ("Posted by: Florida CPA, 27 Sep 2011 | 15:22", "en", "2011-09-27T15:22:00", "27 Sep 2011 | 15:22"),
    (
        "Updated 9:22 PM EST, Mon November 6, 2023",
        "en",
        "2023-11-06T21:22:00-05:00",
        "9:22 PM EST, Mon November 6, 2023",
    ),
    ("November 28, 2013 -- Updated 0203 GMT (1003 HKT)", "en", "2013-11-28T00:00:00", "November 28, 2013"),
    (
        "Posted on Tuesday 15 October 2019 at 09:11 by Bradley M. Kuhn.",
        "en",
        "2019-10-15T09:11:00",
        "Tuesday 15 October 2019 at 09:11",
    ),
    ("posted on Saturday, August 13th, 2011", "en", "2011-08-13T00:00:00", "Saturday, August 13th, 2011"),
    ("Published Thu 27 Jul 2017", "en", "2017-07-27T00:00:00", "Thu 27 Jul 2017"),
    ("Posted by kovarex, TOGos, Ernestas, Albert on 2019-02-15,", "en", "2019-02-15T00:00:00", "2019-02-15"),
    (
        "© Copyright 2010-2014, Pierre-Yves David, Greg Ward, and contributors. Last updated on Sep 21, 2017.",
        "en",
        "2017-09-21T00:00:00",
        "Sep 21, 2017",
    ),
    ("16 minutes ago, Vanamonde said:", "en", "2024-05-02T09:44:00+02:00", "16 minutes ago"),
    (
        "10 months ago · 154 likes · 10 comments · Dr Milan Milanović",
        "en",
        "2023-07-02T10:00:00+02:00",
        "10 months ago",
    ),
    ("Yesterday at 8:35 AM", "en", "2024-05-01T08:35:00+02:00", "Yesterday at 8:35 AM"),
    ("#1 — vor 8 Stunden", "de", "2024-05-02T02:00:00+02:00", "vor 8 Stunden"),
    ("23. März 2017, 15:43 Uhr", "de", "2017-03-23T15:43:00+01:00", "23. März 2017, 15:43 Uhr"),
    ("Hace 2 horas", "es", "2024-05-02T08:00:00+02:00", "Hace 2 horas"),
    ("jueves, 09 enero 2014 - 10:21 h", "es", "2014-01-09T10:21:00", "jueves, 09 enero 2014 - 10:21 h"),
    ("发布时间：2024年4月29日 14:05 来源：新华社", "zh", "2024-04-29T14:05:00", "2024年4月29日 14:05"),
]


@pytest.mark.parametrize(
    ("text", "language", "expected", "matched"), BYLINES, ids=[c[0][:40] for c in BYLINES]
)
def test_search_date_in_bylines(text, language, expected, matched):
    tz = default_timezone(language)
    found = search_date(text, language=language, now=NOW, tz=tz)
    assert found is not None
    assert (iso(found[0]), found[1]) == (expected, matched)
    assert matched in text


def test_search_date_returns_the_callers_own_substring():
    text = "Jean  Dupont\n a écrit le\u00a029\u202favril 2024 à 18 h 22 min : super article"
    value, matched = search_date(text, language="fr", tz=PARIS)
    assert iso(value) == "2024-04-29T18:22:00+02:00"
    assert matched == "29\u202favril 2024 à 18 h 22 min"


def test_search_date_skips_what_it_cannot_resolve():
    assert search_date("il y a 3 jours — 29 avril 2024", language="fr") == (
        datetime(2024, 4, 29),
        "29 avril 2024",
    )
    assert search_date("le 29 avril 1850, puis le 3 mai 2020", language="fr") == (
        datetime(2020, 5, 3),
        "3 mai 2020",
    )
    assert search_date("aucune date ici, 12 commentaires", language="fr", now=NOW) is None


# --------------------------------------------------------------------------------------------------
# dateparser fallback for languages without hand-written rules

FALLBACK = [
    ("29 апреля 2024", "ru", None, None, "2024-04-29T00:00:00"),
    ("3 дня назад", "ru", NOW, None, "2024-04-29T10:00:00+02:00"),
    ("29 kwietnia 2024, 14:05", "pl", None, "Europe/Warsaw", "2024-04-29T14:05:00+02:00"),
    ("29 kwietnia 2024 14:05 +0300", "pl", None, "Europe/Warsaw", "2024-04-29T14:05:00+03:00"),
    ("29 Nisan 2024 Pazartesi", "tr", None, None, "2024-04-29T00:00:00"),
    ("29 أبريل 2024", "ar", None, None, "2024-04-29T00:00:00"),
    ("29 kwietnia", "pl", NOW, None, None),  # year missing: dateparser would guess it
    ("вчера", "ru", None, None, None),  # relative without now
]


@pytest.mark.parametrize(
    ("text", "language", "now", "tz", "expected"), FALLBACK, ids=[c[0] for c in FALLBACK]
)
def test_dateparser_fallback(text, language, now, tz, expected):
    assert iso(parse_date(text, language=language, now=now, tz=tz)) == expected


def test_dateparser_fallback_in_search():
    found = search_date("Opublikowano 29 kwietnia 2024, 14:05 przez Jana", language="pl")
    assert found == (datetime(2024, 4, 29, 14, 5), "29 kwietnia 2024, 14:05")


def test_dateparser_fallback_does_not_invent_relative_dates_for_covered_languages():
    # dateparser alone reads "14h05" as "14 hours ago"; our French rules know better
    assert parse_date("14h05 de route", language="fr", now=NOW) is None


# --------------------------------------------------------------------------------------------------
# helpers


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "Europe/Paris"),
        ("de", "Europe/Berlin"),
        ("it", "Europe/Rome"),
        ("nl", "Europe/Amsterdam"),
        ("ja", "Asia/Tokyo"),
        ("FR", "Europe/Paris"),
        ("fr-FR", "Europe/Paris"),
        ("fr_BE", "Europe/Brussels"),
        ("de-AT", "Europe/Vienna"),
        ("en-GB", "Europe/London"),
        ("es-ES", "Europe/Madrid"),  # the mainland's zone: the Canaries are an hour behind
        ("pt-PT", "Europe/Lisbon"),
        ("de-CH", "Europe/Zurich"),
        ("it-CH", "Europe/Zurich"),
        ("es-AR", "America/Argentina/Buenos_Aires"),
        ("fr-CA", None),  # countries spanning zones
        ("en-US", None),
        ("pt-BR", None),
        ("es-MX", None),
        ("fr-ZZ", None),  # a country the table does not know: no guess, not Paris
        ("es-419", None),
        ("en", None),
        ("es", None),
        ("pt", None),
        ("ar", None),
        ("zh", None),
        ("xx", None),
        ("", None),
        (None, None),
    ],
)
def test_default_timezone(language, expected):
    zone = default_timezone(language)
    assert (zone.key if zone is not None else None) == expected


@pytest.mark.parametrize(
    ("language", "url", "expected"),
    [
        ("es", "https://www.elmundo.es/espana/a.html", "Europe/Madrid"),
        ("ca", "https://www.ara.cat/x.html", "Europe/Madrid"),  # .cat is no country: the language's
        ("en", "https://www.telegraph.co.uk/news/a/", "Europe/London"),
        ("zh", "http://www.news.cn/fortune/a.htm", "Asia/Shanghai"),
        ("fr", "https://lematin.ma/a", "Africa/Casablanca"),
        # the domain beats a tag a CMS sets by default (WordPress's en_US, es_ES)
        ("en-US", "https://www.telegraph.co.uk/news/a/", "Europe/London"),
        ("es-ES", "https://www.clarin.com.ar/a.html", "America/Argentina/Buenos_Aires"),
        ("es-ES", "https://www.eluniversal.com.mx/a", None),
        ("fr", "https://www.lapresse.ca/actualites/a.php", None),  # Quebec is not in Paris
        ("en", "https://www.example.com.au/a", None),
        # a country code that tells nothing: not a language of the country, or the reader's country
        ("en", "https://lobste.rs/s/dwip3v/a", None),
        ("en", "https://www.luxuryhaven.co/2019/05/a", None),
        ("en-GB", "https://lobste.rs/s/dwip3v/a", "Europe/London"),
        ("es", "https://someone.blogspot.com.es/2011/10/a.html", None),
        ("fr", "https://quelquun.blogspot.ca/2011/10/a.html", "Europe/Paris"),
        ("de", "https://www.example.com/a", "Europe/Berlin"),
        ("es", "https://www.example.com/a", None),
        (None, "https://www.elmundo.es/a.html", None),
        ("es", "not a url", None),
    ],
)
def test_default_timezone_from_the_sites_domain(language, url, expected):
    zone = default_timezone(language, url=url)
    assert (zone.key if zone is not None else None) == expected


def test_default_timezone_region_declared_elsewhere_wins_over_the_tags():
    # og:locale es_ES on a page whose <html lang> says only "es"
    assert default_timezone("es", region="ES").key == "Europe/Madrid"
    assert default_timezone("es", region="es").key == "Europe/Madrid"
    assert default_timezone("es-MX", region="ES").key == "Europe/Madrid"
    assert default_timezone("fr", region="CA") is None


def test_to_iso():
    assert to_iso(datetime(2024, 4, 29, 14, 5, 7, 123456, tzinfo=PARIS)) == "2024-04-29T14:05:07+02:00"
    assert to_iso(datetime(2024, 4, 29, 14, 5)) == "2024-04-29T14:05:00"
    assert to_iso(datetime(2024, 4, 29, tzinfo=UTC)) == "2024-04-29T00:00:00+00:00"
    assert to_iso(datetime(2024, 4, 29, 8, tzinfo=timezone(timedelta(hours=5, minutes=30)))) == (
        "2024-04-29T08:00:00+05:30"
    )


def test_a_post_number_is_not_a_day():
    assert search_date("Reply #2 Oct. 9, 2010 at 10:30 am", language="en", now=NOW) == (
        datetime(2010, 10, 9, 10, 30),
        "Oct. 9, 2010 at 10:30 am",
    )


def test_a_date_with_its_year_beats_an_earlier_year_less_one():
    found = search_date("Mar 27 · Posted Oct. 9, 2010", language="en", now=NOW)
    assert found is not None and found[0].date().isoformat() == "2010-10-09"


def test_year_less_date_still_found_alone():
    found = search_date("Publié le 10 juillet à 14h", language="fr", now=NOW)
    assert found is not None and (found[0].month, found[0].day, found[0].hour) == (7, 10, 14)


@pytest.mark.parametrize(
    "text",
    [
        "3 mai 2021 à 12 h 33 min",
        "Par Julien Marchand, publié le 29 avril 2024 à 14h05 - mis à jour le 30 avril 2024",
        "il y a 3 jours",
        "April 5, 2023 at 3:45 pm, edited Apr. 6",
        "Reply #2 Oct. 9, 2010 12.03.2011 2024-04-29T14:05:00+02:00",
        "no date here at all",
    ],
)
def test_a_bounded_rule_search_finds_what_a_search_finds_up_to_the_bound(text: str) -> None:
    """Once a date is found, later rules only look for matches starting no later (``_search_until``):
    the same match as a full search when it starts in time, None when it starts later."""
    from newscrawl.extraction.dates import _RULES, _search_until

    for pattern, *_ in _RULES:
        for start in range(len(text) + 1):
            for bound in range(start, len(text) + 1):
                found = pattern.search(text, start)
                expected = found.span() if found is not None and found.start() <= bound else None
                got = _search_until(pattern, text, start, bound)
                assert (got.span() if got is not None else None) == expected, (
                    pattern.pattern[:40],
                    start,
                    bound,
                )


# --------------------------------------------------------------------------------------------------
# how precise a date given as an age is (the archive keeps its date when a re-crawl reads it again)


@pytest.mark.parametrize(
    ("text", "precision"),
    [
        ("Publié il y a 3 heures", timedelta(hours=1)),
        ("il y a 3 jours", timedelta(days=1)),
        ("Il y a 1 heure et 20 minutes", timedelta(minutes=1)),
        ("il y a un instant", timedelta(minutes=1)),
        ("vor 2 Tagen", timedelta(days=1)),
        ("hace 2 meses", timedelta(days=31)),
        ("2 weeks ago", timedelta(weeks=1)),
        ("3 anni fa", timedelta(days=366)),
        ("29 avril 2024 (il y a 3 jours)", timedelta(days=1)),
        # an age of nothing, resolved to the fetch time: read again later it is "il y a 2 heures"
        ("à l'instant", timedelta(minutes=1)),
        ("Mis à jour à l’instant", timedelta(minutes=1)),
        ("just now", timedelta(minutes=1)),
        ("gerade eben", timedelta(minutes=1)),
        # a day word without a time: the day itself ("aujourd'hui", read tomorrow, is "hier")
        ("Publié hier", timedelta(days=1)),
        ("aujourd'hui", timedelta(days=1)),
        ("yesterday", timedelta(days=1)),
    ],
)
def test_relative_precision_is_the_smallest_unit_of_an_age(text: str, precision: timedelta) -> None:
    assert relative_precision(text) == precision


@pytest.mark.parametrize(
    "text",
    [
        "Publié le 29 avril 2024 à 14h05",
        "hier à 14h05",
        "Aujourd'hui à 9h12",
        "2024-04-29T14:05:00+02:00",
        "",
        None,
        "il y a la nécessité de collaborer",
        "x" * 10_000,
    ],
)
def test_relative_precision_is_none_for_anything_but_an_age(text: str | None) -> None:
    assert relative_precision(text) is None

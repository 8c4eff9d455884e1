"""Dates as pages print them: ISO 8601 / RFC 2822 values, numeric and textual dates, relative phrases.

Hand-written rules read fr, en, de, es, it, pt and nl (month and weekday names, relative words) plus
CJK numeric dates; they run first because they are two orders of magnitude faster than dateparser and
stricter about what counts as a date. Anything they cannot read goes to dateparser (imported lazily,
memoized). Every public function is pure: relative expressions need an explicit ``now``.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

__all__ = ["default_timezone", "parse_date", "search_date", "to_iso"]

FAST_LANGUAGES = frozenset({"fr", "en", "de", "es", "it", "pt", "nl"})

# parse_date reads "one date as a page shows it": a label and a byline around it are fine, a paragraph
# is not (that is search_date's job), so inputs longer than this, or with more leftover words, give None.
_PARSE_MAX_CHARS = 300
_PARSE_MAX_LEFTOVER_WORDS = 12
_FALLBACK_MAX_CHARS = 120
_EARLIEST_YEAR = 1990
_UTC = UTC

# ---------------------------------------------------------------------------------------------------
# vocabulary
# fmt: off

# Month by month, comma-separated: the full name first, then abbreviations.
_MONTH_NAMES = {
    "en": "january jan, february feb, march mar, april apr, may, june jun, july jul, august aug, "
          "september sept sep, october oct, november nov, december dec",
    "fr": "janvier janv jan, février févr fév fevr, mars, avril avr, mai, juin, juillet juil, août aoû, "
          "septembre sept sep, octobre oct, novembre nov, décembre déc dec",
    "de": "januar jan jänner jän, februar feb feber, märz mär mrz maerz, april apr, mai, juni jun, juli jul, "
          "august aug, september sept sep, oktober okt, november nov, dezember dez",
    "es": "enero ene, febrero feb, marzo mar, abril abr, mayo may, junio jun, julio jul, agosto ago, "
          "septiembre sept sep setiembre set, octubre oct, noviembre nov, diciembre dic",
    "it": "gennaio gen, febbraio feb, marzo mar, aprile apr, maggio mag, giugno giu, luglio lug, agosto ago, "
          "settembre sett set, ottobre ott, novembre nov, dicembre dic",
    "pt": "janeiro jan, fevereiro fev, março mar, abril abr, maio mai, junho jun, julho jul, agosto ago, "
          "setembro set, outubro out, novembro nov, dezembro dez",
    "nl": "januari jan, februari feb, maart mrt maa, april apr, mei, juni jun, juli jul, augustus aug, "
          "september sept sep, oktober okt, november nov, december dec",
}

# Monday first, same layout.
_WEEKDAY_NAMES = {
    "en": "monday mon, tuesday tue tues, wednesday wed, thursday thu thur thurs, friday fri, saturday sat, "
          "sunday sun",
    "fr": "lundi lun, mardi mar, mercredi mer, jeudi jeu, vendredi ven, samedi sam, dimanche dim",
    "de": "montag mo, dienstag di, mittwoch mi, donnerstag do, freitag fr, samstag sa sonnabend, sonntag so",
    "es": "lunes lun, martes mar, miércoles mié, jueves jue, viernes vie, sábado sáb, domingo dom",
    "it": "lunedì lun, martedì mar, mercoledì mer, giovedì gio, venerdì ven, sabato sab, domenica dom",
    "pt": "segunda-feira segunda seg, terça-feira terça ter, quarta-feira quarta qua, quinta-feira quinta qui, "
          "sexta-feira sexta sex, sábado sáb, domingo dom",
    "nl": "maandag ma, dinsdag di, woensdag wo, donderdag do, vrijdag vr, zaterdag za, zondag zo",
}

# Day words: value = days back from today; 'now' for "just now". Kept per language because "hier"
# means yesterday in French but "here" in German and Dutch.
_DAY_WORDS: dict[str, dict[str, int | str]] = {
    "en": {"today": 0, "yesterday": 1, "just now": "now", "a moment ago": "now"},
    "fr": {"aujourd'hui": 0, "aujourd’hui": 0, "aujourdhui": 0, "hier": 1, "avant-hier": 2, "avant hier": 2,
           "à l'instant": "now", "à l’instant": "now"},
    "de": {"heute": 0, "gestern": 1, "vorgestern": 2, "gerade eben": "now", "soeben": "now"},
    "es": {"hoy": 0, "ayer": 1, "anteayer": 2, "antier": 2, "antes de ayer": 2, "ahora mismo": "now",
           "hace un momento": "now"},
    "it": {"oggi": 0, "ieri": 1, "l'altro ieri": 2, "l’altro ieri": 2, "altroieri": 2, "poco fa": "now"},
    "pt": {"hoje": 0, "ontem": 1, "anteontem": 2, "agora mesmo": "now", "há pouco": "now"},
    "nl": {"vandaag": 0, "gisteren": 1, "eergisteren": 2, "zojuist": "now", "net nu": "now"},
}

_UNIT_WORDS = {
    "second": "s second seconds sec secs seconde secondes sekunde sekunden sek segundo segundos seg secondo "
              "secondi seconden",
    "minute": "m min mins minute minutes mn minuten minuto minutos minuti minuut",
    "hour": "h hr hrs hour hours heure heures stunde stunden std hora horas ora ore uur u",
    "day": "d day days j jour jours tag tage tagen día días dia dias giorno giorni gg dag dagen",
    "week": "w wk wks week weeks semaine semaines sem woche wochen semana semanas settimana settimane weken",
    "month": "mo mos month months mois monat monate monaten mes meses mese mesi mês maand maanden",
    "year": "y yr yrs year years an ans année années jahr jahre jahren año años anno anni ano anos jaar jaren",
    "moment": "moment momento instant attimo",
}

# One to ten, all seven languages.
_NUMBER_WORDS = {
    word: value
    for value, words in enumerate((
        "a an one un une ein eine einer einem einen uno una um uma een één un' un’",
        "two deux zwei dos due dois duas twee",
        "three trois drei tres tre três drie",
        "four quatre vier cuatro quattro quatro",
        "five cinq fünf cinco cinque vijf",
        "six sechs seis sei zes",
        "seven sept sieben siete sette sete zeven",
        "eight huit acht ocho otto oito",
        "nine neuf neun nueve nove negen",
        "ten dix zehn diez dieci dez tien",
    ), start=1)
    for word in words.split()
}

# Offsets of time-zone abbreviations that name one offset; hours east of UTC.
_TZ_ABBREVIATIONS: dict[str, float] = {
    "utc": 0, "gmt": 0, "ut": 0, "z": 0, "wet": 0, "west": 1, "bst": 1, "cet": 1, "mez": 1, "cest": 2,
    "mesz": 2, "eet": 2, "eest": 3, "msk": 3, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7,
    "mdt": -6, "pst": -8, "pdt": -7, "akst": -9, "akdt": -8, "hst": -10, "jst": 9, "kst": 9, "hkt": 8,
    "sgt": 8, "awst": 8, "acst": 9.5, "aest": 10, "aedt": 11, "nzst": 12, "nzdt": 13,
}
# US generic zones ("1:28 AM ET"): only in capitals, "et" is French for "and".
_TZ_GENERIC = {"ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver",
               "PT": "America/Los_Angeles"}

_LANGUAGE_ZONES = {
    "fr": "Europe/Paris", "de": "Europe/Berlin", "it": "Europe/Rome", "nl": "Europe/Amsterdam",
    "pl": "Europe/Warsaw", "cs": "Europe/Prague", "sk": "Europe/Bratislava", "hu": "Europe/Budapest",
    "ro": "Europe/Bucharest", "bg": "Europe/Sofia", "el": "Europe/Athens", "fi": "Europe/Helsinki",
    "sv": "Europe/Stockholm", "da": "Europe/Copenhagen", "nb": "Europe/Oslo", "nn": "Europe/Oslo",
    "no": "Europe/Oslo", "is": "Atlantic/Reykjavik", "et": "Europe/Tallinn", "lv": "Europe/Riga",
    "lt": "Europe/Vilnius", "sl": "Europe/Ljubljana", "hr": "Europe/Zagreb", "sr": "Europe/Belgrade",
    "bs": "Europe/Sarajevo", "mk": "Europe/Skopje", "sq": "Europe/Tirane", "uk": "Europe/Kyiv",
    "be": "Europe/Minsk", "ca": "Europe/Madrid", "eu": "Europe/Madrid", "gl": "Europe/Madrid",
    "lb": "Europe/Luxembourg", "mt": "Europe/Malta", "ga": "Europe/Dublin", "cy": "Europe/London",
    "ja": "Asia/Tokyo", "ko": "Asia/Seoul", "he": "Asia/Jerusalem", "tr": "Europe/Istanbul",
    "th": "Asia/Bangkok", "vi": "Asia/Ho_Chi_Minh", "ka": "Asia/Tbilisi", "hy": "Asia/Yerevan",
    "fa": "Asia/Tehran", "hi": "Asia/Kolkata", "ne": "Asia/Kathmandu",
}
# Countries by ISO 3166 code (a language tag's region, a ccTLD): the zone of the country's mainland, None
# where the mainland spans zones; then the languages its sites write in (a ccTLD counts only for them).
_COUNTRIES: dict[str, tuple[str | None, str]] = {
    # Europe
    "FR": ("Europe/Paris", "fr br oc co"), "BE": ("Europe/Brussels", "fr nl de"),
    "CH": ("Europe/Zurich", "de fr it rm"), "LU": ("Europe/Luxembourg", "lb fr de"),
    "MC": ("Europe/Monaco", "fr"), "DE": ("Europe/Berlin", "de"), "AT": ("Europe/Vienna", "de"),
    "LI": ("Europe/Vaduz", "de"), "GB": ("Europe/London", "en cy gd"), "UK": ("Europe/London", "en cy gd"),
    "IE": ("Europe/Dublin", "en ga"), "ES": ("Europe/Madrid", "es ca eu gl"), "AD": ("Europe/Andorra", "ca"),
    "PT": ("Europe/Lisbon", "pt"), "IT": ("Europe/Rome", "it"), "SM": ("Europe/San_Marino", "it"),
    "NL": ("Europe/Amsterdam", "nl fy"), "PL": ("Europe/Warsaw", "pl"), "CZ": ("Europe/Prague", "cs"),
    "SK": ("Europe/Bratislava", "sk"), "HU": ("Europe/Budapest", "hu"), "RO": ("Europe/Bucharest", "ro"),
    "MD": ("Europe/Chisinau", "ro ru"), "BG": ("Europe/Sofia", "bg"), "GR": ("Europe/Athens", "el"),
    "CY": ("Asia/Nicosia", "el tr"), "SE": ("Europe/Stockholm", "sv"), "FI": ("Europe/Helsinki", "fi sv"),
    "DK": ("Europe/Copenhagen", "da"), "NO": ("Europe/Oslo", "no nb nn"), "IS": ("Atlantic/Reykjavik", "is"),
    "EE": ("Europe/Tallinn", "et"), "LV": ("Europe/Riga", "lv"), "LT": ("Europe/Vilnius", "lt"),
    "SI": ("Europe/Ljubljana", "sl"), "HR": ("Europe/Zagreb", "hr"), "RS": ("Europe/Belgrade", "sr"),
    "BA": ("Europe/Sarajevo", "bs hr sr"), "ME": ("Europe/Podgorica", "sr"), "MK": ("Europe/Skopje", "mk"),
    "AL": ("Europe/Tirane", "sq"), "MT": ("Europe/Malta", "mt en"), "UA": ("Europe/Kyiv", "uk ru"),
    "BY": ("Europe/Minsk", "be ru"), "TR": ("Europe/Istanbul", "tr"), "RU": (None, "ru"),
    # France overseas: French-language sites hours away from Paris
    "RE": ("Indian/Reunion", "fr"), "YT": ("Indian/Mayotte", "fr"), "GP": ("America/Guadeloupe", "fr"),
    "MQ": ("America/Martinique", "fr"), "GF": ("America/Cayenne", "fr"), "NC": ("Pacific/Noumea", "fr"),
    "PF": (None, "fr"),
    # Americas
    "US": (None, "en es"), "CA": (None, "en fr"), "MX": (None, "es"), "BR": (None, "pt"),
    "CL": (None, "es"), "AR": ("America/Argentina/Buenos_Aires", "es"), "CO": ("America/Bogota", "es"),
    "PE": ("America/Lima", "es"), "VE": ("America/Caracas", "es"), "EC": ("America/Guayaquil", "es"),
    "UY": ("America/Montevideo", "es"), "PY": ("America/Asuncion", "es"), "BO": ("America/La_Paz", "es"),
    "CR": ("America/Costa_Rica", "es"), "GT": ("America/Guatemala", "es"), "SV": ("America/El_Salvador", "es"),
    "HN": ("America/Tegucigalpa", "es"), "NI": ("America/Managua", "es"), "PA": ("America/Panama", "es"),
    "CU": ("America/Havana", "es"), "DO": ("America/Santo_Domingo", "es"), "PR": ("America/Puerto_Rico", "es en"),
    "HT": ("America/Port-au-Prince", "fr ht"), "SR": ("America/Paramaribo", "nl"),
    # Africa, Asia, Oceania
    "MA": ("Africa/Casablanca", "ar fr"), "DZ": ("Africa/Algiers", "ar fr"), "TN": ("Africa/Tunis", "ar fr"),
    "EG": ("Africa/Cairo", "ar"), "SN": ("Africa/Dakar", "fr"), "CI": ("Africa/Abidjan", "fr"),
    "CM": ("Africa/Douala", "fr en"), "CD": (None, "fr"), "AO": ("Africa/Luanda", "pt"),
    "MZ": ("Africa/Maputo", "pt"), "NG": ("Africa/Lagos", "en"), "KE": ("Africa/Nairobi", "en sw"),
    "ZA": ("Africa/Johannesburg", "en af"), "SA": ("Asia/Riyadh", "ar"), "AE": ("Asia/Dubai", "ar en"),
    "QA": ("Asia/Qatar", "ar"), "KW": ("Asia/Kuwait", "ar"), "JO": ("Asia/Amman", "ar"),
    "LB": ("Asia/Beirut", "ar fr"), "IL": ("Asia/Jerusalem", "he ar"), "IN": ("Asia/Kolkata", "en hi"),
    "PK": ("Asia/Karachi", "en ur"), "JP": ("Asia/Tokyo", "ja"), "KR": ("Asia/Seoul", "ko"),
    "CN": ("Asia/Shanghai", "zh"), "TW": ("Asia/Taipei", "zh"), "HK": ("Asia/Hong_Kong", "zh en"),
    "SG": ("Asia/Singapore", "en zh ms"), "MY": ("Asia/Kuala_Lumpur", "ms en zh"),
    "PH": ("Asia/Manila", "en tl"), "TH": ("Asia/Bangkok", "th"), "VN": ("Asia/Ho_Chi_Minh", "vi"),
    "ID": (None, "id"), "AU": (None, "en"), "NZ": ("Pacific/Auckland", "en mi"),
}
# Hosts whose country code is the reader's, not the site's: Blogger answered each visitor from the
# blogspot domain of the visitor's country (blogspot.fr, blogspot.com.es ...).
_READER_COUNTRY_HOSTS = re.compile(r"(?:^|\.)blogspot\.(?:com?\.)?[a-z]{2}$")

# fmt: on


@functools.lru_cache(maxsize=4096)
def _fold(word: str) -> str:
    """Lower case without accents: sites write 'fevrier', 'AOUT', 'Maerz' as often as the real thing."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    months: dict[str, int]  # folded token -> month number
    full_months: frozenset[str]  # folded full month names
    day_words: dict[str, int | str]


def _vocabulary(languages) -> _Vocabulary:
    months: dict[str, int] = {}
    full: set[str] = set()
    day_words: dict[str, int | str] = {}
    for lang in languages:
        for number, names in enumerate(_MONTH_NAMES[lang].split(","), start=1):
            words = names.split()
            full.add(_fold(words[0]))
            for word in words:
                months[_fold(word)] = number
        for word, value in _DAY_WORDS[lang].items():
            day_words[_fold(word)] = value
    return _Vocabulary(months, frozenset(full), day_words)


# A page in language X may still print English ("Do 1 Aug 2019", "Updated: ..."), so English is always in.
_VOCABULARIES = {lang: _vocabulary(dict.fromkeys((lang, "en"))) for lang in FAST_LANGUAGES}
_OWN_VOCABULARIES = {lang: _vocabulary((lang,)) for lang in FAST_LANGUAGES}
_ALL_VOCABULARY = _vocabulary(sorted(FAST_LANGUAGES))
_UNITS = {_fold(word): unit for unit, words in _UNIT_WORDS.items() for word in words.split()}
_NUMBERS = {_fold(word): value for word, value in _NUMBER_WORDS.items()}

# ---------------------------------------------------------------------------------------------------
# patterns (input is whitespace-normalized first, so a single optional space is enough between tokens)


def _alternation(words) -> str:
    """A regex matching any of the words, as a trie: one branch per first letter instead of a list."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word.lower():
            node = node.setdefault(ch, {})
        node[""] = {}
    return _render_trie(root)


def _render_trie(node: dict) -> str:
    branches = [
        (r"\s" if ch == " " else re.escape(ch)) + _render_trie(child)
        for ch, child in sorted(node.items())
        if ch
    ]
    if not branches:
        return ""
    optional = "" in node
    if len(branches) == 1 and not optional:
        return branches[0]
    return "(?:" + "|".join(branches) + ")" + ("?" if optional else "")


_WORD = r"[^\W\d_]++"  # possessive: giving letters back never helps, and is slow
_AMPM = r"[ap]\.?\s?m\b\.?"
_TZ_NAMES = _alternation([*_TZ_ABBREVIATIONS, *(z.lower() for z in _TZ_GENERIC)])


def _tail_pattern(p: str) -> str:
    """An optional time after a date: 'à 14h05', ', 2:05 PM EST', ' um 14:05 Uhr', 'T14:05:00+02:00'."""
    return rf"""
    (?P<{p}time>
      (?: T(?=\d)
        | \s?[,|/•·@:–—-]{{1,2}}\s?(?:(?:à|at|um|om|alle|ore|às|a\slas|a\sla|a|kl\.?|vers|gegen)\s)?
        | \s(?:(?:à|at|um|om|alle|ore|às|as|a\slas|a\sla|a|kl\.?|vers|gegen)\s?)?
      )
      (?P<{p}hour>\d{{1,2}})
      (?: \s?[:h.]\s?(?P<{p}minute>\d{{2}})(?!\d)
          (?:\s?:\s?(?P<{p}second>\d{{2}})(?:[.,]\d{{1,9}})?(?!\d))?(?:\s?min\b\.?)?
        | (?=\s?(?:h\b|uhr\b|hrs?\b|heures?\b|horas?\b|{_AMPM}))
      )
      (?:\s?(?P<{p}ampm>{_AMPM}))?
      (?:\s?(?:uhr|heures?|hrs?|horas?|h)\b\.?)?
      (?P<{p}tz>\s?
        (?: (?P<{p}tzname>[a-z]{{2,5}})(?P<{p}tzoff>[+-]\d{{1,2}}(?::?\d{{2}})?)?(?![^\W\d_])
          | (?P<{p}tznum>[+-]\d{{2}}(?::?\d{{2}})?)(?!\d)
          | (?<=\d)(?P<{p}zulu>z)(?![^\W\d_])
        )
      )?
    )?"""


# A time printed before the date: "17:00, 24 December 2015", "Updated 9:22 PM EST, Mon November 6, 2023".
_LEAD = rf"""
    (?P<lead>
      (?P<lhour>\d{{1,2}})
      (?:\s?[:h]\s?(?P<lminute>\d{{2}})(?!\d)(?:\s?(?P<lampm>{_AMPM}))? | \s?(?P<lampm2>{_AMPM}))
      (?:\s(?P<ltzname>{_TZ_NAMES})(?![^\W\d_]))?
      \s?[,|•–—-]?\s?(?:(?:le|on|am|el|il|em|op|the)\s)?
    )?"""
_WEEKDAYS = {
    form for days in _WEEKDAY_NAMES.values() for w in days.replace(",", " ").split() for form in (w, _fold(w))
}
# Full names only when a weekday stands for a date ("Monday at 3:00 PM"): "so", "do", "ma" are words too.
_WEEKDAY_INDEX = {
    form: index
    for days in _WEEKDAY_NAMES.values()
    for index, names in enumerate(days.split(","))
    for form in (names.split()[0], _fold(names.split()[0]))
}
_WEEKDAY = rf"(?:(?P<wd>{_alternation(_WEEKDAYS)})(?![^\W\d_])\.?,?\s)?"
_ORDINAL = r"(?:er|re|st|nd|rd|th|º|ª|°|\.)?"

_FLAGS = re.IGNORECASE | re.VERBOSE

_ISO_STRICT = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,]\d{1,9})?)?\s?(Z|[+-]\d\d(?::?\d\d)?)?)?",
    re.IGNORECASE,
)
# Basic format needs its T: a bare "20240429" is a number like any other.
_ISO_COMPACT = re.compile(
    r"(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)?(?:[.,]\d{1,9})?(Z|[+-]\d\d(?::?\d\d)?)?", re.IGNORECASE
)

_NUMERIC = re.compile(
    rf"""
    (?<![0-9A-Za-z.,-])
    (?: (?P<y1>\d{{4}})(?P<s1>[-/.])(?P<m1>\d{{1,2}})(?P=s1)(?P<d1>\d{{1,2}})
      | (?P<a>\d{{1,2}})(?P<s2>[-/.])(?P<b>\d{{1,2}})(?P=s2)(?P<y2>\d{{4}}|\d{{2}})
    )
    (?!\d)
    {_tail_pattern("t")}
    (?![.,/-]?\d)
    """,
    _FLAGS,
)

_DAY_MONTH = re.compile(
    rf"""
    (?<![\w.,:/-])
    {_LEAD}{_WEEKDAY}
    (?P<day>\d{{1,2}}){_ORDINAL}(?:\s?(?:de|of|del)\b)?[\s./-]{{0,2}}
    (?P<month>[^\W\d_]{{3,}}+)(?P<mdot>\.)?(?![^\W\d_])
    (?:(?:,|\s(?:de|del|of)\b)?[\s./-]{{0,2}}(?P<year>\d{{4}})(?:(?!\d)|(?=\d{{1,2}}\s?[^\W\d_]{{3}})))?
    # ^ WordPress prints <time>29 avril 2024</time><time>30 avril 2024</time>: text runs "202430 avril"
    {_tail_pattern("t")}
    """,
    _FLAGS,
)

_MONTH_DAY = re.compile(
    rf"""
    (?<![\w.])
    {_LEAD}{_WEEKDAY}
    (?P<month>[^\W\d_]{{3,}}+)(?P<mdot>\.)?\s?(?:the\s)?
    (?P<day>\d{{1,2}})(?:st|nd|rd|th|er|º)?(?![\d:h])
    (?:,?\s?(?P<year>\d{{4}})(?!\d))?
    {_tail_pattern("t")}
    """,
    _FLAGS,
)

_CJK = re.compile(
    r"""
    (?:(?P<year>\d{4})\s?[年년]\s?)?(?P<month>\d{1,2})\s?[月월]\s?(?P<day>\d{1,2})\s?[日일号號]
    (?:\s?(?:[(（][^)）]{1,4}[)）]|(?:星期|周|週|礼拜)[一二三四五六日天]|[月火水木金土日]曜日?|[월화수목금토일]요일))?
    (?P<time>\s?(?P<ampm>上午|下午|午前|午後|오전|오후)?\s?(?P<hour>\d{1,2})\s?[:時时点點시]\s?
      (?:(?P<minute>\d{1,2})(?:\s?[分분])?)?(?::(?P<second>\d{2}))?)?
    """,
    re.VERBOSE,
)

# A count: digits, or a number word standing alone ("an hour", not the "an" of "and"), or Italian "un'".
_COUNT = (
    rf"(?<![^\W\d_])(?:\d{{1,3}}|(?:{_alternation(w for w in _NUMBER_WORDS if w[-1].isalpha())})(?![^\W\d_])"
    r"|un['’])"
)
_QUANTITY = rf"{_COUNT}\s?{_WORD}\.?"
_CHAIN = rf"{_QUANTITY}(?:(?:,|\s(?:et|und|y|e|en|and|&))?\s?{_QUANTITY}){{0,3}}"
_QUANTITY_PARTS = re.compile(rf"({_COUNT})\s?({_WORD})", re.IGNORECASE)
_RELATIVE_BEFORE = re.compile(
    rf"(?<![\w])(?:il\sy\sa|vor|hace|há|faz)\s(?P<chain>{_CHAIN})(?![\w])", re.IGNORECASE
)
_RELATIVE_AFTER = re.compile(
    rf"(?<![\w.,:/-])(?P<chain>{_CHAIN})\s?(?:ago|fa|geleden|atrás|atras)(?![\w])", re.IGNORECASE
)
_WEEKDAY_TIME = re.compile(
    rf"""
    (?<![\w])(?P<word>{_alternation(_WEEKDAY_INDEX)})(?![^\W\d_])
    {_tail_pattern("t")}
    """,
    _FLAGS,
)
_DAY_WORD = re.compile(
    rf"""
    (?<![\w'’])(?P<word>{_alternation(w for table in _DAY_WORDS.values() for w in table)})(?![\w])
    {_tail_pattern("t")}
    """,
    _FLAGS,
)

# Never handed to dateparser: it would read these as today's date or as a timestamp.
_NOT_A_DATE = re.compile(
    rf"""^\W*(?:
        (?:(?:à|at|um|om|alle|às|a\slas)\s)?\d{{1,2}}(?:\s?[:h.]\s?\d{{2}}(?::\d{{2}})?)?\s?
        (?:{_AMPM})?\s?(?:uhr|h|heures?)?\s?(?:{_TZ_NAMES})?     # a time alone
      | v(?:ersion)?\.?\s?\d+(?:\.\d+)+\w*                        # version strings
      | (?:[$€£¥]|eur|usd|chf|gbp)\s?\d[\d\s.,]*                  # prices
      | \d[\d\s.,]*\s?(?:[$€£¥%]|eur|euros?|usd|chf|gbp|dollars?)
    )\W*$""",
    _FLAGS,
)
_TRAILING_OFFSET = re.compile(
    rf"\s?(?:(?<![^\W\d_])(?P<name>{_TZ_NAMES})(?P<off>[+-]\d{{1,2}}(?::?\d{{2}})?)?|(?P<num>[+-]\d{{2}}:?\d{{2}}))\W*$",
    re.IGNORECASE,
)
_OFFSET_PARTS = re.compile(r"([+-])(\d{1,2})(?::?(\d{2}))?")
_VERSION_BEFORE = re.compile(r"(?:version|release|build|ver|v)\.?\s?$", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")
_NON_LATIN_LETTER = re.compile(r"[^\W\d_a-zA-Z\u00c0-\u024f]")
_DIGIT = re.compile(r"\d")
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
_WORDS = re.compile(r"[^\W_]+")
_SPACE_RUN = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff\u00ad]+")
_MESSY_SPACE = re.compile(r"[^\S ]| {2}|[\u200b\u200c\u200d\u2060\ufeff\u00ad]")

# ---------------------------------------------------------------------------------------------------
# context of one call


@dataclass(frozen=True, slots=True)
class _Context:
    language: str | None  # primary subtag, lower case
    vocabulary: _Vocabulary
    own: _Vocabulary | None  # the stated language alone, for year-less dates with bare abbreviations
    day_first: bool
    zone: tzinfo | None  # the tz argument, resolved
    now_local: datetime | None  # now, in zone when given, else in now's own zone; whole seconds
    latest: date  # later dates are implausible


def _primary_language(language) -> tuple[str | None, str | None]:
    if not isinstance(language, str) or not language.strip():
        return None, None
    parts = re.split(r"[-_]", language.strip())
    region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    return parts[0].lower(), region


@functools.lru_cache(maxsize=512)
def _zone_named(name: str) -> tzinfo | None:
    key = name.strip()
    if key.upper() in ("UTC", "Z", "GMT"):
        return _UTC
    m = _OFFSET_PARTS.fullmatch(key)
    if m:
        return _fixed_offset(m)
    try:
        return ZoneInfo(key)
    except (ValueError, OSError, KeyError):  # unknown or malformed zone name: treat as no zone
        return None


def _resolve_zone(tz) -> tzinfo | None:
    if tz is None:
        return None
    if isinstance(tz, tzinfo):
        return tz
    if isinstance(tz, str):
        return _zone_named(tz)
    return None


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


@functools.lru_cache(maxsize=256)
def _context(language, now, now_zone, tz, day_first, today: date) -> _Context:
    # now_zone is part of the cache key only: aware datetimes at the same instant compare equal.
    lang, _region = _primary_language(language)
    zone = _resolve_zone(tz)
    now_local = None
    if isinstance(now, datetime):
        now_local = now.replace(microsecond=0)
        if zone is not None:
            now_local = now_local.astimezone(zone) if now_local.tzinfo else now_local.replace(tzinfo=zone)
    if day_first is None:
        day_first = lang != "en"
    reference = now_local.date() if now_local is not None else today
    return _Context(
        language=lang,
        vocabulary=_VOCABULARIES.get(lang, _ALL_VOCABULARY),
        own=_OWN_VOCABULARIES.get(lang),
        day_first=bool(day_first),
        zone=zone,
        now_local=now_local,
        latest=_one_year_after(reference),
    )


def _make_context(language, now, tz, day_first) -> _Context:
    now_zone = now.tzinfo if isinstance(now, datetime) else None
    try:
        return _context(language, now, now_zone, tz, day_first, date.today())
    except TypeError:  # unhashable tz object: build without the cache
        return _context.__wrapped__(language, now, now_zone, tz, day_first, date.today())


# ---------------------------------------------------------------------------------------------------
# building values


def _fixed_offset(m: re.Match) -> tzinfo | None:
    sign, hours, minutes = m.group(1), int(m.group(2)), int(m.group(3) or 0)
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if sign == "-" else delta) if delta else _UTC


def _zone_from_abbreviation(name: str, offset: str | None) -> tzinfo | None:
    key = name.lower()
    if offset:
        if key not in ("utc", "gmt", "ut"):
            return None
        m = _OFFSET_PARTS.fullmatch(offset)
        return _fixed_offset(m) if m else None
    if name in _TZ_GENERIC:
        return _zone_named(_TZ_GENERIC[name])
    # Zones are written in capitals; in lower case "est" is French for "is".
    if not name.isupper() and key not in ("utc", "gmt"):
        return None
    hours = _TZ_ABBREVIATIONS.get(key)
    if hours is None:
        return None
    return timezone(timedelta(hours=hours)) if hours else _UTC


@dataclass(slots=True)
class _Time:
    hour: int = 0
    minute: int = 0
    second: int = 0
    zone: tzinfo | None = None
    end: int = -1  # where the time (or what of it is valid) ends; -1 when absent


def _clock(
    hour: str, minute: str | None, second: str | None, ampm: str | None
) -> tuple[int, int, int] | None:
    h, mi, s = int(hour), int(minute or 0), int(second or 0)
    if ampm and 1 <= h <= 12:  # "14:05 PM" happens; the 24-hour reading is the one to trust
        pm = ampm.strip().lower().startswith("p")
        h = (h % 12) + (12 if pm else 0)
    if h > 23 or mi > 59 or s > 59:
        return None
    return h, mi, s


def _tail_time(m: re.Match, p: str = "t") -> _Time | None:
    if m.group(f"{p}hour") is None:
        return None
    clock = _clock(m.group(f"{p}hour"), m.group(f"{p}minute"), m.group(f"{p}second"), m.group(f"{p}ampm"))
    if clock is None:
        return None
    found = _Time(*clock, end=m.end(f"{p}time"))
    if m.group(f"{p}tz") is not None:
        zone = None
        if m.group(f"{p}tzname"):
            zone = _zone_from_abbreviation(m.group(f"{p}tzname"), m.group(f"{p}tzoff"))
        elif m.group(f"{p}tznum"):
            zone = _fixed_offset(_OFFSET_PARTS.fullmatch(m.group(f"{p}tznum")))
        elif m.group(f"{p}zulu"):
            zone = _UTC
        if zone is None:  # a word after the time, not a zone
            found.end = m.start(f"{p}tz")
        found.zone = zone
    return found


def _lead_time(m: re.Match) -> _Time | None:
    if m.group("lhour") is None:
        return None
    clock = _clock(m.group("lhour"), m.group("lminute"), None, m.group("lampm") or m.group("lampm2"))
    if clock is None:
        return None
    zone = _zone_from_abbreviation(m.group("ltzname"), None) if m.group("ltzname") else None
    return _Time(*clock, zone=zone)


def _plausible(value: datetime, ctx: _Context) -> bool:
    return value.year >= _EARLIEST_YEAR and value.date() <= ctx.latest


def _absolute(year: int, month: int, day: int, when: _Time | None, ctx: _Context) -> datetime | None:
    """A date the page states in full (or whose year we inferred): offset as written, else ctx.zone."""
    try:
        if when is None:
            value = datetime(year, month, day)
        else:
            value = datetime(year, month, day, when.hour, when.minute, when.second)
    except ValueError:
        return None
    if not _plausible(value, ctx):
        return None
    zone = when.zone if when is not None and when.zone is not None else ctx.zone
    return value.replace(tzinfo=zone) if zone is not None else value


def _infer_year(month: int, day: int, ctx: _Context) -> int | None:
    """Year-less dates ("Publié le 10 juillet") are the latest such day not after now."""
    today = ctx.now_local.date()
    for year in range(today.year, today.year - 8, -1):  # eight years back only matter for 29 February
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= today + timedelta(days=1):
            return year
    return None


def _full_year(text: str, ctx: _Context) -> int:
    year = int(text)
    if len(text) == 2:
        pivot = ctx.latest.year % 100
        year += 2000 if year <= pivot else 1900
    return year


# ---------------------------------------------------------------------------------------------------
# one rule per form; each returns a _Hit or None (not a date at all)


@dataclass(slots=True)
class _Hit:
    start: int
    end: int
    value: datetime | None  # None: a date we recognise but cannot or must not resolve
    inferred_year: bool = False  # "29 avril" read as the last such day: any date with its year beats it


def _trimmed_end(m: re.Match, when: _Time | None) -> int:
    if when is not None and when.end >= 0:
        return when.end
    if m.group("ttime") is not None:
        return m.start("ttime")
    return m.end()


def _start_and_lead(m: re.Match, first: str) -> tuple[int, _Time | None]:
    """Where the expression starts: a valid leading time, else the weekday, else the first date part."""
    lead = _lead_time(m)
    if lead is not None:
        return m.start("lead"), lead
    return (m.start("wd") if m.group("wd") else m.start(first)), None


def _month_number(m: re.Match, ctx: _Context, has_year: bool) -> int | None:
    token = _fold(m.group("month"))
    month = ctx.vocabulary.months.get(token)
    if month is None:
        month = _ALL_VOCABULARY.months.get(token) if has_year else None
        if month is None:
            return None
    if has_year:
        return month
    # Without a year the month word must leave no doubt: "2 out of 3" is not 2 October.
    if token in ctx.vocabulary.full_months or m.group("mdot"):
        return month
    if ctx.own is not None and token in ctx.own.months:
        return month
    return None


def _textual(m: re.Match, ctx: _Context, first: str) -> _Hit | None:
    year_text = m.group("year")
    month = _month_number(m, ctx, year_text is not None)
    if month is None:
        return None
    day = int(m.group("day"))
    if not 1 <= day <= 31:
        return None
    start, lead = _start_and_lead(m, first)
    if first == "day" and m.string[m.start("day") - 1 : m.start("day")] == "#":
        return None  # "Reply #2 Oct. 9, 2010": a post number, not a day
    tail = _tail_time(m)
    when = tail or lead
    end = _trimmed_end(m, tail)
    if year_text is None:
        if ctx.now_local is None:
            return _Hit(start, end, None)
        year = _infer_year(month, day, ctx)
        if year is None:
            return None
        return _Hit(start, end, _absolute(year, month, day, when, ctx), inferred_year=True)
    return _Hit(start, end, _absolute(int(year_text), month, day, when, ctx))


def _day_month(m: re.Match, ctx: _Context) -> _Hit | None:
    return _textual(m, ctx, "day")


def _month_day(m: re.Match, ctx: _Context) -> _Hit | None:
    return _textual(m, ctx, "month")


def _numeric(m: re.Match, ctx: _Context) -> _Hit | None:
    if m.group("y1") is not None:
        year, month, day = int(m.group("y1")), int(m.group("m1")), int(m.group("d1"))
    else:
        a, b, year_text = int(m.group("a")), int(m.group("b")), m.group("y2")
        if m.group("s2") == "." and len(year_text) == 2:
            # "3.10.12" is a version far more often than a date; dotted short dates are written "08.17.15".
            if len(m.group("a")) == 1 or len(m.group("b")) == 1:
                return None
            if _VERSION_BEFORE.search(m.string, 0, m.start()):
                return None
        if a > 12 and b <= 12:
            day, month = a, b
        elif b > 12 and a <= 12:
            day, month = b, a
        elif a > 12:
            return None
        else:
            day, month = (a, b) if ctx.day_first else (b, a)
        year = _full_year(year_text, ctx)
    when = _tail_time(m)
    return _Hit(m.start(), _trimmed_end(m, when), _absolute(year, month, day, when, ctx))


def _cjk(m: re.Match, ctx: _Context) -> _Hit | None:
    month, day = int(m.group("month")), int(m.group("day"))
    when = None
    end = m.end()
    if m.group("hour") is not None:
        hour = int(m.group("hour"))
        if m.group("ampm") in ("下午", "午後", "오후") and hour < 12:
            hour += 12
        clock = _clock(str(hour), m.group("minute"), m.group("second"), None)
        if clock is None:
            end = m.start("time")
        else:
            when = _Time(*clock)
    if m.group("year") is None:
        if ctx.now_local is None:
            return _Hit(m.start(), end, None)
        year = _infer_year(month, day, ctx)
        if year is None:
            return None
        return _Hit(m.start(), end, _absolute(year, month, day, when, ctx), inferred_year=True)
    return _Hit(m.start(), end, _absolute(int(m.group("year")), month, day, when, ctx))


def _shift_months(value: datetime, months: int) -> datetime:
    index = value.year * 12 + value.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def _ago(amounts: dict[str, int], ctx: _Context) -> datetime | None:
    """now minus the amounts: days and longer on the calendar, hours and shorter on the clock."""
    now = ctx.now_local
    zone = now.tzinfo
    wall = now.replace(tzinfo=None)
    months = amounts.get("month", 0) + 12 * amounts.get("year", 0)
    try:
        if months:
            wall = _shift_months(wall, months)
        wall -= timedelta(days=amounts.get("day", 0) + 7 * amounts.get("week", 0))
        exact = timedelta(
            hours=amounts.get("hour", 0), minutes=amounts.get("minute", 0), seconds=amounts.get("second", 0)
        )
        if zone is None:
            value = wall - exact
        else:
            value = wall.replace(tzinfo=zone)
            if exact:
                value = (value.astimezone(_UTC) - exact).astimezone(zone)
    except (OverflowError, ValueError):
        return None
    return value if _plausible(value, ctx) else None


def _relative(m: re.Match, ctx: _Context) -> _Hit | None:
    amounts: dict[str, int] = {}
    for part in _QUANTITY_PARTS.finditer(m.group("chain")):
        number, unit_word = part.group(1), part.group(2)
        unit = _UNITS.get(_fold(unit_word))
        if unit is None:
            return None
        count = int(number) if number.isdigit() else _NUMBERS.get(_fold(number))
        if count is None:
            return None
        amounts[unit] = amounts.get(unit, 0) + count
    if not amounts:
        return None
    amounts.pop("moment", None)
    if ctx.now_local is None:
        return _Hit(m.start(), m.end(), None)
    return _Hit(m.start(), m.end(), _ago(amounts, ctx))


def _day_word(m: re.Match, ctx: _Context) -> _Hit | None:
    table = ctx.vocabulary.day_words if ctx.language in FAST_LANGUAGES else _ALL_VOCABULARY.day_words
    back = table.get(_fold(m.group("word")))
    if back is None:
        return None
    if _RELATIVE_BEFORE.match(m.string, m.end("word") + 1):
        return None  # "heute vor 3 Jahren" is three years ago today: the relative rule reads it
    when = _tail_time(m)
    end = _trimmed_end(m, when)
    if back == "now":
        end = m.end("word")
        when = None
    if ctx.now_local is None:
        return _Hit(m.start(), end, None)
    now = ctx.now_local
    if back == "now":
        return _Hit(m.start(), end, now)
    day = now.date() - timedelta(days=back)
    value = datetime(day.year, day.month, day.day)
    zone = now.tzinfo
    if when is not None:
        value = value.replace(hour=when.hour, minute=when.minute, second=when.second)
        zone = when.zone or zone
    value = value.replace(tzinfo=zone) if zone is not None else value
    return _Hit(m.start(), end, value if _plausible(value, ctx) else None)


def _weekday_time(m: re.Match, ctx: _Context) -> _Hit | None:
    """'Monday at 3:00 PM' as forums print the last week: the latest such weekday before today."""
    when = _tail_time(m)
    if when is None:
        return None
    index = _WEEKDAY_INDEX.get(_fold(m.group("word")))
    if index is None:
        return None
    if ctx.now_local is None:
        return _Hit(m.start(), when.end, None)
    now = ctx.now_local
    day = now.date() - timedelta(days=(now.weekday() - index) % 7 or 7)
    value = datetime(day.year, day.month, day.day, when.hour, when.minute, when.second)
    zone = when.zone or now.tzinfo
    value = value.replace(tzinfo=zone) if zone is not None else value
    return _Hit(m.start(), when.end, value if _plausible(value, ctx) else None)


# (pattern, reader, hint, reach): a rule only runs where its hint occurs, starting at most `reach`
# characters before it. Hints are cheap patterns every match must contain; most strings lack most of them.
_RULES = (
    (_NUMERIC, _numeric, None, 0),
    (_DAY_MONTH, _day_month, re.compile(r"\d\S{0,3}\s?(?:de\s|del\s|of\s)?[^\W\d_]{3}"), 48),
    (_MONTH_DAY, _month_day, re.compile(r"[^\W\d_]{3}\.?\s?(?:the\s)?\d"), 64),
    (_CJK, _cjk, re.compile("[月월]"), 12),
    (_RELATIVE_BEFORE, _relative, None, 0),
    (
        _RELATIVE_AFTER,
        _relative,
        re.compile(r"(?<!\w)(?:ago|fa|geleden|atrás|atras)(?!\w)", re.IGNORECASE),
        80,
    ),
    (_DAY_WORD, _day_word, None, 0),
    (_WEEKDAY_TIME, _weekday_time, None, 0),
)


def _hits(
    pattern: re.Pattern,
    rule,
    hint: re.Pattern | None,
    reach: int,
    text: str,
    ctx: _Context,
    bound: int | None = None,
):
    """The rule's hits, left to right; with ``bound``, only those of matches starting at or before it."""
    pos = 0
    search = pattern.search
    while pos <= len(text):
        if hint is None:
            start = pos
        else:
            h = hint.search(text, pos)
            if h is None:
                return
            start = max(pos, h.start() - reach)
        if bound is None:
            m = search(text, start)
        elif start > bound:
            return
        else:
            m = _search_until(pattern, text, start, bound)
        if m is None:
            return
        hit = rule(m, ctx)
        if hit is None:
            pos = m.start() + 1
            continue
        yield hit
        pos = max(hit.end, m.start() + 1)


_ANCHORED_TRIES = 8
"""Up to this many start positions, trying the pattern at each beats one search through the rest."""


def _search_until(pattern: re.Pattern, text: str, start: int, bound: int) -> re.Match | None:
    """``pattern.search(text, start)`` if that match starts at or before ``bound``, else None. Tried at
    each position when they are few: a search would scan the whole string for a match that does not
    matter, the costly part of a date rule that fails (lookbehinds see the text before a position
    either way, as with search)."""
    if bound - start < _ANCHORED_TRIES:
        match = pattern.match
        for position in range(start, bound + 1):
            m = match(text, position)
            if m is not None:
                return m
        return None
    m = pattern.search(text, start)
    return m if m is not None and m.start() <= bound else None


def _all_hits(text: str, ctx: _Context) -> list[_Hit]:
    """Every date expression, leftmost first, overlaps resolved in favour of the longer one."""
    found = [hit for rule in _RULES for hit in _hits(*rule, text, ctx)]
    found.sort(key=lambda h: (h.start, -h.end))
    kept: list[_Hit] = []
    for hit in found:
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return kept


def _first_hit(text: str, ctx: _Context) -> _Hit | None:
    """The earliest date in the text; a year-less one only when no date states its year."""
    best = year_less = None
    for rule in _RULES:
        # Once a date is found, a later rule can only beat it with one starting no later (a hit starts
        # inside its match), and the year-less fallback no longer matters.
        for hit in _hits(*rule, text, ctx, None if best is None else best.start):
            if hit.value is None:
                continue
            if hit.inferred_year:
                if year_less is None or (hit.start, -hit.end) < (year_less.start, -year_less.end):
                    year_less = hit
                continue
            if best is None or (hit.start, -hit.end) < (best.start, -best.end):
                best = hit
            break
    return best if best is not None else year_less


# ---------------------------------------------------------------------------------------------------
# whitespace normalization with a way back to the caller's offsets


def _clean(text: str) -> tuple[str, list[tuple[int, int]] | None]:
    """Single spaces, invisible characters dropped; plus (clean offset, original offset) anchors."""
    if not _MESSY_SPACE.search(text):
        return text, None
    out: list[str] = []
    anchors: list[tuple[int, int]] = []
    length = 0
    last = 0
    for m in _SPACE_RUN.finditer(text):
        if m.start() > last:
            anchors.append((length, last))
            out.append(text[last : m.start()])
            length += m.start() - last
        if not any(ch.isspace() for ch in m.group()):  # invisible characters only: join the two sides
            last = m.end()
            continue
        anchors.append((length, m.start()))
        out.append(" ")
        length += 1
        last = m.end()
    if last < len(text):
        anchors.append((length, last))
        out.append(text[last:])
    return "".join(out), anchors


def _original_offset(anchors: list[tuple[int, int]], index: int) -> int:
    i = bisect_right(anchors, (index, float("inf"))) - 1
    clean_start, original_start = anchors[max(i, 0)]
    return original_start + (index - clean_start)


# ---------------------------------------------------------------------------------------------------
# dateparser fallback

_DATEPARSER = None
# Two unrelated reference instants: a result that moves with the reference is relative.
_PROBE_A = datetime(2001, 2, 3, 4, 5, 6)
_PROBE_B = datetime(2013, 11, 24, 17, 38, 49)


def _dateparser():
    global _DATEPARSER
    if _DATEPARSER is None:
        import dateparser  # lazy: ~0.3 s of imports that most pages never need

        _DATEPARSER = dateparser
    return _DATEPARSER


@functools.lru_cache(maxsize=1)
def _dateparser_languages() -> frozenset[str]:
    try:
        from dateparser.data import languages_info

        return frozenset(languages_info.language_order)
    except Exception:  # a dateparser without that table: let it guess the language
        return frozenset()


def _settings(base: datetime, date_order: str) -> dict:
    return {
        "PREFER_DAY_OF_MONTH": "first",
        "PREFER_DATES_FROM": "past",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "RELATIVE_BASE": base,
        "DATE_ORDER": date_order,
        # no 'timestamp' parser: a bare number is never a date here
        "PARSERS": ["relative-time", "custom-formats", "absolute-time"],
        # a time or a month alone is not a date
        "REQUIRE_PARTS": ["day", "month", "year"],
    }


@functools.lru_cache(maxsize=4096)
def _dateparser_parse(
    text: str, languages: tuple[str, ...], date_order: str, base: datetime
) -> datetime | None:
    try:
        dp = _dateparser()
        result = dp.parse(text, languages=list(languages) or None, settings=_settings(base, date_order))
    except Exception:  # dateparser raises on odd input in many ways; none of them is ours to surface
        return None
    if not isinstance(result, datetime):
        return None
    return result.replace(microsecond=0, tzinfo=None)


@functools.lru_cache(maxsize=1024)
def _dateparser_search(
    text: str, language: str, date_order: str, base: datetime
) -> tuple[tuple[str, datetime], ...]:
    try:
        _dateparser()
        from dateparser.search import search_dates

        found = search_dates(text, languages=[language], settings=_settings(base, date_order))
    except Exception:  # see _dateparser_parse
        return ()
    return tuple((s, d) for s, d in (found or ()) if isinstance(s, str) and isinstance(d, datetime))


# Without a language dateparser tries its ~200 locales (~9 ms a call); these cover our crawl (~1 ms).
_FALLBACK_GUESSES = (
    "en",
    "fr",
    "de",
    "es",
    "it",
    "pt",
    "nl",
    "ru",
    "pl",
    "zh",
    "ja",
    "ko",
    "ar",
    "tr",
    "sv",
    "cs",
    "uk",
)


def _fallback_languages(ctx: _Context) -> tuple[str, ...]:
    lang = ctx.language
    if lang and lang in _dateparser_languages():
        return (lang,)
    return tuple(code for code in _FALLBACK_GUESSES if code in _dateparser_languages())


def _fallback_parse(text: str, ctx: _Context) -> datetime | None:
    text = text.strip(" \t,;:|-–—()[]")
    if not text or len(text) > _FALLBACK_MAX_CHARS or _NOT_A_DATE.match(text):
        return None
    if not _LETTER.search(text):
        return None  # digits and punctuation only: our numeric rules already said no
    has_digit = _DIGIT.search(text) is not None
    if not has_digit:
        # Latin words with no digit in a language we have rules for were read by those rules already;
        # with no language at all only non-Latin scripts ("вчера") are worth dateparser's guessing.
        if ctx.language in FAST_LANGUAGES:
            return None
        if ctx.language is None and not _NON_LATIN_LETTER.search(text):
            return None
    zone = None
    m = _TRAILING_OFFSET.search(text)
    if m and m.start() > 0:
        if m.group("name"):
            zone = _zone_from_abbreviation(m.group("name"), m.group("off"))
        else:
            zone = _fixed_offset(_OFFSET_PARTS.fullmatch(m.group("num")))
        if zone is not None:
            text = text[: m.start()]
    languages = _fallback_languages(ctx)
    order = "DMY" if ctx.day_first else "MDY"
    first = _dateparser_parse(text, languages, order, _PROBE_A)
    if first is None:
        return None
    if first == _dateparser_parse(text, languages, order, _PROBE_B):
        # dateparser assembles dates from any digits it finds ("avril..14h05" -> 2005-04-14): keep only
        # results whose year is written out in full.
        if first.year not in {int(y) for y in _YEAR.findall(text)} or not _plausible(first, ctx):
            return None
        zone = zone or ctx.zone
        return first.replace(tzinfo=zone) if zone is not None else first
    # dateparser also reads "14h05" or "2024日" as so long ago; our rules know the relative phrases of the
    # languages they cover, so only a language they do not cover gets dateparser's relative reading.
    if ctx.now_local is None or ctx.language is None or ctx.language in FAST_LANGUAGES:
        return None
    value = _dateparser_parse(text, languages, order, ctx.now_local.replace(tzinfo=None))
    if value is None:
        return None
    zone = ctx.now_local.tzinfo
    value = value.replace(tzinfo=zone) if zone is not None else value
    return value if _plausible(value, ctx) else None


def _fallback_search(text: str, ctx: _Context) -> tuple[datetime, str] | None:
    language = ctx.language
    if language is None or language in FAST_LANGUAGES or len(text) > 1000:
        return None
    if language not in _dateparser_languages():
        return None
    order = "DMY" if ctx.day_first else "MDY"
    for fragment, _ in _dateparser_search(text, language, order, _PROBE_A):
        if fragment not in text:
            continue
        value = _fallback_parse(fragment, ctx)
        if value is not None:
            return value, fragment
    return None


# ---------------------------------------------------------------------------------------------------
# public API


def _iso_fast(text: str, ctx: _Context) -> datetime | None:
    m = _ISO_STRICT.fullmatch(text) or _ISO_COMPACT.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, offset = m.groups()
    try:
        value = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None
    if not _plausible(value, ctx):
        return None
    if offset:
        zone = _UTC if offset in ("Z", "z") else _fixed_offset(_OFFSET_PARTS.fullmatch(offset))
        if zone is None:
            return None
    else:
        zone = ctx.zone
    return value.replace(tzinfo=zone) if zone is not None else value


def parse_date(
    text: str,
    *,
    language: str | None = None,
    now: datetime | None = None,
    tz: tzinfo | str | None = None,
    day_first: bool | None = None,
) -> datetime | None:
    """Parse one date as a page shows it: an ISO 8601 / RFC 2822 value, a numeric date, or a textual
    date with optional weekday, time and surrounding words ("Publié le 29 avril 2024 à 14h05",
    "le 7 mai 2020 - 12:38", "29 avril 2024 à 18 h 22 min", "Mis à jour le 30/04/2024 à 09:12",
    "April 29, 2024 at 2:05 pm", "29. April 2024, 14:05 Uhr", "il y a 3 jours", "vor 3 Stunden",
    "3 days ago", "hier à 14h30", "yesterday").

    An offset written in the text is kept; a naive result gets ``tz`` (a tzinfo or a zone name)
    attached, DST-correct. Relative expressions resolve against ``now`` and come back in ``tz`` (else
    in now's zone); with ``now=None`` they give None, as do year-less dates. Numeric dates are
    day-first except for English, unless ``day_first`` says otherwise. Returns None for anything that
    is not one plausible date (1990 to one year after now) with at most a few words around it; never
    raises.
    """
    try:
        if not isinstance(text, str) or not text or len(text) > 4 * _PARSE_MAX_CHARS:
            return None
        ctx = _make_context(language, now, tz, day_first)
        stripped = text.strip()
        if stripped[:1].isdigit() and len(stripped) <= 35:
            value = _iso_fast(stripped, ctx)
            if value is not None:
                return value
        clean, _ = _clean(stripped)
        if not clean or len(clean) > _PARSE_MAX_CHARS:
            return None
        if not unicodedata.is_normalized("NFC", clean):
            clean = unicodedata.normalize("NFC", clean)
        hits = _all_hits(clean, ctx)
        if not hits:
            return _fallback_parse(clean, ctx)
        leftover = clean
        for hit in reversed(hits):
            leftover = leftover[: hit.start] + " " + leftover[hit.end :]
        if len(_WORDS.findall(leftover)) > _PARSE_MAX_LEFTOVER_WORDS:
            return None
        return next((hit.value for hit in hits if hit.value is not None), None)
    except Exception:  # the contract is "None for anything unreadable", whatever went wrong
        return None


def search_date(
    text: str,
    *,
    language: str | None = None,
    now: datetime | None = None,
    tz: tzinfo | str | None = None,
    day_first: bool | None = None,
) -> tuple[datetime, str] | None:
    """Find the first date inside a longer string (a byline such as "Par Julien, publié le 29 avril 2024
    à 14h05 - mis à jour ..."); return it with the exact substring that expressed it.

    Same rules and arguments as parse_date; expressions that cannot be resolved (relative ones
    without ``now``, implausible years) are skipped. Languages without hand-written rules fall back to
    dateparser's search. Never raises.
    """
    try:
        if not isinstance(text, str) or not text.strip():
            return None
        ctx = _make_context(language, now, tz, day_first)
        clean, anchors = _clean(text)
        hit = _first_hit(clean, ctx)
        if hit is None:
            return _fallback_search(clean, ctx)
        if anchors is None:
            return hit.value, text[hit.start : hit.end]
        start = _original_offset(anchors, hit.start)
        end = _original_offset(anchors, hit.end - 1) + 1
        return hit.value, text[start:end]
    except Exception:  # see parse_date
        return None


_UNIT_LENGTH = {
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "moment": timedelta(minutes=1),  # "il y a un instant"
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "month": timedelta(days=31),
    "year": timedelta(days=366),
}


def relative_precision(text: str | None) -> timedelta | None:
    """How precise a date is that ``text`` gives as an age: the length of its smallest unit ("il y a
    3 heures": an hour; "vor 2 Tagen und 5 Stunden": an hour; "3 days ago": a day; "à l'instant",
    "just now": a minute, like "il y a un instant"; "hier", "aujourd'hui" without a time: a day).
    None when the text gives no age (an absolute date, "hier à 14h05", a language only dateparser
    reads).

    Such a date moves with the time the page is read: read again later ("il y a 5 heures"), it
    resolves to another instant of the same precision. The archive uses this to keep the date it
    has (``storage.record.DatePrecision``). Never raises."""
    if not isinstance(text, str) or not text.strip() or len(text) > 4 * _PARSE_MAX_CHARS:
        return None
    try:
        clean, _ = _clean(text)
        for pattern in (_RELATIVE_BEFORE, _RELATIVE_AFTER):
            match = pattern.search(clean)
            if match is None:
                continue
            units = [
                _UNITS.get(_fold(part.group(2))) for part in _QUANTITY_PARTS.finditer(match.group("chain"))
            ]
            lengths = [_UNIT_LENGTH[unit] for unit in units if unit is not None]
            if lengths:
                return min(lengths)
        for match in _DAY_WORD.finditer(clean):
            back = _ALL_VOCABULARY.day_words.get(_fold(match.group("word")))
            if back == "now":  # "à l'instant", "just now": read as the fetch time, like "il y a un instant"
                return _UNIT_LENGTH["moment"]
            if back is not None and _tail_time(match) is None:  # "hier", "aujourd'hui": a day, no time
                return _UNIT_LENGTH["day"]
    except Exception:  # see parse_date
        return None
    return None


def _country_of_host(url: str | None) -> str | None:
    """The country a site's domain names: its ccTLD, upper case ('UK' for .uk); None for generic
    domains and for hosts that pick the country code by the reader."""
    if not isinstance(url, str) or not url:
        return None
    try:
        host = (urlsplit(url.strip()).hostname or "").rstrip(".")
    except ValueError:
        return None
    suffix = host.rpartition(".")[2]
    if len(suffix) != 2 or not suffix.isalpha() or _READER_COUNTRY_HOSTS.search(host):
        return None
    return suffix.upper()


@functools.lru_cache(maxsize=256)
def _zone_for(lang: str, region: str | None, host_country: str | None) -> ZoneInfo | None:
    name = _LANGUAGE_ZONES.get(lang)
    country = _COUNTRIES.get(host_country) if host_country else None
    if country is not None and lang in country[1].split():
        name = country[0]
    elif region:
        name = _COUNTRIES.get(region, (None, ""))[0]
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, KeyError):  # tzdata missing this zone
        return None


def default_timezone(
    language: str | None, *, region: str | None = None, url: str | None = None
) -> ZoneInfo | None:
    """The zone a page implies for the dates it writes without an offset, or None when nothing
    implies exactly one (a date that states its offset keeps it: this is only for the others).

    ``language`` is the page's language tag ('fr', 'es-ES', 'de_AT'), ``region`` a country the page
    declares for it elsewhere (og:locale 'es_ES'; it wins over the tag's own), ``url`` the page's.
    The strongest evidence decides:

    1. the country of the site's domain (.es, .de, .co.uk), when the page is written in one of that
       country's languages: the publisher is there, whatever locale its CMS declares by default
       (WordPress's en_US on a British site, es_ES on an Argentine one). An English page on .rs or
       .co, a blogspot.fr blog (Blogger served every reader the domain of the reader's country), a
       country code _COUNTRIES does not know tell nothing;
    2. else the country of the language tag (es-ES, de-AT, en-GB, fr-BE): the page says it;
    3. else the language alone, where its speakers live in one zone: fr -> Europe/Paris,
       de -> Europe/Berlin, it, nl, pl, ja ...

    A country gives the zone of its mainland (es-ES -> Europe/Madrid although the Canaries are an
    hour behind; pt-PT -> Europe/Lisbon), or None where the mainland spans zones (US, CA, MX, BR,
    RU, AU; fr-CA too, and French on .ca). A language spoken across zones gives None without a
    country (en, es, pt, ar, zh, ru), as does a country _COUNTRIES does not know: a wrong guess
    moves the instant by hours, no offset leaves the date as the page wrote it. A date without a
    time keeps its calendar day in any zone (the zone is attached, nothing is converted).
    """
    lang, tag_region = _primary_language(language)
    if lang is None:
        return None
    region = region.strip().upper() if isinstance(region, str) and region.strip() else tag_region
    return _zone_for(lang, region, _country_of_host(url))


def to_iso(value: datetime) -> str:
    """'2024-04-29T14:05:00+02:00' (seconds precision, no microseconds); naive stays naive."""
    return value.replace(microsecond=0).isoformat(timespec="seconds")

"""Language tags: normalization of declared tags and a fast detector for pages that declare nothing.

The detector is deliberately simple: the writing system decides for non-Latin scripts, and counts of
very frequent function words decide between Latin-script languages. It needs a few dozen words of
prose to be right and answers None rather than guess on less.
"""

from __future__ import annotations

import re

__all__ = ["detect_language", "language_region", "normalize_language"]

_TAG = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*$")

# ISO 639-2/B and /T codes and legacy tags that pages use, mapped to the 639-1 subtag.
_ALIASES = {
    "fre": "fr",
    "fra": "fr",
    "ger": "de",
    "deu": "de",
    "eng": "en",
    "spa": "es",
    "ita": "it",
    "por": "pt",
    "dut": "nl",
    "nld": "nl",
    "pol": "pl",
    "cze": "cs",
    "ces": "cs",
    "rus": "ru",
    "jpn": "ja",
    "chi": "zh",
    "zho": "zh",
    "kor": "ko",
    "ara": "ar",
    "tha": "th",
    "lav": "lv",
    "bur": "my",
    "mya": "my",
    "swe": "sv",
    "dan": "da",
    "nor": "no",
    "fin": "fi",
    "tur": "tr",
    "gre": "el",
    "ell": "el",
    "heb": "he",
    "hun": "hu",
    "rum": "ro",
    "ron": "ro",
    "ukr": "uk",
    "iw": "he",
    "in": "id",
    "ji": "yi",
    "jw": "jv",
    "nb": "no",
    "nn": "no",
    "cmn": "zh",
    "yue": "zh",
}
# Three-letter codes that are not languages at all but turn up in lang attributes.
_JUNK = {"und", "mul", "zxx", "mis", "xx", "en-us-x"}


def normalize_language(tag: str | None) -> str | None:
    """'fr-FR', 'fr_FR', 'FR', 'fra' -> 'fr'; None for empty or malformed tags.

    Takes the first tag of a comma-separated list ('fr, en').
    """
    if not tag or not isinstance(tag, str):
        return None
    tag = tag.split(",")[0].split(";")[0].strip()
    m = _TAG.match(tag)
    if not m:
        return None
    primary = m.group(1).lower()
    if primary in _JUNK:
        return None
    primary = _ALIASES.get(primary, primary)
    if len(primary) != 2:
        return None
    return primary


def language_region(tag: str | None) -> str | None:
    """The country subtag of a language tag, upper case: 'es-ES', 'es_es', 'zh-Hant-TW' -> 'ES', 'ES',
    'TW'; None without one ('fr', 'es-419', a malformed tag). First tag of a list, as
    :func:`normalize_language`."""
    if not tag or not isinstance(tag, str):
        return None
    tag = tag.split(",")[0].split(";")[0].strip()
    if not _TAG.match(tag):
        return None
    subtags = re.split(r"[-_]", tag)[1:]
    return next((s.upper() for s in subtags if len(s) == 2 and s.isalpha()), None)


# --- detection ---------------------------------------------------------------------------------

# Frequent function words, chosen to be common in news prose and rare in the other languages listed.
_STOPWORDS: dict[str, str] = {
    "en": "the and of to in is that for with was on are as by it this from have has had be at not "
    "but they which were their been an or will would who said its there also more about after "
    "into than what when can could them he she his her we you our",
    "fr": "le la les des et est une dans du pour que qui sur pas au aux par avec ce cette il elle "
    "sont ont été mais ses leur plus comme ou nous vous son être était fait aussi très sa ces "
    "dont où lui même selon après",
    "de": "der die und das ist nicht ein eine den dem des mit sich auf für im von zu auch es sie "
    "ich wir bei aus nach wird sind noch wie einer einen war hat nur oder aber wenn vor zum zur "
    "über durch werden kann diese haben dass",
    "es": "el la los las y en que del por con una para es se al lo como más pero sus su le ya "
    "fue este esta ha son entre cuando muy sin sobre también desde hasta donde porque",
    "it": "il di che la è per un una del della non con sono gli le nel alla dei delle anche come "
    "ma più questo questa ha si suo sua dal dalla nella essere stato perché",
    "pt": "o a os as de do da dos das em que não um uma para com por se mais como mas foi ao pelo "
    "pela são também está seu sua ou quando muito já isso ele ela entre depois",
    "nl": "de het een en van in is dat op te zijn met voor niet aan er als ook door maar bij om "
    "nog wordt werd naar uit dan deze tot heeft hebben zo wel worden kan",
    "pl": "i w na z że się do nie to jest o jak ale po co tak od przez za dla już jego są ich "
    "może był była było tylko jednak też oraz czy gdy które który która",
    "cs": "a v se na je že s z do to o jako ale by k od pro po jsou jeho které který která byl "
    "byla bylo také jen už než při podle jak tak ani mezi",
    "sk": "a v sa na je že s z do to o ako ale by k od pre po sú jeho ktoré ktorý ktorá bol bola "
    "bolo tiež len už než pri podľa tak ani medzi",
    "sv": "och i att det som en på är av för med till den har inte om ett var men så de från "
    "kan eller när också efter sig vid under hade blir",
    "da": "og i at det som en på er af for med til den har ikke om et var men så de fra kan "
    "eller når også efter sig ved under havde bliver jeg",
    "no": "og i at det som en på er av for med til den har ikke om et var men så de fra kan "
    "eller når også etter seg ved under hadde blir jeg",
    "fi": "ja on ei se että oli hän mutta kun myös ovat tai mitä jo niin kuin sen joka ole "
    "vain sitä hänen olla nyt jotka vielä",
    "ro": "și în de la cu pe că nu din o un este a pentru mai care sunt au fost ca sau dar ce "
    "lui fi prin această acest după",
    "hu": "a az és hogy nem is egy van meg de el már csak mint ki ez azt volt még vagy után "
    "szerint pedig lesz kell",
    "tr": "ve bir bu da de için ile olarak gibi daha çok en ama olan kadar sonra ne var değil "
    "ise her ki şu ancak göre",
    "lv": "un ir ar par no uz kas ka bet arī tas to lai vai jau tā kā nav pēc gan tiek bija "
    "savu viņš viņa šo",
    "lt": "ir į kad su iš yra buvo o bet tai kaip jau dar ar jo už apie taip nuo tik per jis ji šis",
    "id": "dan yang di ini itu dengan untuk dari dalam tidak akan pada juga ke karena ada "
    "oleh bisa sudah atau mereka kami saat",
    "ca": "el la els les i de que en un una per amb és del al es no com més però també seva "
    "seu han són va aquest aquesta",
    "hr": "i u je na da se za su od s koji kao ali iz što to o a bi bio biti ili sam samo nije će već kako",
}
_WORDS_BY_LANG = {lang: frozenset(words.split()) for lang, words in _STOPWORDS.items()}
_WORD_TO_LANGS: dict[str, tuple[str, ...]] = {}
for _lang, _words in _WORDS_BY_LANG.items():
    for _w in _words:
        _WORD_TO_LANGS[_w] = (*_WORD_TO_LANGS.get(_w, ()), _lang)

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

# (first code point, last code point, script key)
_SCRIPT_RANGES = (
    (0x0370, 0x03FF, "el"),
    (0x0400, 0x04FF, "cyrl"),
    (0x0590, 0x05FF, "he"),
    (0x0600, 0x06FF, "arab"),
    (0x0900, 0x097F, "hi"),
    (0x0980, 0x09FF, "bn"),
    (0x0B80, 0x0BFF, "ta"),
    (0x0E00, 0x0E7F, "th"),
    (0x0E80, 0x0EFF, "lo"),
    (0x1000, 0x109F, "my"),
    (0x10A0, 0x10FF, "ka"),
    (0x1780, 0x17FF, "km"),
    (0x3040, 0x30FF, "kana"),
    (0x3400, 0x4DBF, "han"),
    (0x4E00, 0x9FFF, "han"),
    (0xAC00, 0xD7AF, "ko"),
    (0x0530, 0x058F, "hy"),
)
_SAMPLE = 20000


def _script_counts(text: str) -> tuple[int, dict[str, int]]:
    latin = 0
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isascii():
            if ch.isalpha():
                latin += 1
            continue
        cp = ord(ch)
        if cp < 0x0370:
            if ch.isalpha():
                latin += 1
            continue
        for lo, hi, key in _SCRIPT_RANGES:
            if lo <= cp <= hi:
                counts[key] = counts.get(key, 0) + 1
                break
    return latin, counts


def _cyrillic_language(text: str) -> str:
    if any(ch in text for ch in "їєґ") or text.count("і") > 3:
        return "uk"
    if text.count("ъ") > 3 and "ы" not in text:
        return "bg"
    if any(ch in text for ch in "ђћџљњ"):
        return "sr"
    return "ru"


def _arabic_language(text: str) -> str:
    persian = sum(text.count(ch) for ch in "پچژگی")
    arabic = sum(text.count(ch) for ch in "ةيى")
    if persian > arabic:
        return "ur" if "ے" in text or "ٹ" in text else "fa"
    return "ar"


def detect_language(text: str) -> str | None:
    """Best guess of the primary language subtag of `text`, or None when there is too little to go on."""
    if not text:
        return None
    sample = text[:_SAMPLE]
    latin, scripts = _script_counts(sample)
    if scripts:
        key, n = max(scripts.items(), key=lambda kv: kv[1])
        cjk = scripts.get("han", 0) + scripts.get("kana", 0)
        if cjk >= 20 and cjk >= latin * 0.2 and cjk >= n:
            kana = scripts.get("kana", 0)
            return "ja" if kana >= max(5, cjk * 0.05) else "zh"
        if n >= 20 and n >= latin * 0.5:
            if key == "cyrl":
                return _cyrillic_language(sample)
            if key == "arab":
                return _arabic_language(sample)
            if key in ("han", "kana"):
                return "ja" if key == "kana" else "zh"
            return key
    scores: dict[str, int] = {}
    total = 0
    for m in _WORD.finditer(sample.lower()):
        total += 1
        langs = _WORD_TO_LANGS.get(m.group().replace("’", "'"))
        if langs:
            for lang in langs:
                scores[lang] = scores.get(lang, 0) + 1
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best, hits = ranked[0]
    if hits < 3 or hits < total * 0.05:
        return None
    if len(ranked) > 1 and ranked[1][1] == hits:
        return None
    return best

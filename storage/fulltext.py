"""Full-text search over title, lead, body and comments of the current version of each article.

Both backends keep one ``article_search`` row per article, written by the repository whenever the
current version or the comments change (created by migration 0002):

* SQLite: an FTS5 table (``unicode61 remove_diacritics 2``: case- and accent-insensitive words).
  The tokenizer keeps œ, æ, ß and ø as letters of their own: the rows and the queries' words hold
  them as PostgreSQL folds them (:func:`fts5_text`, migration 0013: ``coeur`` finds ``cœur``), and
  the column ``written`` (``UNINDEXED``) the text as written where that changed it, on which
  snippets are quoted (:func:`_fts5_snippet_as_written`).
  Each word of a query matches words that start with it (``électrique`` finds ``électriques``); the
  query, read by :func:`parse_query`, is made an FTS5 expression (:func:`fts5_expression`); ranking
  is bm25 with title > lead > body > comments. FTS5 writes a new segment of its index at every
  commit, which cost ~0.1 ms of an article committed alone (a tenth of it) and far less in batches.
  So an :class:`Archive`'s writers only note the article in ``article_search_pending`` (with a
  stamp) and keep the row in the archive's :class:`SearchBuffer`; :func:`write_pending_rows` writes
  the rows waiting, a batch at a time: after a write once :data:`BATCH_ROWS` wait or the oldest has
  waited :data:`BATCH_SECONDS`, when the archive closes, and before a :func:`search` that begins its
  session's transaction (so it sees every committed article; see
  :func:`_write_pending_before_search`). A row waiting for a process that ended is rebuilt from the
  archive's tables by the next writer. Other connections than an archive's write units of work write
  the row at once, as before.
* PostgreSQL: a ``tsvector`` with the French configuration (stemming, French stop words) over the
  text with its accents folded, kept in the row (migration 0006) with a GIN index. The archive folds
  the text (:func:`fold_accents`, migration 0007: folding in SQL cost more than the tsvector); the
  query is folded by ``newscrawl_unaccent`` (migration 0004), the same characters the same way.
  Queries use ``websearch_to_tsquery`` (words all required, ``"exact phrase"``, ``or``, ``-word``)
  on the query as :func:`parse_query` read it (:func:`websearch_text`), so that both backends read
  it the same way; ranking is ``ts_rank`` with the same weights (``ts_rank_cd`` ranked no better
  here and cost three times as much on queries that match most articles).
  A tsvector holds at most 1 MB of lexemes and positions: an article whose words would pass that
  gets a document of its text up to where they fit (:func:`_fitting_tsvector`); its row keeps the
  whole text.
  Snippets are PostgreSQL's headlines of the folded text (so that ``electrique`` marks
  ``électrique``), put back on the text as written (:func:`accented_headline`), made from the
  passage around the first word of the query in a hit's text (:func:`_postgresql_snippets`).
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import threading
import time as clock
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Float, Integer, Text, bindparam, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from storage.errors import StorageError
from storage.models import UTCDateTime
from storage.prepared import PreparedStatement


@dataclass(frozen=True, slots=True)
class SearchHit:
    article_id: int
    site: str
    title: str
    url: str
    """The article's canonical URL."""
    snippet: str
    """Matching passage, matches between [ and ], on one line (runs of whitespace made one space)."""
    published_at: datetime | None
    score: float
    """Higher is better (comparable within one result list only)."""


_SQLITE_DELETE = PreparedStatement(text("DELETE FROM article_search WHERE rowid = :id"))
_SQLITE_INSERT = PreparedStatement(
    text(
        "INSERT INTO article_search (rowid, title, lead, body, comments, written) "
        "VALUES (:id, :title, :lead, :body, :comments, :written)"
    )
)
# The document is made from the text folded here (fold_accents, migration 0007): folding in SQL cost
# more than the French tsvector itself.
_POSTGRESQL_UPSERT = PreparedStatement(
    text(
        "INSERT INTO article_search (article_id, title, lead, body, comments, document) "
        "VALUES (:id, :title, :lead, :body, :comments, "
        "setweight(to_tsvector('french'::regconfig, :folded_title), 'A') "
        "|| setweight(to_tsvector('french'::regconfig, :folded_lead), 'B') "
        "|| setweight(to_tsvector('french'::regconfig, :folded_body), 'C') "
        "|| setweight(to_tsvector('french'::regconfig, :folded_comments), 'D')) "
        "ON CONFLICT (article_id) DO UPDATE SET title = EXCLUDED.title, lead = EXCLUDED.lead, "
        "body = EXCLUDED.body, comments = EXCLUDED.comments, document = EXCLUDED.document"
    )
)
_POSTGRESQL_HEADLINES = text(
    "SELECT ts_headline('french', passage, websearch_to_tsquery('french', newscrawl_unaccent(:query)), "
    ":options) FROM unnest(CAST(:passages AS text[])) WITH ORDINALITY AS given(passage, n) ORDER BY n"
)


BATCH_ROWS = 64
"""SQLite: an archive writes the search rows waiting once this many are (FTS5's cost per row levels
off from about ten a commit)."""
BATCH_SECONDS = 1.0
"""SQLite: ... or once the oldest has waited this long (checked after each write)."""
SEARCH_BUFFER = "newscrawl.search_buffer"
"""Key of a connection's ``info``: the :class:`SearchBuffer` of the archive it belongs to."""

_SQLITE_STAGE = PreparedStatement(
    text("INSERT OR REPLACE INTO article_search_pending (article_id, stamp) VALUES (:id, :stamp)")
)


class SearchBuffer:
    """The search rows an archive's writers noted in ``article_search_pending`` (SQLite), kept in
    memory until written: ``{article id: (stamp, row, new)}``.

    Only an optimization: a row is used only if its stamp is still the one in the table, i.e. the
    transaction that noted it committed and no later one replaced it; any other waiting article
    is rebuilt from the tables. Each write of the waiting rows takes every row kept: those of a
    transaction that rolled back are dropped there, and one whose transaction had not committed
    yet is rebuilt from the tables by the write after."""

    def __init__(self) -> None:
        self._rows: dict[int, tuple[int, dict[str, Any], bool]] = {}
        self._since: float | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    def keep(self, article_id: int, stamp: int, row: dict[str, Any], new: bool) -> None:
        with self._lock:
            self._rows[article_id] = (stamp, row, new)
            if self._since is None:
                self._since = clock.monotonic()

    def due(self) -> bool:
        """Should the waiting rows be written now?"""
        since = self._since
        return since is not None and (
            len(self._rows) >= BATCH_ROWS or clock.monotonic() - since >= BATCH_SECONDS
        )

    def take_all(self) -> dict[int, tuple[int, dict[str, Any], bool]]:
        with self._lock:
            rows, self._rows, self._since = self._rows, {}, None
        return rows


def index_article(
    connection: Connection, article_id: int, record: dict[str, Any], comment_texts: list[str], *, new: bool
) -> None:
    """Write the search row of an article (its current content and all its comments); on an
    archive's SQLite connection, note it for the next batch (see the module doc)."""
    params = _search_row(article_id, record["title"], record["lead"], record["body_text"], comment_texts)
    if connection.dialect.name == "sqlite":
        buffer: SearchBuffer | None = connection.info.get(SEARCH_BUFFER)
        if buffer is not None:
            stamp = secrets.randbits(62)
            _SQLITE_STAGE.one(connection, {"id": article_id, "stamp": stamp})
            buffer.keep(article_id, stamp, params, new)
            return
        if not new:
            _SQLITE_DELETE.one(connection, {"id": article_id})
        _SQLITE_INSERT.one(connection, dict(zip(_FTS5_ROW, fts5_row(params), strict=True)))
    else:
        folded = [fold_accents(params[name]) for name in _DOCUMENT_PARTS]
        for name, part in zip(_DOCUMENT_PARTS, _fitting_tsvector(connection, folded), strict=True):
            params[f"folded_{name}"] = part
        _POSTGRESQL_UPSERT.one(connection, params)


_DOCUMENT_PARTS = ("title", "lead", "body", "comments")
TSVECTOR_LIMIT = 1_048_575
"""PostgreSQL: bytes of a tsvector's lexemes and positions ('string is too long for tsvector')."""
DOCUMENT_ALWAYS_FITS = 90_000
"""PostgreSQL: characters of text (the four parts together) whose tsvector always fits the limit: no
text makes more than ~8 bytes of lexemes a character (words of 4-byte letters joined by hyphens: the
compound and each part), plus at most 16,383 positions of 2 bytes."""
_DOCUMENT_BUDGET = 1_000_000
"""Bytes of lexemes a document is given (under :data:`TSVECTOR_LIMIT` less 16,383 positions)."""
_DOCUMENT_CHUNK = 20_000
"""Characters of text measured at a time for a document that may not fit (so cut within that much)."""
_LEXEME_OVERHEAD = 5
"""Bytes a lexeme takes besides its own: alignment, its count of positions, its first position."""
_NEW_LEXEMES_BY_CHUNK = PreparedStatement(
    text(
        "SELECT first.n, sum(octet_length(first.lexeme)), count(*) FROM ("
        "SELECT DISTINCT ON (word.lexeme) chunk.n, word.lexeme "
        "FROM unnest(CAST(:chunks AS text[])) WITH ORDINALITY AS chunk(text, n) "
        "CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector('french'::regconfig, chunk.text))) AS word(lexeme) "
        "ORDER BY word.lexeme, chunk.n) first GROUP BY first.n"
    )
)


def _fitting_tsvector(connection: Connection, parts: list[str]) -> list[str]:
    """PostgreSQL: the folded title, lead, body and comments the search document is made of. All of
    them, but for an article so long that its distinct words would pass a tsvector's limit (random
    words, a huge comment thread): the text up to where they fit (the article itself is kept whole).
    Only such long texts cost a query: PostgreSQL's parser measures the words of each chunk."""
    if sum(map(len, parts)) <= DOCUMENT_ALWAYS_FITS:
        return parts
    chunks = [
        (index, end, part[start:end]) for index, part in enumerate(parts) for start, end in _chunks(part)
    ]
    new_lexemes = {
        n: size + _LEXEME_OVERHEAD * count
        for n, size, count in _NEW_LEXEMES_BY_CHUNK.all(connection, {"chunks": [c for _, _, c in chunks]})
    }
    fitting, used = ["" for _ in parts], 0
    for n, (index, end, _) in enumerate(chunks, start=1):
        used += new_lexemes.get(n, 0)
        if used > _DOCUMENT_BUDGET:
            break
        fitting[index] = parts[index][:end]
    return fitting


def _chunks(part: str) -> Iterable[tuple[int, int]]:
    """(start, end) of consecutive pieces of ``part`` of at most :data:`_DOCUMENT_CHUNK` characters,
    cut after a space or line break where there is one (PostgreSQL's words never span one)."""
    start = 0
    while start < len(part):
        end = min(start + _DOCUMENT_CHUNK, len(part))
        if end < len(part):
            space = max(part.rfind(" ", start + 1, end), part.rfind("\n", start + 1, end))
            end = space if space > start else end
        yield start, end
        start = end


def write_pending_rows(connection: Connection) -> int:
    """SQLite: write the search rows of every article in ``article_search_pending``, in the
    connection's transaction (which must be able to write); returns how many. Rows the archive's
    :class:`SearchBuffer` holds with the stamp still in the table are written as kept; the others
    are rebuilt from the article's current version and comments."""
    buffer: SearchBuffer | None = connection.info.get(SEARCH_BUFFER)
    kept = buffer.take_all() if buffer is not None else {}
    cursor = connection.connection.cursor()
    try:
        pending = cursor.execute("SELECT article_id, stamp FROM article_search_pending").fetchall()
        if not pending:
            return 0
        rows, replaced = [], []
        for article_id, stamp in pending:
            entry = kept.get(article_id)
            if entry is not None and entry[0] == stamp:
                row, new = entry[1], entry[2]
            else:
                row, new = _stored_row(cursor, article_id), False
            if not new:
                replaced.append((article_id,))
            if row is not None:
                rows.append(fts5_row(row))
        cursor.executemany("DELETE FROM article_search WHERE rowid = ?", replaced)
        cursor.executemany(
            "INSERT INTO article_search (rowid, title, lead, body, comments, written) VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        cursor.executemany("DELETE FROM article_search_pending WHERE article_id = ? AND stamp = ?", pending)
        return len(rows)
    finally:
        cursor.close()


def _stored_row(cursor: Any, article_id: int) -> dict[str, Any] | None:
    """An article's search row as :func:`index_article` makes it, from what the archive holds
    (None if it has no current version)."""
    found = cursor.execute(
        "SELECT v.id, v.title, v.lead FROM articles a JOIN article_versions v ON v.id = a.current_version_id "
        "WHERE a.id = ?",
        (article_id,),
    ).fetchone()
    if found is None:
        return None
    version_id, title, lead = found
    paragraphs = cursor.execute(
        "SELECT text FROM paragraphs WHERE version_id = ? ORDER BY section_position, position", (version_id,)
    ).fetchall()
    comments = cursor.execute(
        "SELECT text FROM comments WHERE article_id = ? ORDER BY position", (article_id,)
    ).fetchall()
    return _search_row(article_id, title, lead, "\n".join(p for (p,) in paragraphs), [c for (c,) in comments])


def _search_row(
    article_id: int, title: str, lead: str | None, body: str, comment_texts: list[str]
) -> dict[str, Any]:
    """The search row of an article, however its parts were found."""
    return {
        "id": article_id,
        "title": title,
        "lead": lead or "",
        "body": body,
        "comments": "\n".join(comment_texts),
    }


def _write_pending_before_search(session: Session) -> None:
    """SQLite: write the search rows still waiting, so that the search sees every committed
    article. A session not in a transaction yet: in a short transaction of its own, before the
    search's (skipped where the archive cannot be written: read-only, or the write lock held past
    the busy timeout). An archive's write unit of work (it holds the write lock): in it, so that
    it finds its own articles too. Any other transaction would keep the write lock as long as it
    lasts, blocking the crawlers: its search reads what was written when it began."""
    from storage.db import OWN_CONNECTION  # (storage.db imports this module)

    unit = session.info.get(OWN_CONNECTION)
    if unit is not None and unit.info.get(SEARCH_BUFFER) is not None:
        write_pending_rows(unit)
        return
    bind = session.get_bind()
    if session.in_transaction() or not isinstance(bind, Engine):
        return
    try:  # (a deferred transaction that finds nothing waiting never takes the write lock)
        with bind.connect() as connection, connection.begin():
            write_pending_rows(connection)
    except (sqlite3.OperationalError, sa_exc.OperationalError):
        pass


# A query's pieces: an optionally negated quoted phrase (its closing quote may be missing), or an
# optionally negated run of anything but spaces and quotes. A "-" alone is no piece (its run has no
# word): "renault - xiaomi" asks for both words, "- renault" for renault; "--word" is "-word".
_QUERY_PIECE = re.compile(r'(-*)"([^"]*)"?|(-*)([^\s"]+)')


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """A piece of a query that names at least one word."""

    excluded: bool
    quoted: bool
    """A phrase: its words in that order. Otherwise each word is required (or, excluded, refused
    together), as ``l’avenir`` or ``renault-xiaomi`` typed as one piece."""
    words: tuple[str, ...]
    typed: str
    """The piece as typed, without its ``-`` and quotes (what PostgreSQL's parser reads)."""

    @property
    def key(self) -> tuple[bool, bool, tuple[str, ...]]:
        """Equal for two terms that ask for the same thing (the words' case and accents folded)."""
        return self.excluded, self.quoted, tuple(_folded_word(word) for word in self.words)


def parse_query(query: str) -> list[list[QueryTerm]]:
    """The branches of a user query (``or`` between two terms starts the next one), each a list of
    terms all required or refused; [] if it names no word to find.

    The syntax is PostgreSQL's ``websearch_to_tsquery``, read the same way for both backends: words
    are all required, ``"a phrase"`` must appear as written, ``-word`` or ``-"a phrase"`` must not
    appear, and ``or`` between two terms makes either one enough (``a b or c``: a and b, or c; first or
    last, ``or`` is a word). A branch that only refuses words is dropped (FTS5 can only exclude
    from what something else found, and PostgreSQL is given the same query, see
    :func:`websearch_text`); so is anything without a word (a lone ``-``, punctuation)."""
    # composed (NFC) as the archive's text is: an e and a combining accent (a query pasted from a
    # PDF, a macOS file name) found nothing, and a regular expression's words ended at the accent
    query = unicodedata.normalize("NFC", query)
    terms: list[QueryTerm] = []
    for minus, phrase, plain_minus, plain in _QUERY_PIECE.findall(query):
        quoted = not plain
        typed = phrase if quoted else plain
        words = tuple(re.findall(r"\w+", typed))
        if not quoted:  # required (or refused) each once; a phrase may say a word twice
            words = tuple(_once(words, _folded_word))
        if words:
            terms.append(QueryTerm(bool(minus if quoted else plain_minus), quoted, words, typed))
    branches: list[list[QueryTerm]] = [[]]
    for index, term in enumerate(terms):
        if _is_or(term) and 0 < index < len(terms) - 1 and branches[-1]:
            branches.append([])
            continue
        branches[-1].append(term)
    # A term or a branch given again is asked for once: PostgreSQL's headlines took seconds when a
    # query repeated a word a few hundred times (63 s for 1,000 times over 4 articles). Distinct
    # words cost little (the 300 words of an article: ~20 ms), so their number is not limited.
    branches = [_once(branch, lambda term: term.key) for branch in branches]
    return _once(
        [branch for branch in branches if any(not term.excluded for term in branch)],
        lambda branch: frozenset(term.key for term in branch),
    )


def _folded_word(word: str) -> str:
    return fold_accents(word).lower()


T = TypeVar("T")


def _once(items: Iterable[T], key: Callable[[T], Hashable]) -> list[T]:
    """``items`` in order, without those whose key came before."""
    kept: dict[Hashable, T] = {}
    for item in items:
        kept.setdefault(key(item), item)
    return list(kept.values())


def _is_or(term: QueryTerm) -> bool:
    return not term.excluded and not term.quoted and [w.lower() for w in term.words] == ["or"]


def websearch_text(branches: list[list[QueryTerm]]) -> str:
    """The query PostgreSQL's ``websearch_to_tsquery`` is given: the terms of :func:`parse_query`
    written again, so that it reads what SQLite's :func:`fts5_query` reads (a lone ``-`` would
    negate the next word there, and a branch of excluded words alone would find every other
    article)."""

    def written(term: QueryTerm) -> str:
        if term.quoted or _is_or(term):  # (a word "or" inside a branch is not the operator)
            text = '"' + (term.typed if term.quoted else term.words[0]) + '"'
        else:
            text = term.typed
        return "-" + text if term.excluded else text

    return " or ".join(" ".join(written(term) for term in branch) for branch in branches)


def fts5_query(query: str) -> str | None:
    """The FTS5 MATCH expression for a user query (:func:`parse_query`); None if it names no word
    to find."""
    return fts5_expression(parse_query(query)) or None


def fts5_expression(branches: list[list[QueryTerm]]) -> str:
    """The FTS5 MATCH expression of parsed branches: words matched as prefixes, a phrase as a phrase
    of prefixes. Everything else is text: FTS5's own syntax never reaches FTS5."""
    expressions = []
    for branch in branches:
        # one-letter words (l’, d’) count only in a branch that asks for nothing longer
        longer = any(len(w) > 1 for term in branch if not term.excluded for w in term.words)
        required, refused = [], []
        for term in branch:
            if not term.quoted and not term.excluded:  # separate words, each a prefix
                required += [f'"{fts5_text(w)}"*' for w in term.words if len(w) > 1 or not longer]
            else:  # a phrase of prefixes ("a"* + "b"*: in FTS5's "a b"* only b is one)
                phrase = " + ".join(f'"{fts5_text(w)}"*' for w in term.words)
                (refused if term.excluded else required).append(phrase)
        expressions.append(" ".join(required) + "".join(f" NOT {term}" for term in refused))
    if len(expressions) == 1:
        return expressions[0]
    return " OR ".join(f"({expression})" for expression in expressions)


# PostgreSQL's newscrawl_unaccent() (migration 0004), for mapping a headline of the folded text back
# onto the text as written: the same characters, folded the same way (a test compares the two).
_ACCENTED = "ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿ"
_PLAIN = "AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyy"
_TWO_LETTERS = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"}
_FOLDED = {**dict(zip(_ACCENTED, _PLAIN, strict=True)), **_TWO_LETTERS}
# A regular expression finds the few characters to fold ~9x faster than str.translate reads every one.
_TO_FOLD = re.compile("[" + "".join(_FOLDED) + "]")
_FOLDED_TO_TWO = re.compile("[" + "".join(_TWO_LETTERS) + "]")

# Markers of the PostgreSQL headline: control characters, blanked in the text it is made from.
_START, _STOP, _FRAGMENTS = "\x01", "\x02", "\x03"
_HEADLINE_OPTIONS = (
    f'StartSel="{_START}", StopSel="{_STOP}", MaxWords=24, MinWords=8, MaxFragments=2, '
    f'FragmentDelimiter="{_FRAGMENTS}"'
)


def fold_accents(text: str) -> str:
    """What PostgreSQL's ``newscrawl_unaccent()`` makes of ``text``."""
    return _TO_FOLD.sub(lambda found: _FOLDED[found.group()], text)


# SQLite: the letters newscrawl_unaccent() makes plain that FTS5's unicode61 tokenizer keeps as letters
# of their own (it removes diacritics one letter for one, so not œ → oe; nor ø → o). The search rows
# and the queries' words hold them folded, so that both backends find the same words (coeur finds
# cœur, and cœur coeur); a test checks the tokenizer folds all the others. The snippet markers are
# blanked (the tokenizer reads them as spaces too).
_FTS5_FOLDED = {**_TWO_LETTERS, "ø": "o", "Ø": "O", _START: " ", _STOP: " ", _FRAGMENTS: " "}
_FTS5_TO_FOLD = re.compile("[" + "".join(_FTS5_FOLDED) + "]")
_FTS5_ROW = ("id", "title", "lead", "body", "comments", "written")
_FTS5_MARKS = str.maketrans({_START: "[", _STOP: "]", _FRAGMENTS: "…"})


def fts5_text(text: str) -> str:
    """``text`` as SQLite's search row holds it (see ``_FTS5_FOLDED``)."""
    # Most texts have none: looking for each letter took 2 µs for 6 KB, the regular expression 12.
    if not any(letter in text for letter in _FTS5_FOLDED):
        return text
    return _FTS5_TO_FOLD.sub(lambda found: _FTS5_FOLDED[found.group()], text)


def fts5_row(row: dict[str, Any]) -> tuple[Any, ...]:
    """The FTS5 row of a search row (:data:`_FTS5_ROW`): its text as :func:`fts5_text` makes it, and
    ``written``, the text as written (JSON list of the four columns) where that changed it, else None."""
    written = [row["title"], row["lead"], row["body"], row["comments"]]
    indexed = [fts5_text(text) for text in written]
    return row["id"], *indexed, None if indexed == written else json.dumps(written, ensure_ascii=False)


def _fts5_snippet_as_written(snippet: str, written: str | None) -> str:
    """An FTS5 snippet (matches between ``_START`` and ``_STOP``, ``_FRAGMENTS`` where the text goes
    on) with the marks ``[`` ``]`` ``…``, on the text as written: the row's ``written`` if any."""
    if written is None:  # the row is the text as written
        return snippet.translate(_FTS5_MARKS)
    original = "\n".join(json.loads(written))  # (the snippet is a passage of one of the four)
    passage = accented_headline(snippet.strip(_FRAGMENTS), original, fts5_text(original))
    before = "…" if snippet.startswith(_FRAGMENTS) else ""
    after = "…" if snippet.endswith(_FRAGMENTS) and len(snippet) > 1 else ""
    return before + passage + after


def accented_headline(headline: str, original: str, folded: str | None = None) -> str:
    """A headline PostgreSQL built on the folded text (words marked whatever accents the query was
    typed with), rebuilt on ``original`` as written: same passages, accents kept, words between [ and ].
    A passage that cannot be found again keeps its folded form. ``folded``: ``fold_accents(original)``
    if already made."""
    folded = fold_accents(original) if folded is None else folded
    # where the folded text is one character longer than the original: after each œ, æ, ß ...
    longer_from = [m.start() + k + 2 for k, m in enumerate(_FOLDED_TO_TWO.finditer(original))]

    def in_original(position: int) -> int:
        return position - bisect_right(longer_from, position)

    passages = []
    searched_from = 0
    for fragment in headline.split(_FRAGMENTS):
        plain = fragment.replace(_START, "").replace(_STOP, "")
        start = folded.find(plain, searched_from)
        if start < 0:
            start = folded.find(plain)
        if start < 0 or not plain:
            passages.append(fragment.replace(_START, "[").replace(_STOP, "]"))
            continue
        searched_from = start + len(plain)
        pieces, position, copied = [], start, in_original(start)
        for char in fragment:
            if char in (_START, _STOP):
                cut = in_original(position)
                pieces += [original[copied:cut], "[" if char == _START else "]"]
                copied = cut
            else:
                position += 1
        pieces.append(original[copied : in_original(position)])
        passages.append("".join(pieces))
    return " … ".join(passages)


def since_datetime(since: str | date | datetime | None) -> datetime | None:
    """A ``--since`` bound as an aware datetime: a date means its midnight UTC, a naive time is UTC,
    text is ISO 8601 (``2024-04-01``, ``2024-04-01T08:00``, with or without offset)."""
    given = since
    if isinstance(since, str):
        try:
            since = datetime.fromisoformat(since.strip())
        except ValueError:
            raise StorageError(f"invalid date {since!r}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if since is None:
        return None
    if isinstance(since, datetime):
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
    else:
        since = datetime.combine(since, time.min, tzinfo=UTC)
    try:  # the archive compares in UTC: an offset may take the first or last day out of range
        since.astimezone(UTC)
    except OverflowError:
        raise StorageError(f"invalid date {given!r}: out of range in UTC") from None
    return since


def search(
    session: Session,
    query: str,
    *,
    site: str | None = None,
    since: str | date | datetime | None = None,
    limit: int = 20,
) -> list[SearchHit]:
    """Ranked hits for ``query``, optionally for one site and published on/after ``since``."""
    filters = ""
    params: dict[str, Any] = {"limit": limit}
    if site is not None:
        filters += " AND s.key = :site"
        params["site"] = site
    if since is not None:
        filters += " AND v.published_at >= :since"
        params["since"] = since_datetime(since)
    dialect = session.get_bind().dialect
    sqlite = dialect.name == "sqlite"
    branches = parse_query(query)
    if not branches:  # nothing to find, whatever it refuses: the same answer on both backends
        return []
    if sqlite:
        _write_pending_before_search(session)
        params["query"] = fts5_expression(branches)
        # Rank first, then build snippets for the hits only (a snippet costs more than a rank).
        joins = (
            " JOIN articles a ON a.id = article_search.rowid JOIN sites s ON s.id = a.site_id"
            " JOIN article_versions v ON v.id = a.current_version_id"
            if filters
            else ""
        )
        # MATERIALIZED (SQLite 3.35+) keeps the snippet pass apart from the final joins.
        materialized = "MATERIALIZED " if tuple(dialect.server_version_info or (0,)) >= (3, 35) else ""
        sql = f"""
            WITH hits AS (
                SELECT article_search.rowid AS article_id, bm25(article_search, 10.0, 4.0, 1.0, 0.5) AS rank
                FROM article_search{joins}
                WHERE article_search MATCH :query{filters}
                ORDER BY rank, article_search.rowid
                LIMIT :limit
            ), quoted AS {materialized}(
                -- snippets need the MATCH again. Looking each hit up by rowid would evaluate the
                -- query once per hit (prefix terms merged each time); left to itself, the planner
                -- joins articles and versions to every match before checking it is a hit. So: one
                -- pass over the matches, kept only if a hit, and the rest joined to the hits alone.
                SELECT h.article_id, h.rank, article_search.written,
                       snippet(article_search, -1, char(1), char(2), char(3), 16) AS snippet
                FROM article_search CROSS JOIN hits h ON h.article_id = article_search.rowid
                WHERE article_search MATCH :query
            )
            SELECT q.article_id, s.key AS site, v.title, a.canonical_url AS url, q.snippet, q.written,
                   v.published_at, -q.rank AS score
            FROM quoted q
            JOIN articles a ON a.id = q.article_id
            JOIN sites s ON s.id = a.site_id
            JOIN article_versions v ON v.id = a.current_version_id
            ORDER BY q.rank, q.article_id"""
    else:
        query = params["query"] = websearch_text(branches)
        # Rank first on the narrow search rows only; fetch text and build snippets for the hits.
        joins = (
            " JOIN articles a ON a.id = st.article_id JOIN sites s ON s.id = a.site_id"
            " JOIN article_versions v ON v.id = a.current_version_id"
            if filters
            else ""
        )
        # Snippets come after (_postgresql_snippets): built on the folded text, where the folded query
        # finds every word it matched, then rebuilt on the text as written.
        # q is MATERIALIZED (PostgreSQL 12+): computed once. Inlined, a generic plan (which psycopg's
        # prepared statements get after a few searches) computed the tsquery again for every row it
        # ranked: 'voiture' at 20,000 articles took 86 ms instead of 30.
        sql = f"""
            WITH q AS MATERIALIZED (
                SELECT websearch_to_tsquery('french', newscrawl_unaccent(:query)) AS tsq
            ),
            hits AS (
                SELECT st.article_id, ts_rank(st.document, q.tsq) AS score
                FROM article_search st CROSS JOIN q{joins}
                WHERE st.document @@ q.tsq{filters}
                ORDER BY score DESC, st.article_id
                LIMIT :limit
            )
            SELECT h.article_id, s.key AS site, v.title, a.canonical_url AS url,
                   concat_ws(' ', st.lead, st.body, st.comments) AS snippet,
                   v.published_at, h.score, q.tsq::text AS terms
            FROM hits h
            CROSS JOIN q
            JOIN article_search st ON st.article_id = h.article_id
            JOIN articles a ON a.id = h.article_id
            JOIN sites s ON s.id = a.site_id
            JOIN article_versions v ON v.id = a.current_version_id
            ORDER BY h.score DESC, h.article_id"""
    statement = text(sql).columns(
        article_id=Integer(),
        site=Text(),
        title=Text(),
        url=Text(),
        snippet=Text(),
        published_at=UTCDateTime(),
        score=Float(),
        **({"written": Text()} if sqlite else {"terms": Text()}),
    )
    if since is not None:
        statement = statement.bindparams(bindparam("since", type_=UTCDateTime()))
    rows = [row._asdict() for row in session.execute(statement, params)]
    terms = [row.pop("terms", None) for row in rows]
    if sqlite:
        for row in rows:
            row["snippet"] = _fts5_snippet_as_written(row["snippet"], row.pop("written"))
    hits = [SearchHit(**row) for row in rows]
    if not sqlite and hits:
        hits = _postgresql_snippets(session, query, hits, terms[0])
    # the comments are joined by line breaks: a passage may span several
    return [replace(hit, snippet=" ".join(hit.snippet.split())) for hit in hits]


def _postgresql_snippets(
    session: Session, query: str, hits: list[SearchHit], terms: str | None = None
) -> list[SearchHit]:
    """The hits (their ``snippet`` holding the text to quote) with PostgreSQL's headline of that
    text: computed on the text folded here, its marks then put back on the text as written.

    ``ts_headline`` parses and stems every word it is given, which cost ~0.9 ms a hit on articles of
    6 KB with their comments, as much as ranking 20,000 of them. So it is given the passage around
    the first word that starts like one of the query's ``terms`` (its tsquery as text); a hit with
    no such word, or whose passage gets no mark (a phrase cut by the window, a stem that is not a
    prefix of its words), gets the headline of its whole text, as before; one whose text gets no
    mark, the headline of its title."""
    texts = [hit.snippet for hit in hits]
    starts = _term_pattern(terms)
    passages = [_passage_around(text, starts) for text in texts]
    folded = [_folded_for_headline(passage) for passage in passages]
    headlines = _headlines(session, query, folded)

    def quote_instead(again: list[int], sources: list[str], *, only_marked: bool) -> None:
        """The headlines of hits ``again`` made from ``sources`` instead (one query for them all)."""
        if not again:  # (no query)
            return
        folded_sources = [_folded_for_headline(source) for source in sources]
        for i, source, folded_source, headline in zip(
            again, sources, folded_sources, _headlines(session, query, folded_sources), strict=True
        ):
            if not only_marked or _START in headline:
                passages[i], folded[i], headlines[i] = source, folded_source, headline

    again = [
        i
        for i, (passage, headline) in enumerate(zip(passages, headlines, strict=True))
        if passage is not texts[i] and _START not in headline
    ]
    quote_instead(again, [texts[i] for i in again], only_marked=False)
    # No mark in the text either: the hit matched in its title alone, quoted then, as SQLite does
    # (FTS5 quotes the column that matched). Searches without such hits never make this query.
    again = [i for i, headline in enumerate(headlines) if _START not in headline]
    quote_instead(again, [hits[i].title for i in again], only_marked=True)
    return [
        replace(hit, snippet=accented_headline(headline, passage, folded_passage))
        for hit, headline, passage, folded_passage in zip(hits, headlines, passages, folded, strict=True)
    ]


def _headlines(session: Session, query: str, folded: list[str]) -> list[str]:
    """PostgreSQL's headlines of texts folded by :func:`_folded_for_headline`."""
    return list(
        session.execute(
            _POSTGRESQL_HEADLINES, {"query": query, "options": _HEADLINE_OPTIONS, "passages": folded}
        ).scalars()
    )


def _folded_for_headline(text: str) -> str:
    """``text`` folded, its own marker characters made spaces (same length: positions still match)."""
    return fold_accents(text).replace(_START, " ").replace(_STOP, " ").replace(_FRAGMENTS, " ")


PASSAGE_BEFORE = 200
"""Characters of text a snippet's passage starts before the first word of the query ..."""
PASSAGE_AFTER = 1_000
"""... and ends after (the headline's two fragments of at most 24 words are chosen in there)."""
_TSQUERY_LEXEME = re.compile(r"'((?:[^']|'')+)'")


def _term_pattern(terms: str | None) -> re.Pattern[str] | None:
    """Words of folded text that start with a lexeme of the tsquery text ``terms`` (None: no lexeme)."""
    lexemes = {m.group(1).replace("''", "'") for m in _TSQUERY_LEXEME.finditer(terms or "")}
    if not lexemes:
        return None
    alternatives = "|".join(re.escape(lexeme) for lexeme in sorted(lexemes, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)


def _passage_around(text: str, starts: re.Pattern[str] | None) -> str:
    """The whole words of ``text`` around the first one ``starts`` finds in its folded form; the text
    itself (the same object) when it is short or nothing is found."""
    if starts is None or len(text) <= PASSAGE_BEFORE + PASSAGE_AFTER:
        return text
    found = starts.search(fold_accents(text))
    if found is None:
        return text
    # folding makes œ, æ, ß two letters: the position in the text is one character before for each
    # of them before it
    position = found.start()
    for shift, two in enumerate(_FOLDED_TO_TWO.finditer(text)):
        if two.start() + shift >= found.start():
            break
        position -= 1
    begin = max(0, position - PASSAGE_BEFORE)
    if begin:  # from the start of a word
        space = text.find(" ", begin, position)
        begin = space + 1 if space >= 0 else position
    end = position + PASSAGE_AFTER
    if end >= len(text):
        return text[begin:]
    space = text.rfind(" ", position, end)  # to the end of a word
    return text[begin : space if space > position else end]

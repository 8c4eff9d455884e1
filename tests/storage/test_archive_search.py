"""Full-text search: SQLite FTS5 and PostgreSQL French tsvector, filters, ranking, index upkeep."""

from __future__ import annotations

import random
import sqlite3
import string
from contextlib import closing
from datetime import UTC, date, datetime
from typing import Any

import pytest
from archive_helpers import APPLE, FLAGSHIP, SUV, TESLA, edited, load_record
from sqlalchemy import text as sql_text

from storage import Archive, search
from storage.fulltext import (
    _FOLDED,
    DOCUMENT_ALWAYS_FITS,
    PASSAGE_AFTER,
    PASSAGE_BEFORE,
    TSVECTOR_LIMIT,
    _passage_around,
    _term_pattern,
    accented_headline,
    fold_accents,
    fts5_query,
    fts5_text,
    parse_query,
    websearch_text,
)


@pytest.fixture
def stored(repo, all_records) -> dict[str, int]:
    names = (TESLA, FLAGSHIP, SUV, APPLE)
    return {
        name: repo.upsert_article(record).article_id for name, record in zip(names, all_records, strict=True)
    }


def test_search_finds_and_ranks_title_matches_first(session, stored) -> None:
    hits = search(session, "xiaomi renault")
    assert hits[0].article_id == stored[FLAGSHIP]
    assert hits[0].title.startswith("Renault et Xiaomi")
    assert hits[0].url.endswith("/renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques/")
    assert "[" in hits[0].snippet and "]" in hits[0].snippet
    assert hits[0].published_at == datetime(2024, 4, 29, 14, 5, tzinfo=UTC)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_search_covers_comments(session, stored) -> None:
    # "perplexe" appears in one reader comment of the flagship and nowhere else.
    hits = search(session, "perplexe")
    assert [h.article_id for h in hits] == [stored[FLAGSHIP]]


def test_all_words_are_required(session, stored) -> None:
    assert search(session, "rivian xiaomi") == []
    assert {h.article_id for h in search(session, "rivian apple")} == {stored[APPLE]}


def test_the_query_syntax_is_postgresqls_websearch_on_both_backends(backend, session, stored) -> None:
    def found(query: str) -> set[int]:
        return {h.article_id for h in search(session, query)}

    # -word excludes (on SQLite it was once one more required word)
    electric = found("électriques")
    assert {stored[FLAGSHIP], stored[SUV]} <= electric
    assert found("électriques -xiaomi") == electric - found("xiaomi")
    assert stored[FLAGSHIP] not in found("électriques -xiaomi") and stored[SUV] in found(
        "électriques -xiaomi"
    )
    assert found('électriques -"xiaomi"') == found("électriques -xiaomi")
    # "or" between two terms: either is enough
    assert found("rivian or xiaomi") == {stored[APPLE], stored[FLAGSHIP]}
    assert found("tesla or autonomie") == found("tesla") | found("autonomie")
    # a quoted phrase: its words in that order
    assert stored[FLAGSHIP] in found('"voitures électriques"')
    assert stored[FLAGSHIP] in found('"voiture électrique"')  # stems / prefixes, as for words
    assert found('"électriques voitures"') == set()
    # first or last, "or" is a word like any other (French: gold, now): here one no article has
    assert found("xiaomi") and found("xiaomi or") == found("or xiaomi") == set()


def test_a_dash_followed_by_a_space_is_punctuation_on_both_backends(session, stored) -> None:
    # PostgreSQL's own parser reads "- word" as "-word": it is given the query as read here
    def found(query: str) -> list[int]:
        return [h.article_id for h in search(session, query)]

    assert found("renault - xiaomi") == found("renault xiaomi") == [stored[FLAGSHIP]]
    assert found("tesla - baisse") == found("tesla baisse") == [stored[TESLA]]
    assert found("- renault") == found("renault -") == found("renault") == [stored[FLAGSHIP]]
    # "--word" refuses the word as "-word" does (PostgreSQL read two negations: the word required)
    assert (
        set(found("électriques --xiaomi"))
        == set(found("électriques -xiaomi"))
        == {stored[SUV], stored[APPLE]}
    )


def test_a_query_that_only_refuses_words_finds_nothing_on_both_backends(session, stored) -> None:
    # PostgreSQL listed every article without them, FTS5 cannot: neither does
    for query in ("-xiaomi", "- -xiaomi", "-xiaomi -tesla", '-"xiaomi su7"', "-xiaomi or -tesla"):
        assert search(session, query) == [], query
    # an "or" branch that only refuses is dropped too
    assert [h.article_id for h in search(session, "renault or -xiaomi")] == [stored[FLAGSHIP]]


def test_postgresql_is_given_the_query_as_read_here() -> None:
    def given(query: str) -> str:
        return websearch_text(parse_query(query))

    assert given('a b or "c d" -e -"f g"') == 'a b or "c d" -e -"f g"'
    assert given("renault - xiaomi") == given("- renault xiaomi") == "renault xiaomi"
    assert given("renault --xiaomi") == "renault -xiaomi"
    assert given("renault or -xiaomi") == "renault"
    assert parse_query("-xiaomi or -tesla") == parse_query("- . -") == []
    # "or" first, last or twice is a word, written so that PostgreSQL does not take it for the operator
    assert given("or xiaomi") == '"or" xiaomi' and given("xiaomi or") == 'xiaomi "or"'
    assert given("a or or b") == 'a or "or" b'
    # a quote inside a run of letters starts a phrase (PostgreSQL dropped the words after it)
    assert given('a"b c" d') == 'a "b c" d'


def test_a_word_repeated_is_searched_for_once(session, stored) -> None:
    # PostgreSQL's headlines took 63 s over "renault" typed 1,000 times (4 articles archived)
    once = search(session, "renault")
    assert once and search(session, " ".join(["renault", "Renault", "RÉNAULT", "rénault"] * 250)) == once
    assert search(session, " or ".join(["renault"] * 1000)) == once
    assert search(session, '"renault xiaomi" -tesla ' * 1000) == search(session, '"renault xiaomi" -tesla')


def test_the_terms_of_a_query_are_each_given_once() -> None:
    assert parse_query("renault Renault rénault xiaomi renault") == parse_query("renault xiaomi")
    assert websearch_text(parse_query("a b or b a or a -c -C")) == "a b or a -c"
    assert fts5_query("renault-Renault -xiaomi -Xiaomi") == '"renault"* NOT "xiaomi"*'
    # a phrase says its words as many times as written
    assert fts5_query('"vite vite"') == '"vite"* + "vite"*'


def test_sqlite_queries_turn_into_fts5_expressions_without_its_own_syntax() -> None:
    assert fts5_query("renault -xiaomi") == '"renault"* NOT "xiaomi"*'
    assert fts5_query('a b or "c d" -e') == '("a"* "b"*) OR ("c"* + "d"* NOT "e"*)'
    assert fts5_query('renault -"xiaomi su7"') == '"renault"* NOT "xiaomi"* + "su7"*'
    assert fts5_query('"an unclosed phrase') == '"an"* + "unclosed"* + "phrase"*'
    assert (
        fts5_query("NEAR(renault xiaomi) AND title:zoé*")
        == '"NEAR"* "renault"* "xiaomi"* "AND"* "title"* "zoé"*'
    )
    # excluded words alone find nothing on SQLite (FTS5 excludes only from what something found)
    assert fts5_query("-xiaomi") is None
    assert fts5_query("renault or -xiaomi") == '"renault"*'
    # one-letter words (l’avenir) count only where nothing longer is asked for in their branch
    assert fts5_query("l’avenir") == '"avenir"*'
    assert fts5_query("x -renault") == '"x"* NOT "renault"*'
    assert fts5_query("x or renault") == '("x"*) OR ("renault"*)'


def test_site_and_since_filters(session, stored) -> None:
    everything = {h.article_id for h in search(session, "électriques")}
    assert stored[FLAGSHIP] in everything
    assert search(session, "électriques", site="other.example") == []
    recent = {h.article_id for h in search(session, "électriques", since=date(2024, 4, 28))}
    assert recent == {stored[FLAGSHIP]}
    assert search(session, "électriques", since=datetime(2024, 4, 29, 14, 6, tzinfo=UTC)) == []


def test_search_follows_content_and_comment_changes(repo, session, stored, flagship) -> None:
    assert search(session, "hydrogène") == []
    repo.upsert_article(edited(flagship, title="Renault mise sur l'hydrogène"))
    assert [h.article_id for h in search(session, "hydrogène")] == [stored[FLAGSHIP]]
    new_comment = {"id": "9100", "text": "Et la Zoé dans tout ça ?"}
    repo.upsert_article(edited(flagship, title="Renault mise sur l'hydrogène", comments=[new_comment]))
    assert [h.article_id for h in search(session, "zoé")] == [stored[FLAGSHIP]]
    assert [h.article_id for h in search(session, "perplexe")] == [
        stored[FLAGSHIP]
    ]  # older comments stay indexed


def test_french_stemming_on_postgresql_word_prefixes_on_sqlite(backend, session, stored) -> None:
    # "redéfinir" shares its stem with "redéfinissent" (title of the flagship) only for a stemmer.
    stemmed = {h.article_id for h in search(session, "redéfinir")}
    if backend == "postgresql":
        assert stemmed == {stored[FLAGSHIP], stored[APPLE]}
    else:
        assert stemmed == {stored[APPLE]}
    # Plural and singular meet on both backends (stemming on PostgreSQL, prefixes on SQLite).
    assert stored[FLAGSHIP] in {h.article_id for h in search(session, "voiture électrique")}


def test_neither_case_nor_accents_matter(session, stored) -> None:
    accented = {h.article_id for h in search(session, "pékin")}
    assert accented != set()
    assert {h.article_id for h in search(session, "PÉKIN")} == accented
    # SQLite's tokenizer folds accents; PostgreSQL folds them before stemming (migration 0004).
    assert {h.article_id for h in search(session, "pekin")} == accented
    assert {h.article_id for h in search(session, "voiture electrique")} == {
        h.article_id for h in search(session, "voiture électrique")
    }


def test_accents_typed_as_combining_marks_are_found_too(session, stored) -> None:
    # The archive holds its text composed (NFC); a query with an e and a combining accent (pasted
    # from a PDF or a macOS file name) found nothing on either backend.
    composed = search(session, '"Salon de Pékin"')
    assert composed != []
    decomposed = search(session, '"Salon de Pe\u0301kin"')
    assert [(hit.article_id, hit.snippet) for hit in decomposed] == [
        (hit.article_id, hit.snippet) for hit in composed
    ]


def test_ligatures_are_found_however_typed_on_both_backends(repo, session) -> None:
    # French readers type "oe" for "œ": both backends read œ, æ, ß and ø as oe, ae, ss and o
    record = edited(
        load_record(FLAGSHIP),  # its body: "au cœur des préoccupations de Renault"
        lead="Ex æquo : l’Œuvre d’Ørsted à la Straße de Berlin.",
        comments=[{"id": "x-1", "text": "Ma soeur a adoré."}],
    )
    article_id = repo.upsert_article(record).article_id
    for query in ("coeur", "COEUR", "cœur", '"au coeur des"', "oeuvre", "ŒUVRE", "aequo", "æquo"):
        assert [h.article_id for h in search(session, query)] == [article_id], query
    for query in ("orsted", "Ørsted", "strasse", "straße", "soeur", "sœur", "soeur -coeur"):
        assert [h.article_id for h in search(session, query)] == ([] if "-" in query else [article_id]), query
    # snippets quote the text as written
    assert "[cœur]" in search(session, "coeur")[0].snippet
    assert "[Straße]" in search(session, "strasse")[0].snippet
    assert "[Œuvre]" in search(session, "oeuvre")[0].snippet
    assert "[soeur]" in search(session, "sœur")[0].snippet


def test_sqlite_and_its_tokenizer_fold_what_postgresql_folds() -> None:
    # FTS5's tokenizer removes accents itself; fts5_text folds the letters it keeps (œ → oe, ø → o)
    with closing(sqlite3.connect(":memory:")) as connection:
        connection.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'unicode61 remove_diacritics 2')")
        connection.execute("CREATE VIRTUAL TABLE terms USING fts5vocab(t, 'row')")
        connection.executemany("INSERT INTO t VALUES (?)", [(fts5_text(f"a{c}z"),) for c in _FOLDED])
        tokens = {term for (term,) in connection.execute("SELECT term FROM terms")}
    assert tokens == {f"a{fold_accents(c).lower()}z" for c in _FOLDED}
    assert fts5_query("Cœur -Ørsted") == '"Coeur"* NOT "Orsted"*'


def test_snippets_are_one_line(session, stored) -> None:
    # the search row joins comments with line breaks; a snippet spanning two reads as one passage
    snippets = [
        hit.snippet for query in ("xiaomi", "renault", "pekin", "tesla") for hit in search(session, query)
    ]
    assert snippets
    assert all("\n" not in s and "  " not in s and s == s.strip() for s in snippets)


def test_snippets_keep_the_accents_and_mark_the_words_however_typed(session, stored) -> None:
    assert "[Pékin]" in search(session, "pékin")[0].snippet
    assert "[Pékin]" in search(session, "pekin")[0].snippet
    assert "[Pékin]" in search(session, "PEKIN")[0].snippet


def test_a_hit_matching_in_its_title_alone_is_quoted_from_its_title(session, stored) -> None:
    # "avenir" is in two titles and in neither text: PostgreSQL quoted an unmarked piece of the lead
    assert {h.article_id: h.snippet for h in search(session, "avenir")} == {
        stored[FLAGSHIP]: "Renault et Xiaomi redéfinissent l’[avenir] des voitures électriques",
        stored[
            APPLE
        ]: "Voici pourquoi l’alliance entre Apple et Rivian pourrait redéfinir l’[avenir] de la mobilité",
    }


def test_control_characters_in_the_text_do_not_disturb_the_snippet(repo, session) -> None:
    # PostgreSQL's headline marks words with control characters: the text's own are blanked first.
    record = edited(
        load_record(FLAGSHIP), lead="Un \x01 partenariat \x02 inédit \x03 entre Renault et Pékin."
    )
    repo.upsert_article(record)
    snippet = search(session, "inedit")[0].snippet
    assert "[inédit]" in snippet
    assert snippet.count("[") == snippet.count("]")


def test_a_long_article_is_quoted_around_its_match(repo, session) -> None:
    # The word is in the last comment of an article of ~13,000 characters; the snippet quotes the
    # passage around it (PostgreSQL's headline is made from that passage only).
    filler = " ".join(f"Paragraphe {n} sur la recharge des voitures." for n in range(120))
    record = load_record(FLAGSHIP)
    comments = [*record["comments"], dict(record["comments"][0], id="x-1", text="Un avis sur le zorglub.")]
    repo.upsert_article(
        edited(record, sections=[{"heading": "Long", "paragraphs": [filler]}], comments=comments)
    )
    (hit,) = search(session, "zorglub")
    assert "[zorglub]" in hit.snippet
    assert len(hit.snippet) < 400


def test_an_article_past_a_tsvectors_limit_is_archived_whole_and_found_by_its_start(repo, session) -> None:
    # 120,000 distinct words make 1.7 MB of lexemes: PostgreSQL refused the article ("string is too
    # long for tsvector"). It is archived whole; its search entry holds the text up to where it fits.
    rng = random.Random(3)
    words = ["".join(rng.choices(string.ascii_lowercase, k=10)) for _ in range(120_000)]
    paragraphs = [" ".join(words[i : i + 1_000]) for i in range(0, len(words), 1_000)]
    record = edited(
        load_record(FLAGSHIP), sections=[{"heading": "Mots", "level": 2, "paragraphs": paragraphs}]
    )
    article_id = repo.upsert_article(record).article_id
    assert repo.get_record(article_id)["sections"] == record["sections"]
    body = session.scalar(
        sql_text("SELECT body_text FROM v_articles WHERE article_id = :id"), {"id": article_id}
    )
    assert body == "\n".join(paragraphs)
    for query in (words[0], words[50_000], "xiaomi renault"):
        assert [hit.article_id for hit in search(session, query)] == [article_id]


@pytest.mark.postgres
def test_the_text_always_indexed_whole_fits_a_tsvector(pg_schemas) -> None:
    # The densest text in lexemes: hyphenated pairs of distinct 4-byte letters (the compound and both
    # parts are lexemes). Up to DOCUMENT_ALWAYS_FITS characters, an article costs no measuring query.
    letters = [chr(code) for code in range(0x20000, 0x2A6D0)]
    rng = random.Random(5)
    dense = " ".join(f"{rng.choice(letters)}-{rng.choice(letters)}" for _ in range(DOCUMENT_ALWAYS_FITS // 4))
    with Archive(pg_schemas.new()) as archive, archive.session() as session:
        size, lexemes = session.execute(
            sql_text("SELECT pg_column_size(v), length(v) FROM to_tsvector('french', :t) AS v"), {"t": dense}
        ).one()
    assert lexemes > 40_000
    assert size - 8 - 4 * lexemes <= TSVECTOR_LIMIT - 2 * 16_383  # header, entries; room for positions


def test_snippet_passages_are_whole_words_around_the_first_match() -> None:
    starts = _term_pattern("'cheval' & 'ecolog'")
    assert starts is not None and _term_pattern("") is None and _term_pattern(None) is None
    short = "Un cheval écologique."
    assert _passage_around(short, starts) is short
    words = " ".join(f"mot{n}" for n in range(400))
    text = f"{words} Le bonus Écologique revient. {words}"
    passage = _passage_around(text, starts)
    assert "bonus Écologique revient." in passage
    assert len(passage) <= PASSAGE_BEFORE + PASSAGE_AFTER
    assert text.startswith(passage, text.index(passage))
    assert passage.split()[0].startswith("mot") and passage.split()[-1].startswith("mot")
    assert set(passage.split()) <= set(text.split())  # no word cut in two
    # œ folds to two letters: the position found in the folded text is moved back for each one
    hearts = " ".join(["cœur"] * 300)
    text = f"{hearts} un cheval {hearts}"
    passage = _passage_around(text, starts)
    assert "un cheval" in passage and set(passage.split()) <= {"cœur", "un", "cheval"}
    assert PASSAGE_BEFORE - len("cœur ") <= passage.index("cheval") <= PASSAGE_BEFORE
    assert _passage_around(words * 2, starts) == words * 2  # no match: the whole text


@pytest.mark.postgres
def test_postgresql_snippet_falls_back_to_the_whole_text(pg_schemas) -> None:
    # "chevalet" starts like the lexeme of "cheval" but is another word: the passage around it gets no
    # mark, so the headline is made from the whole text, where "cheval" is.
    filler = " ".join(f"Paragraphe {n} sur la recharge des voitures." for n in range(60))
    record = edited(
        load_record(FLAGSHIP),
        lead="Le chevalet du peintre.",
        sections=[{"heading": "Long", "paragraphs": [filler, "Un cheval au galop."]}],
    )
    with Archive(pg_schemas.new()) as archive:
        with archive.transaction() as repo:
            repo.upsert_article(record)
        with archive.session() as session:
            (hit,) = search(session, "cheval")
    assert "[cheval]" in hit.snippet and "chevalet" not in hit.snippet


def test_accented_headline_puts_the_marks_back_on_the_text_as_written() -> None:
    original = "Le cœur du Sénat : l’œuvre électrique. Fin."
    folded = fold_accents(original)
    assert folded == "Le coeur du Senat : l’oeuvre electrique. Fin."
    start, stop, cut = "\x01", "\x02", "\x03"
    headline = f"Le {start}coeur{stop} du Senat : l’oeuvre {start}electrique{stop}{cut}{start}Fin{stop}."
    assert accented_headline(headline, original) == "Le [cœur] du Sénat : l’œuvre [électrique] … [Fin]."
    # a passage that is not in the text any more keeps its folded form rather than vanish
    assert accented_headline(f"{start}ailleurs{stop}", original) == "[ailleurs]"


@pytest.mark.postgres
def test_the_python_fold_is_postgresqls(pg_schemas) -> None:
    from sqlalchemy import text

    from storage import Archive
    from storage.fulltext import _ACCENTED, _TWO_LETTERS

    samples = [
        _ACCENTED + "".join(_TWO_LETTERS),
        "Œuvre, cœur, Æsop, straße, Noël, NAÏVE, façade, São Paulo, Ångström, Ørsted, ½ €, 北京, émoji 🚗",
        load_record(FLAGSHIP)["comments"][0]["text"],
    ]
    with Archive(pg_schemas.new()) as archive, archive.session() as session:
        for sample in samples:
            assert session.scalar(text("SELECT newscrawl_unaccent(:s)"), {"s": sample}) == fold_accents(
                sample
            )


def test_sqlite_snippets_are_made_for_the_hits_only(tmp_path, all_records) -> None:
    # The snippet pass reads the matches once and keeps the hits; articles and versions are joined to
    # those rows, never to every match (a word of every article took twice as long that way).
    from sqlalchemy import event

    statements: list[tuple[str, Any]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _executemany) -> None:
        if "snippet(" in statement:
            statements.append((statement, parameters))

    with Archive(f"sqlite:///{tmp_path / 'search.sqlite'}") as archive:
        with archive.transaction() as repo:
            flagship_id = repo.upsert_article(all_records[1]).article_id
            for record in all_records[2:]:
                repo.upsert_article(record)
        event.listen(archive.engine, "before_cursor_execute", keep)
        with archive.session() as session:
            assert search(session, "xiaomi renault")[0].article_id == flagship_id
            (statement, parameters), *_ = statements
            plan = [
                row[3]
                for row in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            ]
    joined = [step for step in plan if step.startswith("SEARCH a ")]
    assert joined and plan.index("SCAN q") < plan.index(joined[0]), plan


def test_queries_without_words_find_nothing(session, stored) -> None:
    assert search(session, "   ") == []
    assert search(session, '"*') == []
    assert fts5_query('l’avenir "Xiaomi" OR') == '"avenir"* "Xiaomi"* "OR"*'


def test_upgrading_to_0004_reindexes_existing_articles_without_accents(fresh_archive) -> None:
    from alembic import command

    from storage.db import alembic_config

    with fresh_archive.transaction() as repo:
        article_id = repo.upsert_article(load_record(FLAGSHIP)).article_id
    with fresh_archive.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0003")
        command.upgrade(alembic_config(connection), "head")
    with fresh_archive.session() as session:
        assert [h.article_id for h in search(session, "pekin")] == [article_id]


def test_upgrading_to_0013_folds_the_ligatures_of_articles_archived(backend, fresh_archive) -> None:
    from alembic import command
    from sqlalchemy import text

    from storage.db import alembic_config

    with fresh_archive.transaction() as repo:
        article_id = repo.upsert_article(load_record(FLAGSHIP)).article_id  # "au cœur des préoccupations"
    fresh_archive.write_search_index()
    with fresh_archive.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0012")
        if backend == "sqlite":  # the row as 0012 wrote it
            written = text("SELECT count(*) FROM article_search WHERE article_search MATCH 'cœur'")
            assert connection.scalar(written) == 1
        command.upgrade(alembic_config(connection), "head")
    with fresh_archive.session() as session:
        (hit,) = search(session, "coeur")
        assert hit.article_id == article_id and "[cœur]" in hit.snippet
        assert [h.article_id for h in search(session, "cœur")] == [article_id]


@pytest.mark.postgres
def test_postgresql_documents_written_by_the_archive_survive_the_migrations(pg_schemas) -> None:
    # 0007: the document is no longer generated from the stored text; every stored one is kept.
    from alembic import command
    from sqlalchemy import text

    from storage import Archive
    from storage.db import alembic_config

    document_column = text(
        "SELECT attgenerated, attnotnull FROM pg_attribute "
        "WHERE attrelid = 'article_search'::regclass AND attname = 'document'"
    )
    with Archive(pg_schemas.new()) as archive:
        with archive.transaction() as repo:
            article_id = repo.upsert_article(load_record(FLAGSHIP)).article_id
        with archive.engine.begin() as connection:
            assert tuple(connection.execute(document_column).one()) == ("", True)
            command.downgrade(alembic_config(connection), "0006")
            assert tuple(connection.execute(document_column).one()) == ("s", False)
            command.upgrade(alembic_config(connection), "head")
            assert tuple(connection.execute(document_column).one()) == ("", True)
        with archive.session() as session:
            assert [h.article_id for h in search(session, "pekin")] == [article_id]
        with archive.transaction() as repo:  # a new version rewrites the document
            repo.upsert_article(edited(load_record(FLAGSHIP), title="Pékin accueille Renault et Xiaomi"))
        with archive.session() as session:
            assert search(session, "accueille")[0].article_id == article_id
            assert search(session, "xiaomi") and not search(session, "redefinissent lavenir")


@pytest.mark.postgres
def test_postgresql_keeps_the_search_document_in_the_row_across_migrations(pg_schemas) -> None:
    # Ranking reads every match's document: in the row it costs no TOAST lookup (migration 0006).
    from alembic import command
    from sqlalchemy import text

    from storage import Archive
    from storage.db import alembic_config

    storage_of_document = text(
        "SELECT attstorage FROM pg_attribute WHERE attrelid = 'article_search'::regclass AND attname = 'document'"
    )
    with Archive(pg_schemas.new()) as archive:
        with archive.transaction() as repo:
            article_id = repo.upsert_article(load_record(FLAGSHIP)).article_id
        with archive.engine.begin() as connection:
            assert connection.scalar(storage_of_document) == "m"
            command.downgrade(alembic_config(connection), "0005")
            assert connection.scalar(storage_of_document) == "x"
            command.upgrade(alembic_config(connection), "head")
            assert connection.scalar(storage_of_document) == "m"
        with archive.session() as session:
            assert [h.article_id for h in search(session, "xiaomi renault")] == [article_id]

"""Hot-path statements (storage/prepared.py): on PostgreSQL an INSERT of several rows goes as one
statement of as many rows, numbered row by row; what that form cannot express keeps executemany."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert

from storage.prepared import PreparedStatement, _MultiRowInsert

METADATA = MetaData()
NOTES = Table(
    "prepared_notes",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("position", Integer),
    Column("text", Text),
    prefixes=["TEMPORARY"],
)
PSYCOPG = postgresql.psycopg.dialect()


def test_an_insert_of_n_rows_numbers_its_parameters_row_by_row() -> None:
    multi_row = PreparedStatement(insert(NOTES).inline(), ["position", "text"])._prepare(PSYCOPG).multi_row
    assert multi_row is not None
    assert multi_row.sql(2) == (
        "INSERT INTO prepared_notes (position, text) VALUES ($1::INTEGER, $2::VARCHAR), ($3::INTEGER, $4::VARCHAR)"
    )


def test_on_conflict_do_nothing_follows_the_rows() -> None:
    statement = pg_insert(NOTES).on_conflict_do_nothing()
    multi_row = PreparedStatement(statement, ["id", "text"])._prepare(PSYCOPG).multi_row
    assert multi_row is not None
    assert multi_row.sql(2).endswith("($3::INTEGER, $4::VARCHAR) ON CONFLICT DO NOTHING")


@pytest.mark.parametrize(
    "statement",
    [
        insert(NOTES).returning(NOTES.c.id),  # a result per row
        update(NOTES).where(NOTES.c.id == 1).values(text="x"),  # not an INSERT
        insert(NOTES).from_select(["text"], select(NOTES.c.text).where(NOTES.c.text.like("%x%"))),
    ],
    ids=["returning", "update", "insert-select"],
)
def test_statements_the_multi_row_form_cannot_express_keep_executemany(statement) -> None:
    assert PreparedStatement(statement)._prepare(PSYCOPG).multi_row is None


def test_rows_are_inserted_whole_and_in_order_across_statements(backend, session, monkeypatch) -> None:
    # Three rows per statement here (6 parameters), so seven rows take three statements on PostgreSQL.
    monkeypatch.setattr(_MultiRowInsert, "MAX_PARAMETERS", 6)
    connection = session.connection()
    NOTES.create(connection)
    rows = [{"position": n, "text": f"note {n} %s $1 ’"} for n in range(7)]
    PreparedStatement(insert(NOTES).inline(), ["position", "text"]).many(connection, rows)
    stored = connection.execute(select(NOTES.c.position, NOTES.c.text).order_by(NOTES.c.id)).all()
    assert [tuple(row) for row in stored] == [(row["position"], row["text"]) for row in rows]

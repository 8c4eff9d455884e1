"""Hot-path statements run straight on the DBAPI cursor, SQL and types still SQLAlchemy's.

Ingesting an article takes about twenty statements; SQLAlchemy's per-execution machinery (cache
key, compiled-cache lookup, parameter construction, result setup) cost more than SQLite took to
run them (see bench/archive_bench.py). A :class:`PreparedStatement` compiles its SQLAlchemy
statement once per dialect and converts values with the bind processors of its parameters' types
(UTCDateTime, JSON, LargeBinary ...), then calls ``cursor.execute`` / ``executemany`` on the
session's own connection, inside its transaction. Results are plain tuples: use it for statements
whose result columns need no type processing (ids, text, integers).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect


class PreparedStatement:
    def __init__(self, statement: Any, columns: Sequence[str] | None = None) -> None:
        """``columns``: for INSERTs, the columns the parameter dicts give (SQLAlchemy's column_keys)."""
        self.statement = statement
        self.columns = list(columns) if columns is not None else None
        self._compiled: dict[str, _Compiled] = {}

    def _prepare(self, dialect: Dialect) -> _Compiled:
        prepared = self._compiled.get(dialect.name)
        if prepared is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=self.columns)
            names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
            processors = tuple(
                (i, process, process(None))
                for i, name in enumerate(names)
                if (process := compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                is not None
            )
            prepared = self._compiled[dialect.name] = _Compiled(
                compiled.string, names, processors, compiled.positional
            )
            if dialect.name == "postgresql":
                prepared.multi_row = _MultiRowInsert.of(compiled.string, names)
        return prepared

    def many(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        """``executemany`` with one parameter dict per row; on PostgreSQL an INSERT of several rows is
        sent as one statement of as many rows (see :class:`_MultiRowInsert`)."""
        prepared = self._prepare(connection.dialect)
        multi_row = prepared.multi_row
        if multi_row is not None and len(rows) > 1:
            multi_row.run(connection.connection.driver_connection, prepared.picked_parameters(rows))
            return
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(prepared.sql, prepared.many_parameters(rows))
        finally:
            cursor.close()

    def all(self, connection: Connection, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Execute once; returns every result row."""
        prepared = self._prepare(connection.dialect)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(prepared.sql, prepared.parameters(values))
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def one(self, connection: Connection, values: dict[str, Any]) -> tuple[tuple[Any, ...] | None, int]:
        """Execute once; returns (first result row or None, rowcount)."""
        prepared = self._prepare(connection.dialect)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(prepared.sql, prepared.parameters(values))
            row = cursor.fetchone() if cursor.description else None
            return (tuple(row) if row is not None else None), cursor.rowcount
        finally:
            cursor.close()


class _MultiRowInsert:
    """An ``INSERT ... VALUES (...)`` of PostgreSQL written for n rows at once.

    psycopg's ``executemany`` sends one Bind/Execute per row, each with its own flush (a system call)
    and Python work: for an article of 20 comments, ~70 rows, that was most of the client's time of a
    first ingest. One statement per table and article does the same in one message. It is written
    with PostgreSQL's own ``$n`` placeholders and run on a ``RawCursor``: psycopg parses ``%s``
    queries longer than 4 KB anew on every execution (~1.4 ms for 20 comments). Statements whose
    parameters are not all in the VALUES group, or that are not INSERTs, keep ``executemany``."""

    _SHAPE = re.compile(r"^(INSERT INTO .+? VALUES )\((.*)\)((?: ON CONFLICT DO NOTHING)?)$", re.S)
    _NAMED = re.compile(r"%\((\w+)\)s")
    MAX_PARAMETERS = 32_767
    """Per statement (the protocol's limit is 65,535)."""

    def __init__(self, head: str, group: list[str], tail: str) -> None:
        self.head, self.tail = head, tail
        self.group = group
        """The VALUES group split around its parameters: n parameters, n + 1 pieces."""
        self.width = len(group) - 1
        self.rows_per_statement = max(1, self.MAX_PARAMETERS // max(1, self.width))
        self._sql: dict[int, str] = {}

    @classmethod
    def of(cls, sql: str, names: tuple[str, ...]) -> _MultiRowInsert | None:
        match = cls._SHAPE.match(sql)
        if match is None or "%%" in sql:  # a literal % would have to be unescaped for $n queries
            return None
        head, values, tail = match.groups()
        if cls._NAMED.findall(values) != list(names) or "%(" in head or "%(" in tail:
            return None
        return cls(head, cls._NAMED.split(f"({values})")[::2], tail)

    def sql(self, rows: int) -> str:
        text = self._sql.get(rows)
        if text is None:
            groups = []
            for row in range(rows):
                first = row * self.width
                pieces = [self.group[0]]
                for i, piece in enumerate(self.group[1:], 1):
                    pieces.append(f"${first + i}{piece}")
                groups.append("".join(pieces))
            text = self._sql[rows] = self.head + ", ".join(groups) + self.tail
        return text

    def run(self, driver_connection: Any, picked: list[list[Any]]) -> None:
        """Insert the rows (each its parameter values in order), a statement per chunk."""
        import psycopg

        step = self.rows_per_statement
        with psycopg.RawCursor(driver_connection) as cursor:
            for start in range(0, len(picked), step):
                chunk = picked[start : start + step]
                cursor.execute(self.sql(len(chunk)), [value for row in chunk for value in row])


class _Compiled:
    """A statement compiled for one dialect, and how to turn a values dict into its parameters."""

    def __init__(
        self, sql: str, names: tuple[str, ...], processors: tuple[tuple[int, Any], ...], positional: bool
    ) -> None:
        self.sql = sql
        self.names = names
        self.processors = processors
        self.positional = positional
        self.multi_row: _MultiRowInsert | None = None
        """PostgreSQL INSERTs: the same statement for several rows at once."""
        # itemgetter picks every value in one C call; only the values whose type converts are touched.
        self._pick = itemgetter(*names) if len(names) > 1 else _pick_one_or_none(names)

    def parameters(self, values: dict[str, Any]) -> Any:
        picked = self._pick(values)
        if self.processors:
            picked = list(picked)
            for i, process, _ in self.processors:
                picked[i] = process(picked[i])
        return picked if self.positional else dict(zip(self.names, picked, strict=True))

    def many_parameters(self, rows: list[dict[str, Any]]) -> list[Any]:
        """Parameters of every row (in the statement's parameter style)."""
        picked = self.picked_parameters(rows)
        if self.positional:
            return picked
        return [dict(zip(self.names, parameters, strict=True)) for parameters in picked]

    def picked_parameters(self, rows: list[dict[str, Any]]) -> list[list[Any]]:
        """Each row's parameter values in :attr:`names` order; a converted value is converted once per
        statement, column by column (rows share values: the same `now` in every row, NULLs)."""
        pick = self._pick
        picked = [list(pick(row)) for row in rows]
        for i, process, none_value in self.processors:
            done: dict[int, Any] = {}  # by id(): the rows keep every value alive, so ids are not reused
            for parameters in picked:
                value = parameters[i]
                if value is None:
                    parameters[i] = none_value
                    continue
                converted = done.get(id(value), _MISSING)
                if converted is _MISSING:
                    converted = done[id(value)] = process(value)
                parameters[i] = converted
        return picked


_MISSING: Any = object()


def _pick_one_or_none(names: tuple[str, ...]) -> Any:
    if not names:
        return lambda _values: ()
    name = names[0]
    return lambda values: (values[name],)

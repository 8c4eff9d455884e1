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
        return prepared

    def many(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        """``executemany`` with one parameter dict per row."""
        prepared = self._prepare(connection.dialect)
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(prepared.sql, prepared.many_parameters(rows))
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


class _Compiled:
    """A statement compiled for one dialect, and how to turn a values dict into its parameters."""

    def __init__(
        self, sql: str, names: tuple[str, ...], processors: tuple[tuple[int, Any], ...], positional: bool
    ) -> None:
        self.sql = sql
        self.names = names
        self.processors = processors
        self.positional = positional
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
        """Parameters of every row; a converted value is converted once per statement, column by
        column (rows share values: the same `now` in every row, NULLs)."""
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
        if self.positional:
            return picked
        return [dict(zip(self.names, parameters, strict=True)) for parameters in picked]


_MISSING: Any = object()


def _pick_one_or_none(names: tuple[str, ...]) -> Any:
    if not names:
        return lambda _values: ()
    name = names[0]
    return lambda values: (values[name],)

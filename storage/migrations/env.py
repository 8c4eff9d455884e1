"""Alembic environment of the archive; run through storage.db (no alembic.ini needed).

``storage.db.upgrade`` passes an open connection in ``config.attributes["connection"]``; the alembic
command line can also be used with ``-x`` free configuration by setting ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from storage.db import create_archive_engine, include_name, include_object
from storage.models import Base

config = context.config


def _configure(dialect: str, **options: object) -> None:
    context.configure(
        target_metadata=Base.metadata,
        include_name=include_name,
        include_object=include_object(dialect),
        compare_type=True,
        render_as_batch=True,  # SQLite alters tables by copying them; harmless on PostgreSQL
        **options,
    )


def _run(connection: Connection) -> None:
    _configure(connection.dialect.name, connection=connection)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    url = config.get_main_option("sqlalchemy.url") or ""
    _configure(make_url(url).get_backend_name(), url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    _run(connection)
else:
    engine = create_archive_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as connection:
        _run(connection)
    engine.dispose()

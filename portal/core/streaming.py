"""A query's rows read while an export is written: in batches (a server-side cursor on PostgreSQL), not all at once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Select

from portal import db

# Rows fetched from the database at a time when a whole list is streamed into an export.
STREAM_BATCH = 500


def stream_batches(query: Select) -> Iterator[Sequence[Any]]:
    """The query's rows, up to STREAM_BATCH at a time, fetched as the caller goes. Run on the session's connection as a
    plain (Core) statement: its columns are no ORM entities, and the ORM's loading cost a third of a long export."""
    size = STREAM_BATCH
    # The options on the statement: Connection.execution_options would keep them for the request's later statements.
    streamed = query.execution_options(stream_results=True, max_row_buffer=size)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # A cursor is planned for its first tenth of rows (nested loops), and a plan that costly is compiled (JIT)
        # first: both cost more than they save when every row is read. A whole list's sort (some 5 MB for 20,000
        # applications) spilled to disk at the default 4 MB of work_mem. For the rest of this transaction only.
        settings = (
            "SELECT set_config('cursor_tuple_fraction', '1', true), set_config('jit', 'off', true),"
            " set_config('work_mem', '32MB', true)"
        )
        connection.exec_driver_sql(settings).close()
    result = connection.execute(streamed)
    try:
        yield from result.partitions(size)
    finally:
        result.close()


def stream_rows(query: Select) -> Iterator[Any]:
    """The query's rows one by one, fetched in batches as stream_batches fetches them."""
    for batch in stream_batches(query):
        yield from batch

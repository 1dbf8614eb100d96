"""Several SELECTs answered by one statement: each becomes a JSON array in a column of its own and is read back as the
rows or objects it would have given alone. A page made of many small parts (a record, a reviewer's workspace) then
costs one round trip for all of them, whatever each part holds.

SQLite builds the arrays with json_group_array, PostgreSQL with json_agg. Every value then goes through its column's
own result processing, so a UTC timestamp, an enum or a JSON document reads as it would from its own query. Objects
join the session's identity map as if loaded by a query; an object already there is used as it is.

A part keeps its query's WHERE, joins, ORDER BY and LIMIT (a row number carries the order through the aggregate); its
eager-loading options do not apply, and DISTINCT is refused (the row number would make every row distinct), as are
binary columns (JSON holds none).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import namedtuple
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Generic, TypeVar

from sqlalchemy import JSON, ColumnElement, Select, and_, func, inspect, literal_column, select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import ONETOMANY, InstrumentedAttribute, Mapper, Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.session import make_transient_to_detached
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")

# PostgreSQL functions take at most 100 arguments: json_build_array's values, the row number among them.
MOST_COLUMNS = 99
ORDER_LABEL = "one_trip_n"
KEPT = "one_trip_objects"  # session.info: the objects a trip made, kept alive with the session
INNER = "one_trip_rows"  # each part's rows, in a scope of its own


class json_rows(FunctionElement):  # an SQL function, named like one
    """The aggregate of its arguments, one JSON array per row, as a JSON array (an empty one without rows)."""

    type = JSON()
    name = "json_rows"
    inherit_cache = True


@compiles(json_rows, "sqlite")
def _sqlite_json_rows(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "postgresql")
def _postgresql_json_rows(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"coalesce(json_agg(json_build_array({compiler.process(element.clauses, **kw)})), '[]'::json)"


@compiles(json_rows)
def _other_json_rows(element: json_rows, compiler: Any, **kw: Any) -> str:
    raise CompileError(f"one_trip supports SQLite and PostgreSQL, not {compiler.dialect.name}")


class Pending(Generic[T]):
    """The answer to one part of a trip, there once the trip has run."""

    def __init__(self) -> None:
        self._value: Any = _UNSET

    @property
    def value(self) -> T:
        if self._value is _UNSET:
            raise RuntimeError("the trip has not run yet")
        return self._value

    def _set(self, value: T) -> None:
        self._value = value


_UNSET = object()


class _Part:
    """One query of a trip: its columns, how a row of values becomes what the caller gets, and where it goes."""

    def __init__(self, query: Select[Any], columns: Sequence[ColumnElement[Any]], build: Callable[..., Any]) -> None:
        if query._distinct:  # no public accessor: see the module's docstring
            raise ValueError("one_trip: a DISTINCT query cannot carry its order (use GROUP BY)")
        if any(_python_type(column.type) is bytes for column in columns):
            raise ValueError("one_trip: binary columns cannot travel in JSON (leave them out or defer them)")
        if len(columns) > MOST_COLUMNS:
            raise ValueError(f"one_trip: at most {MOST_COLUMNS} columns per part")
        self.columns = list(columns)
        self.build = build
        self.pending: Pending[Any] = Pending()
        order = func.row_number().over(order_by=list(query._order_by_clauses))  # as above
        labelled = [column.label(f"c{n}") for n, column in enumerate(self.columns)]
        inner = query.with_only_columns(*labelled, order.label(ORDER_LABEL)).order_by(None).subquery(INNER)
        # The inner columns by name: the subquery's column collection (`inner.c`) would cost more than all the rest.
        values = [literal_column(f"{INNER}.c{n}") for n in range(len(labelled))]
        self.aggregate = select(json_rows(*values, literal_column(f"{INNER}.{ORDER_LABEL}"))).select_from(inner)
        self.aggregate = self.aggregate.scalar_subquery()


class OneTrip:
    """Collects queries, runs them as one statement, hands each its answer (see the module's docstring)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._parts: list[_Part] = []
        self._after: list[Callable[[], None]] = []

    @classmethod
    def alone(cls, session: Session, part: Callable[..., Pending[T]], *args: Any) -> T:
        """What part(trip, *args) answers, in a trip of its own (one statement)."""
        trip = cls(session)
        answer = part(trip, *args)
        trip.run()
        return answer.value

    def rows(self, query: Select[Any]) -> Pending[list[Any]]:
        """The query's rows as named tuples (row.name or row[0]), for a query of columns, not of ORM entities."""
        columns = list(query.selected_columns)
        row_type = _row_type(tuple(str(key) for key in query.selected_columns.keys()))  # noqa: SIM118
        return self._add(_Part(query, columns, lambda values: row_type(*values)))

    def objects(self, query: Select[Any]) -> Pending[list[Any]]:
        """The query's ORM entities: an object per row for one entity, a tuple per row for several (None where an
        outer join found nothing). Each selected item must be an entity (a mapped class or an alias of one)."""
        entities = [_entity(description) for description in query.column_descriptions]
        columns = [column for mapper, entity in entities for column in _columns(mapper, entity)]
        widths = [len(_attributes(mapper)) for mapper, _alias in entities]

        def build(values: list[Any]) -> Any:
            built, start = [], 0
            for (mapper, _alias), width in zip(entities, widths, strict=True):
                built.append(self._object(mapper, values[start : start + width]))
                start += width
            return built[0] if len(built) == 1 else tuple(built)

        return self._add(_Part(query, columns, build))

    def collection(self, parent: Any, relationship: InstrumentedAttribute[Any]) -> Pending[list[Any]]:
        """The parent's one-to-many collection, in the relationship's order, set on the parent as loaded."""
        prop = relationship.property
        if prop.secondary is not None or not prop.uselist:
            raise ValueError(f"one_trip: {relationship} is not a one-to-many relationship")
        parent_mapper = inspect(parent).mapper
        condition = and_(
            *(
                remote == getattr(parent, parent_mapper.get_property_by_column(local).key)
                for local, remote in prop.local_remote_pairs
            )
        )
        order = prop.order_by or list(prop.mapper.primary_key)
        pending = self.objects(select(prop.mapper).where(condition).order_by(*order))
        self._after.append(lambda: set_committed_value(parent, prop.key, pending.value))
        return pending

    def then(self, build: Callable[..., T], *parts: Pending[Any]) -> Pending[T]:
        """What build makes of the parts' answers, made once the trip has run (in the order asked for)."""
        made: Pending[T] = Pending()
        self._after.append(lambda: made._set(build(*(part.value for part in parts))))
        return made

    def run(self) -> None:
        """One statement for every part (none without parts); then each part's answer is there."""
        if self._parts:
            self._answer()
        for after in self._after:
            after()

    def _answer(self) -> None:
        dialect = self.session.get_bind().dialect
        answers = self.session.execute(select(*(part.aggregate for part in self._parts))).one()
        for part, answer in zip(self._parts, answers, strict=True):
            readers = [_reader(column.type, dialect) for column in part.columns]
            rows = json.loads(answer) if isinstance(answer, str) else answer
            rows.sort(key=lambda row: row[-1])  # the row number: the query's order
            part.pending._set([part.build(_decoded(row, readers)) for row in rows])

    def _add(self, part: _Part) -> Pending[list[Any]]:
        self._parts.append(part)
        return part.pending

    def _object(self, mapper: Mapper[Any], values: Sequence[Any]) -> Any:
        """The object these column values describe: the session's own if it has it, else a new one as if loaded."""
        attributes = _attributes(mapper)
        by_key = dict(zip((attribute.key for attribute in attributes), values, strict=True))
        identity = [by_key[mapper.get_property_by_column(column).key] for column in mapper.primary_key]
        if all(value is None for value in identity):
            return None
        key = mapper.identity_key_from_primary_key(identity)
        known = self.session.identity_map.get(key)
        if known is not None:
            return known
        instance = mapper.class_manager.new_instance()
        for name, value in by_key.items():
            set_committed_value(instance, name, value)
        make_transient_to_detached(instance)  # clean, with its identity: as if read by a query
        self.session.add(instance)
        # The identity map holds objects weakly: an object reached only through a many-to-one (a review's reviewer)
        # would be collected and read again when the page asks for it. The session keeps them as long as it lives.
        self.session.info.setdefault(KEPT, []).append(instance)
        return instance


def attach(parents: Sequence[Any], relationship: InstrumentedAttribute[Any], children: Sequence[Any]) -> None:
    """Set each parent's one-to-many collection (or one-to-one object) to its children among those given, as loaded:
    the children of every parent must be among them, in the order the relationship shows them."""
    prop = relationship.property
    if prop.secondary is not None or prop.direction is not ONETOMANY:
        raise ValueError(f"one_trip: {relationship} is not a one-to-many relationship")
    pairs = list(prop.local_remote_pairs)
    parent_keys = [prop.parent.get_property_by_column(local).key for local, _remote in pairs]
    child_keys = [prop.mapper.get_property_by_column(remote).key for _local, remote in pairs]
    by_parent: dict[tuple[Any, ...], list[Any]] = {}
    for child in children:
        by_parent.setdefault(tuple(getattr(child, key) for key in child_keys), []).append(child)
    for parent in parents:
        found = by_parent.get(tuple(getattr(parent, key) for key in parent_keys), [])
        set_committed_value(parent, prop.key, found if prop.uselist else (found[0] if found else None))


@lru_cache(maxsize=256)
def _row_type(keys: tuple[str, ...]) -> type:
    """A named tuple class for rows with these keys (made once: a class costs more than many rows)."""
    return namedtuple("Row", keys, rename=True)


def _entity(description: dict[str, Any]) -> tuple[Mapper[Any], Any]:
    entity = description.get("entity")
    if entity is None or description.get("expr") is not entity:
        raise ValueError(f"one_trip.objects: {description.get('name')} is not an ORM entity")
    return inspect(entity).mapper, entity


@lru_cache(maxsize=256)
def _attributes(mapper: Mapper[Any]) -> list[Any]:
    """The mapped columns an object is loaded with (deferred ones stay unloaded, as in a query)."""
    return [attribute for attribute in mapper.column_attrs if not attribute.deferred]


def _columns(mapper: Mapper[Any], entity: Any) -> list[ColumnElement[Any]]:
    """The entity's loaded columns as SQL expressions (an alias's own)."""
    return [getattr(entity, attribute.key).expression for attribute in _attributes(mapper)]


@lru_cache(maxsize=1024)  # by the type object: a mapped column's type is the same object on every request
def _reader(type_: Any, dialect: Dialect) -> Callable[[Any], Any]:
    """What turns a JSON value of a column of this type into what the column's own query would give."""
    process = type_.dialect_impl(dialect).result_processor(dialect, None)
    parse = _TEMPORAL.get(_python_type(type_)) if dialect.name == "postgresql" else None

    def read(value: Any) -> Any:
        if value is None:
            return None
        if parse is not None and isinstance(value, str):
            value = parse(value)  # PostgreSQL writes timestamps into JSON as ISO text; its driver gives objects
        return process(value) if process is not None else value

    return read


# PostgreSQL's JSON text of temporal values, back to the objects its driver would give (SQLite's text is what its
# driver gives already, and the column type parses it).
_TEMPORAL: dict[type, Callable[[str], Any]] = {
    dt.datetime: dt.datetime.fromisoformat,
    dt.date: dt.date.fromisoformat,
    dt.time: dt.time.fromisoformat,
}


def _python_type(type_: Any) -> type | None:
    """The Python type of the column's values (a decorated type's, that of what it decorates)."""
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    try:
        return type_.python_type
    except NotImplementedError:
        return None


def _decoded(row: list[Any], readers: list[Callable[[Any], Any]]) -> list[Any]:
    return [read(value) for read, value in zip(readers, row, strict=False)]

"""Enum columns stored as short strings with a CHECK constraint, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


def enum_column(enum_class: type[enum.Enum], name: str) -> Enum:
    """A portable column type for enum_class, stored by value and constrained to its members."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(str(member.value)) for member in enum_class) + 8,
        values_callable=lambda members: [str(member.value) for member in members],
        validate_strings=True,
    )

"""What the API reads (query parameters) and answers (JSON bodies), as marshmallow schemas; the OpenAPI document is
made from them."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from portal.applications.models import ApplicationState, DecisionOutcome
from portal.core.countries import is_country
from portal.core.ids import parse_id
from portal.core.roles import Role
from portal.people.directory import STATUSES
from portal.reporting.lists import DECISION_FILTER_LABELS, SEARCH_MAX_CHARS
from portal.supervisors.models import ResearchField

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CURSOR_PREFIX = "after:"


def encode_cursor(last_id: int) -> str:
    """An opaque cursor pointing after the record with this id."""
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{last_id}".encode()).decode().rstrip("=")


class Cursor(fields.String):
    """A cursor from a previous page's `next_cursor`, read as the id it points after."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            decoded = ""
        last_id = parse_id(decoded.removeprefix(CURSOR_PREFIX)) if decoded.startswith(CURSOR_PREFIX) else None
        if last_id is None:
            raise ValidationError("Not a cursor of this API.")
        return last_id


class PageQuery(Schema):
    """Cursor pagination: at most `limit` items after `cursor`."""

    cursor = Cursor(load_default=0, metadata={"description": "`next_cursor` of the previous page"})
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))


def _country(value: str) -> None:
    if not is_country(value.upper()):
        raise ValidationError("Not a two-letter country code.")


class ApplicationQuery(PageQuery):
    """The filters of the coordinators' applications list."""

    state = fields.String(validate=validate.OneOf([s.value for s in ApplicationState]))
    university = fields.String(validate=validate.Length(max=16), metadata={"description": "a university code"})
    field = fields.String(validate=validate.OneOf([f.value for f in ResearchField]))
    nationality = fields.String(validate=_country, metadata={"description": "a two-letter country code"})
    decision = fields.String(validate=validate.OneOf(list(DECISION_FILTER_LABELS)))
    q = fields.String(
        validate=validate.Length(max=SEARCH_MAX_CHARS),
        metadata={"description": "words in the name, the email or the reference number"},
    )


class PeopleQuery(PageQuery):
    """The filters of the people list."""

    q = fields.String(validate=validate.Length(max=100), metadata={"description": "words in the name or email"})
    role = fields.String(validate=validate.OneOf([r.value for r in Role]))
    status = fields.String(validate=validate.OneOf(STATUSES))


class RoundSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    opens_at = fields.AwareDateTime()
    closes_at = fields.AwareDateTime()
    referees_due = fields.AwareDateTime(allow_none=True)
    reviews_due = fields.AwareDateTime(allow_none=True)
    decisions_on = fields.AwareDateTime(allow_none=True)


SUPERVISOR_DOC = {
    "type": "object",
    "nullable": True,
    "properties": {"name": {"type": "string"}, "university": {"type": "string", "nullable": True}},
}


class ApplicationSchema(Schema):
    id = fields.Integer()
    reference = fields.String(allow_none=True)
    state = fields.Enum(ApplicationState, by_value=True)
    family_name = fields.String()
    given_names = fields.String()
    native_name = fields.String()
    display_name = fields.String()
    email = fields.String()
    nationality = fields.String()
    date_of_birth = fields.Date(allow_none=True)
    research_field = fields.Enum(ResearchField, by_value=True, allow_none=True)
    proposal_title = fields.String()
    submitted_at = fields.AwareDateTime(allow_none=True)
    german_supervisor = fields.Function(
        lambda row: _supervisor(row.german_supervisor, row.german_university), metadata=SUPERVISOR_DOC
    )
    chinese_supervisor = fields.Function(
        lambda row: _supervisor(row.chinese_supervisor, row.chinese_university), metadata=SUPERVISOR_DOC
    )
    letters_received = fields.Integer()
    decision = fields.Enum(DecisionOutcome, by_value=True, allow_none=True)
    decision_released_at = fields.AwareDateTime(allow_none=True)


def _supervisor(name: str, university: str | None) -> dict[str, Any] | None:
    return {"name": name, "university": university} if name else None


class DecisionSchema(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    reference = fields.String(allow_none=True)
    outcome = fields.Enum(DecisionOutcome, by_value=True)
    note = fields.String()
    decided_at = fields.AwareDateTime()
    released_at = fields.AwareDateTime(allow_none=True)


class PersonSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    active = fields.Boolean()
    invited = fields.Boolean()
    roles = fields.List(fields.String())
    university = fields.String(allow_none=True)
    last_login_at = fields.AwareDateTime(allow_none=True)


def page_schema(item: type[Schema]) -> type[Schema]:
    """A page of items with the cursor of the next page (null on the last)."""
    return Schema.from_dict(
        {"items": fields.List(fields.Nested(item)), "next_cursor": fields.String(allow_none=True)},
        name=f"{item.__name__.removesuffix('Schema')}Page",
    )


RoundPage = page_schema(RoundSchema)
ApplicationPage = page_schema(ApplicationSchema)
DecisionPage = page_schema(DecisionSchema)
PersonPage = page_schema(PersonSchema)

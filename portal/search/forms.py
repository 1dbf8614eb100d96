"""The search box (a GET form: searching changes nothing)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField
from wtforms.validators import Length

from portal.search.services import MAX_CHARS


class SearchForm(FlaskForm):
    """Words to find in names (Latin or Chinese script), email addresses and reference numbers."""

    class Meta:
        csrf = False  # a GET form

    q = SearchField(_l("Search"), validators=[Length(max=MAX_CHARS)])

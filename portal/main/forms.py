"""The language switcher in the navigation bar (every other form of the main pages is a plain button)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from portal.core.i18n import LANGUAGE_NAMES


class LanguageForm(FlaskForm):
    """The language switcher in the navigation bar."""

    language = SelectField(_l("Language"), choices=lambda: list(LANGUAGE_NAMES.items()))

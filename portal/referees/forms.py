"""The referee's form: a letter as a PDF file, or written in a text field (two buttons, no JavaScript needed)."""

from __future__ import annotations

from typing import Any, Self

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SubmitField, TextAreaField

from portal.applications.models import RefereeInvitation
from portal.referees.services import LETTER_TEXT_MAX_CHARS


class LetterForm(FlaskForm):
    letter_pdf = FileField(
        _l("Your letter as a PDF file"),
        description=_l("A PDF without password protection."),
        render_kw={"accept": "application/pdf,.pdf"},
    )
    upload = SubmitField(_l("Upload the PDF letter"))
    text = TextAreaField(
        _l("Text of your letter"),
        render_kw={"rows": 14, "maxlength": LETTER_TEXT_MAX_CHARS},
    )
    send_text = SubmitField(_l("Send the letter as text"))

    @classmethod
    def for_page(cls, invitation: RefereeInvitation) -> Self:
        """On a GET the form shows a letter sent as text before; on a POST it holds what was sent."""
        form = cls()
        if request.method == "GET" and invitation.letter_text:
            form.text.data = invitation.letter_text
        return form

    def letter(self) -> dict[str, Any]:
        """The letter as `services.receive_letter` takes it: the text, or the chosen PDF's content and name (the
        PDF counts unless the referee pressed the text button; empty when no file was chosen)."""
        if self.send_text.data:
            return {"text": self.text.data}
        upload = self.letter_pdf.data
        chosen = upload is not None and bool(getattr(upload, "filename", ""))
        return {"pdf": upload.read() if chosen else b"", "filename": upload.filename if chosen else ""}

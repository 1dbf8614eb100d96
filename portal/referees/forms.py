"""The referee's form: a letter as a PDF file, or written in a text field (two buttons, no JavaScript needed)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SubmitField, TextAreaField

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

    @property
    def wants_text(self) -> bool:
        """Whether the referee pressed the text button (otherwise the PDF counts)."""
        return bool(self.send_text.data)

    def pdf_upload(self) -> tuple[bytes, str]:
        """The chosen file's content and name (empty when no file was chosen)."""
        upload = self.letter_pdf.data
        if upload is None or not getattr(upload, "filename", ""):
            return b"", ""
        return upload.read(), upload.filename

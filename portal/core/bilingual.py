"""Bilingual documents (the plan, the CSC letters): German or English, each label followed by its Chinese, and the
download response for a generated PDF."""

from __future__ import annotations

from flask import Response
from flask_babel import force_locale

from portal.core.templating import current_language

CHINESE = "zh"


def primary_language(language: str | None = None) -> str:
    """The document's first language: German for German readers, English for everyone else (Chinese comes second)."""
    return "de" if (language or current_language()) == "de" else "en"


def in_language(label: object, language: str) -> str:
    """A lazy translation rendered in language."""
    with force_locale(language):
        return str(label)


def both(label: object, language: str) -> str:
    """ "Label · 标签": the label in the primary language, then in Chinese."""
    first, chinese = in_language(label, language), in_language(label, CHINESE)
    return first if first == chinese else f"{first} · {chinese}"


def pdf_download(content: bytes, filename: str) -> Response:
    """A generated PDF as a download that neither a shared cache nor the browser keeps (it holds personal data)."""
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

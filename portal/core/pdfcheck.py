"""Checking an uploaded file is a usable PDF, by its content (never by its name)."""

from __future__ import annotations

import contextlib
import io
import logging
import math
from typing import BinaryIO

from flask_babel import format_decimal
from flask_babel import gettext as _
from pypdf import PdfReader

from portal.core.rules import RuleViolation

PDF_MAGIC = b"%PDF-"
KIBIBYTE = 1024
MEBIBYTE = 1024 * 1024

logger = logging.getLogger(__name__)
# pypdf logs recoverable problems at WARNING level; they are not the user's business.
logging.getLogger("pypdf").setLevel(logging.ERROR)


class UploadRejected(RuleViolation):
    """The file is refused; the message says why, in the user's language."""


def human_size(size: int, rounding: str = "nearest") -> str:
    """A file size as people read it, in the viewer's number format: 512 bytes, 34.5 KB, 2.5 MB.

    rounding "up" or "down" keeps a refused size visibly above the limit it exceeds (10.1 MB, not 10 MB, over 10 MB).
    """
    round_to_tenth = {"up": math.ceil, "down": math.floor}.get(rounding, round)
    if size >= MEBIBYTE:
        number = round_to_tenth(size * 10 / MEBIBYTE) / 10
        return _("%(number)s MB", number=format_decimal(number, format="#,##0.#"))
    if size >= KIBIBYTE:
        number = round_to_tenth(size * 10 / KIBIBYTE) / 10
        return _("%(number)s KB", number=format_decimal(number, format="#,##0.#"))
    return _("%(number)s bytes", number=format_decimal(size, format="#,##0"))


def check_size(size: int, max_bytes: int) -> None:
    """Refuse an empty file or one larger than max_bytes."""
    if size <= 0:
        raise UploadRejected(_("The file is empty."))
    if size > max_bytes:
        raise UploadRejected(
            _(
                "The file is too large (%(size)s); at most %(limit)s are allowed. "
                "Please reduce it (for example, scan with a lower resolution) and upload it again.",
                size=human_size(size, rounding="up"),
                limit=human_size(max_bytes, rounding="down"),
            )
        )


def read_upload(stream: BinaryIO, max_bytes: int) -> bytes:
    """The uploaded content, read only as far as the limit allows; refused when empty or too large."""
    content = stream.read(max_bytes + 1)
    if len(content) > max_bytes:
        size = len(content)
        with contextlib.suppress(OSError, ValueError, AttributeError):  # not seekable: the bytes seen so far
            size = stream.seek(0, io.SEEK_END)
        check_size(size, max_bytes)
    check_size(len(content), max_bytes)
    return content


def check_pdf(content: bytes, max_bytes: int) -> int:
    """Validate a PDF upload and return its page count; raise UploadRejected with a clear reason otherwise."""
    check_size(len(content), max_bytes)
    # The PDF header must come first (some producers put a few bytes before it; readers accept up to 1 KB).
    if PDF_MAGIC not in content[:1024]:
        raise UploadRejected(_("This file is not a PDF. Please upload your document as a PDF file."))
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        encrypted = reader.is_encrypted
        if not encrypted:
            pages = len(reader.pages)
            for page in reader.pages:
                page.mediabox  # noqa: B018 - touching every page proves the page tree is readable
    except Exception as error:  # whatever a crafted or broken file makes the parser raise means "damaged"
        logger.info("PDF upload refused as unreadable: %s: %s", type(error).__name__, error)
        raise UploadRejected(
            _("This PDF is damaged and cannot be read. Please export it again and upload it.")
        ) from error
    if encrypted:
        raise UploadRejected(
            _("This PDF is encrypted or password-protected. Please upload a version without protection.")
        )
    if pages == 0:
        raise UploadRejected(_("This PDF has no pages."))
    return pages

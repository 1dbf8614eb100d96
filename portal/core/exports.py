"""Domain-free building blocks of tabular downloads: streamed CSV (UTF-8 with a byte order mark), XLSX written row by
row to a temporary file, formula-injection neutralisation, and the download responses.

Neither format ever holds the whole table in memory: the CSV is produced chunk by chunk while the rows are read, the
XLSX goes through XlsxWriter's constant_memory mode (each row is written to disk as soon as the next one starts).
A long export may convert its cells a column of a batch of rows at a time (text_cells, label_cells, ...) and hand the
CSV rows that are already converted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import IO, Any

import xlsxwriter
from flask import Response, send_file, stream_with_context

# The byte order mark: without it Excel reads a CSV in the system's code page and garbles Chinese (and German) names.
BOM = "\ufeff"
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A cell starting with one of these is read as a formula by spreadsheet programs (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Rows collected before a CSV chunk is handed to the server: small enough to stream, large enough to be efficient.
CSV_CHUNK_ROWS = 200

Cell = str | int | float | dt.date | dt.datetime | None


def neutralise(value: str) -> str:
    """The text as a spreadsheet must show it: one starting like a formula gets a leading single quote."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def utc_iso(moment: dt.datetime | None) -> str:
    """A moment in UTC, ISO 8601 to the second: 2027-03-01T09:30:00Z (empty when there is none)."""
    if moment is None:
        return ""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _date_text(value: dt.date) -> str:
    return value.isoformat()


def _number(value: int | float) -> int | float:
    return value


# The conversion of each exact type of cell (a row has a dozen cells, an export many thousands of rows: one lookup per
# cell rather than a chain of isinstance checks); other types (subclasses, lazy strings) take cell_value's long way.
_CONVERSIONS: dict[type, Callable[[Any], str | int | float]] = {
    str: neutralise,
    int: _number,
    float: _number,
    bool: int,
    dt.datetime: utc_iso,
    dt.date: _date_text,
    type(None): lambda _value: "",
}


def cell_value(value: Cell) -> str | int | float:
    """A cell as exported: numbers stay numbers, dates become ISO 8601 text, every text is neutralised."""
    conversion = _CONVERSIONS.get(type(value))
    if conversion is not None:
        return conversion(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.datetime):
        return utc_iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


# --- A column of cells at once -----------------------------------------------------------------------------------
# Each gives for a column's values (of a batch of rows) what cell_value gives for each: one comprehension or dict
# lookup per cell instead of a Python call, which cost most of a 20,000-row export.


def text_cells(values: Iterable[str | None]) -> list[str]:
    """Texts (str or None, as the database gives them), neutralised; None as ""."""
    return ["" if value is None else ("'" + value if value.startswith(FORMULA_TRIGGERS) else value) for value in values]


def number_cells(values: Iterable[int | float | None]) -> list[int | float | str]:
    """Numbers (int or float, not bool) as they are; None as ""."""
    return ["" if value is None else value for value in values]


def date_cells(values: Iterable[dt.date | None]) -> list[str]:
    """Dates (not moments) as ISO 8601 text; None as ""."""
    return ["" if value is None else value.isoformat() for value in values]


def moment_cells(values: Iterable[dt.datetime | None]) -> list[str]:
    """Moments as utc_iso writes them; None as ""."""
    moments = [None if value is None else value.astimezone(dt.UTC) for value in values]
    # One %-format of the fields takes half the time of isoformat() and its "+00:00" replaced, on every row.
    return [
        "" if m is None else "%04d-%02d-%02dT%02d:%02d:%02dZ" % (m.year, m.month, m.day, m.hour, m.minute, m.second)  # noqa: UP031
        for m in moments
    ]


class _Labels(dict):
    """Cells by code; a code without a label stands for itself."""

    def __missing__(self, code: Any) -> str:
        return neutralise(str(code))


def label_cells(labels: Mapping[Any, Any]) -> Callable[[Iterable[Any]], list[str]]:
    """The cells of coded values (stored enum values, country codes): each code's label (str() of it, neutralised once
    per export), a code without a label as its own text, None and "" as ""."""
    known = _Labels({None: "", "": ""})
    known.update((code, neutralise(str(label))) for code, label in labels.items())
    return lambda codes: list(map(known.__getitem__, codes))  # dict lookups in C, no Python call per cell


# --- CSV ---------------------------------------------------------------------------------------------------------


def csv_chunks(
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    chunk_rows: int | None = None,
    converted: bool = False,
) -> Iterator[bytes]:
    """The CSV as UTF-8 byte chunks: the byte order mark and the header first, then the rows as they are read.
    converted: the rows' cells are already what cell_value gives (and are written as they are)."""
    chunk_rows = chunk_rows or CSV_CHUNK_ROWS
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(map(cell_value, header))
    yield _take(buffer)  # the download starts before the first row is read
    rows = iter(rows)
    while chunk := list(islice(rows, chunk_rows)):
        writer.writerows(chunk if converted else map(_csv_cells, chunk))
        yield _take(buffer)


def _csv_cells(row: Sequence[Cell]) -> list[Any]:
    """The row's cells as cell_value gives them, for the csv writer."""
    # Text and None inline (neutralise's rule, its FORMULA_TRIGGERS), the rest by cell_value: most cells are text, and
    # two function calls per cell were a third of a 20,000-row export.
    return [
        ("'" + value if value.startswith(FORMULA_TRIGGERS) else value)
        if value.__class__ is str
        else ("" if value is None else cell_value(value))
        for value in row
    ]


def _take(buffer: io.StringIO) -> bytes:
    """What the buffer holds, encoded, leaving it empty."""
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


# --- XLSX --------------------------------------------------------------------------------------------------------

_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str) -> str:
    """A valid worksheet name: no []:*?/\\ characters, at most 31 characters, never empty."""
    cleaned = _SHEET_NAME_FORBIDDEN.sub(" ", name).strip().strip("'")[:31].strip()
    return cleaned or "Sheet1"


def write_xlsx(
    target: IO[bytes],
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    title: str = "Sheet1",
    column_widths: Sequence[int] | None = None,
) -> int:
    """Write a one-sheet workbook to target, row by row (constant memory); returns the number of data rows.

    Text is always written as a string cell, never as a formula, and is neutralised as in the CSV, so that a copy of
    the sheet pasted elsewhere stays harmless too.
    """
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "tmpdir": tempfile.gettempdir(),
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    try:
        worksheet = workbook.add_worksheet(sheet_name(title))
        bold = workbook.add_format({"bold": True})
        for column, width in enumerate(column_widths or ()):
            worksheet.set_column(column, column, width)
        worksheet.freeze_panes(1, 0)
        for column, title_text in enumerate(header):
            worksheet.write_string(0, column, str(cell_value(title_text)), bold)
        count = 0
        for count, row in enumerate(rows, start=1):  # the last index is the number of rows
            for column, value in enumerate(row):
                _write_cell(worksheet, count, column, cell_value(value))
        if count:
            worksheet.autofilter(0, 0, count, max(len(header) - 1, 0))
    finally:
        workbook.close()
    return count


def _write_cell(worksheet: Any, row: int, column: int, value: str | int | float) -> None:
    if isinstance(value, str):
        if value:
            worksheet.write_string(row, column, value)
    else:
        worksheet.write_number(row, column, value)


def xlsx_tempfile(
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    title: str = "Sheet1",
    column_widths: Sequence[int] | None = None,
) -> tuple[IO[bytes], int, int]:
    """The workbook in an anonymous temporary file (deleted when closed), rewound: (file, data rows, size in bytes)."""
    target = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes (and so deletes) it
    try:
        count = write_xlsx(target, header, rows, title=title, column_widths=column_widths)
        size = target.seek(0, io.SEEK_END)
        target.seek(0)
    except BaseException:
        target.close()
        raise
    return target, count, size


# --- Responses ---------------------------------------------------------------------------------------------------


def _private(response: Response) -> Response:
    # Personal data: neither a shared cache nor the browser's may keep a copy.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def csv_response(chunks: Iterator[bytes], filename: str) -> Response:
    """A streamed CSV download: the chunks are produced while the response is sent, inside the request's context."""
    response = Response(stream_with_context(chunks), content_type=CSV_MIMETYPE)
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return _private(response)


def xlsx_response(content: IO[bytes], filename: str, size: int) -> Response:
    """A workbook download from an open file; the file is closed (a temporary file thus deleted) once sent."""
    response = send_file(
        content, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename, etag=False, conditional=False
    )
    response.content_length = size
    return _private(response)


def safe_filename(*parts: str, extension: str) -> str:
    """An ASCII file name from parts: letters, digits and hyphens only, e.g. applications-intake-2027.csv."""
    text = "-".join(part for part in parts if part)
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return f"{text or 'export'}.{extension}"

"""Charts drawn on the server as inline SVG, each with a table holding the same numbers; no domain, no scripts.

Every chart is an `<svg role="img">` named by its `<title>` and `<desc>` (aria-labelledby), with all text escaped and
no reference to anything outside the page. Only presentation attributes (fill, stroke, font-size...) are used, which
the Content-Security-Policy allows, never style attributes. The table beside it is what screen readers and people who
want exact numbers read.

    chart = bar_chart("by-state", title=..., description=..., label_header=..., labels=[...],
                      series=[Series("Applications", [3, 5, 0])])
    {{ chart.svg }} {{ chart.table }}
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import has_request_context
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

# Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), the programme's blue first.
PALETTE = ("#003a70", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")
TEXT_COLOUR = "#212529"
MUTED_COLOUR = "#6c757d"
GRID_COLOUR = "#dee2e6"
FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans CJK SC', sans-serif"

WIDTH = 640
LABEL_CHARS = 30  # longer category labels are shortened in the drawing (the table has them in full)

_ID = re.compile(r"^[a-z][a-z0-9-]{0,60}$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

Number = int | float


@dataclass(frozen=True)
class Series:
    """One row of values, one per label, with the name the legend and the table's header show."""

    name: str
    values: Sequence[Number]
    colour: str | None = None


@dataclass(frozen=True)
class Chart:
    """A drawn chart and its table; both are safe Markup to put into a page as they are."""

    chart_id: str
    title: str
    description: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    svg: Markup
    table: Markup
    totals: tuple[Number, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.labels


def _markup(*parts: str) -> Markup:
    """Trust the drawing: every text that goes into it (labels, names, numbers) passed through escape() first."""
    return Markup("".join(parts))  # nosec B704 # noqa: S704 - every text in it was escaped first (see above)


def default_number_format(value: Number) -> str:
    """Numbers in the viewer's language when there is one (1,234 / 1.234), else plainly."""
    if has_request_context():
        return format_decimal(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _check(chart_id: str, labels: Sequence[str], series: Sequence[Series]) -> None:
    if not _ID.match(chart_id):
        raise ValueError(f"chart id {chart_id!r} must be lower-case letters, digits and dashes")
    if not series:
        raise ValueError("a chart needs at least one series")
    for entry in series:
        if len(entry.values) != len(labels):
            raise ValueError(f"series {entry.name!r} has {len(entry.values)} values for {len(labels)} labels")
        if entry.colour is not None and not _COLOUR.match(entry.colour):
            raise ValueError(f"series {entry.name!r}: colour {entry.colour!r} is not of the form #rrggbb")
        if any(not math.isfinite(v) or v < 0 for v in entry.values):
            raise ValueError(f"series {entry.name!r} has a negative or non-finite value")


def _shorten(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _colour(index: int, entry: Series) -> str:
    return entry.colour or PALETTE[index % len(PALETTE)]


def _svg_open(chart_id: str, height: float, title: str, description: str, width: int = WIDTH) -> list[str]:
    return [
        f'<svg class="chart" id="{chart_id}-svg" viewBox="0 0 {width} {height:.0f}" width="100%" role="img"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="{escape(FONT)}" font-size="12"'
        f' fill="{TEXT_COLOUR}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]


def _legend(series: Sequence[Series], y: float) -> list[str]:
    parts, x = [], 8.0
    for index, entry in enumerate(series):
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="12" height="12" fill="{_colour(index, entry)}"/>')
        parts.append(f'<text x="{x + 16:.1f}" y="{y + 10:.1f}">{escape(entry.name)}</text>')
        x += 36 + sum(12 if ord(char) >= 0x2E80 else 7 for char in entry.name)  # CJK characters are wider
    return parts


def _empty(chart_id: str, title: str, description: str, empty_text: str) -> str:
    parts = _svg_open(chart_id, 40, title, description)
    parts.append(f'<text x="8" y="24" fill="{MUTED_COLOUR}">{escape(empty_text)}</text></svg>')
    return "".join(parts)


def _table(
    chart_id: str,
    title: str,
    label_header: str,
    labels: Sequence[str],
    series: Sequence[Series],
    number_format: Callable[[Number], str],
    total_label: str | None,
) -> Markup:
    head = "".join(f'<th scope="col" class="text-end">{escape(s.name)}</th>' for s in series)
    rows = []
    for index, label in enumerate(labels):
        cells = "".join(f'<td class="text-end">{escape(number_format(s.values[index]))}</td>' for s in series)
        rows.append(f'<tr><th scope="row">{escape(label)}</th>{cells}</tr>')
    foot = ""
    if total_label is not None:
        cells = "".join(f'<td class="text-end">{escape(number_format(sum(s.values)))}</td>' for s in series)
        foot = f'<tfoot><tr><th scope="row">{escape(total_label)}</th>{cells}</tr></tfoot>'
    return _markup(
        f'<table class="table table-sm chart-table" id="{chart_id}-table">'
        f'<caption class="visually-hidden">{escape(title)}</caption>'
        f'<thead><tr><th scope="col">{escape(label_header)}</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody>{foot}</table>"
    )


@dataclass(frozen=True)
class _Spec:
    """What every chart is asked for: its texts, labels, series and number format."""

    chart_id: str
    title: str
    description: str
    label_header: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    number_format: Callable[[Number], str]
    total_label: str | None
    empty_text: str | None

    def build(self, draw: Callable[[_Spec], list[str]]) -> Chart:
        """The chart: checked, its table, and the drawing (or the empty text when there are no labels)."""
        _check(self.chart_id, self.labels, self.series)
        table = _table(
            self.chart_id, self.title, self.label_header, self.labels, self.series, self.number_format, self.total_label
        )
        if self.labels:
            svg = "".join(draw(self))
        else:
            svg = _empty(self.chart_id, self.title, self.description, str(self.empty_text or _l("No data")))
        totals = tuple(sum(s.values) for s in self.series)
        parts = (self.chart_id, self.title, self.description, self.labels, self.series)
        return Chart(*parts, _markup(svg), table, totals)


def _spec(chart_id: str, labels: Sequence[str], series: Sequence[Series], **texts: Any) -> _Spec:
    return _Spec(
        chart_id=chart_id,
        title=str(texts["title"]),
        description=str(texts["description"]),
        label_header=str(texts["label_header"]),
        labels=tuple(str(label) for label in labels),
        series=tuple(series),
        number_format=texts.get("number_format") or default_number_format,
        total_label=texts.get("total_label"),
        empty_text=texts.get("empty_text"),
    )


def bar_chart(
    chart_id: str,
    *,
    labels: Sequence[str],
    series: Sequence[Series],
    **texts: Any,
) -> Chart:
    """Horizontal bars, one group per label and one bar per series in the group (long labels read well this way).

    texts: title, description, label_header (all required); number_format, total_label, empty_text (optional).
    """
    return _spec(chart_id, labels, series, **texts).build(_draw_bars)


def _draw_bars(spec: _Spec) -> list[str]:
    labels, series, fmt = spec.labels, spec.series, spec.number_format
    bar, gap, label_width, value_room = 16, 10, 200, 64
    legend = 24 if len(series) > 1 else 0
    top = 8 + legend
    group = bar * len(series) + gap
    height = top + group * len(labels) + 4
    plot_left, plot_right = label_width, WIDTH - value_room
    largest = max((v for s in series for v in s.values), default=0)
    scale = (plot_right - plot_left) / largest if largest > 0 else 0.0
    parts = _svg_open(spec.chart_id, height, spec.title, spec.description)
    if legend:
        parts += _legend(series, 6)
    for row, label in enumerate(labels):
        y0 = top + row * group
        parts.append(
            f'<text x="{label_width - 8}" y="{y0 + bar * len(series) / 2:.1f}" text-anchor="end"'
            f' dominant-baseline="middle"><title>{escape(label)}</title>{escape(_shorten(label))}</text>'
        )
        for index, entry in enumerate(series):
            y, width, shown = y0 + index * bar, entry.values[row] * scale, escape(fmt(entry.values[row]))
            parts.append(
                f'<rect x="{plot_left}" y="{y + 1:.1f}" width="{width:.1f}" height="{bar - 2}"'
                f' fill="{_colour(index, entry)}"><title>{escape(label)} – {escape(entry.name)}: {shown}</title></rect>'
            )
            parts.append(
                f'<text x="{plot_left + width + 4:.1f}" y="{y + bar / 2:.1f}" dominant-baseline="middle">{shown}</text>'
            )
    parts.append(
        f'<line x1="{plot_left}" y1="{top - 2}" x2="{plot_left}" y2="{height - 4:.0f}" stroke="{MUTED_COLOUR}"/>'
    )
    parts.append("</svg>")
    return parts


def nice_ticks(largest: Number, most: int = 5) -> list[Number]:
    """Round tick values from 0 to at least largest (at most `most` + 1 of them); whole numbers for counts."""
    if largest <= 0:
        return [0, 1]
    raw = largest / most
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if isinstance(largest, int) or float(largest).is_integer():
        step = max(1, math.ceil(step))
    count = math.ceil(largest / step)
    return [round(i * step, 10) for i in range(count + 1)]


def line_chart(
    chart_id: str,
    *,
    labels: Sequence[str],
    series: Sequence[Series],
    max_axis_labels: int = 8,
    width: int = WIDTH,
    **texts: Any,
) -> Chart:
    """Lines over ordered labels (days, say), a dot on every value; every n-th label is written under the axis.

    A wider drawing (width) keeps the text small when the chart takes a page's whole width. texts: as bar_chart's.
    """
    return _spec(chart_id, labels, series, **texts).build(lambda spec: _draw_lines(spec, max_axis_labels, width))


@dataclass(frozen=True)
class _Plot:
    """Where a line chart's values land: the plot area inside the margins and the top of the value axis."""

    left: float
    top: float
    width: float
    height: float
    count: int
    y_max: float

    def x_at(self, i: int) -> float:
        return self.left + (self.width / 2 if self.count == 1 else self.width * i / (self.count - 1))

    def y_at(self, value: Number) -> float:
        return self.top + self.height - self.height * value / self.y_max


def _draw_lines(spec: _Spec, max_axis_labels: int, width: int) -> list[str]:
    labels, series, fmt = spec.labels, spec.series, spec.number_format
    legend = 24 if len(series) > 1 else 0
    left, right, top, bottom = 48, 28, 12 + legend, 36
    height = 240 + legend
    ticks = nice_ticks(max((v for s in series for v in s.values), default=0))
    plot = _Plot(left, top, width - left - right, height - top - bottom, len(labels), ticks[-1])
    parts = _svg_open(spec.chart_id, height, spec.title, spec.description, width)
    if legend:
        parts += _legend(series, 6)
    for tick in ticks:
        y = plot.y_at(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID_COLOUR}"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y:.1f}" text-anchor="end" dominant-baseline="middle"'
            f' fill="{MUTED_COLOUR}">{escape(fmt(tick))}</text>'
        )
    parts += _axis_labels(labels, plot, height - bottom + 18, max_axis_labels)
    parts.append(
        f'<line x1="{left}" y1="{top + plot.height}" x2="{width - right}" y2="{top + plot.height}"'
        f' stroke="{MUTED_COLOUR}"/>'
    )
    for index, entry in enumerate(series):
        parts += _line(labels, entry, _colour(index, entry), plot, fmt)
    parts.append("</svg>")
    return parts


def _axis_labels(labels: Sequence[str], plot: _Plot, y: float, most: int) -> list[str]:
    step, last = max(1, math.ceil(len(labels) / most)), len(labels) - 1
    return [
        f'<text x="{plot.x_at(i):.1f}" y="{y}" text-anchor="middle" fill="{MUTED_COLOUR}">'
        f"{escape(_shorten(label, 12))}</text>"
        for i, label in enumerate(labels)
        # Every step-th label, and the last one unless it would crowd the one before it.
        if i % step == 0 or (i == last and last % step >= step / 2)
    ]


def _line(labels: Sequence[str], entry: Series, colour: str, plot: _Plot, fmt: Callable[[Number], str]) -> list[str]:
    points = " ".join(f"{plot.x_at(i):.1f},{plot.y_at(v):.1f}" for i, v in enumerate(entry.values))
    parts = [f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>']
    for i, value in enumerate(entry.values):
        parts.append(
            f'<circle cx="{plot.x_at(i):.1f}" cy="{plot.y_at(value):.1f}" r="3" fill="{colour}">'
            f"<title>{escape(labels[i])} – {escape(entry.name)}: {escape(fmt(value))}</title></circle>"
        )
    return parts

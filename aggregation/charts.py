"""Bar charts drawn on the server as SVG: no JavaScript, nothing fetched, works offline.

A suppressed figure is a range: the solid bar runs to its lower bound and a hatched part to its
upper bound, so the chart never shows a guess as a fact. A force without a figure keeps its row,
labelled with the reason, so gaps stay visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

BAR = "#1f6f8b"
RANGE = "#9cc7d6"
TEXT = "#333"


@dataclass(frozen=True)
class Bar:
    label: str
    lower: int | None  # None: no figure
    upper: int | None
    href: str = ""
    note: str = ""  # shown instead of a bar when there is no figure


def _amount(bar: Bar) -> str:
    if bar.lower is None:
        return bar.note or "no figure"
    return f"{bar.lower:,}" if bar.lower == bar.upper else f"{bar.lower:,}–{bar.upper:,}"


def _link(bar: Bar, inner: str) -> str:
    return f'<a href="{escape(bar.href)}">{inner}</a>' if bar.href else inner


def horizontal(bars: list[Bar], *, title: str, width: int = 820, label_width: int = 290) -> str:
    """One row per bar: used for forces (sorted by the caller) and categories."""
    row, top = 22, 28
    height = top + row * len(bars) + 10
    scale_max = max((b.upper for b in bars if b.upper is not None), default=0) or 1
    plot = width - label_width - 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
        _hatch(),
        f'<text x="0" y="16" font-weight="bold" fill="{TEXT}">{escape(title)}</text>',
    ]
    for i, bar in enumerate(bars):
        y = top + i * row
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end" font-size="12" '
            f'fill="{TEXT}">{escape(bar.label)}</text>'
        )
        if bar.lower is None:
            parts.append(
                f'<text x="{label_width}" y="{y + 14}" font-size="12" font-style="italic" '
                f'fill="#999">{escape(_amount(bar))}</text>'
            )
            continue
        solid = plot * bar.lower / scale_max
        extra = plot * (bar.upper - bar.lower) / scale_max
        shapes = (
            f'<rect x="{label_width}" y="{y + 3}" width="{solid:.1f}" height="15" fill="{BAR}"/>'
            f'<rect x="{label_width + solid:.1f}" y="{y + 3}" width="{extra:.1f}" height="15" '
            f'fill="url(#range)" stroke="{RANGE}"/>'
            f'<text x="{label_width + solid + extra + 5:.1f}" y="{y + 14}" font-size="12" '
            f'fill="{TEXT}">{escape(_amount(bar))}</text>'
        )
        parts.append(_link(bar, shapes))
    parts.append("</svg>")
    return "".join(parts)


def vertical(bars: list[Bar], *, title: str, height: int = 260, bar_width: int = 64) -> str:
    """Columns left to right: the national trend by period."""
    top, bottom, gap = 30, 40, 24
    # Wide enough for the title as well as the columns.
    width = max(max(len(bars), 1) * (bar_width + gap) + gap, 8 * len(title))
    plot = height - top - bottom
    scale_max = max((b.upper for b in bars if b.upper is not None), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
        _hatch(),
        f'<text x="0" y="16" font-weight="bold" fill="{TEXT}">{escape(title)}</text>',
    ]
    base = height - bottom
    for i, bar in enumerate(bars):
        x = gap + i * (bar_width + gap)
        parts.append(
            f'<text x="{x + bar_width / 2}" y="{base + 16}" text-anchor="middle" font-size="12" '
            f'fill="{TEXT}">{escape(bar.label)}</text>'
        )
        if bar.lower is None:
            parts.append(
                f'<text x="{x + bar_width / 2}" y="{base - 4}" text-anchor="middle" '
                f'font-size="11" fill="#999">{escape(_amount(bar))}</text>'
            )
            continue
        solid = plot * bar.lower / scale_max
        extra = plot * (bar.upper - bar.lower) / scale_max
        shapes = (
            f'<rect x="{x}" y="{base - solid:.1f}" width="{bar_width}" height="{solid:.1f}" '
            f'fill="{BAR}"/>'
            f'<rect x="{x}" y="{base - solid - extra:.1f}" width="{bar_width}" '
            f'height="{extra:.1f}" fill="url(#range)" stroke="{RANGE}"/>'
            f'<text x="{x + bar_width / 2}" y="{base - solid - extra - 5:.1f}" '
            f'text-anchor="middle" font-size="12" fill="{TEXT}">{escape(_amount(bar))}</text>'
        )
        parts.append(_link(bar, shapes))
    parts.append("</svg>")
    return "".join(parts)


def _hatch() -> str:
    return (
        '<defs><pattern id="range" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="white"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{RANGE}" stroke-width="3"/></pattern></defs>'
    )

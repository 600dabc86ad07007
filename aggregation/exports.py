"""The rollup as an .xlsx workbook and as CSV, with the sources behind every figure.

Text that a spreadsheet would run as a formula (=, +, -, @, tab, carriage return first) is
neutralised with a leading apostrophe: labels come from forces' files and must stay text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _figure(b: dict) -> list[object]:
    return [b.get("value"), b.get("lower"), b.get("upper")]


def tables(rollup: dict, sources: Iterable) -> dict[str, list[list[object]]]:
    """Every table of the export, each a header row then data rows; forces by name."""
    periods = rollup["periods"]
    names = rollup["force_names"]
    dimensions = list(rollup["dimensions"])
    titles = {d: rollup["dimension_info"][d]["title"] for d in dimensions}
    result: dict[str, list[list[object]]] = {
        "Summary": [
            ["Headline"],
            [rollup["headline"]],
            [],
            ["Campaign", rollup["title"]],
            ["Counted", rollup["measure"]],
            ["Forces expected", rollup["forces_expected"]],
        ],
        "National": [["period", "value", "lower", "upper", "forces reporting", "per day"]],
        "By force": [["force", "period", "value", "lower", "upper", "document", "source"]],
    }
    for d in dimensions:
        result[f"By {titles[d].lower()}"] = [
            ["period", titles[d].lower(), "value", "lower", "upper", "forces reporting"]
        ]
    result["Coverage"] = [["period", "force", "reporting", "why missing"]]
    result["Sources"] = [
        [
            *("force", "period", *dimensions, "value", "lower", "upper", "derived"),
            *("document", "document id", "sheet", "cell", "as written", "entered by", "source"),
        ]
    ]
    for period in periods:
        n = rollup["national"][period]
        result["National"].append([period, *_figure(n), n["forces_reporting"], n["per_day"]])
        for d in dimensions:
            sheet = result[f"By {titles[d].lower()}"]
            for value, b in rollup["dimensions"][d][period].items():
                sheet.append([period, value, *_figure(b), b["forces_reporting"]])
            if rollup["dimension_info"][d]["kind"] == "age":
                age = rollup["age"][period]
                sheet.append(
                    [
                        period,
                        "10 and under",
                        *_figure(age["at_or_under_10"]),
                        age["at_or_under_10_forces"],
                    ]
                )
        cover = rollup["coverage"][period]
        for force in cover["reporting"]:
            result["Coverage"].append([period, names.get(force, force), "yes", ""])
        for force, why in cover["missing"].items():
            result["Coverage"].append([period, names.get(force, force), "no", why])
    for force, by_period in sorted(
        rollup["by_force"].items(), key=lambda kv: names.get(kv[0], kv[0])
    ):
        for period, b in sorted(by_period.items()):
            result["By force"].append(
                [names.get(force, force), period, *_figure(b), b["document"], b["source"]]
            )
    for o in sources:
        result["Sources"].append(
            [
                *(o.force.name, o.period, *(o.dimensions.get(d, "") for d in dimensions)),
                *(o.value, o.lower, o.upper, o.derived),
                *(o.document.original_name, o.document_id, o.sheet, o.cell, o.raw),
                *_entered(o),
            ]
        )
    return result


def _entered(o) -> tuple[str, str]:
    """Who entered a figure by hand and where in the document it is; nothing for a read one."""
    if o.origin != "entered":
        return "", ""
    who = o.entered_by.get_username() if o.entered_by else "someone since removed"
    return f"entered by {who} on {timezone.localtime(o.entered_at):%Y-%m-%d}", o.source


# Column widths in characters: wide enough for the longest value, never absurd.
_MIN_WIDTH, _MAX_WIDTH = 8, 60


def workbook_bytes(rollup: dict, sources: Iterable) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in tables(rollup, sources).items():
        ws = wb.create_sheet(title[:31])  # Excel's limit on sheet names
        widths: dict[int, int] = {}
        for row in rows:
            ws.append([safe(v) for v in row])
            for i, v in enumerate(row):
                widths[i] = max(widths.get(i, 0), len(str(v)) if v is not None else 0)
        if title != "Summary":  # the headline is one long line: let it run
            for i, width in widths.items():
                letter = get_column_letter(i + 1)
                ws.column_dimensions[letter].width = min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_text(rollup: dict, sources: Iterable) -> str:
    """All tables in one CSV, each row led by its table's name."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for title, rows in tables(rollup, sources).items():
        for row in rows:
            writer.writerow([title, *(safe(v) for v in row)])
    return out.getvalue()

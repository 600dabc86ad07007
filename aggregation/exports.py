"""The rollup as an .xlsx workbook and as CSV, with the sources behind every figure.

Text that a spreadsheet would run as a formula (=, +, -, @, tab, carriage return first) is
neutralised with a leading apostrophe: labels come from forces' files and must stay text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _figure(b: dict) -> list[object]:
    return [b.get("value"), b.get("lower"), b.get("upper")]


def tables(rollup: dict, sources: Iterable) -> dict[str, list[list[object]]]:
    """Every table of the export, each a header row then data rows."""
    periods = rollup["periods"]
    result: dict[str, list[list[object]]] = {
        "Summary": [["Headline"], [rollup["headline"]], [], ["Campaign", rollup["campaign"]]],
        "National": [["period", "value", "lower", "upper", "forces reporting", "per day"]],
        "By force": [["force", "period", "value", "lower", "upper", "document", "source"]],
        "By age": [["period", "age", "value", "lower", "upper"]],
        "By offence": [["period", "offence", "value", "lower", "upper", "forces reporting"]],
        "Coverage": [["period", "force", "reporting", "why missing"]],
        "Sources": [
            [
                *("force", "period", "age", "offence", "value", "lower", "upper", "derived"),
                *("document", "document id", "sheet", "cell", "as written"),
            ]
        ],
    }
    result["Summary"].append(["Forces expected", rollup["forces_expected"]])
    for period in periods:
        n = rollup["national"][period]
        result["National"].append([period, *_figure(n), n["forces_reporting"], n["per_day"]])
        for age, b in rollup["age"][period]["ages"].items():
            result["By age"].append([period, age, *_figure(b)])
        result["By age"].append(
            [period, "10 and under", *_figure(rollup["age"][period]["at_or_under_10"])]
        )
        for offence, b in rollup["offence"][period].items():
            result["By offence"].append([period, offence, *_figure(b), b["forces_reporting"]])
        cover = rollup["coverage"][period]
        for force in cover["reporting"]:
            result["Coverage"].append([period, force, "yes", ""])
        for force, why in cover["missing"].items():
            result["Coverage"].append([period, force, "no", why])
    for force, by_period in sorted(rollup["by_force"].items()):
        for period, b in sorted(by_period.items()):
            result["By force"].append([force, period, *_figure(b), b["document"], b["source"]])
    for o in sources:
        result["Sources"].append(
            [
                *(o.force.slug, o.period, o.age, o.offence, o.value, o.lower, o.upper, o.derived),
                *(o.document.original_name, o.document_id, o.sheet, o.cell, o.raw),
            ]
        )
    return result


def workbook_bytes(rollup: dict, sources: Iterable) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in tables(rollup, sources).items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append([safe(v) for v in row])
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

"""Response files the demo campaign uploads: generated here, in a few of the layouts forces use."""

from __future__ import annotations

import csv
import io
import random

from openpyxl import Workbook

from aggregation.extraction.default_vocabulary import CATEGORIES

AGES = [str(a) for a in range(0, 18)]


def figures(seed: str, periods: list[str]) -> dict[str, dict[str, int]]:
    """Plausible counts per period and single-year age, the same every time for one seed."""
    rng = random.Random(seed)
    peak = {a: max(1, 12 - abs(13 - int(a)) * 2) for a in AGES}
    return {p: {a: rng.randint(0, peak[a] + i * 2) for a in AGES} for i, p in enumerate(periods)}


def ages_by_year_xlsx(force_name: str, data: dict[str, dict[str, int]]) -> bytes:
    """Years across, ages down, a title, a reference line, a Total row and a note."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Response"
    periods = list(data)
    ws.append([f"{force_name}: online child sexual offences by age of victim"])
    ws.append(["Our reference: FOI/2024/1042"])
    ws.append([])
    ws.append(["Age of victim", *[p.replace("-", "/") for p in periods]])
    for age in AGES:
        ws.append([int(age), *[data[p][age] for p in periods]])
    ws.append(["Total", *[sum(data[p].values()) for p in periods]])
    ws.append([])
    ws.append(["Figures are crimes recorded with an online flag, victims under 18."])
    return _save(wb)


def offences_long_csv(seed: str, periods: list[str], *, odd_label: str | None = None) -> bytes:
    """A long table: Financial year, Offence, Count; optionally one offence no vocabulary knows."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Financial Year", "Offence", "Count"])
    for period in periods:
        for category in CATEGORIES:
            writer.writerow([period.replace("-", "/"), category, rng.randint(0, 30)])
        if odd_label:
            writer.writerow([period.replace("-", "/"), odd_label, rng.randint(1, 5)])
    return out.getvalue().encode("utf-8-sig")


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()

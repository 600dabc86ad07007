"""Extraction speed and memory against python-calamine's plain read of the same file.

    .venv/bin/python bench/bench_extract.py            # print the table
    .venv/bin/python bench/bench_extract.py --write    # and update BENCHMARKS.md

Every measurement runs in a fresh subprocess, so that each peak RSS is that one task's process
peak (interpreter and imports included), not a high-water mark left by an earlier task.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks_md import write_section

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CAMPAIGN = SHARED / "samples" / "campaign"
ROWS = 200_000
BIG_ROWS = 1_000_000
RUNS = 3
PERIODS = ("2015-16", "2016-17", "2017-18", "2018-19")
OFFENCES = (
    "Sexual grooming",
    "Rape of a female child under 13",
    "Sexual communication with a child",
    "Sexual activity involving a child under 16",
    "Possession of indecent photograph of a child",
    "Sexual assault on a female aged 13 and over",
)
TARGET_RATIO = 1.3
TARGET_PEAK_MB = 160
TARGET_BIG_PEAK_MB = 300
TARGET_CSV_RATIO = 2.0
TARGET_CAMPAIGN_S = 3.0
HEADER = ["Recorded date", "Victim age", "Offence description", "Online flag", "Crime ref"]


def _records(rows: int):
    rnd = random.Random(2019)
    first = dt.date(2015, 4, 1)
    for i in range(rows):
        yield [
            first + dt.timedelta(days=rnd.randrange(4 * 365)),
            rnd.randrange(0, 80),
            rnd.choice(OFFENCES),
            rnd.choice("YN"),
            f"CR/{i:07d}/{rnd.randrange(15, 19)}",
        ]


def records_file(rows: int = ROWS) -> Path:
    """The record list of ``rows`` rows (an honest 1,000,000-row one is about 29 MB), built once
    and cached in the temp dir."""
    path = Path(tempfile.gettempdir()) / "foitrack-bench" / f"records-{rows}.xlsx"
    if path.exists():
        return path
    import openpyxl

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Crimes")
    sheet.append(HEADER)
    for record in _records(rows):
        sheet.append(record)
    partial = path.with_suffix(".partial")
    workbook.save(partial)
    partial.rename(path)
    return path


def records_csv(rows: int = ROWS) -> Path:
    """The same record list as a CSV (dates as a UK export writes them)."""
    path = Path(tempfile.gettempdir()) / "foitrack-bench" / f"records-{rows}.csv"
    if path.exists():
        return path
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for record in _records(rows):
            writer.writerow([record[0].strftime("%d/%m/%Y"), *record[1:]])
    partial.rename(path)
    return path


def engine_available() -> bool:
    sys.path.insert(0, str(ROOT))
    try:
        return importlib.util.find_spec("aggregation.extraction.engine") is not None
    finally:
        sys.path.remove(str(ROOT))


# -- one measurement, run in its own process ---------------------------------------------------


def _task(kind: str, paths: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    if kind == "calamine":
        import python_calamine

        def run(path: str) -> None:
            python_calamine.load_workbook(path).get_sheet_by_index(0).to_python()

    elif kind == "csv_module":
        import csv

        def run(path: str) -> None:
            with open(path, newline="", encoding="utf-8") as rows:
                list(csv.reader(rows))

    elif kind == "read":
        from aggregation.extraction.reading import read_workbook

        def run(path: str) -> None:
            read_workbook(path)

    else:
        from aggregation.extraction.default_vocabulary import default_vocabulary
        from aggregation.extraction.engine import extract

        vocabulary = default_vocabulary(PERIODS)

        def run(path: str) -> None:
            extract(path, vocabulary)

    start = time.perf_counter()
    for path in paths:
        run(path)
    wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "peak_mb": peak_mb}))


def measure(kind: str, paths: list[Path], runs: int = RUNS) -> dict[str, float]:
    """Median wall time and largest peak RSS over ``runs`` fresh processes."""
    walls, peaks = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, __file__, "--task", kind, *map(str, paths)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        walls.append(result["wall"])
        peaks.append(result["peak_mb"])
    return {"wall": statistics.median(walls), "peak_mb": max(peaks)}


# -- report ----------------------------------------------------------------------------------


def run_all() -> str:
    big = records_file()
    results = {"calamine": measure("calamine", [big]), "read": measure("read", [big])}
    has_engine = engine_available()
    if has_engine:
        results["extract"] = measure("extract", [big])
        results["extract_1m"] = measure("extract", [records_file(BIG_ROWS)])
        csv_path = records_csv()
        results["csv_module"] = measure("csv_module", [csv_path])
        results["csv_extract"] = measure("extract", [csv_path])
    campaign = sorted(
        p for p in CAMPAIGN.glob("*") if p.suffix in (".xlsx", ".xls", ".ods", ".csv")
    )
    if campaign:
        results["campaign_read"] = measure("read", campaign)
        if has_engine:
            results["campaign_extract"] = measure("extract", campaign)
    return table(results, len(campaign), has_engine)


def table(results: dict[str, dict[str, float]], n_campaign: int, has_engine: bool) -> str:
    labels = {
        "calamine": ("python-calamine plain read (baseline)", "calamine"),
        "read": ("read_workbook (reading layer)", "calamine"),
        "extract": ("extract (full engine)", "calamine"),
        "extract_1m": (f"extract, {BIG_ROWS:,}-row record list (memory)", ""),
        "csv_module": (f"Python's csv module, the {ROWS:,} rows as CSV (baseline)", "csv_module"),
        "csv_extract": ("extract of that CSV (full engine)", "csv_module"),
        "campaign_read": (f"read_workbook, {n_campaign} campaign files together", ""),
        "campaign_extract": (f"extract, {n_campaign} campaign files together", ""),
    }
    lines = [
        f"{ROWS:,}-row, 5-column record-list xlsx (and the same rows as CSV); wall = median of "
        f"{RUNS} fresh processes, run one kind after another in one run, peak = largest process "
        "peak RSS (interpreter and imports included). "
        f"Targets: extract <= {TARGET_RATIO}x calamine with peak <= {TARGET_PEAK_MB} MB, "
        f"<= {TARGET_BIG_PEAK_MB} MB at {BIG_ROWS:,} rows, CSV extract <= {TARGET_CSV_RATIO}x "
        f"the csv module, campaign < {TARGET_CAMPAIGN_S} s. Measured "
        f"{dt.date.today().isoformat()} on Python {sys.version.split()[0]}, on a shared 2-core "
        "machine.",
        "",
        "| task | wall (s) | x baseline | peak RSS (MB) |",
        "|---|---:|---:|---:|",
    ]
    for key, (label, base) in labels.items():
        if key not in results:
            continue
        wall, peak = results[key]["wall"], results[key]["peak_mb"]
        ratio = f"{wall / results[base]['wall']:.2f}" if base else ""
        lines.append(f"| {label} | {wall:.3f} | {ratio} | {peak:.0f} |")
    if not has_engine:
        lines += ["", "aggregation.extraction.engine.extract is not there yet: reading layer only."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.task:
        _task(args.task, args.paths)
        return
    body = run_all()
    print(body)
    if args.write:
        write_section("Extraction", body)


if __name__ == "__main__":
    main()

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
TARGET_RATIO = 2.0
TARGET_PEAK_MB = 250
TARGET_CAMPAIGN_S = 3.0


def records_file() -> Path:
    """The 200,000-row record list, built once and cached in the temp dir."""
    path = Path(tempfile.gettempdir()) / "foitrack-bench" / f"records-{ROWS}.xlsx"
    if path.exists():
        return path
    import openpyxl

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Crimes")
    sheet.append(["Recorded date", "Victim age", "Offence description", "Online flag", "Crime ref"])
    rnd = random.Random(2019)
    first = dt.date(2015, 4, 1)
    for i in range(ROWS):
        sheet.append(
            [
                first + dt.timedelta(days=rnd.randrange(4 * 365)),
                rnd.randrange(0, 80),
                rnd.choice(OFFENCES),
                rnd.choice("YN"),
                f"CR/{i:07d}/{rnd.randrange(15, 19)}",
            ]
        )
    partial = path.with_suffix(".partial")
    workbook.save(partial)
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


def measure(kind: str, paths: list[Path]) -> dict[str, float]:
    """Median wall time and largest peak RSS over ``RUNS`` fresh processes."""
    walls, peaks = [], []
    for _ in range(RUNS):
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
    campaign = sorted(
        p for p in CAMPAIGN.glob("*") if p.suffix in (".xlsx", ".xls", ".ods", ".csv")
    )
    if campaign:
        results["campaign_read"] = measure("read", campaign)
        if has_engine:
            results["campaign_extract"] = measure("extract", campaign)
    return table(results, len(campaign), has_engine)


def table(results: dict[str, dict[str, float]], n_campaign: int, has_engine: bool) -> str:
    base = results["calamine"]["wall"]
    labels = {
        "calamine": "python-calamine plain read (baseline)",
        "read": "read_workbook (reading layer)",
        "extract": "extract (full engine)",
        "campaign_read": f"read_workbook, {n_campaign} campaign files together",
        "campaign_extract": f"extract, {n_campaign} campaign files together",
    }
    lines = [
        f"{ROWS:,}-row, 5-column record-list xlsx; wall = median of {RUNS} fresh processes, "
        "peak = largest process peak RSS (interpreter and imports included). "
        f"Targets: extract <= {TARGET_RATIO}x calamine, peak < {TARGET_PEAK_MB} MB, "
        f"campaign < {TARGET_CAMPAIGN_S} s. Measured {dt.date.today().isoformat()} "
        f"on Python {sys.version.split()[0]}.",
        "",
        "| task | wall (s) | x calamine | peak RSS (MB) |",
        "|---|---:|---:|---:|",
    ]
    for key, label in labels.items():
        if key not in results:
            continue
        wall, peak = results[key]["wall"], results[key]["peak_mb"]
        ratio = f"{wall / base:.2f}" if not key.startswith("campaign") else ""
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

"""Extraction speed and memory against python-calamine's plain read of the same file.

    .venv/bin/python bench/bench_extract.py            # print the table
    .venv/bin/python bench/bench_extract.py --write    # and update BENCHMARKS.md

Every measurement runs in a fresh subprocess, so that each peak RSS is that one task's process
peak (interpreter and imports included), not a high-water mark left by an earlier task.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks_md import timed_process, write_section

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CAMPAIGN = SHARED / "samples" / "campaign"
ROWS = 200_000
BIG_ROWS = 1_000_000
RUNS = 9
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
        # The reading layer, imported by the engine on its first file, before the clock as
        # python-calamine is for the baseline: the task times the work, not the imports.
        import aggregation.extraction.reading  # noqa: F401
        from aggregation.extraction.default_vocabulary import default_vocabulary
        from aggregation.extraction.engine import extract

        vocabulary = default_vocabulary(PERIODS)

        def run(path: str) -> None:
            extract(path, vocabulary)

    start, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        run(path)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_mb": peak_mb}))


def _once(kind: str, paths: list[Path]) -> dict[str, float]:
    """One fresh process: the task's own wall and CPU seconds (imports and start-up left out),
    the whole process's wall and CPU seconds (them included), and its peak RSS."""
    return timed_process([sys.executable, __file__, "--task", kind, *map(str, paths)])


def interleaved(kinds: dict[str, tuple[str, list[Path]]], runs: int = RUNS) -> dict[str, dict]:
    """Each named task in turn (A B A B ...), ``runs`` rounds after one uncounted warm-up round,
    so that a drift in the machine's speed falls on every task alike. Per task: the median of
    each figure, the largest peak, and the rounds themselves (for ratios taken pair by pair)."""
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in kinds}
    for round_ in range(runs + 1):
        for name, (kind, paths) in kinds.items():
            result = _once(kind, paths)
            if round_:
                rounds[name].append(result)
    return {
        name: {
            "rounds": results,
            "peak_mb": max(r["peak_mb"] for r in results),
            **{
                key: statistics.median(r[key] for r in results)
                for key in ("wall", "cpu", "process_wall", "process_cpu")
            },
        }
        for name, results in rounds.items()
    }


def pair_ratio(a: dict, b: dict, key: str) -> tuple[float, float, float]:
    """Median, min and max of A/B taken round by round."""
    ratios = [x[key] / y[key] for x, y in zip(a["rounds"], b["rounds"], strict=True)]
    return statistics.median(ratios), min(ratios), max(ratios)


# -- report ----------------------------------------------------------------------------------


GROUPS = ("xlsx", "csv", "1m", "campaign")


def run_all(groups: tuple[str, ...] = GROUPS, runs: int = RUNS) -> str:
    # Bytecode written first, as a deployed service has it: under PYTHONDONTWRITEBYTECODE every
    # process would compile the engine from source again, which no worker does.
    compileall.compile_dir(ROOT / "aggregation", quiet=1)
    results: dict[str, dict] = {}
    if "xlsx" in groups:
        big = records_file()
        results |= interleaved(
            {
                "calamine": ("calamine", [big]),
                "read": ("read", [big]),
                "extract": ("extract", [big]),
            },
            runs,
        )
    if "csv" in groups:
        csv_path = records_csv()
        results |= interleaved(
            {"csv_module": ("csv_module", [csv_path]), "csv_extract": ("extract", [csv_path])},
            runs,
        )
    if "1m" in groups:
        results |= interleaved({"extract_1m": ("extract", [records_file(BIG_ROWS)])}, runs=1)
    campaign = sorted(
        p for p in CAMPAIGN.glob("*") if p.suffix in (".xlsx", ".xls", ".ods", ".csv")
    )
    if campaign and "campaign" in groups:
        results |= interleaved(
            {"campaign_read": ("read", campaign), "campaign_extract": ("extract", campaign)},
            runs,
        )
    return table(results, len(campaign), runs)


def table(results: dict[str, dict], n_campaign: int, runs: int) -> str:
    labels = {
        "calamine": ("python-calamine plain read (baseline)", "calamine"),
        "read": ("read_workbook (reading layer)", "calamine"),
        "extract": ("extract (full engine)", "calamine"),
        "csv_module": (f"Python's csv module, the {ROWS:,} rows as CSV (baseline)", "csv_module"),
        "csv_extract": ("extract of that CSV (full engine)", "csv_module"),
        "extract_1m": (f"extract, {BIG_ROWS:,}-row record list (memory)", ""),
        "campaign_read": (f"read_workbook, {n_campaign} campaign files together", ""),
        "campaign_extract": (f"extract, {n_campaign} campaign files together", ""),
    }
    lines = [
        f"{ROWS:,}-row, 5-column record-list xlsx (and the same rows as CSV). Each group of "
        f"tasks runs interleaved in one run (A B C A B C ..., {runs} counted rounds after a "
        "warm-up, every task a fresh process on the same file); ratios are taken round by "
        "round: median (min-max). Task CPU = the task's own CPU seconds (from reading the file "
        "to the result: interpreter start-up and imports left out); whole process = the same "
        "with them. Peak = the largest process peak RSS (interpreter and imports included). "
        f"Targets: extract <= {TARGET_RATIO}x calamine with peak <= {TARGET_PEAK_MB} MB, "
        f"<= {TARGET_BIG_PEAK_MB} MB at {BIG_ROWS:,} rows, CSV extract <= {TARGET_CSV_RATIO}x "
        f"the csv module, campaign < {TARGET_CAMPAIGN_S} s. Measured "
        f"{dt.date.today().isoformat()} on Python {sys.version.split()[0]}, on a shared 2-core "
        "machine.",
        "",
        "| task | wall (s) | task CPU (s) | x baseline, task CPU | x baseline, wall | "
        "whole process CPU (s) | x baseline, whole process CPU | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, (label, base) in labels.items():
        if key not in results:
            continue
        r = results[key]
        compared = bool(base) and base != key
        cells = [label, f"{r['wall']:.3f}", f"{r['cpu']:.3f}"]
        cells += [_ratio(r, results[base], k) if compared else "" for k in ("cpu", "wall")]
        cells.append(f"{r['process_cpu']:.3f}")
        cells.append(_ratio(r, results[base], "process_cpu") if compared else "")
        cells.append(f"{r['peak_mb']:.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n" + PROFILE


# Where the time goes (per-stage CPU of the 200,000-row file, in process, 2026-11-30; cProfile
# for the shares): kept with the table so that the next change starts from it.
PROFILE = """
Where the time goes (seconds in one process, 2026-12-07, +-20% on this shared machine). xlsx:
python-calamine's plain read 1.2-1.4 (inflate ~0.1, parse ~1.0, rows ~0.08). Ours, first, the
vetting pass no parse may start before (it bounds what calamine allocates): every part inflated
once through ISA-L ~0.05, the sheet XML scanned by one RE2 pass ~0.1 and copied, stored, into
4 MB chunk sheets ~0.1, about 0.3 CPU in all. Then calamine parses the chunks two at a time on
two threads (it frees the GIL while parsing): ~1.2 CPU in ~0.6-0.8 wall, while this thread makes
each parsed chunk's values plain in place (~0.15; 0.43 when rows were transposed and rebuilt).
Understanding ~0.3: the record list's tally ~0.2 (a date's period now found in one cached pass),
the body's sparse rows ~0.06. So the CPU ratio stays ~1.5x: the vetting and the understanding
are work a plain read does not do; the wall ratio, which a researcher waits on, meets the
target with two cores (with one core it would equal the CPU ratio). Until 2026-12-07 the
engine's reading layer was imported inside the task clock (~0.15 s, 0.04 of it
xml.sax.saxutils pulling in urllib and email): it is now imported before the clock, as
python-calamine is for the baseline. CSV: the csv module 0.30-0.36; our read adds ~0.05 (the
line and cell limits proven on the bytes in one counting pass, an ASCII file taken as UTF-8
without a decode pass, rows kept as the csv module gives them); understanding ~0.3 (the reader
no longer sits in a reference cycle that kept the 200,000 rows for the collector to walk).
"""


def _ratio(a: dict, b: dict, key: str) -> str:
    median, low, high = pair_ratio(a, b, key)
    return f"{median:.2f} ({low:.2f}-{high:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument(
        "--only", default=",".join(GROUPS), help=f"comma-separated, of {', '.join(GROUPS)}"
    )
    parser.add_argument("--runs", type=int, default=RUNS, help="counted rounds per group")
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.task:
        _task(args.task, args.paths)
        return
    if args.write and (args.only != ",".join(GROUPS) or args.runs != RUNS):
        parser.error("--write records the full run only")
    body = run_all(tuple(args.only.split(",")), args.runs)
    print(body)
    if args.write:
        write_section("Extraction", body)


if __name__ == "__main__":
    main()

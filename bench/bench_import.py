"""``import_responses`` of 40 response files against extracting the same files bare.

    .venv/bin/python bench/bench_import.py            # print the table
    .venv/bin/python bench/bench_import.py --write    # and update BENCHMARKS.md

The 40 files are the project's own demo responses (``aggregation.demo_responses``) of the default
template, one per force, the six layouts taken in turn. Each round imports them with ``--create``
into a fresh SQLite database (a copy of one migrated once), and extracts them bare with the same
vocabulary, each task in its own process, the two interleaved.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks_md import timed_process, write_section

ROOT = Path(__file__).resolve().parents[1]
N_FILES = 40
RUNS = 5
PERIODS = ["2016-17", "2017-18", "2018-19"]
TARGET_RATIO = 2.0
WORK = Path(tempfile.gettempdir()) / "foitrack-bench" / "import"


def _django(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foitrack.settings")
    for name in ("CELERY_BROKER_URL", "REDIS_URL"):
        os.environ.pop(name, None)  # parses run in process, as without workers
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# -- set-up, once ------------------------------------------------------------------------------


def _setup_task(database: Path) -> None:
    """Migrate the template database; write the 40 files and the forces' names beside it."""
    _django(database)
    from django.core.management import call_command

    from aggregation.demo_responses import demo_responses
    from aggregation.extraction.campaign_templates import DEFAULT_TEMPLATE, TEMPLATES
    from requests_app.models import Force

    call_command("migrate", verbosity=0)
    forces = [(f.slug, f.name) for f in Force.objects.order_by("slug")][:N_FILES]
    files = []
    for response in demo_responses(TEMPLATES[DEFAULT_TEMPLATE], PERIODS, forces, seed="bench"):
        path = WORK / "files" / response.name
        path.write_bytes(response.content)
        files.append(str(path))
    from aggregation.selectors import force_names

    names = [[f.slug, list(f.names)] for f in force_names()]
    (WORK / "setup.json").write_text(json.dumps({"files": files, "forces": names}))


def setup() -> list[str]:
    """The files (made once, kept in the temp dir)."""
    done = WORK / "setup.json"
    if not done.exists():
        shutil.rmtree(WORK, ignore_errors=True)
        (WORK / "files").mkdir(parents=True)
        subprocess.run(
            [sys.executable, __file__, "--task", "setup", str(WORK / "template.sqlite3")],
            check=True,
        )
    return json.loads(done.read_text())["files"]


# -- one measurement, run in its own process ---------------------------------------------------


def _import_task(database: str, files: list[str]) -> dict[str, float]:
    _django(Path(database))
    from io import StringIO

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        call_command(
            "import_responses", "--campaign", "bench", "--create", *files, stdout=StringIO()
        )
    return {
        "wall": time.perf_counter() - start,
        "cpu": time.process_time() - cpu,
        "queries": len(queries),
    }


def _extract_task(files: list[str]) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from aggregation.extraction.campaign_templates import DEFAULT_TEMPLATE, TEMPLATES
    from aggregation.extraction.vocabulary import ForceNames

    forces = json.loads((WORK / "setup.json").read_text())["forces"]
    from aggregation.extraction.engine import extract

    start, cpu = time.perf_counter(), time.process_time()
    # What the command reads with: the template's vocabulary and every force's names.
    vocabulary = TEMPLATES[DEFAULT_TEMPLATE].vocabulary(
        forces=tuple(ForceNames(slug, tuple(names)) for slug, names in forces)
    )
    for path in files:
        extract(Path(path).read_bytes(), vocabulary)
    return {"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu, "queries": 0}


def _once(kind: str, files: list[str]) -> dict[str, float]:
    args = [sys.executable, __file__, "--task", kind]
    if kind == "import":
        database = WORK / "round.sqlite3"
        shutil.copyfile(WORK / "template.sqlite3", database)
        args.append(str(database))
    return timed_process([*args, *files])


def run(runs: int = RUNS) -> str:
    files = setup()
    rounds: dict[str, list[dict[str, float]]] = {"extract": [], "import": []}
    for round_ in range(runs + 1):  # the first round warms up and is not counted
        for kind in rounds:
            result = _once(kind, files)
            if round_:
                rounds[kind].append(result)
    return table(rounds, len(files), runs)


def table(rounds: dict[str, list[dict[str, float]]], n_files: int, runs: int) -> str:
    def median(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in rounds[kind])

    def ratio(key: str) -> str:
        ratios = [a[key] / b[key] for a, b in zip(rounds["import"], rounds["extract"], strict=True)]
        return f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"

    queries = median("import", "queries")
    lines = [
        f"{n_files} demo responses of the default template (`aggregation.demo_responses`, the six "
        "layouts in turn, one force each). `import_responses --create` into a fresh SQLite "
        "database against `extract` of the same files with the same vocabulary; interleaved "
        f"(extract, import, extract, import ..., {runs} counted rounds after a warm-up, each a "
        "fresh process); ratios taken round by round: median (min-max). Task = from the call "
        "to its end (start-up, Django set-up and imports left out); whole process = with them. "
        f"Target: import <= {TARGET_RATIO}x bare extraction. Measured "
        f"{dt.date.today().isoformat()} on Python {sys.version.split()[0]}, on a shared 2-core "
        "machine.",
        "",
        "| task | wall (s) | task CPU (s) | whole process CPU (s) | queries | queries a file |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, label in (
        ("extract", "extract each file bare (baseline)"),
        ("import", "`import_responses --create`"),
    ):
        n = median(kind, "queries")
        lines.append(
            f"| {label} | {median(kind, 'wall'):.3f} | {median(kind, 'cpu'):.3f} | "
            f"{median(kind, 'process_cpu'):.3f} | {n:.0f} | "
            f"{n / n_files:.1f} |"
        )
    lines += [
        "",
        f"import / extract: task CPU {ratio('cpu')}, wall {ratio('wall')}, whole process CPU "
        f"{ratio('process_cpu')}; {queries:.0f} queries in all.",
    ]
    return "\n".join(lines) + "\n" + PROFILE


PROFILE = """
Where the time went (cProfile, 2026-11-30): with --create each file was extracted once, but
storing a result cost more than reading it: `bulk_create` built a model instance and compiled
SQL for each of ~11,000 observations and ~3,700 figure rows, `dataclasses.asdict` deep-copied
every observation of every result only to drop them, every force and alias was fetched and
matched anew for each file, and a file read to recognise its force was read again. Now rows go
in with one `executemany` a table, the stored result is built field by field without the
observations, the force names once a run, and that read is kept. What is left beyond the
extraction: the campaign's one-time set-up (44 requests recorded as sent, with their history),
each upload (the file written, the document and its history), the commits, and Django's own
start-up (the whole-process ratio).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--runs", type=int, default=RUNS, help="counted rounds")
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.task == "setup":
        _setup_task(Path(args.paths[0]))
        return
    if args.task == "import":
        print(json.dumps(_import_task(args.paths[0], args.paths[1:])))
        return
    if args.task == "extract":
        print(json.dumps(_extract_task(args.paths)))
        return
    body = run(args.runs)
    print(body)
    if args.write:
        write_section("Import", body)


if __name__ == "__main__":
    main()

"""Write one section of BENCHMARKS.md, keeping the others: each benchmark owns its section."""

from __future__ import annotations

import json
import resource
import subprocess
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


def write_section(title: str, body: str) -> None:
    """Replace the section headed `## {title}` (or add it at the end)."""
    heading = f"## {title}"
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else "# Benchmarks\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    section = [f"{heading}\n", "\n", body]
    if start is None:
        lines += ["\n", *section]
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        lines[start:end] = [*section, "\n"] if end < len(lines) else section
    BENCHMARKS.write_text("".join(lines))


def timed_process(args: list[str]) -> dict[str, float]:
    """Run one fresh process that prints its own figures as JSON on its last line; add its
    whole-process wall and CPU seconds (start-up and imports included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    process_wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.strip().splitlines()[-1])
    result["process_wall"] = process_wall
    result["process_cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result

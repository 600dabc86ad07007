"""Write one section of BENCHMARKS.md, keeping the others: each benchmark owns its section."""

from __future__ import annotations

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

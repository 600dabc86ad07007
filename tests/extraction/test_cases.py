"""Every file in ``../shared/cases`` (one kind of difficulty each) reads RIGHT by its truth.

The truth file says, per file, the cells a careful reader takes, the per-period totals, the
readings that would be wrong and the verdicts allowed; ``score_case`` (the shared scoring tool)
compares a result with it exactly as ``../shared/tools/score_cases.py`` does from the command
line, so this test and the scorer never disagree.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from aggregation.extraction.engine import extract
from aggregation.selectors import campaign_vocabulary

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CASES = SHARED / "cases"
SCORER = SHARED / "tools" / "score_cases.py"

pytestmark = pytest.mark.skipif(not SCORER.is_file(), reason="../shared cases are absent")


def _truth() -> dict:
    return json.loads((CASES / "truth.json").read_text()) if SCORER.is_file() else {}


def _score_case():
    spec = importlib.util.spec_from_file_location("score_cases", SCORER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.score_case


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(_truth()))
def test_each_case_reads_right(name: str) -> None:
    result = extract(CASES / name, campaign_vocabulary(None))
    as_json = json.loads(json.dumps(result.to_dict(), default=str))
    status, notes = _score_case()(_truth()[name], as_json)
    assert status == "RIGHT", notes

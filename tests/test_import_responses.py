"""import_responses reads each file once and costs the same queries a file however many it
imports (issue 10: it used to read every file twice with --create and rebuild the force names
for every file)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aggregation import demo
from aggregation.demo_responses import LAYOUTS, demo_responses
from aggregation.extraction import reading
from aggregation.extraction.campaign_templates import DEFAULT_TEMPLATE, TEMPLATES
from requests_app.models import Document, DocumentStatus, Force

pytestmark = pytest.mark.django_db

PERIODS = ["2017-18", "2018-19"]
# Queries a file costs at most (19-20 today): the upload (the request locked, the same bytes
# looked for, the document and its history), storing the result in a savepoint (the document
# locked with its request, its observations and figures each deleted and written in one
# statement, the figures entered by hand read, the campaign's dimensions, the document and its
# history), the transactions, the report.
QUERIES_A_FILE = 20


@pytest.fixture(autouse=True)
def _on_commit(on_commit_at_once):
    pass


def response_files(tmp_path: Path, n: int) -> list[Path]:
    """``n`` demo responses of as many forces (each named in its file's name), the layouts in
    turn."""
    forces = [(f.slug, f.name) for f in Force.objects.order_by("slug")[:n]]
    responses = demo_responses(TEMPLATES[DEFAULT_TEMPLATE], PERIODS, forces, seed="import")
    tmp_path.mkdir(exist_ok=True)
    paths = []
    for response in responses:
        path = tmp_path / response.name
        path.write_bytes(response.content)
        paths.append(path)
    return paths


def unnamed_file(tmp_path: Path, force: str) -> Path:
    """A response whose name says nothing: its title names ``force``."""
    path = tmp_path / f"response-{len(list(tmp_path.iterdir()))}.xlsx"
    path.write_bytes(demo.ages_by_year_xlsx(force, demo.figures(force, PERIODS)))
    return path


def import_queries(campaign: str, files: list[Path]) -> int:
    with CaptureQueriesContext(connection) as queries:
        call_command(
            "import_responses", "--campaign", campaign, "--create", *files, stdout=StringIO()
        )
    return len(queries)


def test_it_reads_each_file_once_with_create(tmp_path, monkeypatch):
    files = response_files(tmp_path, len(LAYOUTS))
    # Files whose force is only inside them are read to recognise it: that read is the one.
    files += [unnamed_file(tmp_path, name) for name in ("Thames Valley Police", "Gwent Police")]
    reads = []

    def counting(reader):
        def read(data, *args):
            reads.append(data)
            return reader(data, *args)

        return read

    # The readers' table: whoever calls read_workbook, and however it was imported.
    for kind, reader in list(reading._READERS.items()):
        monkeypatch.setitem(reading._READERS, kind, counting(reader))
    import_queries("once", files)
    assert len(reads) == len(files)
    statuses = set(Document.objects.values_list("status", flat=True))
    assert statuses <= {DocumentStatus.PARSED, DocumentStatus.NEEDS_REVIEW}


def test_its_queries_a_file_do_not_grow_with_the_number_of_files(tmp_path):
    two = import_queries("two", response_files(tmp_path / "two", 2))
    six = import_queries("six", response_files(tmp_path / "six", 6))
    # The campaign's own set-up is paid once; each further file costs the same bounded number.
    assert six - two <= 4 * QUERIES_A_FILE
    assert Document.objects.count() == 8

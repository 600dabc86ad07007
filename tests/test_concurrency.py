"""The same bytes uploaded many times at once, on PostgreSQL from real threads: one document,
every caller answered with it, and no file in the media folder without its row."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient

from aggregation import demo, services
from requests_app.models import Document
from tests.conftest import IN_CI
from tests.factories import sent_request

pytestmark = [
    pytest.mark.services,
    # Threads commit for real; serialized rollback restores the seeded forces and vocabulary.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

UPLOADS = 10


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI=true requires DATABASE_URL to name PostgreSQL")
        pytest.skip("concurrent transactions need PostgreSQL")


def at_once(n: int, work) -> list:
    """Run `work(i)` in n threads released together; their results (or exceptions), in order."""
    start = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = work(i)
        except Exception as exc:  # kept for the assertion, with its traceback
            results[i] = exc
        finally:
            connection.close()  # each thread's own connection to the test database

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def stored_files(settings) -> list[str]:
    folder = settings.MEDIA_ROOT / "responses"
    return sorted(os.listdir(folder)) if folder.exists() else []


def kent_file() -> bytes:
    return demo.ages_by_year_xlsx("Kent Police", demo.figures("kent", ["2017-18", "2018-19"]))


def test_ten_identical_uploads_at_once_give_one_document_to_every_caller(researcher, settings):
    request = sent_request(researcher, force="kent")
    content = kent_file()

    def upload(i: int):
        client = APIClient()
        client.force_authenticate(researcher)
        return client.post(
            f"/api/documents/upload/{request.pk}/",
            {"file": SimpleUploadedFile(f"kent-{i}.xlsx", content)},
            format="multipart",
        )

    responses = at_once(UPLOADS, upload)
    assert [getattr(r, "status_code", r) for r in responses] == [202] * UPLOADS
    ids = {r.json()[0]["id"] for r in responses}
    document = Document.objects.get()
    assert ids == {document.pk}
    assert stored_files(settings) == [document.file.name.split("/")[-1]]
    assert document.file.read() == content


def test_concurrent_uploads_of_different_files_each_keep_their_own(researcher, settings):
    request = sent_request(researcher, force="kent")
    files = [
        demo.ages_by_year_xlsx("Kent Police", demo.figures(f"seed{i}", ["2018-19"]))
        for i in range(UPLOADS // 2)
    ]

    def upload(i: int) -> int:
        document, _ = services.document_upload(
            request=request, name=f"f{i}.xlsx", content=files[i % len(files)], by=researcher
        )
        return document.pk

    ids = at_once(UPLOADS, upload)
    assert all(isinstance(i, int) for i in ids), ids
    assert len(set(ids)) == len(files) == Document.objects.count()
    stored = {d.file.name.split("/")[-1] for d in Document.objects.all()}
    assert stored_files(settings) == sorted(stored)


def test_an_upload_whose_row_cannot_be_saved_leaves_no_file(researcher, settings, monkeypatch):
    request = sent_request(researcher, force="kent")

    def broken_save(self, *args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Document, "save", broken_save)
    with pytest.raises(RuntimeError):
        services.document_upload(request=request, name="k.xlsx", content=kent_file(), by=None)
    assert stored_files(settings) == []


def test_the_sweep_deletes_old_files_without_a_row_and_only_those(researcher, settings):
    request = sent_request(researcher, force="kent")
    document, _ = services.document_upload(
        request=request, name="k.xlsx", content=kent_file(), by=None
    )
    folder = settings.MEDIA_ROOT / "responses"
    old_orphan, new_orphan = folder / "old-orphan", folder / "new-orphan"
    old_orphan.write_bytes(b"left by a rolled-back upload")
    new_orphan.write_bytes(b"an upload still in its transaction")
    two_hours_ago = (old_orphan.stat().st_mtime) - timedelta(hours=2).total_seconds()
    os.utime(old_orphan, (two_hours_ago, two_hours_ago))
    os.utime(settings.MEDIA_ROOT / document.file.name, (two_hours_ago, two_hours_ago))

    assert services.sweep_orphan_files() == ["responses/old-orphan"]
    assert stored_files(settings) == sorted(["new-orphan", document.file.name.split("/")[-1]])

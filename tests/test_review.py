"""Review fixes anything once, for the whole campaign: a label mapped once reads right in every
document that reported it; corrections of one document's reading are kept."""

from __future__ import annotations

import io
import json
from datetime import date
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from openpyxl import load_workbook
from rest_framework.test import APIClient

from aggregation import rollups, services
from aggregation.demo_responses import demo_responses
from aggregation.extraction.campaign_templates import TEMPLATES
from aggregation.models import Alias, LabelMapping, ReadingHint, ReviewAction
from requests_app import services as request_services
from requests_app.models import Document, DocumentStatus, Force
from tests.factories import make_campaign, national_of

pytestmark = pytest.mark.django_db

STRIP = "child-strip-searches"
FORCES = ["kent", "essex", "surrey", "sussex", "dorset", "norfolk", "suffolk", "wiltshire"]

# Spellings no vocabulary knows, each written by several forces: one mapping each must do.
ODD = {
    ("ethnicity", "Mixed"): "Mxd/multiple",
    ("ethnicity", "Other ethnic group"): "Remaining groups",
    ("age", "13-15"): "Thirteen to fifteen",
}
ODD_PERIOD = "Year ending spring 2023"  # for 2022-23, in every table with periods across


def _respell(content: bytes, name: str) -> bytes:
    """The file with its labels in the odd spellings: cell for cell, the figures untouched."""
    odd = {value: spelling for (_dimension, value), spelling in ODD.items()}
    periods = {"2022/23", "2022-23", "FY 2022/23", "Apr 2022 - Mar 2023"}
    if name.endswith(".csv"):
        text = content.decode("utf-8-sig")
        lines = []
        for line in text.split("\r\n"):
            cells = [odd.get(c, ODD_PERIOD if c in periods else c) for c in line.split(",")]
            lines.append(",".join(cells))
        return "\r\n".join(lines).encode("utf-8-sig")
    book = load_workbook(io.BytesIO(content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    if cell.value in odd:
                        cell.value = odd[cell.value]
                    elif cell.value in periods:
                        cell.value = ODD_PERIOD
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _json(command: str, *args: str) -> dict:
    out = StringIO()
    call_command(command, *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def odd_campaign(researcher, on_commit_at_once, tmp_path):
    template = TEMPLATES[STRIP]
    campaign = make_campaign(researcher, slug="odd", forces=FORCES, template=STRIP)
    request_services.campaign_record_sent(campaign=campaign, by=researcher, on=date(2024, 3, 1))
    forces = [(f.slug, f.name) for f in Force.objects.filter(slug__in=FORCES).order_by("slug")]
    responses = demo_responses(template, list(campaign.periods), forces, seed="review")
    for r in responses:
        path = tmp_path / r.name
        path.write_bytes(_respell(r.content, r.name))
        call_command(
            "import_responses", "--campaign", "odd", "--force", r.force, str(path),
            stdout=StringIO(),
        )  # fmt: skip
    return campaign, responses


def test_a_campaign_reaches_its_true_figures_mapping_each_odd_label_once(odd_campaign):
    campaign, responses = odd_campaign
    review = _json("review", "--campaign", "odd")
    assert set(review["documents"].values()) >= {DocumentStatus.NEEDS_REVIEW}
    unknown = [d for d in review["doubts"] if d["kind"] == "unknown_label"]
    found = {(d["dimension"], d["label"]) for d in unknown}
    assert found == {
        *((dimension, spelling) for (dimension, _), spelling in ODD.items()),
        ("period", ODD_PERIOD),
    }, found
    assert [d for d in review["doubts"] if d["kind"] != "unknown_label"] == [], review["doubts"]
    # Worst first: the label reported by most documents leads.
    counts = [len(d["documents"]) for d in review["doubts"]]
    assert counts == sorted(counts, reverse=True) and counts[0] > 1
    assert all("!" in cell for d in unknown for cell in d["cells"])

    truth = {spelling: value for (_d, value), spelling in ODD.items()} | {ODD_PERIOD: "2022-23"}
    for doubt in unknown:
        done = _json(
            "map_label", "--campaign", "odd", "--dimension", doubt["dimension"],
            "--label", doubt["label"], "--to", truth[doubt["label"]],
        )  # fmt: skip
        assert sorted(done["reread"]) == sorted(doubt["documents"])
        assert set(done["statuses"]) == {str(pk) for pk in doubt["documents"]}

    after = _json("review", "--campaign", "odd")
    assert after["doubts"] == []
    assert set(after["documents"].values()) == {DocumentStatus.PARSED}
    rollup = rollups.campaign_rollup(campaign)
    for period in campaign.periods:
        assert rollup["national"][period]["value"] == sum(r.totals[period] for r in responses)
        for dimension in ("ethnicity", "age"):
            read = rollup["dimensions"][dimension][period]
            assert {k: v["value"] for k, v in read.items()} == national_of(
                responses, dimension, period
            )


def test_the_review_command_says_each_doubt_and_the_document_statuses_in_words(odd_campaign):
    out = StringIO()
    call_command("review", "--campaign", "odd", stdout=out)
    lines = out.getvalue().splitlines()
    assert any(line.startswith(f"'{ODD_PERIOD}': ") for line in lines), lines
    assert "needs review" in lines[-1] and "needs_review" not in lines[-1], lines[-1]


def test_mapping_a_category_label_adds_an_alias_and_rereads_only_the_documents_reporting_it(
    odd_campaign,
):
    campaign, _ = odd_campaign
    reporting = {
        d.pk
        for d in Document.objects.filter(request__campaign=campaign)
        if any(r.get("label") == ODD[("ethnicity", "Mixed")] for r in d.result["reasons"])
    }
    reread = services.campaign_map_label(
        campaign=campaign,
        dimension="ethnicity",
        label="MXD/Multiple",
        to="mixed",
        by=None,
    )
    assert set(reread) == reporting and len(reporting) > 1
    alias = Alias.objects.get(alias="MXD/Multiple")
    assert (alias.term.name, alias.force) == ("Mixed", None)
    assert {a.document_id for a in ReviewAction.objects.filter(kind="reread")} == reporting


@pytest.mark.parametrize(
    ("dimension", "to", "field", "message"),
    [
        ("colour", "red", "dimension", "No dimension 'colour'"),
        ("period", "2018", "to", "is not a financial year"),
        ("age", "teen", "to", "is not an age"),
        ("ethnicity", "Purple", "to", "No ethnicity 'Purple'"),
        ("force", "atlantis", "to", "No force 'atlantis'"),
        ("age", "", "to", "Choose what the label means"),
    ],
)
def test_it_rejects_a_mapping_that_names_no_value_of_the_dimension(
    researcher, dimension, to, field, message
):
    campaign = make_campaign(researcher, slug="bad", forces=["kent"], template=STRIP)
    with pytest.raises(ValidationError) as refused:
        services.campaign_map_label(
            campaign=campaign, dimension=dimension, label="X", to=to, by=researcher
        )
    assert list(refused.value.message_dict) == [field]
    assert message in refused.value.message_dict[field][0]
    assert not LabelMapping.objects.exists() and not Alias.objects.filter(alias="X").exists()


def test_the_map_label_command_names_the_bad_option(researcher):
    make_campaign(researcher, slug="cmd", forces=["kent"], template=STRIP)
    with pytest.raises(CommandError, match="--to: 'teen' is not an age"):
        call_command(
            "map_label", "--campaign", "cmd", "--dimension", "age", "--label", "Teens",
            "--to", "teen",
        )  # fmt: skip


def test_a_label_mapped_for_one_force_reads_so_only_in_its_files(odd_campaign):
    campaign, _ = odd_campaign
    kent = Force.objects.get(slug="kent")
    label = ODD[("age", "13-15")]
    services.campaign_map_label(
        campaign=campaign, dimension="age", label=label, to="13-15", force=kent, by=None
    )
    for document in Document.objects.filter(request__campaign=campaign):
        reported = {r.get("label") for r in document.result["reasons"]}
        if document.request.force == kent:
            assert label not in reported
        elif document.status == DocumentStatus.NEEDS_REVIEW and document.result["tables"]:
            pass  # other forces still report it where their files write it
    others = Document.objects.filter(request__campaign=campaign).exclude(request__force=kent)
    assert any(label in {r.get("label") for r in d.result["reasons"]} for d in others)


def test_a_decided_document_keeps_its_decision_when_a_label_is_mapped(odd_campaign, researcher):
    campaign, _ = odd_campaign
    label = ODD[("ethnicity", "Other ethnic group")]
    reporting = [
        d
        for d in Document.objects.filter(request__campaign=campaign)
        if any(r.get("label") == label for r in d.result["reasons"])
    ]
    services.document_approve(document=reporting[0], by=researcher)
    reread = services.campaign_map_label(
        campaign=campaign,
        dimension="ethnicity",
        label=label,
        to="other ethnic group",
        by=researcher,
    )
    assert reporting[0].pk not in reread
    reporting[0].refresh_from_db()
    assert reporting[0].status == DocumentStatus.APPROVED


def test_the_api_lists_doubts_and_maps_a_label(odd_campaign, researcher):
    campaign, _ = odd_campaign
    client = APIClient()
    client.force_authenticate(researcher)
    listed = client.get(f"/api/reviews/{campaign.slug}/")
    assert listed.status_code == 200, listed.content
    period = next(d for d in listed.json()["doubts"] if d["dimension"] == "period")
    assert period["label"] == ODD_PERIOD
    mapped = client.post(
        f"/api/reviews/{campaign.slug}/map-label/",
        {"dimension": "period", "label": ODD_PERIOD, "to": "2022-23"},
        format="json",
    )
    assert mapped.status_code == 200, mapped.content
    assert sorted(mapped.json()["reread"]) == sorted(period["documents"])
    assert LabelMapping.objects.get(campaign=campaign).value == "2022-23"
    refused = client.post(
        f"/api/reviews/{campaign.slug}/map-label/",
        {"dimension": "period", "label": ODD_PERIOD, "to": "2022"},
        format="json",
    )
    assert refused.status_code == 400 and "to" in refused.json()


def test_a_correction_is_kept_and_applied_on_every_read(researcher, on_commit_at_once):
    campaign = make_campaign(researcher, slug="hint", forces=["kent"])
    request_services.campaign_record_sent(campaign=campaign, by=researcher, on=date(2024, 3, 1))
    request = campaign.requests.get()
    periods = campaign.periods
    rows = [["Offence", *periods], ["Rape", *[3] * len(periods)]]
    rows += [["Sexual grooming", *[2] * len(periods)], ["Both together", *[5] * len(periods)]]
    content = "\r\n".join(",".join(str(c) for c in r) for r in rows).encode()
    document, _ = services.document_upload(request=request, name="k.csv", content=content, by=None)
    document.refresh_from_db()
    assert document.status == DocumentStatus.NEEDS_REVIEW
    hint = services.document_correct(
        document=document, sheet="CSV", kind="total", row=3, by=researcher
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.PARSED
    assert document.observations.filter(period=periods[0], shape="", value=5).exists()
    services.document_reparse(document=document, by=researcher)
    document.refresh_from_db()
    assert document.status == DocumentStatus.PARSED, "the correction holds on a new read"
    assert ReviewAction.objects.filter(document=document, kind="correct").count() == 1
    services.document_remove_correction(hint=hint, by=researcher)
    document.refresh_from_db()
    assert document.status == DocumentStatus.NEEDS_REVIEW
    assert not ReadingHint.objects.exists()
    with pytest.raises(ValidationError, match="no sheet 'Nope'"):
        services.document_correct(document=document, sheet="Nope", kind="total", row=1, by=None)
    with pytest.raises(ValidationError, match="not a financial year"):
        services.document_correct(
            document=document, sheet="CSV", kind="period", row=1, period="2020", by=None
        )

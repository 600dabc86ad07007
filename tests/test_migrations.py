"""Migrations move today's data without loss."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("aggregation", "0004_review_choices"), ("requests_app", "0006_review_choices")]
AFTER = [
    ("aggregation", "0007_drop_shared_vocabulary"),
    ("requests_app", "0007_campaign_questions"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    """Whatever the test does, the database ends at the latest migrations, as others expect."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_campaign_questions_keep_every_term_alias_rule_and_observation(back_to_latest):
    old = _migrate(BEFORE)
    User = old.get_model("auth", "User")
    Force = old.get_model("requests_app", "Force")
    Campaign = old.get_model("requests_app", "Campaign")
    FOIRequest = old.get_model("requests_app", "FOIRequest")
    Document = old.get_model("requests_app", "Document")
    Term = old.get_model("aggregation", "Term")
    Alias = old.get_model("aggregation", "Alias")
    Observation = old.get_model("aggregation", "Observation")
    owner = User.objects.create(username="owner")
    kent = Force.objects.get(slug="kent")
    campaign = Campaign.objects.create(
        title="Old", slug="old", owner=owner, request_text="?", periods=["2018-19"]
    )
    KeywordRule = old.get_model("aggregation", "KeywordRule")
    # The shared default vocabulary, as 0002 seeded it and researchers added to it.
    rape = Term.objects.create(dimension="offence", name="Rape", campaign=None, position=0)
    Term.objects.create(dimension="offence", name="Sexual grooming", campaign=None, position=3)
    KeywordRule.objects.create(term=rape, all_of="rape", none_of="trust")
    Alias.objects.create(term=rape, alias="Rape of a person aged 15", force=kent)
    own = Term.objects.create(
        dimension="offence", name="Harmful sexual behaviour", campaign=campaign
    )
    Alias.objects.create(term=own, alias="HSB")
    request = FOIRequest.objects.create(campaign=campaign, force=kent, status="answered")
    document = Document.objects.create(
        request=request, original_name="k.xlsx", size=1, sha256="0" * 64, status="parsed",
        file="responses/x",
    )  # fmt: skip
    Observation.objects.create(
        document=document, force=kent, period="2018-19", age="", offence="", value=30, lower=30,
        upper=30, derived=True, sheet="S", cell="B9", table=0,
    )  # fmt: skip
    for age, n in (("12", 10), ("13", 20)):
        Observation.objects.create(
            document=document, force=kent, period="2018-19", age=age, offence="Rape", value=n,
            lower=n, upper=n, sheet="S", cell="B2", table=0,
        )  # fmt: skip

    new = _migrate(AFTER)
    Campaign = new.get_model("requests_app", "Campaign")
    Term = new.get_model("aggregation", "Term")
    Observation = new.get_model("aggregation", "Observation")
    DocumentFigure = new.get_model("aggregation", "DocumentFigure")
    campaign = Campaign.objects.get(slug="old")
    assert campaign.template.slug == "online-child-sexual-offences"
    assert campaign.period_kind == "financial_year" and campaign.require_flag is True
    names = set(Term.objects.filter(dimension__campaign=campaign).values_list("name", flat=True))
    assert {"Rape", "Sexual grooming", "Harmful sexual behaviour"} <= names
    rape = Term.objects.get(dimension__campaign=campaign, name="Rape")
    assert rape.aliases.filter(alias="Rape of a person aged 15", force__slug="kent").exists()
    assert rape.rules.exists()
    assert Term.objects.get(name="Harmful sexual behaviour").aliases.filter(alias="HSB").exists()
    assert Term.objects.count() == len(names)  # the shared terms went once copied
    dims = sorted(Observation.objects.values_list("dimensions", flat=True), key=len)
    assert dims == [{}, {"age": "12", "offence": "Rape"}, {"age": "13", "offence": "Rape"}]
    assert set(Observation.objects.values_list("shape", flat=True)) == {"", "age,offence"}
    total = DocumentFigure.objects.get(kind="total")
    assert (total.lower, total.upper, total.period) == (30, 30, "2018-19")
    parts = {f.key: f.lower for f in DocumentFigure.objects.filter(kind="part", dimension="age")}
    assert parts == {"12": 10, "13": 20}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_campaigns_take_their_templates_subjects(back_to_latest):
    old = _migrate([("requests_app", "0010_email_sending_and_replies")])
    CampaignTemplate = old.get_model("aggregation", "CampaignTemplate")
    Campaign = old.get_model("requests_app", "Campaign")
    stored = CampaignTemplate.objects.get(slug="online-child-sexual-offences")
    stored.definition = {k: v for k, v in stored.definition.items() if k != "measure_subjects"}
    stored.save()
    owner = old.get_model("auth", "User").objects.create(username="subjects")
    Campaign.objects.create(
        title="Online", slug="online-sub", owner=owner, request_text="?", template=stored
    )
    Campaign.objects.create(title="Bare", slug="bare-sub", owner=owner, request_text="?")

    new = _migrate([("requests_app", "0011_campaign_measure_subjects")])
    Campaign = new.get_model("requests_app", "Campaign")
    CampaignTemplate = new.get_model("aggregation", "CampaignTemplate")
    assert Campaign.objects.get(slug="online-sub").measure_subjects == "victims, victim"
    assert Campaign.objects.get(slug="bare-sub").measure_subjects == ""
    definition = CampaignTemplate.objects.get(slug="online-child-sexual-offences").definition
    assert definition["measure_subjects"] == ["victims", "victim"]

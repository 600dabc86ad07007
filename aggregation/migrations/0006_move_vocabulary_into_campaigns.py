"""Every campaign gets its own question and vocabulary: the online-child-sexual-offences template
(SPEC 5), which every campaign asked until now, with the shared offence terms copied into each
campaign (researchers' aliases and rules included, for all forces or one); observations carry
their dimensions generically; per-document sums are built. Nothing is lost: the shared terms are
deleted only once every campaign holds its copy."""

from django.db import migrations

from aggregation.document_figures import Cell, document_sums, shape_of
from aggregation.extraction.campaign_templates import DEFAULT_TEMPLATE, TEMPLATES

BATCH = 2000


def seed_templates(apps):
    CampaignTemplate = apps.get_model("aggregation", "CampaignTemplate")
    for template in TEMPLATES.values():
        CampaignTemplate.objects.update_or_create(
            slug=template.slug,
            defaults={"title": template.title, "definition": template.to_json()},
        )
    return CampaignTemplate.objects.get(slug=DEFAULT_TEMPLATE)


def copy_term(apps, source, dimension, campaign):
    Term = apps.get_model("aggregation", "Term")
    Alias = apps.get_model("aggregation", "Alias")
    KeywordRule = apps.get_model("aggregation", "KeywordRule")
    term = Term.objects.filter(campaign=campaign, name__iexact=source.name).first()
    if term is None:
        term = Term.objects.create(
            campaign=campaign,
            dimension=source.dimension,
            dimension_ref=dimension,
            name=source.name,
            position=source.position,
        )
    term.dimension_ref = dimension
    term.save(update_fields=["dimension_ref"])
    if term.pk == source.pk:
        return
    Alias.objects.bulk_create(
        [
            Alias(
                term=term,
                alias=a.alias,
                force_id=a.force_id,
                created_by_id=a.created_by_id,
                created_at=a.created_at,
            )
            for a in Alias.objects.filter(term=source)
        ],
        ignore_conflicts=True,
    )
    KeywordRule.objects.bulk_create(
        [
            KeywordRule(term=term, all_of=r.all_of, none_of=r.none_of, force_id=r.force_id)
            for r in KeywordRule.objects.filter(term=source)
        ]
    )


def move_vocabulary(apps, template):
    Campaign = apps.get_model("requests_app", "Campaign")
    Dimension = apps.get_model("aggregation", "Dimension")
    Abbreviation = apps.get_model("aggregation", "Abbreviation")
    Term = apps.get_model("aggregation", "Term")
    spec = template.definition
    shared = list(Term.objects.filter(campaign__isnull=True).order_by("position", "pk"))
    for campaign in Campaign.objects.all():
        campaign.template = template
        campaign.measure = spec["measure"]
        campaign.measure_description = spec["description"]
        campaign.measure_words = ", ".join(spec["measure_words"])
        campaign.measure_unit = spec["unit"]
        campaign.period_kind = spec["period_kind"]
        campaign.max_age = spec["scope"]["max_age"]
        campaign.require_flag = spec["scope"]["require_flag"]
        campaign.save()
        dimensions = {
            d["name"]: Dimension.objects.create(
                campaign=campaign,
                name=d["name"],
                kind=d["kind"],
                title=d["title"],
                words=", ".join(d["words"]),
                position=i,
            )
            for i, d in enumerate(spec["dimensions"])
        }
        for source in [*Term.objects.filter(campaign=campaign), *shared]:
            copy_term(apps, source, dimensions[source.dimension], campaign)
        Abbreviation.objects.bulk_create(
            [Abbreviation(campaign=campaign, short=a, expansion=b) for a, b in spec["abbreviations"]]
        )
    Term.objects.filter(campaign__isnull=True).delete()


def generic_dimensions(apps):
    Observation = apps.get_model("aggregation", "Observation")
    batch = []
    for o in Observation.objects.only("pk", "age", "offence").iterator(chunk_size=BATCH):
        o.dimensions = {k: v for k, v in (("age", o.age), ("offence", o.offence)) if v}
        o.shape = shape_of(o.dimensions)
        batch.append(o)
        if len(batch) >= BATCH:
            Observation.objects.bulk_update(batch, ["dimensions", "shape"])
            batch = []
    Observation.objects.bulk_update(batch, ["dimensions", "shape"])


def document_figures(apps):
    Document = apps.get_model("requests_app", "Document")
    Observation = apps.get_model("aggregation", "Observation")
    DocumentFigure = apps.get_model("aggregation", "DocumentFigure")
    CampaignRollup = apps.get_model("aggregation", "CampaignRollup")
    # Every campaign asked the default template until now: its order of dimensions.
    order = [d["name"] for d in TEMPLATES[DEFAULT_TEMPLATE].to_json()["dimensions"]]
    for document_id in Document.objects.values_list("pk", flat=True):
        rows = Observation.objects.filter(document_id=document_id).values_list(
            "force_id", "period", "table", "dimensions", "lower", "upper", "derived"
        )
        DocumentFigure.objects.bulk_create(
            [
                DocumentFigure(
                    document_id=document_id,
                    force_id=s.force_id,
                    period=s.period,
                    table=s.table,
                    kind=s.kind,
                    dimension=s.dimension,
                    key=s.key,
                    lower=s.lower,
                    upper=s.upper,
                    lower_max=s.lower_max,
                    upper_min=s.upper_min,
                    tables=s.tables,
                )
                for s in document_sums((Cell(*row) for row in rows), order)
            ],
            batch_size=BATCH,
        )
    CampaignRollup.objects.all().delete()  # computed the old way: recomputed on first read


def forwards(apps, schema_editor):
    template = seed_templates(apps)
    move_vocabulary(apps, template)
    generic_dimensions(apps)
    document_figures(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("aggregation", "0005_campaign_questions"),
        ("requests_app", "0007_campaign_questions"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

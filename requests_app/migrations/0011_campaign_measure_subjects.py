"""Campaigns say whose their figures are ("victims"), so that a table titled "Victims by age"
is read as the campaign's measure by victims' age. Stored templates gain the same words from
``aggregation.extraction.campaign_templates``; each campaign takes its template's."""

from django.db import migrations, models

from aggregation.extraction.campaign_templates import TEMPLATES


def add_subjects(apps, schema_editor):
    CampaignTemplate = apps.get_model("aggregation", "CampaignTemplate")
    Campaign = apps.get_model("requests_app", "Campaign")
    for stored in CampaignTemplate.objects.all():
        template = TEMPLATES.get(stored.slug)
        if template is None or "measure_subjects" in stored.definition:
            continue
        stored.definition = {
            **stored.definition,
            "measure_subjects": list(template.measure.subjects),
        }
        stored.save(update_fields=["definition"])
    for stored in CampaignTemplate.objects.all():
        subjects = ", ".join(stored.definition.get("measure_subjects", []))
        Campaign.objects.filter(template=stored, measure_subjects="").update(
            measure_subjects=subjects
        )


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0010_email_sending_and_replies"),
        ("aggregation", "0009_bounded_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="measure_subjects",
            field=models.CharField(
                blank=True,
                help_text="Whose the figures are (e.g. victims), comma-separated: a table titled "
                "'Victims by age' is then read as the measure by victims' age, not as another "
                "measure.",
                max_length=300,
            ),
        ),
        migrations.RunPython(add_subjects, migrations.RunPython.noop),
    ]

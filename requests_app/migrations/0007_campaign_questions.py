"""What a campaign asks: its template, measure, period kind and record-list scope."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('aggregation', '0005_campaign_questions'),
        ('requests_app', '0006_review_choices'),
    ]

    operations = [
        migrations.AddField(
            model_name='campaign',
            name='max_age',
            field=models.PositiveSmallIntegerField(blank=True, default=17, help_text='Record lists: people older than this are outside the request (empty: no limit).', null=True),
        ),
        migrations.AddField(
            model_name='campaign',
            name='measure',
            field=models.CharField(default='offences', help_text="What is counted, as the headline says it: 'strip searches of children'.", max_length=200),
        ),
        migrations.AddField(
            model_name='campaign',
            name='measure_description',
            field=models.TextField(blank=True, help_text='What is counted, in full.'),
        ),
        migrations.AddField(
            model_name='campaign',
            name='measure_unit',
            field=models.CharField(default='count', max_length=20),
        ),
        migrations.AddField(
            model_name='campaign',
            name='measure_words',
            field=models.CharField(blank=True, help_text='Heading words that name the measure in a file (e.g. searches, incidents), comma-separated: where a table counts two measures, these columns are read.', max_length=300),
        ),
        migrations.AddField(
            model_name='campaign',
            name='period_kind',
            field=models.CharField(choices=[('financial_year', 'Financial years (April to March), e.g. 2018-19'), ('calendar_year', 'Calendar years, e.g. 2018'), ('month', 'Months, e.g. 2018-06')], default='financial_year', max_length=20),
        ),
        migrations.AddField(
            model_name='campaign',
            name='require_flag',
            field=models.BooleanField(default=False, help_text='Record lists: where a flag column (e.g. online) exists, only flagged rows count.'),
        ),
        migrations.AddField(
            model_name='campaign',
            name='template',
            field=models.ForeignKey(blank=True, help_text="The template the campaign's question and vocabulary were copied from.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='campaigns', to='aggregation.campaigntemplate'),
        ),
        migrations.AlterField(
            model_name='campaign',
            name='periods',
            field=models.JSONField(default=list, help_text="Periods asked, of the campaign's kind: 2015-16, 2016-17 (financial years), 2018 (calendar years) or 2018-06 (months)."),
        ),
    ]

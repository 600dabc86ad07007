"""Campaign templates, campaign dimensions and abbreviations, observations with generic
dimensions, and per-document sums (schema only; 0006 moves the data)."""

import django.db.models.deletion
import django.db.models.functions.text
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('aggregation', '0004_review_choices'),
        ('requests_app', '0006_review_choices'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Abbreviation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('short', models.CharField(max_length=40)),
                ('expansion', models.CharField(max_length=200)),
            ],
            options={
                'ordering': ['campaign', 'short'],
            },
        ),
        migrations.CreateModel(
            name='CampaignTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(unique=True)),
                ('title', models.CharField(max_length=200)),
                ('definition', models.JSONField()),
            ],
            options={
                'ordering': ['title'],
            },
        ),
        migrations.CreateModel(
            name='Dimension',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.SlugField(help_text='As observations carry it, e.g. age, offence, ethnicity.', max_length=40)),
                ('kind', models.CharField(choices=[('age', 'Age (single years, bands, unknown)'), ('category', 'Categories (terms with aliases and rules)'), ('force', 'Force (national tables)')], max_length=20)),
                ('title', models.CharField(blank=True, max_length=120)),
                ('words', models.CharField(blank=True, help_text='Heading words that announce this dimension in a file, comma-separated.', max_length=500)),
                ('position', models.PositiveSmallIntegerField(default=0)),
            ],
            options={
                'ordering': ['campaign', 'position', 'name'],
            },
        ),
        migrations.CreateModel(
            name='DocumentFigure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period', models.CharField(max_length=10)),
                ('table', models.PositiveSmallIntegerField()),
                ('kind', models.CharField(choices=[('total', 'Stated total'), ('shape', 'Sum of a breakdown'), ('part', 'Sum of one dimension value'), ('figure', "The document's figure"), ('breakdown', "The document's figure from its breakdown")], max_length=9)),
                ('dimension', models.CharField(blank=True, max_length=40)),
                ('key', models.CharField(blank=True, max_length=200)),
                ('lower', models.BigIntegerField()),
                ('upper', models.BigIntegerField()),
                ('lower_max', models.BigIntegerField(null=True)),
                ('upper_min', models.BigIntegerField(null=True)),
                ('tables', models.CharField(blank=True, max_length=200)),
            ],
        ),
        migrations.CreateModel(
            name='HistoricalAbbreviation',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('short', models.CharField(max_length=40)),
                ('expansion', models.CharField(max_length=200)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
            ],
            options={
                'verbose_name': 'historical abbreviation',
                'verbose_name_plural': 'historical abbreviations',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalDimension',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('name', models.SlugField(help_text='As observations carry it, e.g. age, offence, ethnicity.', max_length=40)),
                ('kind', models.CharField(choices=[('age', 'Age (single years, bands, unknown)'), ('category', 'Categories (terms with aliases and rules)'), ('force', 'Force (national tables)')], max_length=20)),
                ('title', models.CharField(blank=True, max_length=120)),
                ('words', models.CharField(blank=True, help_text='Heading words that announce this dimension in a file, comma-separated.', max_length=500)),
                ('position', models.PositiveSmallIntegerField(default=0)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
            ],
            options={
                'verbose_name': 'historical dimension',
                'verbose_name_plural': 'historical dimensions',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AddField(
            model_name='observation',
            name='dimensions',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='observation',
            name='shape',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AlterField(
            model_name='campaignrollup',
            name='fingerprint',
            field=models.CharField(max_length=64),
        ),
        migrations.AddField(
            model_name='abbreviation',
            name='campaign',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='abbreviations', to='requests_app.campaign'),
        ),
        migrations.AddField(
            model_name='dimension',
            name='campaign',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='dimensions', to='requests_app.campaign'),
        ),
        migrations.AddField(
            model_name='documentfigure',
            name='document',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='figures', to='requests_app.document'),
        ),
        migrations.AddField(
            model_name='documentfigure',
            name='force',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='requests_app.force'),
        ),
        migrations.AddField(
            model_name='historicalabbreviation',
            name='campaign',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='requests_app.campaign'),
        ),
        migrations.AddField(
            model_name='historicalabbreviation',
            name='history_user',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='historicaldimension',
            name='campaign',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='requests_app.campaign'),
        ),
        migrations.AddField(
            model_name='historicaldimension',
            name='history_user',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='abbreviation',
            constraint=models.UniqueConstraint(models.F('campaign'), django.db.models.functions.text.Lower('short'), name='abbreviation_unique'),
        ),
        migrations.AddConstraint(
            model_name='dimension',
            constraint=models.UniqueConstraint(fields=('campaign', 'name'), name='dimension_unique_name'),
        ),
        migrations.AddIndex(
            model_name='documentfigure',
            index=models.Index(fields=['document', 'period'], name='aggregation_documen_bab18f_idx'),
        ),
        migrations.AddIndex(
            model_name='documentfigure',
            index=models.Index(fields=['kind', 'force', 'period'], name='figure_by_force_period'),
        ),
        migrations.AddField(
            model_name='term',
            name='dimension_ref',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='aggregation.dimension'),
        ),
        migrations.AddField(
            model_name='historicalterm',
            name='dimension_ref',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='aggregation.dimension'),
        ),
    ]

"""The shared vocabulary's columns go, now that every campaign holds its own (see 0006)."""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("aggregation", "0006_move_vocabulary_into_campaigns")]

    operations = [
        migrations.RemoveConstraint(
            model_name='term',
            name='term_unique_per_campaign',
        ),
        migrations.RemoveField(
            model_name='historicalterm',
            name='campaign',
        ),
        migrations.RemoveField(
            model_name='observation',
            name='age',
        ),
        migrations.RemoveField(
            model_name='observation',
            name='offence',
        ),
        migrations.RemoveField(
            model_name='term',
            name='campaign',
        ),
        migrations.RemoveField(model_name="historicalterm", name="dimension"),
        migrations.RemoveField(model_name="term", name="dimension"),
        migrations.RenameField(model_name="term", old_name="dimension_ref", new_name="dimension"),
        migrations.RenameField(
            model_name="historicalterm", old_name="dimension_ref", new_name="dimension"
        ),
        migrations.AlterField(
            model_name='historicalterm',
            name='dimension',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='aggregation.dimension'),
        ),
        migrations.AlterField(
            model_name='term',
            name='dimension',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='terms', to='aggregation.dimension'),
        ),
        migrations.AddConstraint(
            model_name='term',
            constraint=models.UniqueConstraint(models.F('dimension'), django.db.models.functions.text.Lower('name'), name='term_unique_per_dimension'),
        ),
    ]

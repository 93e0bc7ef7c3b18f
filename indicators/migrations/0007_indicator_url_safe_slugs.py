"""Indicators imported with --create-missing before slugs were made URL-safe may hold a slug
the indicator URLs cannot take (`ni62.1`, `../../etc/passwd`), which broke their council's
overview. Such slugs are made again by the rule of today; every URL-safe slug is left as it is,
so existing addresses keep working.

The normalised code gets room for a code that upper case lengthens (`ß` is `SS`)."""

from django.db import migrations, models

from indicators import codes


def url_safe_slugs(apps, schema_editor):
    Indicator = apps.get_model("indicators", "Indicator")
    taken = set(Indicator.objects.values_list("slug", flat=True))
    for indicator in Indicator.objects.order_by("pk"):
        if codes.is_url_safe_slug(indicator.slug):
            continue
        taken.discard(indicator.slug)
        indicator.slug = codes.unique_slug(codes.indicator_slug(indicator.code), taken.__contains__)
        taken.add(indicator.slug)
        indicator.save(update_fields=["slug"])


class Migration(migrations.Migration):
    dependencies = [("indicators", "0006_observation_indexes_for_writes")]

    operations = [
        migrations.AlterField(
            model_name="historicalindicator",
            name="normalised_code",
            field=models.CharField(db_index=True, editable=False, max_length=180),
        ),
        migrations.AlterField(
            model_name="indicator",
            name="normalised_code",
            field=models.CharField(editable=False, max_length=180, unique=True),
        ),
        migrations.RunPython(url_safe_slugs, migrations.RunPython.noop),
    ]

"""Periods coded like `2010-11` were once parsed as months (November 2010). Every such code
was written as a financial year (the seed papers' 2010/11 and 2011/12 tables), so the rows
are corrected in place: their observations keep pointing at them."""

import datetime as dt

from django.db import migrations


def financial_years_not_months(apps, schema_editor):
    Period = apps.get_model("indicators", "Period")
    for period in Period.objects.filter(kind="month"):
        first, _, second = period.code.partition("-")
        if not (first.isdigit() and second.isdigit() and len(second) == 2):
            continue
        year = int(first)
        if int(second) != (year + 1) % 100:
            continue
        period.kind = "year"
        period.start_date = dt.date(year, 4, 1)
        period.end_date = dt.date(year + 1, 3, 31)
        period.financial_year = year
        period.quarter = None
        period.save()


class Migration(migrations.Migration):
    dependencies = [("indicators", "0003_quarterly_returns")]

    operations = [migrations.RunPython(financial_years_not_months, migrations.RunPython.noop)]

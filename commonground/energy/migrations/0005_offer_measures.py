"""An offer says what it is for (``Offer.measures``). Offers made before were never asked: the
demo hub's four offers (``seed_energy``: its titles, terms ending in its demo sentence) are all
solar, so they become solar panels; any other offer stays not stated (empty), never guessed."""

from django.db import migrations, models

import commonground.energy.models

#: The demo offers seed_energy made before this migration, by title: all solar.
SEEDED_SOLAR = ("Community shares: Bletchley library roof", "Bletchley solar bulk buy",
                "Panels for your roof", "Warm Homes solar grant")
DEMO = "Demo offer for the Common Ground demonstration hub, not a real scheme."


def seeded_solar(apps, schema_editor):
    Offer = apps.get_model("energy", "Offer")
    (Offer.objects.filter(title__in=SEEDED_SOLAR, terms__endswith=DEMO)
     .update(measures=["solar_pv"]))


class Migration(migrations.Migration):

    dependencies = [
        ('energy', '0004_offer_heating'),
    ]

    operations = [
        migrations.AddField(
            model_name='offer',
            name='measures',
            field=models.JSONField(blank=True, default=list, help_text='What it is for (solar panels, a heat pump, insulation…); empty: not stated', validators=[commonground.energy.models.validate_measures]),
        ),
        migrations.RunPython(seeded_solar, migrations.RunPython.noop),
    ]

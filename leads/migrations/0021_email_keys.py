"""Columns for each address's normalised form (leads.validators.email_key): a lead's, a trapped
submission's and an email delivery's recipient. Filled by 0022, constrained and indexed by 0023;
the lead's is nullable until then."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('leads', '0020_lead_email_refuses_hidden_characters'),
    ]

    operations = [
        migrations.AddField(
            model_name='lead',
            name='email_key',
            field=models.TextField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='trappedsubmission',
            name='email_key',
            field=models.TextField(blank=True, default='', editable=False),
        ),
        migrations.AddField(
            model_name='delivery',
            name='recipient_key',
            field=models.TextField(blank=True, default='', editable=False),
        ),
    ]

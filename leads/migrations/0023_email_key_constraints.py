"""One lead per mailbox: lead_email_key_unique on the normalised address (filled by 0022)
replaces lead_email_ci_unique on LOWER(email), with the same message; the daily email cap's
index counts by the recipient's normalised address; erasure finds trapped submissions by
theirs."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('leads', '0022_fill_email_keys'),
    ]

    operations = [
        migrations.AlterField(
            model_name='lead',
            name='email_key',
            field=models.TextField(editable=False),
        ),
        migrations.AddConstraint(
            model_name='lead',
            constraint=models.UniqueConstraint(fields=('email_key',), name='lead_email_key_unique', violation_error_code='duplicate', violation_error_message='A lead with this email already exists.'),
        ),
        migrations.RemoveConstraint(
            model_name='lead',
            name='lead_email_ci_unique',
        ),
        migrations.AddIndex(
            model_name='delivery',
            index=models.Index(condition=models.Q(('channel', 'email')), fields=['recipient_key', 'created_at'], name='delivery_recipient_key_idx'),
        ),
        migrations.RemoveIndex(
            model_name='delivery',
            name='delivery_email_recipient_idx',
        ),
        migrations.AddIndex(
            model_name='trappedsubmission',
            index=models.Index(fields=['email_key'], name='trapped_email_key_idx'),
        ),
    ]

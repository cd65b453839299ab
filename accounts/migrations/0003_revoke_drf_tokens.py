# API tokens used to be rest_framework.authtoken's, stored as plain keys. They are revoked:
# the app is gone and so is its table (where it existed); users get new tokens, stored as
# digests (0002_api_token). Nothing is restored on the way back: a revoked key stays revoked.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_api_token'),
    ]

    operations = [
        migrations.RunSQL(
            'DROP TABLE IF EXISTS "authtoken_token"',
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]

"""Schema changes over a direct connection: DATABASE_DIRECT_URL, when set, instead of the
(pooled) DATABASE_URL that the web server and the worker use.

Behind PgBouncer in transaction mode every transaction may land on another server session,
so a migration's session state (locks, SET, non-atomic steps) does not hold; migrations go
to PostgreSQL directly.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import environ
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

CONNECT_KEYS = ("USER", "PASSWORD", "HOST", "PORT")


@contextmanager
def direct_connection(alias: str = DEFAULT_DB_ALIAS) -> Iterator[BaseDatabaseWrapper]:
    """`connections[alias]`, reaching DATABASE_DIRECT_URL inside the block when that is set."""
    connection = connections[alias]
    url = settings.DATABASE_DIRECT["url"]
    if not url or alias != DEFAULT_DB_ALIAS:
        yield connection
        return
    pooled = connection.settings_dict
    direct = environ.Env.db_url_config(url)
    if direct["ENGINE"] != pooled["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_DIRECT_URL must name the same kind of database as DATABASE_URL.")
    # A test run has moved the connection to its test database: that one is migrated, directly.
    renamed = pooled["NAME"] != settings.DATABASE_DIRECT["replaces"]
    connection.close()
    connection.settings_dict = {
        **pooled,
        **{key: direct[key] for key in CONNECT_KEYS if key in direct},
        "NAME": pooled["NAME"] if renamed else direct["NAME"],
        # One plain connection for the command: no pool, not kept.
        "OPTIONS": {key: value for key, value in pooled["OPTIONS"].items() if key != "pool"},
        "CONN_MAX_AGE": 0,
    }
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict = pooled


class DirectConnectionCommand:
    """Mixin for a management command that runs, its system checks included, over
    DATABASE_DIRECT_URL when that is set (on its --database, default: default)."""

    def execute(self, *args, **options):
        with direct_connection(options.get("database", DEFAULT_DB_ALIAS)):
            return super().execute(*args, **options)

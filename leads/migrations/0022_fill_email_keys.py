"""Each lead, trapped submission and email delivery gets its address's normalised form
(leads.validators.email_key): LOWER() in one statement per table, which is the normalised
form of most addresses, then the rows where Python's normalisation says otherwise corrected
by id (non-ASCII domains, SQLite's ASCII-only LOWER(), stray spaces).

Two leads whose addresses normalise to one key (spellings that reach one mailbox: a soft
hyphen or a zero-width space in the domain, a fullwidth letter; letter case alone was already
unique) cannot both keep it once lead_email_key_unique holds (0023). Nothing of either is
lost: the OLDEST keeps the key, and is the lead every later submission from that mailbox
resubmits to; each younger one is kept whole, with its key set aside as "<key>#<its id>"
(no normalised address holds a "#" after its @, so nothing matches it by accident). The
migration prints their ids for attorneys to review (most likely a mail-bombing's copies:
delete them in the admin, or keep them); erase_prospect still finds them under the address.

Backwards, the keys are emptied (the leads' to NULL), which is how 0021 made them.
"""

import sys

from django.db import migrations
from django.db.models import Count
from django.db.models.functions import Lower

from leads.validators import email_key

# leads.models.SET_ASIDE_MARK as this migration writes it.
SET_ASIDE_MARK = "#"
BATCH = 1_000


def fill_keys(apps, schema_editor):
    db = schema_editor.connection.alias
    Lead = apps.get_model("leads", "Lead")
    TrappedSubmission = apps.get_model("leads", "TrappedSubmission")
    Delivery = apps.get_model("leads", "Delivery")
    fill(Lead, Lead.objects.using(db), address="email", key="email_key")
    fill(TrappedSubmission, TrappedSubmission.objects.using(db), address="email", key="email_key")
    fill(Delivery, Delivery.objects.using(db).filter(channel="email"), address="recipient", key="recipient_key")
    set_aside = set_aside_younger_leads(Lead, Lead.objects.using(db))
    if set_aside:
        sys.stdout.write(
            f"\n  {len(set_aside)} lead(s) share a mailbox with an older lead and were kept with their "
            "email key set aside (the older one takes new submissions); review them in the admin:\n"
        )
        for pk, older in set_aside:
            sys.stdout.write(f"    lead {pk} (older lead: {older})\n")


def fill(model, rows, *, address: str, key: str) -> None:
    """rows' `key` := email_key(`address`), LOWER() first and the differences by id."""
    rows.update(**{key: Lower(address)})
    fixes = [
        model(pk=pk, **{key: normalised})
        for pk, typed, lowered in rows.values_list("pk", address, key).iterator(chunk_size=10_000)
        if (normalised := email_key(typed)) != lowered
    ]
    model.objects.using(rows.db).bulk_update(fixes, [key], batch_size=BATCH)


def set_aside_younger_leads(model, leads) -> list[tuple]:
    """The younger leads of each key more than one lead has, their key set aside; returns
    (id, the oldest lead's id) of each."""
    shared = leads.values("email_key").annotate(n=Count("pk")).filter(n__gt=1).values("email_key")
    rows = leads.filter(email_key__in=shared).order_by("email_key", "created_at", "id")
    oldest, set_aside = {}, []
    for pk, key in rows.values_list("pk", "email_key"):
        if key in oldest:
            set_aside.append(model(pk=pk, email_key=f"{key}{SET_ASIDE_MARK}{pk}"))
        else:
            oldest[key] = pk
    model.objects.using(leads.db).bulk_update(set_aside, ["email_key"], batch_size=BATCH)
    return [(lead.pk, oldest[lead.email_key.rpartition(SET_ASIDE_MARK)[0]]) for lead in set_aside]


def empty_keys(apps, schema_editor):
    db = schema_editor.connection.alias
    apps.get_model("leads", "Lead").objects.using(db).update(email_key=None)
    apps.get_model("leads", "TrappedSubmission").objects.using(db).update(email_key="")
    apps.get_model("leads", "Delivery").objects.using(db).update(recipient_key="")


class Migration(migrations.Migration):
    dependencies = [("leads", "0021_email_keys")]

    operations = [migrations.RunPython(fill_keys, empty_keys, elidable=False)]

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


def test_attorneys_group_can_view_and_change_leads_but_not_delete():
    codenames = set(Group.objects.get(name="Attorneys").permissions.values_list("codename", flat=True))

    assert {"view_lead", "change_lead", "view_statuschange"} <= codenames
    assert "delete_lead" not in codenames
    assert not any(c.endswith("_user") for c in codenames)

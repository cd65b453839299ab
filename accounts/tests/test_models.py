import uuid

import pytest
from django.core.management import call_command
from django.db import IntegrityError

from accounts.models import User
from accounts.tests.factories import AttorneyFactory, UserFactory
from leads.tests.queries import plan_of

pytestmark = pytest.mark.django_db


def test_user_primary_key_is_a_uuid4():
    user = UserFactory()

    assert isinstance(user.pk, uuid.UUID)
    assert user.pk.version == 4


def test_new_user_is_active_not_staff_and_dated():
    user = UserFactory()

    assert user.is_active and not user.is_staff and not user.is_superuser
    assert user.date_joined is not None
    assert user.created_at == user.date_joined


def test_email_in_another_letter_case_is_a_duplicate():
    UserFactory(email="ann@firm.example")

    with pytest.raises(IntegrityError):
        UserFactory(email="ANN@Firm.Example")


def test_username_longer_than_fifty_characters_is_refused_by_validation():
    user = UserFactory.build(username="u" * 51)

    with pytest.raises(Exception, match="at most 50"):
        user.full_clean()


def test_get_by_username_finds_the_user():
    user = UserFactory(username="ann")

    assert User.objects.get_by_username("ann") == user


def test_get_by_username_returns_none_for_unknown_name():
    assert User.objects.get_by_username("nobody") is None


def test_get_by_email_ignores_letter_case_and_spaces():
    user = UserFactory(email="Ann.Lee@Firm.example")

    assert User.objects.get_by_email("  ann.lee@FIRM.EXAMPLE ") == user


@pytest.mark.postgres_only(reason="PostgreSQL's plans")
def test_get_by_email_is_one_probe_of_the_unique_index():
    UserFactory(email="ann.lee@firm.example")

    assert "user_email_ci_unique" in plan_of(lambda: User.objects.get_by_email("Ann.Lee@firm.example"))


def test_get_by_email_returns_none_for_unknown_email():
    assert User.objects.get_by_email("nobody@firm.example") is None


def test_active_excludes_deactivated_users():
    active = UserFactory()
    UserFactory(is_active=False)

    assert list(User.objects.active()) == [active]


def test_deactivate_stores_the_flag():
    user = UserFactory()

    User.objects.deactivate(user)

    assert user.is_active is False
    assert User.objects.get(pk=user.pk).is_active is False


def test_activate_stores_the_flag():
    user = UserFactory(is_active=False)

    User.objects.activate(user)

    assert User.objects.get(pk=user.pk).is_active is True


def test_createsuperuser_noinput_reads_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "boss")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "boss@firm.example")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-passphrase-42")

    call_command("createsuperuser", "--noinput", verbosity=0)

    boss = User.objects.get(username="boss")
    assert boss.is_superuser and boss.is_staff
    assert boss.check_password("a-long-passphrase-42")


def test_attorneys_are_the_active_members_of_the_attorneys_group():
    attorney = AttorneyFactory()
    AttorneyFactory(is_active=False)
    UserFactory(is_staff=True)

    assert list(User.objects.attorneys()) == [attorney]

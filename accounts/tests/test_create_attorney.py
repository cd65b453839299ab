"""`manage.py create_attorney USERNAME EMAIL`."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-unusual-passphrase"


def create_attorney(*args, **options) -> str:
    out = io.StringIO()
    call_command("create_attorney", *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_creates_a_staff_user_in_the_attorneys_group():
    create_attorney("jdoe", "jdoe@firm.example", password=PASSWORD)

    user = User.objects.get_by_username("jdoe")
    assert user.is_staff and user.is_active and not user.is_superuser
    assert user.groups.filter(name="Attorneys").exists()
    assert user.check_password(PASSWORD)


def test_the_new_attorney_may_view_and_change_leads_but_not_delete():
    create_attorney("jdoe", "jdoe@firm.example", password=PASSWORD)

    user = User.objects.get_by_username("jdoe")
    assert user.has_perms(["leads.view_lead", "leads.change_lead"])
    assert not user.has_perm("leads.delete_lead")


def test_takes_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("ATTORNEY_PASSWORD", PASSWORD)

    create_attorney("jdoe", "jdoe@firm.example")

    assert User.objects.get_by_username("jdoe").check_password(PASSWORD)


def test_running_it_twice_leaves_one_attorney():
    create_attorney("jdoe", "jdoe@firm.example", password=PASSWORD)

    out = create_attorney("jdoe", "JDoe@firm.example")

    assert "already existed" in out
    assert User.objects.filter(username="jdoe").count() == 1
    assert User.objects.get_by_username("jdoe").check_password(PASSWORD)


def test_running_it_for_an_existing_plain_user_makes_them_an_attorney():
    UserFactory(username="jdoe", email="jdoe@firm.example", is_staff=False)

    create_attorney("jdoe", "jdoe@firm.example")

    user = User.objects.get_by_username("jdoe")
    assert user.is_staff
    assert user.groups.filter(name="Attorneys").exists()


def test_a_username_taken_with_another_email_is_a_clear_error():
    UserFactory(username="jdoe", email="someone@firm.example")

    with pytest.raises(CommandError, match="username 'jdoe' is already taken"):
        create_attorney("jdoe", "jdoe@firm.example", password=PASSWORD)


def test_an_email_taken_in_another_letter_case_is_a_clear_error():
    UserFactory(username="other", email="jdoe@firm.example")

    with pytest.raises(CommandError, match="already belongs to the user 'other'"):
        create_attorney("jdoe", "JDOE@firm.example", password=PASSWORD)
    assert not User.objects.filter(username="jdoe").exists()


def test_a_weak_password_is_refused():
    with pytest.raises(CommandError, match="too common"):
        create_attorney("jdoe", "jdoe@firm.example", password="password")
    assert not User.objects.filter(username="jdoe").exists()


def test_an_invalid_email_is_refused():
    with pytest.raises(CommandError, match="not a valid email"):
        create_attorney("jdoe", "not-an-email", password=PASSWORD)


def test_without_a_password_and_without_a_terminal_it_says_how_to_give_one(monkeypatch):
    monkeypatch.delenv("ATTORNEY_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    with pytest.raises(CommandError, match="No password"):
        create_attorney("jdoe", "jdoe@firm.example")


def test_without_the_attorneys_group_it_asks_for_migrate():
    Group.objects.filter(name="Attorneys").delete()

    with pytest.raises(CommandError, match="migrate"):
        create_attorney("jdoe", "jdoe@firm.example", password=PASSWORD)


def test_a_common_typed_password_is_refused_and_asked_for_again(monkeypatch):
    typed = iter(["password123", "password123", PASSWORD, PASSWORD])
    monkeypatch.setattr("os.isatty", lambda fd: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    err = io.StringIO()

    call_command("create_attorney", "jdoe", "jdoe@firm.example", stdout=io.StringIO(), stderr=err)

    assert "too common" in err.getvalue()
    assert User.objects.get_by_username("jdoe").check_password(PASSWORD)

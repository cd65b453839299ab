import time

import factory
from django.contrib.auth.models import Group, Permission
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

ATTORNEY_PERMISSIONS = [
    "view_lead",
    "change_lead",
    "view_statuschange",
    "view_delivery",
    "change_delivery",
    "view_trappedsubmission",
    "change_trappedsubmission",
]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@firm.example")
    full_name = factory.Faker("name")
    password = factory.django.Password("correct-horse-battery")


class AttorneyFactory(UserFactory):
    """A staff user in the Attorneys group, which the migration gives the lead permissions."""

    username = factory.Sequence(lambda n: f"attorney{n}")
    email = factory.Sequence(lambda n: f"attorney{n}@firm.example")
    is_staff = True

    @factory.post_generation
    def attorneys_group(self, create, extracted, **kwargs):
        if not create:
            return
        group, _ = Group.objects.get_or_create(name="Attorneys")
        if not group.permissions.exists():
            group.permissions.set(Permission.objects.filter(codename__in=ATTORNEY_PERMISSIONS))
        self.groups.add(group)


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    """A confirmed authenticator device with a random key, as enrolment leaves it."""

    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(AttorneyFactory)
    name = "Authenticator app"
    confirmed = True


def totp_code(device: TOTPDevice, *, steps: int = 0) -> str:
    """The code the user's authenticator app shows now (or `steps` time steps away), computed
    from the device's key with django-otp's own TOTP."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"

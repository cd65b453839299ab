import factory
from django.contrib.auth.models import Group, Permission

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

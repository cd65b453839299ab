import factory
from django.core.files.base import ContentFile

from leads.models import Lead
from leads.tests.documents import MINIMAL_PDF


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"prospect{n}@example.com")
    resume = factory.LazyFunction(lambda: ContentFile(MINIMAL_PDF, name="resume.pdf"))

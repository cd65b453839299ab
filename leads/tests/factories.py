import factory
from django.core.files.base import ContentFile

from leads.models import Delivery, Lead

# The smallest file every PDF reader accepts: enough for the magic-byte check and a download.
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"prospect{n}@example.com")
    resume = factory.LazyFunction(lambda: ContentFile(MINIMAL_PDF, name="resume.pdf"))


class FailedEmailFactory(factory.django.DjangoModelFactory):
    """A new-lead notification the mail server refused after one attempt."""

    class Meta:
        model = Delivery

    lead = factory.SubFactory(LeadFactory)
    kind = Delivery.Kind.NOTIFICATION
    channel = Delivery.Channel.EMAIL
    recipient = "desk@firm.example"
    status = Delivery.Status.FAILED
    attempts = 1
    last_error = "550 5.1.1 <desk@firm.example>: Recipient address rejected"

import factory
from django.core.files.base import ContentFile

from leads.models import Lead, Resubmission, TrappedSubmission

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


class ResubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resubmission

    lead = factory.SubFactory(LeadFactory)
    resume = factory.LazyFunction(lambda: ContentFile(MINIMAL_PDF.replace(b"1.4", b"1.7"), name="resume.pdf"))
    source = "newsletter"


class TrappedSubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrappedSubmission

    client_address = "192.0.2.1"
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"trapped{n}@example.com")
    resume = factory.LazyFunction(lambda: ContentFile(MINIMAL_PDF, name="resume.pdf"))

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from leads.models import Delivery, Lead, Resubmission, TrappedSubmission
from leads.tests.documents import MINIMAL_PDF
from leads.validators import email_key as normalised


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"prospect{n}@example.com")
    email_key = factory.LazyAttribute(lambda lead: normalised(lead.email))
    resume = factory.LazyFunction(lambda: ContentFile(MINIMAL_PDF, name="resume.pdf"))


class FailedEmailFactory(factory.django.DjangoModelFactory):
    """A new-lead notification the mail server refused after one attempt."""

    class Meta:
        model = Delivery

    lead = factory.SubFactory(LeadFactory)
    kind = Delivery.Kind.NOTIFICATION
    channel = Delivery.Channel.EMAIL
    recipient = "desk@firm.example"
    recipient_key = "desk@firm.example"
    status = Delivery.Status.FAILED
    attempts = 1
    last_error = "550 5.1.1 <desk@firm.example>: Recipient address rejected"


class PrintedEmailFactory(factory.django.DjangoModelFactory):
    """A new-lead notification the console mailer wrote to the log (DEBUG, no EMAIL_URL)."""

    class Meta:
        model = Delivery

    lead = factory.SubFactory(LeadFactory)
    kind = Delivery.Kind.NOTIFICATION
    channel = Delivery.Channel.EMAIL
    recipient = "desk@firm.example"
    status = Delivery.Status.PRINTED
    attempts = 1
    sent_at = factory.LazyFunction(timezone.now)


class WebhookCallFactory(factory.django.DjangoModelFactory):
    """A lead.created call to a subscription whose URL's path is its secret (a capability URL)."""

    class Meta:
        model = Delivery

    lead = factory.SubFactory(LeadFactory)
    kind = Delivery.Kind.LEAD_CREATED
    channel = Delivery.Channel.WEBHOOK
    recipient = "https://hooks.example.com:8443/services/T0001/B0002/s3cr3t-capability-path"
    status = Delivery.Status.FAILED
    attempts = 1
    last_error = "HTTP 500 Internal Server Error"


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
    email_key = factory.LazyAttribute(lambda trapped: normalised(trapped.email))
    resume = factory.LazyFunction(lambda: ContentFile(MINIMAL_PDF, name="resume.pdf"))

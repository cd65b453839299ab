import pytest

from leads.tests.mail import SmtpServer


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback that the product's mailer sends to."""
    server = SmtpServer()
    settings.MAILERS = server.mailer()
    settings.SITE_URL = "https://intake.example"
    settings.INTAKE_RATE = "100/minute"
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server):
    """What the SMTP server received."""
    return smtp_server.sink


@pytest.fixture
def smtp_down(settings):
    """A mailer pointed at a loopback port nothing listens on (connection refused)."""
    server = SmtpServer()
    settings.MAILERS = server.mailer()
    settings.SITE_URL = "https://intake.example"
    settings.INTAKE_RATE = "100/minute"
    return server

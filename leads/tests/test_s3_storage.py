"""Resumes on S3-compatible object storage (moto's server on loopback): private objects,
served only through the protected download, removed with their lead."""

import os
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from io import StringIO
from pathlib import Path

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from config.testing import free_port
from leads import services
from leads.downloads import resume_response
from leads.models import Lead, ResumeDownload
from leads.tests.documents import MINIMAL_PDF
from leads.tests.mail import run_worker
from leads.tests.traces import needles_for, rows_mentioning

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "resumes-test"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


class MotoServer:
    """moto's S3 on one loopback port, which a test can stop (connections refused: the
    storage is down) and start again; the buckets live in this process meanwhile."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = None

    def start(self) -> "MotoServer":
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()
        self.server._server.server_close()  # stop() only ends the loop; close the listening socket


@pytest.fixture(scope="module")
def moto():
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def s3_endpoint(moto):
    return moto.url


@pytest.fixture
def bucket(s3_endpoint, settings):
    """An empty private bucket, and the settings that AWS_STORAGE_BUCKET_NAME etc. produce."""
    client = boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS)
    # As AWS creates buckets since 2023: ACLs disabled, the bucket's policy decides access.
    client.create_bucket(Bucket=BUCKET, ObjectOwnership="BucketOwnerEnforced")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "querystring_auth": True,
                "querystring_expire": 60,
                "file_overwrite": False,
                "signature_version": "s3v4",
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(client) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def submit(email: str = "ada@example.com") -> Lead:
    resume = SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf")
    return services.submit_lead(first_name="Ada", last_name="Lovelace", email=email, resume=resume)


@pytest.mark.django_db
def test_a_submitted_resume_is_stored_in_the_bucket_not_on_disk(bucket, settings):
    lead = submit()

    assert keys(bucket) == [lead.resume.name]
    assert bucket.get_object(Bucket=BUCKET, Key=lead.resume.name)["Body"].read() == MINIMAL_PDF
    assert not (Path(settings.MEDIA_ROOT) / lead.resume.name).exists()


@pytest.mark.django_db
def test_the_stored_object_is_private(bucket):
    lead = submit()

    grants = bucket.get_object_acl(Bucket=BUCKET, Key=lead.resume.name)["Grants"]
    grantees = {grant["Grantee"].get("URI") for grant in grants}
    assert "http://acs.amazonaws.com/groups/global/AllUsers" not in grantees
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]


@pytest.fixture
def sent_headers():
    """The headers of every request the storage's own boto3 client sends, as they go out."""
    from django.core.files.storage import default_storage

    sent = []
    events = default_storage.connection.meta.client.meta.events
    events.register("before-send.s3", lambda request, **kwargs: sent.append(dict(request.headers)))
    return sent


@pytest.mark.django_db
def test_uploads_send_no_acl_so_buckets_with_acls_disabled_accept_them(bucket, sent_headers):
    submit()

    names = {name.lower() for headers in sent_headers for name in headers}
    assert "x-amz-content-sha256" in names  # the upload went out through this client
    assert "x-amz-acl" not in names and not any(name.startswith("x-amz-grant") for name in names)


@pytest.mark.django_db
def test_the_object_cannot_be_fetched_without_a_signature(bucket, s3_endpoint):
    lead = submit()

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_endpoint}/{BUCKET}/{lead.resume.name}", timeout=10)
    assert refused.value.code == 403


@pytest.mark.django_db
def test_the_protected_download_streams_the_object(bucket):
    lead = submit()

    response = resume_response(lead, resubmission_id=None, by=None, via=ResumeDownload.Via.API)

    assert b"".join(response.streaming_content) == MINIMAL_PDF
    assert response["Content-Disposition"] == 'attachment; filename="Ada_Lovelace_resume.pdf"'


@pytest.mark.django_db(transaction=True)
def test_deleting_a_lead_removes_its_object(bucket):
    lead = submit()
    other = submit("grace@example.com")

    services.delete_leads(leads=Lead.objects.filter(pk=lead.pk))
    run_worker()

    assert keys(bucket) == [other.resume.name]


@pytest.mark.django_db(transaction=True)
def test_a_removal_that_failed_while_the_storage_was_down_is_retried_by_the_worker(bucket, moto):
    lead = submit()
    moto.stop()
    try:
        services.delete_leads(leads=Lead.objects.filter(pk=lead.pk))
        run_worker()  # the first attempt meets a refused connection
        [retry] = DBTaskResult.objects.filter(task_path="leads.worker.files.remove_files", status="READY")
        assert retry.args_kwargs["args"] == [[lead.resume.name], 2]
        assert retry.run_after > timezone.now()  # backoff: not at once
    finally:
        moto.start()
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())

    run_worker()

    assert keys(bucket) == []
    assert not DBTaskResult.objects.filter(status="READY").exists()


@pytest.mark.parametrize("how", ["erase_prospect", "purge_leads"])
@pytest.mark.django_db(transaction=True)
def test_nothing_of_the_prospect_is_left_even_when_a_storage_delete_failed_once(bucket, moto, client, how):
    for email in ["ada@example.com", "ADA@example.com"]:  # an application and a resubmission
        resume = SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf")
        client.post("/", {"first_name": "Ada", "last_name": "Lovelace", "email": email, "resume": resume})
    run_worker()
    lead = Lead.objects.get()
    assert len(keys(bucket)) == 2
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(days=400))
    moto.stop()
    try:
        args = ["ada@example.com"] if how == "erase_prospect" else ["--older-than", "365"]
        try:
            call_command(how, *args, stdout=StringIO())
        except CommandError as error:  # purge_leads' orphan sweep could not list the bucket
            assert how == "purge_leads" and "orphaned files" in str(error)
        run_worker()  # the removal meets a refused connection and is queued again
    finally:
        moto.start()
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())

    run_worker()

    assert keys(bucket) == []
    assert rows_mentioning(*needles_for(lead)) == {}


@pytest.mark.django_db(transaction=True)
def test_purge_removes_the_objects_of_old_leads(bucket):
    lead = submit()
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(days=400))

    call_command("purge_leads", "--older-than", "365", stdout=open(os.devnull, "w"))  # noqa: SIM115
    run_worker()

    assert keys(bucket) == []


@pytest.mark.django_db
def test_a_file_the_bucket_lost_is_a_404_not_a_500(bucket):
    from django.http import Http404

    lead = submit()
    bucket.delete_object(Bucket=BUCKET, Key=lead.resume.name)

    with pytest.raises(Http404):
        resume_response(lead, resubmission_id=None, by=None, via=ResumeDownload.Via.API)


def test_the_bucket_variables_switch_resumes_to_private_s3_storage():
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "x" * 50,
        "AWS_STORAGE_BUCKET_NAME": "firm-resumes",
        "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
    }
    script = (
        "import django; django.setup();"
        "from django.core.files.storage import default_storage as s;"
        "print(type(s._wrapped).__name__ if s._setup() is None else '', s.bucket_name, s.default_acl,"
        " s.querystring_auth, s.file_overwrite)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.stdout.split() == ["S3Storage", "firm-resumes", "None", "True", "False"], result.stderr

"""Resume text in the worker: read each resume in a killable child process, store the text
with the lead and rebuild its search vector. Nothing of a resume's content is ever logged,
returned as a task result or put in an exception: a failure records a short reason of ours.

Bounds: the first MAX_PAGES pages of a PDF, MAX_CHARS characters of any file,
RESUME_TEXT_TIMEOUT_SECONDS of wall-clock time and RESUME_TEXT_MEMORY_MB of address space
for the child (leads/worker/extract.py), which is killed past its time.
"""

import logging
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.tasks import task

from leads.models import Lead, Resubmission

from . import extract

logger = logging.getLogger(__name__)

MAX_PAGES = 50
MAX_CHARS = 200_000
KIND_NOTES = {
    "doc": "Word 97-2003 (.doc) files are not read.",
}


def read_resume_text(resume) -> tuple[str, str]:
    """(text, note) of a stored resume (a FieldFile); the note says in a few words why there
    is no text."""
    kind = Path(resume.name).suffix.lower().lstrip(".")
    if kind in KIND_NOTES:
        return "", KIND_NOTES[kind]
    if kind not in ("pdf", "docx"):
        return "", "Not a PDF or DOCX file."
    try:
        with resume.open("rb") as handle:
            data = handle.read(settings.RESUME_MAX_BYTES + 1)
    except FileNotFoundError:
        return "", "The file is missing."
    if len(data) > settings.RESUME_MAX_BYTES:
        return "", "The file is larger than the upload limit."
    return run_extractor(data, kind)


def run_extractor(data: bytes, kind: str) -> tuple[str, str]:
    """Run leads.worker.extract on `data` in a child process, killed past the time limit."""
    timeout = settings.RESUME_TEXT_TIMEOUT_SECONDS
    memory = settings.RESUME_TEXT_MEMORY_MB * 1024 * 1024
    limits = [str(MAX_PAGES), str(MAX_CHARS), str(memory), str(timeout + 1)]
    try:
        done = subprocess.run(  # noqa: S603 (our own module, fixed arguments)
            # -E -s and an empty environment: the parser of a hostile file gets no database
            # address, no secret key and no user site-packages.
            [sys.executable, "-E", "-s", "-m", "leads.worker.extract", kind, *limits],
            input=data,
            env={},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a parser's warnings may quote the file
            cwd=settings.BASE_DIR,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:  # run() has killed the child by then
        return "", f"Reading took longer than {timeout} s."
    if done.returncode == 0:
        text = done.stdout.decode("utf-8", "replace")
        return (text, "") if text.strip() else ("", "The file holds no text (a scanned image?).")
    if done.returncode == extract.EXIT_OUT_OF_MEMORY or done.returncode < 0:
        return "", f"Reading needed more than {settings.RESUME_TEXT_MEMORY_MB} MiB."
    return "", "The file could not be read."


def extract_for_lead(lead_id: str) -> str:
    """Read one lead's (first) resume text and store it with its search vector; returns the state."""
    lead = Lead.objects.filter(pk=lead_id).only("pk", "resume").first()
    if lead is None:
        logger.info("Lead %s is gone; no resume text read.", lead_id)
        return "gone"
    text, note = read_resume_text(lead.resume)
    state = Lead.objects.filter(pk=lead_id).store_resume_text(text=text, note=note)
    logger.info("Resume text of lead %s: %s %s", lead_id, state, note)
    return state


def extract_for_resubmission(resubmission_id: str) -> str:
    """Read a resubmission's resume text, store it, and rebuild its lead's search vector."""
    resubmission = Resubmission.objects.filter(pk=resubmission_id).only("pk", "lead", "resume").first()
    if resubmission is None:
        logger.info("Resubmission %s is gone; no resume text read.", resubmission_id)
        return "gone"
    text, note = read_resume_text(resubmission.resume)
    with transaction.atomic():
        Resubmission.objects.filter(pk=resubmission_id).update(resume_text=text)
        Lead.objects.filter(pk=resubmission.lead_id).refresh_search_vectors()
    state = Lead.TextState.READ if text.strip() else Lead.TextState.EMPTY
    logger.info("Resume text of resubmission %s: %s %s", resubmission_id, state, note)
    return state


@task
def extract_resume_text(lead_id: str) -> str:
    """Read a lead's resume text into the lead and its search vector (a child process)."""
    return extract_for_lead(lead_id)


@task
def extract_resubmission_text(resubmission_id: str) -> str:
    """Read a resubmission's resume text and add it to its lead's search vector."""
    return extract_for_resubmission(resubmission_id)

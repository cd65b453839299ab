"""The translation catalogues as the tests read them, and the words a page or an email shows."""

import re
from html.parser import HTMLParser

import polib

from config.testing import ROOT

LOCALE = ROOT / "locale"
# What reads alike in every language: marks, the language names (each in itself, in the
# switcher), a file type, and "Error:" (the same word in Spanish).
SAME_IN_EVERY_LANGUAGE = {"§", "✓", "English", "Español", "PDF", "Error:"}


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def english_strings() -> set[str]:
    """Every English string of the public side (the English catalogue's msgids), with the
    words that read the same in Spanish left out."""
    spanish = {entry.msgid: entry for entry in catalogue("es")}
    english = set()
    for entry in catalogue("en"):
        for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
            translated = spanish.get(entry.msgid)
            if translated is not None and translated.msgstr == msgid:
                continue  # "PDF", "Error:": the same word in both
            english.add(msgid)
    return english


class _Words(HTMLParser):
    """The text a reader meets: text nodes and the attributes read aloud or shown."""

    SHOWN_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._skip += 1
        for name, value in attrs:
            if name in self.SHOWN_ATTRIBUTES and value:
                self.parts.append(value)
            if tag == "input" and name == "value" and ("type", "submit") in attrs:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(" ".join(data.split()))


def words(html: str) -> list[str]:
    """The pieces of text a page shows, each with its spaces collapsed."""
    parser = _Words()
    parser.feed(html)
    return parser.parts


def english_left(text: str) -> list[str]:
    """Every string of the English catalogue found in `text` (which should have none). Format
    placeholders split a string into its literal runs; a run of one short word is too common
    to tell (an address, a name), so only runs of three words or more count."""
    found = []
    collapsed = " ".join(text.split())
    for msgid in english_strings():
        for run in _literal_runs(msgid):
            if len(run.split()) >= 3 and run in collapsed:
                found.append(msgid)
                break
        else:
            if len(msgid.split()) < 3 and "%(" not in msgid and msgid in words_set(text):
                found.append(msgid)
    return found


def words_set(text: str) -> set[str]:
    return set(words(text)) | {line.strip() for line in text.splitlines()}


def _literal_runs(msgid: str) -> list[str]:
    return [" ".join(run.split()) for run in re.split(r"%\(\w+\)s|<[^>]+>", msgid) if run.strip()]

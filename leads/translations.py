"""The firm's own texts (practice areas, questions, options, letter templates) per language.

Each such model keeps its texts in the default language in ordinary fields and the other
languages in `translations`, a JSON object of language code to field name to text
(`{"es": {"label": "¿Cuál es su situación migratoria?"}}`). A text not translated falls back
to the default language's. A JSON field rather than a column per language (what
django-modeltranslation adds) because the intake languages are a setting
(`INTAKE_LANGUAGES`): adding one must not need a migration.
"""

from django.utils import translation


def translated(obj, field: str, language: str | None = None) -> str:
    """`obj.<field>` in `language` (default: the active one), else in the default language."""
    language = language or translation.get_language() or ""
    texts = (getattr(obj, "translations", None) or {}).get(language.split("-")[0]) or {}
    return texts.get(field) or getattr(obj, field)

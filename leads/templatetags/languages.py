"""The public pages' language switcher: plain links (`?lang=`), so it works without JavaScript."""

from django import template
from django.http import QueryDict
from django.utils import translation

from web.language import LANGUAGE_PARAMETER, language_names

register = template.Library()


@register.inclusion_tag("leads/language_switcher.html", takes_context=True)
def language_switcher(context) -> dict:
    """A link per intake language to this page in it: its other query parameters kept (a
    form opened with ?utm_source= keeps it); after a POST, the page's plain address."""
    request = context.get("request")
    names = language_names()
    if request is None or len(names) < 2:
        return {"links": []}
    current = translation.get_language()
    links = []
    for code, name in names.items():
        query = request.GET.copy() if request.method in ("GET", "HEAD") else QueryDict(mutable=True)
        query[LANGUAGE_PARAMETER] = code
        url = f"{request.path}?{query.urlencode()}"
        links.append({"code": code, "name": name, "url": url, "current": code == current})
    return {"links": links}

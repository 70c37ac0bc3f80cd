"""What every administrators' page shares: the menu marker, htmx fragments, the Vary header."""

from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def page(request, template: str, context: dict, *, menu: str, fragment: str | None = None):
    """Render `template` (or only its `fragment` for htmx requests) with the admin menu marked."""
    name = f"{template}#{fragment}" if fragment and request.htmx else template
    response = render(request, name, {"menu": menu, **context})
    patch_vary_headers(response, ["HX-Request"])
    return response

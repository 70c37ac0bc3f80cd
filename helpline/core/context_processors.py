"""Template context shared by every page."""

from .models import SiteSettings


def site(request):
    return {"site_settings": SiteSettings.for_request(request)}

"""The project's URLs plus stand-ins for pages other branches add (sign-in, sign-out, admin).

The desk layout links to `accounts:logout` and `manage:index`, and the sign-in redirect needs
`accounts:login`; until those pages are merged, the board's tests render against this map. Once
the real names exist, nothing is stood in for.
"""

from django.http import HttpResponse
from django.urls import include, path

from helpline.accounts import urls as accounts_urls
from helpline.administration import urls as manage_urls
from helpline.config.urls import urlpatterns as project_urlpatterns


def _stand_in(request):
    return HttpResponse("")


def _stand_ins(module, namespace: str, routes: dict[str, str]) -> list:
    present = {getattr(p, "name", None) for p in module.urlpatterns}
    if all(name in present for name in routes):
        return []
    patterns = [path(route, _stand_in, name=name) for name, route in routes.items()]
    return [path(f"__stand-in/{namespace}/", include((patterns, namespace)))]


urlpatterns = [
    *_stand_ins(accounts_urls, "accounts", {"login": "login/", "logout": "logout/"}),
    *_stand_ins(manage_urls, "manage", {"index": ""}),
    *project_urlpatterns,
]

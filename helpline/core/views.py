"""Cross-cutting pages: the health check and the sign-in landing that sends people to their side."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import health_report


@require_GET
@never_cache
def healthz(request):
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@login_required
def home(request):
    if request.user.is_agent_side:
        return redirect("desk:board")
    return redirect("portal:requests")

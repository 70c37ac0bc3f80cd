"""View decorators for the two sides of the desk."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404


def staff_required(view):
    """Signed-in staff only; a requester gets 404 so the desk's URLs reveal nothing."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_active or not request.user.is_agent_side:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view):
    """Administrators only (everyone else 404)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_active or not request.user.is_admin:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper

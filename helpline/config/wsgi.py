"""WSGI entry point served by Granian: Django behind the request body limit."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpline.config.settings")

django_application = get_wsgi_application()

from helpline.core.bodylimit import RequestBodyLimit  # noqa: E402 - needs the apps loaded

application = RequestBodyLimit(django_application)

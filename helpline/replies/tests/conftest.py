import uuid

import pytest


@pytest.fixture
def locmem_cache(settings):
    # A cache of this test's own, outside the database: query counts count the page's queries.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": uuid.uuid4().hex,
        }
    }

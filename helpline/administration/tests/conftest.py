"""Fixtures for the administrators' pages."""

import pytest


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = "helpline.administration.tests.urls"

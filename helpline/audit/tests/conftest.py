"""Fixtures for the event log tests (the log is browsed on the administrators' pages)."""

import pytest


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = "helpline.administration.tests.urls"

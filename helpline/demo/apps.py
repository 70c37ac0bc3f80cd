from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo organisation and its `helpline demo` command; no models, nothing imports it."""

    name = "helpline.demo"
    label = "demo"

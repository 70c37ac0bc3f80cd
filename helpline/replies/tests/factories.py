"""Factories for reply templates."""

import factory

from helpline.replies.models import ReplyTemplate, ReplyText, Scope


class ReplyTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReplyTemplate

    name = factory.Sequence(lambda n: f"Template {n}")
    scope = Scope.GLOBAL


class ReplyTextFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReplyText

    template = factory.SubFactory(ReplyTemplateFactory)
    language = "en"
    body = "Hello {{ requester_name }}, about {{ ticket_number }}."

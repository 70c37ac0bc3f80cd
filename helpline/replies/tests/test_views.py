"""The template pages, the reply box's typeahead and sending with a template, the board's macro
bulk action, the administrators' usage page; with their query counts."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from helpline.core.models import SiteSettings
from helpline.replies.models import ReplyTemplate, Scope
from helpline.tickets.models import EntryKind, Priority, StatusCategory
from helpline.tickets.tests.factories import TicketFactory, status_of

from .factories import ReplyTemplateFactory, ReplyTextFactory


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def form_data(**overrides):
    data = {
        "name": "Password reset",
        "category": "Accounts",
        "scope": "personal",
        "text_en": "Hi {{ requester_name }}",
        "text_nb": "",
        "text_ru": "",
    }
    return data | overrides


# --- the editor --------------------------------------------------------------------------------


def test_an_agent_saves_a_personal_template_from_the_page(client, dispatcher):
    client.force_login(dispatcher)
    response = client.post(reverse("replies:create"), form_data())
    template = ReplyTemplate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("replies:change", args=[template.pk])
    assert template.owner == dispatcher and template.scope == Scope.PERSONAL


def test_an_unknown_placeholder_comes_back_on_its_field(client, dispatcher):
    client.force_login(dispatcher)
    response = client.post(reverse("replies:create"), form_data(text_nb="Hei {{ navn }}"))
    assert response.status_code == 422
    assert "there is no placeholder “navn”" in response.content.decode()
    assert response.context["form"].errors["text_nb"]
    assert not ReplyTemplate.objects.exists()


def test_an_agent_is_not_offered_shared_scopes_and_cannot_post_them(client, dispatcher, support):
    client.force_login(dispatcher)
    page = client.get(reverse("replies:create"))
    assert [v for v, _l in page.context["form"].fields["scope"].choices] == ["personal"]
    response = client.post(
        reverse("replies:create"), form_data(scope="global", department=str(support.pk))
    )
    assert response.status_code == 422
    assert not ReplyTemplate.objects.exists()


def test_a_supervisor_edits_a_department_template_and_the_agent_only_uses_it(
    client, supervisor, dispatcher, support
):
    template = ReplyTemplateFactory(scope=Scope.DEPARTMENT, department=support)
    client.force_login(dispatcher)
    assert client.get(reverse("replies:change", args=[template.pk])).status_code == 404
    listed = client.get(reverse("replies:list")).context["sections"][1][2]
    assert listed == [(template, False)]

    client.force_login(supervisor)
    response = client.post(
        reverse("replies:change", args=[template.pk]),
        form_data(name="Renamed", scope="department", department=str(support.pk)),
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.name == "Renamed"


def test_delete(client, dispatcher):
    template = ReplyTemplateFactory(scope=Scope.PERSONAL, owner=dispatcher)
    client.force_login(dispatcher)
    response = client.post(reverse("replies:delete", args=[template.pk]))
    assert response.status_code == 302
    assert not ReplyTemplate.objects.exists()


@pytest.mark.parametrize("rows", [1, 20])
def test_the_list_query_count_is_constant(
    client, locmem_cache, django_assert_num_queries, dispatcher, support, rows
):
    for i in range(rows):
        scope = [Scope.PERSONAL, Scope.DEPARTMENT, Scope.GLOBAL][i % 3]
        template = ReplyTemplateFactory(
            scope=scope,
            owner=dispatcher if scope == Scope.PERSONAL else None,
            department=support if scope == Scope.DEPARTMENT else None,
            category=f"C{i % 4}",
        )
        ReplyTextFactory(template=template)
        ReplyTextFactory(template=template, language="nb")
    SiteSettings.current()
    client.force_login(dispatcher)
    # 1 session, 2 user, 3 site settings, 4-5 access (memberships, department paths), 6 the
    # templates with their department and owner, 7 their texts, 8 the categories (the
    # departments the agent manages: none, so no query), 9 the sidebar's counts, 10 the saved
    # views, 11 who is away (the header's own status; reference data).
    with django_assert_num_queries(11):
        response = client.get(reverse("replies:list"), {"q": "Hello"})
    shown = sum(len(rows) for _k, _t, rows in response.context["sections"])
    assert shown == rows


@pytest.mark.parametrize("languages", [["en"], ["en", "nb", "ru"]])
def test_the_editor_query_count(
    client, locmem_cache, django_assert_num_queries, dispatcher, languages
):
    template = ReplyTemplateFactory(scope=Scope.PERSONAL, owner=dispatcher)
    for language in languages:
        ReplyTextFactory(template=template, language=language)
    SiteSettings.current()
    client.force_login(dispatcher)
    # 1 session, 2 user, 3 site settings, 4 the template with owner and department, 5 its
    # texts, 6 statuses, 7 departments (reference data), 8 the staff for "make responsible",
    # 9-10 access, 11 sidebar counts, 12 saved views, 13 who is away (reference data).
    with django_assert_num_queries(13):
        response = client.get(reverse("replies:change", args=[template.pk]))
    assert len(response.context["previews"]) == len(languages)


# --- the reply box -----------------------------------------------------------------------------


@pytest.fixture
def ticket(support, requester_a):
    return TicketFactory(department=support, requester=requester_a, category=StatusCategory.OPEN)


@pytest.mark.parametrize("count", [1, 8])
def test_the_typeahead_renders_each_suggestion_for_the_request(
    client, locmem_cache, django_assert_num_queries, dispatcher, ticket, count
):
    for i in range(count):
        ReplyTextFactory(
            template=ReplyTemplateFactory(name=f"Hello {i}", usage_count=i),
            body="Dear {{ requester_first_name }} <re {{ ticket_number }}>",
        )
    SiteSettings.current()
    client.force_login(dispatcher)
    # 1 session, 2 user, 3 site settings, 4-5 access, 6 the request with requester and
    # department, 7 the templates, 8 their texts.
    with django_assert_num_queries(8):
        response = client.get(reverse("replies:suggest", args=[ticket.pk]), {"q": "hello"})
    html = response.content.decode()
    assert html.count('role="option"') == count
    assert f"Dear Alice &lt;re #{ticket.pk}&gt;" in html
    assert html.index(f"Hello {count - 1}") <= html.index("Hello 0")  # most used first


def test_the_typeahead_is_for_requests_the_agent_can_see(client, specialist, ticket):
    client.force_login(specialist)
    assert client.get(reverse("replies:suggest", args=[ticket.pk])).status_code == 404


def test_sending_with_a_macro_applies_it_and_counts_a_use(client, dispatcher, ticket):
    template = ReplyTemplateFactory(
        set_status=status_of(StatusCategory.PENDING), set_priority=Priority.HIGH
    )
    client.force_login(dispatcher)
    response = client.post(
        reverse("desk:reply", args=[ticket.pk]),
        {"body": "Please send a photo.", "template": str(template.pk)},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.PENDING and ticket.priority == Priority.HIGH
    assert ticket.entries.filter(kind=EntryKind.REPLY).count() == 1
    template.refresh_from_db()
    assert template.usage_count == 1


def test_a_refused_macro_keeps_the_text_and_says_why(client, specialist, support, software, ticket):
    ticket.department = software
    ticket.save()
    template = ReplyTemplateFactory(set_department=support, assign_to_me=True)
    client.force_login(specialist)
    response = client.post(
        reverse("desk:reply", args=[ticket.pk]),
        {"body": "Moving this on.", "template": str(template.pk)},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "could not change department, line or responsible person" in html
    assert "Moving this on." in html
    assert not ticket.entries.filter(kind=EntryKind.REPLY).exists()


def test_someone_elses_template_is_refused_on_send(client, dispatcher, specialist, ticket):
    template = ReplyTemplateFactory(scope=Scope.PERSONAL, owner=specialist)
    client.force_login(dispatcher)
    response = client.post(
        reverse("desk:reply", args=[ticket.pk]), {"body": "Hi", "template": str(template.pk)}
    )
    assert response.status_code == 422
    assert "That reply template is not available to you." in response.content.decode()
    assert not ticket.entries.filter(kind=EntryKind.REPLY).exists()


# --- the board's bulk bar -----------------------------------------------------------------------


def test_the_bulk_bar_loads_the_macros_when_asked(
    client, locmem_cache, django_assert_num_queries, dispatcher
):
    ReplyTemplateFactory.create_batch(3, set_priority=Priority.HIGH)
    SiteSettings.current()
    client.force_login(dispatcher)
    # 1 session, 2 user, 3 site settings, 4-5 access, 6 the templates.
    with django_assert_num_queries(6):
        html = client.get(reverse("replies:macros")).content.decode()
    assert html.count("<option") == 3


def test_a_macro_in_bulk_reports_refusals_request_by_request(
    client, dispatcher, support, requester_a
):
    open_ = TicketFactory(department=support, requester=requester_a)
    closed = TicketFactory(
        department=support, requester=requester_a, category=StatusCategory.CLOSED
    )
    template = ReplyTemplateFactory(name="Ack", add_tags=["ack"])
    ReplyTextFactory(template=template, body="Got it, {{ requester_first_name }}.")
    client.force_login(dispatcher)

    response = client.post(
        reverse("desk:bulk"),
        {"ids": [str(open_.pk), str(closed.pk)], "action": "macro", "template": str(template.pk)},
    )

    assert response.status_code == 302
    messages = said(response)
    assert messages[0].startswith(
        "Macro “Ack”: 2 of 2 requests changed; something was refused on 1"
    )
    assert messages[1] == (
        f"#{closed.pk}: could not send the reply (This request is closed; open a new one instead.)"
    )
    assert open_.entries.get(kind=EntryKind.REPLY).body == "Got it, Alice."
    assert list(closed.tags.values_list("name", flat=True)) == ["ack"]


def test_a_macro_in_bulk_needs_a_macro(client, dispatcher, support):
    ticket = TicketFactory(department=support)
    client.force_login(dispatcher)
    response = client.post(reverse("desk:bulk"), {"ids": [str(ticket.pk)], "action": "macro"})
    assert said(response) == ["Choose a macro."]


# --- administrators ----------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 20])
def test_administrators_see_usage(
    client, locmem_cache, django_assert_num_queries, admin_user, dispatcher, rows
):
    for i in range(rows):
        ReplyTemplateFactory(scope=Scope.PERSONAL, owner=dispatcher, usage_count=i, name=f"T{i}")
    SiteSettings.current()
    client.force_login(admin_user)
    # 1 session, 2 user, 3 site settings, 4 the templates with owner and department.
    with django_assert_num_queries(4):
        response = client.get(reverse("manage:replies"))
    html = response.content.decode()
    assert html.index(f"T{rows - 1}") <= html.index("T0")
    assert dispatcher.display_name in html


def test_usage_is_for_administrators_only(client, supervisor):
    client.force_login(supervisor)
    assert client.get(reverse("manage:replies")).status_code == 404

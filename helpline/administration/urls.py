"""The administrators' pages under /manage/ (the event log under /manage/events/)."""

from django.urls import path

from .views import (
    departments,
    desk_config,
    events,
    letters,
    mail_in,
    mailboxes,
    outbox,
    overview,
    people,
    replies,
    staff,
)

app_name = "manage"

urlpatterns = [
    path("", overview.index, name="index"),
    # departments.py
    path("departments/", departments.department_list, name="departments"),
    path("departments/new/", departments.department_edit, name="department_new"),
    path("departments/<int:pk>/", departments.department_edit, name="department"),
    path(
        "departments/<int:pk>/remove/",
        departments.department_remove_view,
        name="department_remove",
    ),
    path("departments/<int:pk>/members/", departments.member_add, name="member_add"),
    path(
        "departments/<int:pk>/members/<int:user_pk>/",
        departments.member_change,
        name="member_change",
    ),
    # replies.py: reply templates' use
    path("replies/", replies.reply_template_usage, name="replies"),
    # staff.py
    path("staff/", staff.staff_index, name="staff"),
    path("staff/new/", staff.staff_new, name="staff_new"),
    path("staff/<int:pk>/", staff.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/deactivate/", staff.staff_deactivate_view, name="staff_deactivate"),
    path("staff/<int:pk>/two-step/reset/", staff.staff_mfa_reset_view, name="staff_mfa_reset"),
    # people.py
    path("organisations/", people.organisation_index, name="organisations"),
    path("organisations/new/", people.organisation_edit, name="organisation_new"),
    path("organisations/<int:pk>/", people.organisation_edit, name="organisation"),
    path("requesters/", people.requester_index, name="requesters"),
    path("requesters/<int:pk>/", people.requester_edit, name="requester"),
    path("requesters/<int:pk>/addresses/", people.requester_addresses, name="requester_addresses"),
    path("people/<int:pk>/", people.person, name="person"),
    # desk_config.py
    path("statuses/", desk_config.status_index, name="statuses"),
    path("statuses/new/", desk_config.status_edit, name="status_new"),
    path("statuses/<int:pk>/", desk_config.status_edit, name="status"),
    path("statuses/<int:pk>/remove/", desk_config.status_remove_view, name="status_remove"),
    path("priorities/", desk_config.priority_matrix_edit, name="priorities"),
    path("topics/", desk_config.topic_index, name="topics"),
    path("topics/new/", desk_config.topic_edit, name="topic_new"),
    path("topics/<int:pk>/", desk_config.topic_edit, name="topic"),
    path("settings/", desk_config.settings_edit, name="settings"),
    # events.py
    path("events/", events.event_log, name="events"),
    # outbox.py
    path("mail/", outbox.outbox_index, name="outbox"),
    path("mail/retry-failed/", outbox.outbox_retry_failed, name="outbox_retry_failed"),
    path("mail/<int:pk>/retry/", outbox.outbox_retry, name="outbox_retry"),
    path("mail/<int:pk>/discard/", outbox.outbox_discard, name="outbox_discard"),
    # mailboxes.py
    path("mailboxes/", mailboxes.mailbox_index, name="mailboxes"),
    path("mailboxes/new/", mailboxes.mailbox_edit, name="mailbox_new"),
    path("mailboxes/oauth/", mailboxes.mailbox_oauth_callback, name="mailbox_oauth_callback"),
    path("mailboxes/<int:pk>/", mailboxes.mailbox_edit, name="mailbox"),
    path("mailboxes/<int:pk>/test/", mailboxes.mailbox_test, name="mailbox_test"),
    path("mailboxes/<int:pk>/oauth/", mailboxes.mailbox_oauth, name="mailbox_oauth"),
    # letters.py
    path("mail/letters/", letters.letter_index, name="letters"),
    path("mail/letters/edit/", letters.letter_edit, name="letter"),
    path("mail/letters/preview/", letters.letter_preview, name="letter_preview"),
    path("mail/letters/reset/", letters.letter_reset, name="letter_reset"),
    # mail_in.py
    path("mail/quarantine/", mail_in.quarantine_index, name="quarantine"),
    path("mail/quarantine/<int:pk>/", mail_in.quarantine_detail, name="quarantine_item"),
    path("mail/quarantine/<int:pk>/raw/", mail_in.quarantine_raw, name="quarantine_raw"),
    path(
        "mail/quarantine/<int:pk>/release/",
        mail_in.quarantine_release_view,
        name="quarantine_release",
    ),
    path(
        "mail/quarantine/<int:pk>/delete/",
        mail_in.quarantine_delete_view,
        name="quarantine_delete",
    ),
    path("mail/stop-rules/", mail_in.stop_rule_index, name="stop_rules"),
    path("mail/stop-rules/new/", mail_in.stop_rule_edit, name="stop_rule_new"),
    path("mail/stop-rules/<int:pk>/", mail_in.stop_rule_edit, name="stop_rule"),
    path(
        "mail/stop-rules/<int:pk>/remove/",
        mail_in.stop_rule_remove_view,
        name="stop_rule_remove",
    ),
]

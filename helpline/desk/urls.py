"""The agents' desk: the board (views/board.py) and the ticket page (views/ticket.py)."""

from django.urls import path

from .views import board, live, saved, search, ticket
from .views.ticket import mail

app_name = "desk"

urlpatterns = [
    # board.py
    path("", board.board, name="board"),
    path("bulk/", board.bulk, name="bulk"),
    path("new/", board.ticket_new, name="new"),
    path("requesters/lookup/", board.requester_lookup, name="requester_lookup"),
    path("lookup/<slug:kind>/", board.lookup, name="lookup"),
    # search.py: requests found by their words
    path("search/", search.search, name="search"),
    # live.py: the board's poll, and the sidebar after a change
    path("live/", live.board_live, name="board_live"),
    path("sidebar/", live.sidebar, name="sidebar"),
    # saved.py: saved views
    path("views/", saved.saved_views, name="saved_views"),
    path("views/new/", saved.saved_view_create, name="saved_view_create"),
    path("views/<int:pk>/", saved.saved_view_change, name="saved_view_change"),
    path("views/<int:pk>/delete/", saved.saved_view_delete, name="saved_view_delete"),
    path("views/<int:pk>/move/", saved.saved_view_move, name="saved_view_move"),
    # ticket.py
    path("tickets/<int:pk>/", ticket.detail, name="ticket"),
    path("tickets/<int:pk>/reply/", ticket.reply, name="reply"),
    path("tickets/<int:pk>/note/", ticket.note, name="note"),
    path("tickets/<int:pk>/fields/", ticket.fields, name="fields"),
    path("tickets/<int:pk>/take/", ticket.take, name="take"),
    path("tickets/<int:pk>/escalate/", ticket.escalate, name="escalate"),
    path("tickets/<int:pk>/supervisor/", ticket.hand_to_supervisor, name="hand_to_supervisor"),
    path("tickets/<int:pk>/transfer/", ticket.transfer, name="transfer"),
    path("tickets/<int:pk>/merge/", ticket.merge, name="merge"),
    path("tickets/<int:pk>/merge/candidates/", ticket.merge_candidates, name="merge_candidates"),
    path("tickets/<int:pk>/link/", ticket.link, name="link"),
    path("tickets/<int:pk>/link/candidates/", ticket.link_candidates, name="link_candidates"),
    path("tickets/<int:pk>/unlink/<int:other>/", ticket.unlink, name="unlink"),
    path("tickets/<int:pk>/watch/", ticket.watch, name="watch"),
    path("tickets/<int:pk>/tags/", ticket.tags, name="tags"),
    path("tickets/<int:pk>/delete/", ticket.delete, name="delete"),
    path("tickets/<int:pk>/restore/", ticket.restore, name="restore"),
    path("tickets/<int:pk>/purge/", ticket.purge, name="purge"),
    path("attachments/<int:pk>/", ticket.attachment, name="attachment"),
    # views/ticket/mail.py: a mail entry's HTML (for its frame) and its original message
    path("mail/<int:pk>/body/", mail.mail_body, name="mail_body"),
    path("mail/<int:pk>/original/", mail.mail_raw, name="mail_raw"),
]

"""Who may read and address what in internal mail: a message is its sender's and its
recipients'; a message attached to a request also shows on it to the request's staff."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from helpline.accounts.models import Department, DepartmentMembership, Role, User
from helpline.tickets.access import Action, can, staff_visible
from helpline.tickets.models import Ticket

from .models import Message, MessageFile, Recipient


def _staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_agent_side)


def messages_visible(user) -> QuerySet[Message]:
    """The messages `user` sent or received (nothing for anyone but active staff)."""
    if not _staff(user):
        return Message.objects.none()
    received = Recipient.objects.filter(message_id=OuterRef("pk"), user_id=user.pk)
    return Message.objects.filter(Q(sender_id=user.pk) | Exists(received))


def message_or_404(user, pk: int) -> Message:
    message = messages_visible(user).select_related("sender", "ticket").filter(pk=pk).first()
    if message is None:
        raise Http404
    return message


def message_file_or_404(user, pk: int) -> MessageFile:
    """A file of a message `user` sent or received, or of one attached to a request they may
    see (it shows there)."""
    file = MessageFile.objects.select_related("message__ticket").filter(pk=pk).first()
    if file is None or not _staff(user):
        raise Http404
    if messages_visible(user).filter(pk=file.message_id).exists():
        return file
    ticket = file.message.ticket
    if ticket is not None and can(user, Action.VIEW, ticket):
        return file
    raise Http404


def people_addressable(user) -> QuerySet[User]:
    """The colleagues `user` may write to: the staff they work with (the desk's rule)."""
    if not _staff(user):
        return User.objects.none()
    return staff_visible(user).exclude(pk=user.pk)


def departments_addressable(user) -> QuerySet[Department]:
    """Departments `user` may write to: every active one; an external provider only their
    own."""
    if not _staff(user):
        return Department.objects.none()
    active = Department.objects.filter(is_active=True)
    if user.role == Role.EXTERNAL:
        return active.filter(memberships__user_id=user.pk)
    return active


def department_members(department_ids: list[int]) -> QuerySet[User]:
    """Active staff who belong to any of these departments."""
    members = DepartmentMembership.objects.filter(department_id__in=department_ids).values(
        "user_id"
    )
    return User.objects.filter(pk__in=members, is_active=True, role__in=Role.STAFF)


def may_attach_to(user, ticket: Ticket) -> bool:
    return _staff(user) and can(user, Action.VIEW, ticket)

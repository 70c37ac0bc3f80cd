"""The desk's own data: an agent's saved views of the board and the order of their sidebar."""

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Department, User
from helpline.core.models import TimestampedModel

NAME_MAX = 60


class SavedView(TimestampedModel):
    """Named board filters and sort, kept by their owner, private or shared with a department.

    `query` holds the board's own parameters (view, filters, sort, order) as strings, normalised
    by `helpline.desk.saved.query_normalised`; each viewer's access still decides what it shows.
    """

    owner = models.ForeignKey(
        User, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(_("name"), max_length=NAME_MAX)
    department = models.ForeignKey(
        Department,
        verbose_name=_("shared with"),
        null=True,
        blank=True,
        # A department is deactivated, not deleted; should one go, its views become private.
        on_delete=models.SET_NULL,
        related_name="saved_views",
    )
    query = models.JSONField(_("filters and sort"), default=dict)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            # Two views of one owner never share a name, whatever the case: the database says
            # so, as two tabs saving at once would both pass a check made in Python.
            models.UniqueConstraint("owner", Lower("name"), name="savedview_owner_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class SidebarOrder(models.Model):
    """The order an agent gave the saved views in their sidebar (view ids, first on top).

    One row per agent, locked while it changes, so moves from two tabs apply one after the
    other; views not listed (new ones, or shared since) follow in the order they were made.
    """

    user = models.OneToOneField(
        User, primary_key=True, on_delete=models.CASCADE, related_name="sidebar_order"
    )
    view_ids = models.JSONField(default=list)

"""The search index: one row per document part, kept in step by `engine.index`.

The full-text structures live beside this table and are made by the migration for the
database in use: an external-content FTS5 table with triggers on SQLite, a tsvector column kept
by a trigger (passage by passage, decision 0028) with a GIN index on PostgreSQL (docs/decisions,
the search engine's record), and there an index on (kind, "when") for reading a common word's
newest matches first.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Part(models.IntegerChoices):
    PUBLIC = 0, _("public")
    PRIVATE = 1, _("staff only")  # a ticket's internal notes


class SearchDocument(models.Model):
    kind = models.CharField(max_length=30)
    object_id = models.BigIntegerField()
    part = models.PositiveSmallIntegerField(choices=Part.choices, default=Part.PUBLIC)
    language = models.CharField(max_length=10)
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)
    exact = models.TextField(blank=True)  # lower-case tokens matched exactly, never stemmed
    when = models.DateTimeField(null=True, blank=True)
    # SQLite only (the FTS5 table reads them): the Snowball stems of title and body, in order.
    title_stems = models.TextField(blank=True)
    body_stems = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id", "part"], name="search_doc_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}:{self.part}"

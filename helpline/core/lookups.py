"""Query lookups Helpline registers on particular fields."""

from django.db.models import Lookup


class LowerExact(Lookup):
    """`field__iexact=value` as `LOWER(field) = LOWER(value)`, the expression a unique index on
    `lower(field)` is built on, so the database answers it from that index.

    Django's own `iexact` compares `UPPER(field)` on PostgreSQL and uses `LIKE` on SQLite;
    neither matches an index on `lower(...)`, so every such look-up read the whole table (a
    sequential scan of every person on each portal submission). Registered on the e-mail fields
    that have such an index (accounts.User.email, allauth's EmailAddress.email); on other fields
    `iexact` keeps Django's meaning.
    """

    lookup_name = "iexact"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"LOWER({lhs}) = LOWER({rhs})", [*lhs_params, *rhs_params]

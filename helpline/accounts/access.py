"""What a staff member may do in which departments, with rights inherited down the tree."""

from dataclasses import dataclass, field

from .models import Role


@dataclass(frozen=True)
class Access:
    everything: bool = False
    view: frozenset[int] = field(default_factory=frozenset)
    reply: frozenset[int] = field(default_factory=frozenset)
    assign: frozenset[int] = field(default_factory=frozenset)
    manage: frozenset[int] = field(default_factory=frozenset)

    def can(self, right: str, department_id: int | None) -> bool:
        return self.everything or department_id in getattr(self, right)


def _subtrees(department_ids: set[int], paths: dict[int, str]) -> frozenset[int]:
    prefixes = [paths[d] for d in department_ids if d in paths]
    return frozenset(
        dept_id for dept_id, path in paths.items() if any(path.startswith(p) for p in prefixes)
    )


def access_for(user) -> Access:
    """Rights of `user`, computed once per request object (two small queries)."""
    cached = getattr(user, "_helpline_access", None)
    if cached is not None:
        return cached
    if not user.is_authenticated or user.role == Role.REQUESTER or not user.is_active:
        result = Access()
    elif user.is_supervisor_or_admin:
        result = Access(everything=True)
    else:
        # Rights change rarely: memberships and the tree are reference data (kept per process,
        # read afresh after any change to them), and so are the rights worked out from them.
        from helpline.core.reference import remembered

        result = Access(**remembered(f"accounts:rights:{user.pk}", lambda: _rights_of(user.pk)))
    user._helpline_access = result
    return result


def _rights_of(user_id: int) -> dict[str, frozenset[int]]:
    """The departments where staff member `user_id` holds each right, inherited down the tree."""
    from .reference import department_paths, memberships_of

    memberships = memberships_of(user_id)
    paths = department_paths()
    return {
        right: _subtrees(
            {m.department_id for m in memberships if getattr(m, f"can_{right}")}, paths
        )
        for right in ("view", "reply", "assign", "manage")
    }

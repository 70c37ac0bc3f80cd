"""The generated desk's structure: departments, staff with memberships, organisations, requesters.

The benchmark signs in as a few fixed personas (PERSONAS); everything else is drawn at random
from a seeded generator so two runs of the same size build the same desk.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Max

from helpline.accounts.models import Department, DepartmentMembership, Organisation, Role, User
from helpline.tickets.models import PriorityRule, Status, StatusCategory, Tag

from . import vocabulary as words
from .writer import Writer

BENCH_DOMAIN = "bench.example"
# Unusable password (Django's "!" prefix): generated people cannot sign in.
NO_PASSWORD = "!bench-generated"
PERSONAS = {
    "dispatcher": f"dispatcher@{BENCH_DOMAIN}",
    "agent": f"agent@{BENCH_DOMAIN}",
    "supervisor": f"supervisor@{BENCH_DOMAIN}",
    "admin": f"admin@{BENCH_DOMAIN}",
    "requester": f"requester@{BENCH_DOMAIN}",
}
# The persona agent works in one leaf department; the dispatcher in the whole Support tree.
AGENT_DEPARTMENT = "Printers"
DISPATCHER_DEPARTMENT = "Support"
_ASCII = str.maketrans({"ø": "o", "å": "a", "æ": "ae"})


@dataclass
class Dept:
    id: int
    name: str
    path: str
    line: int
    tree: str  # name of its top-level department


@dataclass
class Desk:
    departments: list[Dept]
    # department id -> staff (id, display name) who can view it, for assignees and authors
    pools: dict[int, list[tuple[int, str]]]
    requesters: list[tuple[int, int | None]]  # (id, organisation id)
    statuses: dict[str, tuple[int, str]]  # category -> (id, name) of its default status
    matrix: dict[tuple[int, int], int]
    tags: list[int]
    staff_emails: dict[int, str]
    personas: dict[str, int] = field(default_factory=dict)


def _next_id(model) -> int:
    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def _columns(model, names: list[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


def sizes_for(tickets: int) -> dict[str, int]:
    """People scale with the ticket count up to a large desk's: 200 staff, 200,000 requesters."""
    requesters = max(50, min(200_000, tickets // 5))
    return {
        "staff": max(20, min(200, tickets // 50)),
        "organisations": max(5, min(5_000, requesters // 40)),
        "requesters": requesters,
    }


def desk_create(writer: Writer, rng: random.Random, sizes: dict[str, int], now: datetime) -> None:
    when = writer.when(now)
    _departments_create(writer, when)
    organisations = _organisations_create(writer, rng, sizes["organisations"], when)
    _people_create(writer, rng, sizes, organisations, when)
    tag_names = set(Tag.objects.values_list("name", flat=True))
    writer.write(
        Tag._meta.db_table, ["name"], [(name,) for name in words.TAGS if name not in tag_names]
    )


def _departments_create(writer: Writer, when) -> None:
    next_id = _next_id(Department)
    rows = []

    def add(name: str, line: int, children, parent: tuple[int, str] | None) -> None:
        nonlocal next_id
        pk, next_id = next_id, next_id + 1
        path = f"{parent[1] if parent else '/'}{pk}/"
        rows.append((pk, when, when, name, parent[0] if parent else None, path, "", "", line, True))
        for child in children:
            add(*child, parent=(pk, path))

    for top in words.DEPARTMENT_TREE:
        add(*top, parent=None)
    names = ["id", "created_at", "updated_at", "name", "parent", "path", "email"]
    names += ["description", "line", "is_active"]
    writer.write(Department._meta.db_table, _columns(Department, names), rows)


def _organisations_create(writer: Writer, rng: random.Random, count: int, when) -> list[int]:
    first = _next_id(Organisation)
    rows = []
    for n in range(count):
        word, kind = rng.choice(words.ORGANISATION_WORDS), rng.choice(words.ORGANISATION_KINDS)
        name = f"{word} {kind} {first + n}"
        domain = f"{word}{kind}{first + n}.example".lower()
        shared = rng.random() < 0.3
        rows.append((first + n, when, when, name, domain, shared, shared and n % 2 == 0, "", True))
    names = ["id", "created_at", "updated_at", "name", "domain", "shared_requests"]
    names += ["colleagues_may_act", "notes", "is_active"]
    writer.write(Organisation._meta.db_table, _columns(Organisation, names), rows)
    return [row[0] for row in rows]


USER_FIELDS = [
    "id",
    "password",
    "is_superuser",
    "first_name",
    "last_name",
    "is_staff",
    "is_active",
    "date_joined",
    "email",
    "role",
    "support_line",
    "phone",
    "organisation",
    "language",
]


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)


def _people_create(
    writer: Writer, rng: random.Random, sizes: dict[str, int], organisations: list[int], when
) -> None:
    departments = list(Department.objects.order_by("path"))
    by_name = {d.name: d for d in departments}
    first_line_tops = [d for d in departments if d.parent_id is None and d.line == 1]
    vendors = [d for d in departments if d.path.startswith(by_name["External vendors"].path)]
    next_id = _next_id(User)
    users: list[tuple] = []
    memberships: list[tuple] = []

    def user(email, first, last, role, line=None, organisation=None, superuser=False) -> int:
        nonlocal next_id
        pk, next_id = next_id, next_id + 1
        users.append(
            (pk, NO_PASSWORD, superuser, first, last, superuser, True, when, email, role, line)
            + ("", organisation, "")
        )
        return pk

    def member(user_id: int, department: Department, manage: bool = False) -> None:
        memberships.append((when, when, True, True, True, manage, department.pk, user_id))

    # The personas the runner signs in as.
    dispatcher = user(PERSONAS["dispatcher"], "Dina", "Dispatcher", Role.AGENT, 1)
    member(dispatcher, by_name[DISPATCHER_DEPARTMENT])
    agent = user(PERSONAS["agent"], "Aksel", "Agent", Role.AGENT, 2)
    member(agent, by_name[AGENT_DEPARTMENT])
    user(PERSONAS["supervisor"], "Siri", "Supervisor", Role.SUPERVISOR)
    user(PERSONAS["admin"], "Adam", "Admin", Role.ADMIN, superuser=True)
    user(PERSONAS["requester"], "Rune", "Requester", Role.REQUESTER, organisation=organisations[0])

    # Everybody else: a few supervisors and administrators, external providers in the vendors'
    # tree, dispatchers in the first-line trees, and specialists covering every department.
    staff = sizes["staff"] - 4
    for n in range(staff):
        first, last = _person(rng)
        email = f"staff{n}@{BENCH_DOMAIN}"
        if n < max(1, staff // 25):
            user(email, first, last, Role.SUPERVISOR)
        elif n < max(2, staff // 25 + 2):
            user(email, first, last, Role.ADMIN)
        elif n < staff // 25 + 2 + max(1, staff // 30):
            pk = user(email, first, last, Role.EXTERNAL, 3)
            member(pk, rng.choice(vendors))
        elif n % 4 == 0:
            pk = user(email, first, last, Role.AGENT, 1)
            member(pk, first_line_tops[n % len(first_line_tops)])
        else:
            department = departments[n % len(departments)]
            pk = user(email, first, last, Role.AGENT, department.line)
            member(pk, department, manage=rng.random() < 0.1)
            if rng.random() < 0.2:
                other = rng.choice(departments)
                if other.pk != department.pk:
                    member(pk, other)

    for n in range(sizes["requesters"] - 1):
        first, last = _person(rng)
        organisation = rng.choice(organisations) if rng.random() < 0.8 else None
        local = f"{first}.{last}.{n}".lower().translate(_ASCII)
        domain = f"org{organisation}.example" if organisation else "mail.example"
        user(f"{local}@{domain}", first, last, Role.REQUESTER, organisation=organisation)

    writer.write(User._meta.db_table, _columns(User, USER_FIELDS), users)
    names = ["created_at", "updated_at", "can_view", "can_reply", "can_assign", "can_manage"]
    names += ["department", "user"]
    writer.write(
        DepartmentMembership._meta.db_table, _columns(DepartmentMembership, names), memberships
    )


def addresses_fill() -> int:
    """Give every person without one their primary address row (allauth's EmailAddress), as an
    installation has them (accounts migration 0003; `create_user` adds one): staff addresses
    proved, requesters' not. One INSERT … SELECT; databases generated before the generator did
    this get them when the benchmark starts. Returns the rows written."""
    from allauth.account.models import EmailAddress
    from django.db import connection, transaction

    if not User.objects.exclude(emailaddress__isnull=False).exists():
        return 0
    table, users = EmailAddress._meta.db_table, User._meta.db_table
    sql = (
        f'INSERT INTO {table} (user_id, email, verified, "primary") '  # noqa: S608 (model tables)
        f"SELECT u.id, lower(u.email), u.role <> %s, %s FROM {users} u "
        # NOT IN, hashed once: a NOT EXISTS anti-join planned as a nested loop over the table
        # being filled re-reads every row inserted so far, for each row (hours at 200,000).
        f"WHERE u.id NOT IN (SELECT a.user_id FROM {table} a)"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [Role.REQUESTER, True])
        return cursor.rowcount


def desk_load() -> Desk:
    """The structure as it is in the database now (created by `desk_create`, or appended to)."""
    departments = list(Department.objects.filter(is_active=True).order_by("path"))
    tops = {d.path: d.name for d in departments if d.parent_id is None}
    depts = [
        Dept(d.pk, d.name, d.path, d.line, tops.get(d.path[: d.path.index("/", 1) + 1], d.name))
        for d in departments
    ]
    staff = {
        u.pk: u
        for u in User.objects.filter(
            is_active=True, role__in=[Role.AGENT, Role.EXTERNAL, Role.SUPERVISOR, Role.ADMIN]
        )
    }
    viewers: dict[str, set[int]] = {}
    for m in DepartmentMembership.objects.filter(can_view=True).select_related("department"):
        if m.user_id in staff:
            viewers.setdefault(m.department.path, set()).add(m.user_id)
    pools = {}
    for d in depts:
        ids = set().union(*(ids for path, ids in viewers.items() if d.path.startswith(path)))
        pools[d.id] = [(pk, staff[pk].display_name) for pk in sorted(ids)]
    statuses = {}
    for status in Status.objects.filter(is_active=True).order_by("-is_default", "order"):
        statuses.setdefault(status.category, (status.pk, status.name))
    missing = set(StatusCategory.values) - statuses.keys()
    if missing:
        raise RuntimeError(f"no active status for {sorted(missing)}: migrate first")
    personas = dict(User.objects.filter(email__in=PERSONAS.values()).values_list("email", "pk"))
    return Desk(
        departments=depts,
        pools=pools,
        requesters=list(
            User.objects.filter(role=Role.REQUESTER, is_active=True)
            .order_by("pk")
            .values_list("pk", "organisation_id")
        ),
        statuses=statuses,
        matrix={(r.impact, r.urgency): r.priority for r in PriorityRule.objects.all()},
        tags=list(Tag.objects.order_by("pk").values_list("pk", flat=True)),
        staff_emails={pk: u.email for pk, u in staff.items()},
        personas={key: personas[email] for key, email in PERSONAS.items() if email in personas},
    )

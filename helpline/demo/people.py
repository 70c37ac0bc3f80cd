"""The demo desk's structure: departments, staff in every role, client organisations, topics."""

from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password

from helpline.accounts.models import (
    Department,
    DepartmentMembership,
    Organisation,
    Role,
    SupportLine,
    User,
)
from helpline.accounts.services import department_save, requester_register
from helpline.administration.services import site_settings_update, topic_save
from helpline.tickets.models import TicketClass, Topic

DEMO_PASSWORD = "demo"  # noqa: S105 - printed on every demo start, on purpose
DEMO_DOMAIN = "demo.helpline"
# The first account the loader creates; its presence means the demo is already loaded.
MARKER_EMAIL = f"admin@{DEMO_DOMAIN}"

# key: (name, parent key, line, mail address)
DEPARTMENTS = {
    "support": ("Support", None, SupportLine.FIRST, f"support@{DEMO_DOMAIN}"),
    "hardware": ("Hardware", "support", SupportLine.SECOND, ""),
    "software": ("Software", "support", SupportLine.SECOND, ""),
    "network": ("Network", "support", SupportLine.SECOND, ""),
    "billing": ("Billing", None, SupportLine.FIRST, f"invoices@{DEMO_DOMAIN}"),
    "payments": ("Payments", "billing", SupportLine.FIRST, ""),
    "refunds": ("Refunds", "billing", SupportLine.FIRST, ""),
    "complaints": ("Complaints", None, SupportLine.FIRST, f"complaints@{DEMO_DOMAIN}"),
    "vendor": ("Printer vendor (external)", None, SupportLine.THIRD, ""),
}

# key: (email local part, first, last, role, line, [department keys], description)
STAFF = [
    ("admin", "Ingrid", "Berg", Role.ADMIN, None, [], "Administrator"),
    ("supervisor", "Magnus", "Lie", Role.SUPERVISOR, None, [], "Supervisor (support manager)"),
    (
        "dispatcher",
        "Sofie",
        "Dahl",
        Role.AGENT,
        1,
        ["support", "complaints"],
        "Dispatcher, 1st line, Support and Complaints",
    ),
    ("hardware", "Jonas", "Hansen", Role.AGENT, 2, ["hardware"], "Specialist, 2nd line, Hardware"),
    ("software", "Emma", "Nilsen", Role.AGENT, 2, ["software"], "Specialist, 2nd line, Software"),
    ("expert", "Ola", "Bakken", Role.AGENT, 3, ["support"], "Expert, 3rd line, Support tree"),
    ("billing", "Nora", "Solberg", Role.AGENT, 1, ["billing"], "Billing agent, Billing tree"),
    ("vendor", "Per", "Vik", Role.EXTERNAL, 3, ["vendor"], "External provider, Printer vendor"),
]

# name, mail domain, members share requests, [(first, last, has portal password)]
ORGANISATIONS = [
    (
        "Nordlys Hosting AS",
        "nordlys.example",
        True,
        [
            ("Kari", "Nordmann", True),
            ("Lars", "Johansen", True),
            ("Silje", "Andersen", False),
            ("Henrik", "Larsen", True),
            ("Marte", "Pedersen", False),
            ("Ola", "Haugen", False),
        ],
    ),
    (
        "Acme Retail",
        "acme-retail.example",
        False,
        [
            ("Alice", "Walker", True),
            ("Brian", "Cole", True),
            ("Chloe", "Adams", False),
            ("David", "Price", False),
            ("Emily", "Stone", True),
            ("Frank", "Moore", False),
        ],
    ),
]
# Private persons without an organisation, registered from their first request.
PRIVATE = [("Tom", "Fisher", "tom.fisher@mail.example"), ("Anna", "Berg", "anna.berg@mail.example")]

# name, department key, default class, description
TOPICS = [
    ("Hardware and devices", "hardware", TicketClass.INCIDENT, "Laptops, screens, phones, docks"),
    ("Software and accounts", "software", TicketClass.SERVICE_REQUEST, "Programs, logins, access"),
    ("Network, VPN and e-mail", "network", TicketClass.INCIDENT, "Connections, VPN, mail flow"),
    ("Invoices and payments", "payments", TicketClass.INFORMATION_REQUEST, "Invoices, cards"),
    ("Refunds", "refunds", TicketClass.SERVICE_REQUEST, "Money back for a cancelled service"),
    ("Complaint", "complaints", TicketClass.INCIDENT, "Tell us what went wrong"),
    ("Something else", "support", TicketClass.INFORMATION_REQUEST, "Anything not listed"),
]


@dataclass
class Cast:
    """Everybody and everything the stories refer to, by key."""

    departments: dict[str, Department] = field(default_factory=dict)
    staff: dict[str, User] = field(default_factory=dict)
    requesters: list[User] = field(default_factory=list)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)


def cast_create() -> Cast:
    """Create the demo desk's structure through the services where one exists."""
    cast = Cast()
    password = make_password(DEMO_PASSWORD)  # hashed once: Argon2 is slow on purpose
    for local, first, last, role, line, _depts, _desc in STAFF:
        cast.staff[local] = User.objects.create_user(
            email=f"{local}@{DEMO_DOMAIN}",
            first_name=first,
            last_name=last,
            role=role,
            support_line=line,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
    User.objects.filter(pk__in=[u.pk for u in cast.staff.values()]).update(password=password)
    admin = cast.staff["admin"]

    for key, (name, parent, line, email) in DEPARTMENTS.items():
        department = Department(
            name=name,
            parent=cast.departments.get(parent) if parent else None,
            line=line,
            email=email,
        )
        cast.departments[key] = department_save(department=department, actor=admin)
    for local, *_rest, departments, _desc in STAFF:
        for key in departments:
            DepartmentMembership.objects.create(
                user=cast.staff[local],
                department=cast.departments[key],
                can_assign=local != "vendor",
                can_manage=local in {"dispatcher", "billing"},
            )

    for name, domain, shared, members in ORGANISATIONS:
        organisation = Organisation.objects.create(name=name, domain=domain, shared_requests=shared)
        cast.organisations[domain] = organisation
        with_password = []
        for first, last, has_password in members:
            user = requester_register(
                email=f"{first}.{last}@{domain}".lower(),
                name=f"{first} {last}",
                phone=f"+47 900 12 {len(cast.requesters):03d}",
            )
            cast.requesters.append(user)
            if has_password:
                with_password.append(user.pk)
        User.objects.filter(pk__in=with_password).update(password=password)
        # They "set" a password, so they have received mail at their address.
        EmailAddress.objects.filter(user_id__in=with_password).update(verified=True)
    for first, last, email in PRIVATE:
        cast.requesters.append(requester_register(email=email, name=f"{first} {last}"))

    for order, (name, key, ticket_class, description) in enumerate(TOPICS):
        cast.topics[key] = topic_save(
            topic=Topic(
                name=name,
                department=cast.departments[key],
                default_class=ticket_class,
                description=description,
                order=order,
            ),
            actor=None,
        )
    site_settings_update(
        actor=None,
        desk_name="Nordic Demo Helpline",
        portal_welcome=(
            "Welcome to the demo help desk. Sign in to follow your requests, or open a new one."
        ),
    )
    return cast


def demo_logins() -> list[tuple[str, str]]:
    """Every account that signs in with the demo password, and what it is."""
    staff = [(f"{local}@{DEMO_DOMAIN}", description) for local, *_, description in STAFF]
    requesters = [
        (f"{first}.{last}@{domain}".lower(), f"Requester, {name}")
        for name, domain, _shared, members in ORGANISATIONS
        for first, last, has_password in members
        if has_password
    ]
    return staff + requesters

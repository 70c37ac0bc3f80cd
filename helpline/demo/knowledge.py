"""The demo's knowledge base: a few categories and articles in English, Norwegian and Russian
(translations linked), one for one organisation, one for staff, a proposal in review, votes,
views and a comment waiting for moderation."""

from helpline.kb import services
from helpline.kb.models import ArticleStatus, Category, Visibility

from .people import Cast

VPN_EN = """If the VPN disconnects every hour, the lease of your VPN address runs out.

1. Open the VPN client and choose **Settings → Connection**.
2. Switch on **Reconnect automatically**.
3. Sign out and in again.

Still dropping? Send us a request with the time it happened."""
VPN_NB = """Hvis VPN-en kobler fra hver time, går leieavtalen for VPN-adressen ut.

1. Åpne VPN-klienten og velg **Innstillinger → Tilkobling**.
2. Slå på **Koble til automatisk**.
3. Logg ut og inn igjen."""
VPN_RU = """Если VPN отключается каждый час, истекает аренда адреса VPN.

1. Откройте клиент VPN и выберите **Настройки → Подключение**.
2. Включите **Переподключаться автоматически**.
3. Выйдите и войдите снова."""
RESET_EN = """Forgot your password? Use **Forgot password** on the sign-in page: we send a link
to your address. The link works for one hour.

Your password must be at least 10 characters long."""
RESET_NB = """Glemt passordet? Velg **Glemt passord** på innloggingssiden, så sender vi en lenke
til adressen din. Lenken virker i én time."""
RESET_RU = """Забыли пароль? Нажмите **Забыли пароль** на странице входа: мы пришлём ссылку
на ваш адрес. Ссылка действует один час."""
INVOICE_EN = """Invoices are sent on the 1st of every month to your billing address.

| Payment | Due |
| --- | --- |
| Card | at once |
| Bank transfer | 14 days |"""
PRINTER_EN = """When the printer says *paper jam* but there is none, open tray 2, take the tray
out completely and check the small roller at the back."""
ACME_EN = """Acme Retail's shops connect through the gateway `vpn.acme-retail.example`.
Use your shop number as user name."""
STAFF_EN = """Before resetting a customer's VPN lease, check the monitoring board for an outage
in their region. Escalate to Network when more than three customers report it."""


def _category(admin, name: str, department, parent=None, order: int = 0) -> Category:
    return services.category_save(
        actor=admin,
        category=Category(),
        name=name,
        department=department,
        parent=parent,
        description="",
        order=order,
    )


def knowledge_base_create(cast: Cast) -> None:
    admin = cast.staff["admin"]
    d = cast.departments
    network = _category(admin, "Network and VPN", d["network"], order=1)
    accounts = _category(admin, "Accounts and passwords", d["software"], order=2)
    billing = _category(admin, "Invoices and payments", d["billing"], order=3)
    printers = _category(admin, "Printers", d["hardware"], parent=None, order=4)

    def publish(category, title, body, **fields):
        return services.article_create(
            actor=admin, category=category, title=title, body=body, publish=True, **fields
        )

    vpn = publish(
        network,
        "The VPN disconnects every hour",
        VPN_EN,
        summary="Turn on automatic reconnection in the VPN client.",
        tags="vpn, network, disconnect",
    )
    publish(network, "VPN-en kobler fra hver time", VPN_NB, language="nb", translation_of=vpn)
    publish(network, "VPN отключается каждый час", VPN_RU, language="ru", translation_of=vpn)
    password = publish(
        accounts,
        "Reset a forgotten password",
        RESET_EN,
        summary="The sign-in page sends you a link.",
        tags="password, sign-in",
    )
    publish(
        accounts,
        "Tilbakestill et glemt passord",
        RESET_NB,
        language="nb",
        translation_of=password,
    )
    publish(accounts, "Сброс забытого пароля", RESET_RU, language="ru", translation_of=password)
    publish(billing, "When and how invoices are sent", INVOICE_EN, tags="invoice, payment")
    publish(printers, "Paper jam without paper", PRINTER_EN, tags="printer, paper")
    acme = cast.organisations.get("acme-retail.example")
    if acme is not None:
        publish(
            network,
            "Acme Retail: connecting a shop",
            ACME_EN,
            visibility=Visibility.ORGANISATIONS,
            organisations=[acme],
        )
    publish(
        network, "Checklist before resetting a VPN lease", STAFF_EN, visibility=Visibility.STAFF
    )
    proposal = services.article_create(
        actor=cast.staff["dispatcher"],
        category=printers,
        title="Printer prints blank pages",
        body="Replace the toner cartridge; shake it first.",
    )
    services.article_transition(
        actor=cast.staff["dispatcher"], article=proposal, to=ArticleStatus.REVIEW
    )
    # Readers: views, votes and one comment waiting for moderation.
    for _ in range(12):
        services.article_viewed(article=vpn)
    for _ in range(5):
        services.article_viewed(article=password)
    for person in cast.requesters[:4]:
        services.article_vote(actor=person, session_key="", article=vpn, helpful=True)
    if cast.requesters:
        services.comment_add(
            actor=cast.requesters[0], article=vpn, body="This fixed it for me, thank you!"
        )

"""What the demo requests are about: subjects and the lines of their conversations.

Placeholders in braces ({site}, {invoice}, …) are filled with varying values per request.
"""

from dataclasses import dataclass

from helpline.tickets.models import TicketClass

INC = TicketClass.INCIDENT
SRV = TicketClass.SERVICE_REQUEST
INF = TicketClass.INFORMATION_REQUEST
DOC = TicketClass.DOCUMENTATION_REQUEST
CHG = TicketClass.CHANGE_REQUEST


@dataclass(frozen=True)
class Scenario:
    department: str  # key of the department that should end up working it
    ticket_class: str
    subject: str
    opening: str
    ask: str  # staff asks the requester something (the request waits on them)
    answer: str  # the requester's answer
    note: str  # internal note between staff
    fix: str  # the staff reply that resolves it
    reopen: str = "It worked for a day, but the problem is back."
    tags: tuple[str, ...] = ()
    severity: int = 2  # 1 low … 3 high: steers impact and urgency
    norwegian: bool = False


SCENARIOS = [
    # --- hardware ---------------------------------------------------------------------------
    Scenario(
        "hardware",
        INC,
        "Laptop does not start after the update",
        "My laptop ({laptop}) shows a black screen since last night's update. The power light is "
        "on, but nothing else happens.",
        "Could you hold the power button for 30 seconds with the charger unplugged, then try "
        "again? Does the charging light blink?",
        "Tried it. The light blinks orange three times, then nothing.",
        "Three orange blinks = battery controller fault on this model. Replacement battery in "
        "stock in the second-floor cabinet.",
        "We replaced the battery this morning and the laptop starts normally again. Can you "
        "confirm everything works on your side?",
        tags=("laptop",),
        severity=3,
    ),
    Scenario(
        "hardware",
        INC,
        "Second screen flickers on the docking station",
        "The external screen on my desk (floor {floor}) flickers every few seconds when the "
        "laptop is docked.",
        "Does it also flicker with another cable, or when you connect the screen directly to "
        "the laptop?",
        "Directly connected it is fine. Only through the dock.",
        "Dock firmware is two versions behind. Pushing the update remotely.",
        "We updated the docking station's firmware. The flicker should be gone; please tell us "
        "if you still see it.",
        tags=("dock", "screen"),
    ),
    Scenario(
        "hardware",
        SRV,
        "New keyboard and mouse for a new colleague",
        "{person} starts on Monday on floor {floor}. Could you prepare a keyboard, a mouse and a "
        "headset?",
        "Does {person} need a Norwegian or an English keyboard layout?",
        "Norwegian layout, please.",
        "Set is ready in the store room, labelled with the name.",
        "Everything is on the desk with a label. Welcome to {person}!",
        tags=("onboarding",),
        severity=1,
    ),
    Scenario(
        "hardware",
        INC,
        "Phone battery drains in two hours",
        "My work phone is empty by lunchtime, even though I barely use it.",
        "Which apps are at the top of Settings → Battery?",
        "The mail app uses 60 %.",
        "Known mail sync loop after the profile change; re-enrolling the profile fixes it.",
        "We re-installed the mail profile remotely. Battery use should be back to normal by "
        "tomorrow.",
        tags=("mobile",),
    ),
    Scenario(
        "hardware",
        CHG,
        "Replace the meeting room projector with a screen",
        "The projector in meeting room {room} is dim and loud. Could it be replaced with a large "
        "screen?",
        "Which size would suit the room, and when is the room free for a half-day installation?",
        "65 inches should do. The room is free on Friday afternoon.",
        "Approved by facilities; screen ordered, delivery within a week.",
        "The new screen is mounted in {room} and tested with the conference system.",
        tags=("meeting-room",),
        severity=1,
    ),
    Scenario(
        "vendor",
        INC,
        "Printer on floor {floor} jams on every second page",
        "The big printer on floor {floor} jams all the time. We cannot print contracts.",
        "Does it jam on plain paper too, or only with the thick contract paper?",
        "Both, but worse with the thick paper.",
        "Fuser unit worn out (counter at 310 000 pages). Vendor has to replace it under the "
        "service contract.",
        "The vendor replaced the fuser unit and tested 200 pages without a jam.",
        tags=("printer",),
        severity=2,
    ),
    Scenario(
        "vendor",
        INC,
        "Printer shows error E-204",
        "The printer near reception shows error E-204 and refuses to print.",
        "Could you send a photo of the display?",
        "Photo attached to my mail: it says E-204 Drum unit.",
        "E-204 is the drum unit. Ordered through the vendor.",
        "The drum unit has been replaced by the vendor's technician. Printing works again.",
        tags=("printer",),
    ),
    # --- software ---------------------------------------------------------------------------
    Scenario(
        "software",
        SRV,
        "Access to the accounting system for {person}",
        "{person} in finance needs read access to the accounting system from next week.",
        "Could the head of finance approve the access by replying to this request?",
        "Approved — I am the head of finance.",
        "Access role 'Finance-read' is enough; no write rights.",
        "{person} now has read access. The first sign-in asks to set up two-factor authentication.",
        tags=("access",),
        severity=1,
    ),
    Scenario(
        "software",
        INC,
        "Excel crashes when opening large files",
        "Excel closes without a message every time I open the monthly report ({size} MB).",
        "Does it also happen in safe mode (hold Ctrl while starting Excel)?",
        "In safe mode it opens fine.",
        "A broken add-in (old PDF exporter). Remove it through software deployment.",
        "We removed the old PDF add-in that crashed Excel. The report opens again.",
        tags=("office",),
    ),
    Scenario(
        "software",
        SRV,
        "Password reset for the CRM",
        "I have been locked out of the CRM after too many attempts.",
        "To verify it is you: which phone number should receive the reset code?",
        "The mobile number in my profile, ending in 47.",
        "Identity checked against the HR record.",
        "Your account is unlocked and a reset link is on its way to your phone.",
        tags=("password",),
        severity=2,
    ),
    Scenario(
        "software",
        CHG,
        "Install the new version of the design tool",
        "The design team needs version {version} of the design tool for the new file format.",
        "Is this for all six designers, or only a few machines first?",
        "Start with two machines, then everybody if it works.",
        "License server supports the new version; test package built.",
        "Version {version} is installed on the two test machines. Tell us when to roll it out "
        "to everybody.",
        tags=("install",),
        severity=1,
    ),
    Scenario(
        "software",
        DOC,
        "User guide for the expense app",
        "Is there a short guide for the new expense app? Our new hires keep asking.",
        "Do you need it in English, Norwegian or both?",
        "Both, if possible.",
        "The vendor's guide is too long; we wrote a two-page version last year.",
        "Here is our two-page guide in English and Norwegian. We also added it to the intranet.",
        tags=("documentation",),
        severity=1,
    ),
    Scenario(
        "software",
        INC,
        "Calendar invitations arrive twice",
        "Every meeting invitation shows up twice in my calendar since Tuesday.",
        "Do you have the calendar connected on both your phone and a second app?",
        "Yes, the old calendar app on the tablet as well.",
        "Duplicate sync through the legacy app; disconnect it.",
        "We disconnected the old calendar app from your account. New invitations arrive once.",
        tags=("calendar",),
    ),
    # --- network ----------------------------------------------------------------------------
    Scenario(
        "network",
        INC,
        "VPN drops every {minutes} minutes",
        "The VPN disconnects every {minutes} minutes when I work from home.",
        "Which internet connection do you use at home, and does it happen on the phone hotspot "
        "too?",
        "Fibre at home. On the hotspot it stays connected.",
        "Home router drops idle UDP; switch the profile to TCP fallback.",
        "We switched your VPN profile to the TCP fallback. It should stay connected now.",
        tags=("vpn",),
        severity=2,
    ),
    Scenario(
        "network",
        INC,
        "Website {site} is down",
        "Our shop at {site} answers with 502 Bad Gateway. Customers cannot order!",
        "We see it too. Are other sites on the same server affected?",
        "Only this one as far as we can tell.",
        "Upstream PHP pool exhausted after the plugin update; raising the pool and rolling the "
        "plugin back.",
        "The site is back up: a plugin update had exhausted the application pool. We rolled it "
        "back and added monitoring.",
        tags=("outage", "web"),
        severity=3,
    ),
    Scenario(
        "network",
        INC,
        "Mail to customers bounces",
        "Mails to several customers bounce with '550 SPF check failed'.",
        "Did you add a new mail service recently, for newsletters for example?",
        "Yes, marketing started a newsletter tool last week.",
        "SPF record misses the newsletter tool's include. Fix in DNS.",
        "We added the newsletter service to your SPF record. Mails are delivered again.",
        tags=("mail", "dns"),
        severity=3,
    ),
    Scenario(
        "network",
        CHG,
        "Open port {port} in the firewall for the new integration",
        "Our partner's integration needs port {port} open to the application server.",
        "Which source addresses will connect? We only open to known addresses.",
        "Two addresses, listed in the partner's document.",
        "Change approved by the supervisor; window Thursday 18:00.",
        "Port {port} is open for the two partner addresses only. The change is documented.",
        tags=("firewall",),
        severity=1,
    ),
    Scenario(
        "network",
        INC,
        "Wi-Fi very slow in meeting room {room}",
        "The Wi-Fi in meeting room {room} is so slow that video calls freeze.",
        "Is it slow all day, or only when the room is full?",
        "Mostly when there are more than eight people.",
        "Access point in that room is overloaded; second AP planned.",
        "We installed a second access point for the room. Video calls should be smooth now.",
        tags=("wifi", "meeting-room"),
    ),
    Scenario(
        "network",
        SRV,
        "New DNS record for {site}",
        "Please point {site} to our new server.",
        "Which address should the record point to, and should the old one stay for a while?",
        "The new address is in the attached mail; remove the old one after a week.",
        "Low TTL first, then switch.",
        "The record for {site} now points to the new server. We remove the old one next week.",
        tags=("dns",),
        severity=1,
    ),
    # --- general support --------------------------------------------------------------------
    Scenario(
        "support",
        INF,
        "What are your opening hours during the holidays?",
        "Will the help desk be open between Christmas and New Year?",
        "Do you mean phone support, or the portal as well?",
        "Mainly phone.",
        "Holiday plan published on the intranet.",
        "Phone support is open 09–15 on weekdays between the holidays; the portal is always open.",
        tags=("hours",),
        severity=1,
    ),
    Scenario(
        "support",
        DOC,
        "Copy of our service level agreement",
        "Could you send us the current service level agreement for our contract?",
        "Do you need the signed PDF or the summary?",
        "The signed PDF, please.",
        "Signed copy found in the contract archive.",
        "Here is the signed agreement. The response times are on page 3.",
        tags=("contract",),
        severity=1,
    ),
    Scenario(
        "support",
        INF,
        "How do I add a colleague to the portal?",
        "How can my colleague see the requests of our company in the portal?",
        "Is your colleague already registered with a company address?",
        "Yes, with the company address.",
        "Organisation shares requests: they see them after the first sign-in.",
        "Your organisation shares its requests, so your colleague sees them after signing in "
        "with the company address.",
        tags=("portal",),
        severity=1,
    ),
    # --- billing ----------------------------------------------------------------------------
    Scenario(
        "payments",
        INF,
        "Invoice {invoice} charged twice",
        "Our card was charged twice for invoice {invoice} ({amount} NOK).",
        "Could you send the last four digits of the card and the dates of both charges?",
        "Card ending 4412, charged on the 3rd and the 4th.",
        "Payment provider retried after a timeout; second charge is real.",
        "The double charge was a retry by our payment provider. The second charge of {amount} "
        "NOK has been refunded; it shows on your card within five days.",
        tags=("invoice", "payment"),
        severity=2,
    ),
    Scenario(
        "payments",
        SRV,
        "Change invoice address",
        "Please send our invoices to our accounting office from next month.",
        "Which address and reference should the invoices carry?",
        "Accounting office address in the signature, reference {reference}.",
        "Updated in the billing system.",
        "From next month the invoices go to your accounting office with reference {reference}.",
        tags=("invoice",),
        severity=1,
    ),
    Scenario(
        "payments",
        INF,
        "Why did the price go up?",
        "Invoice {invoice} is higher than last month. What changed?",
        "Did you add users or storage last month?",
        "We added three users.",
        "Three new seats from the 14th, pro rata.",
        "The difference is three new users from the 14th, charged for the rest of the month.",
        tags=("invoice",),
        severity=1,
    ),
    Scenario(
        "refunds",
        SRV,
        "Refund for cancelled subscription",
        "We cancelled the extra storage on the 2nd but were charged for the whole month.",
        "Do you have the cancellation confirmation?",
        "Yes, forwarded it just now.",
        "Cancellation confirmed; refund the unused days.",
        "We refunded {amount} NOK for the unused days. You will see it within a week.",
        tags=("refund",),
        severity=2,
    ),
    Scenario(
        "refunds",
        SRV,
        "Money back for order {order}",
        "Order {order} was never delivered. We would like our money back.",
        "We checked with the courier: could you confirm the delivery address?",
        "The address is correct; nobody rang the bell.",
        "Courier confirms loss; refund in full.",
        "The courier confirmed the parcel was lost. We refunded the full amount.",
        tags=("refund",),
    ),
    # --- complaints -------------------------------------------------------------------------
    Scenario(
        "complaints",
        INC,
        "Nobody answered my request for a week",
        "I opened a request a week ago and nobody has answered. This is not acceptable.",
        "We are sorry. Could you give us the number of the earlier request?",
        "It was about the VPN, opened on Monday last week.",
        "The earlier request sat unassigned in Network over the weekend. Discuss routing at the "
        "team meeting.",
        "We found your earlier request and solved it today. We also changed how weekend "
        "requests are picked up. Sorry for the wait.",
        tags=("complaint",),
        severity=2,
    ),
    Scenario(
        "complaints",
        INC,
        "Rude answer on the phone",
        "The person I spoke to on the phone yesterday was very impolite.",
        "Thank you for telling us. At what time did you call?",
        "Around 14:30.",
        "Spoke with the team; call reviewed.",
        "We reviewed the call with the team. You should have been treated better — our apologies.",
        tags=("complaint",),
        severity=1,
    ),
    # --- Norwegian --------------------------------------------------------------------------
    Scenario(
        "network",
        INC,
        "E-post kommer ikke fram",
        "Hei! Siden i morges får vi ikke e-post fra kundene våre. Kan dere se på det?",
        "Hei, får dere feilmelding når dere sender, eller kommer det bare ingenting inn?",
        "Det kommer ingenting inn, men vi kan sende ut.",
        "MX-posten ble endret ved flytting av domenet. Rettes i DNS.",
        "MX-posten var feil etter flyttingen. Den er rettet, og e-posten kommer fram igjen.",
        reopen="Det virket en stund, men nå kommer ikke e-posten fram igjen.",
        tags=("mail", "dns"),
        severity=3,
        norwegian=True,
    ),
    Scenario(
        "software",
        SRV,
        "Ny bruker til regnskapssystemet",
        "Hei, vi har fått en ny kollega, {person}, som trenger tilgang til regnskapssystemet.",
        "Hvilken rolle skal {person} ha — bare lese, eller også bokføre?",
        "Bare lese i starten.",
        "Leserolle holder.",
        "{person} har nå lesetilgang. Første innlogging ber om tofaktorautentisering.",
        reopen="Innloggingen virker fortsatt ikke.",
        tags=("access",),
        severity=1,
        norwegian=True,
    ),
    Scenario(
        "payments",
        INF,
        "Spørsmål om faktura {invoice}",
        "Hei, faktura {invoice} er høyere enn vanlig. Hva er grunnen?",
        "Har dere lagt til brukere eller lagringsplass forrige måned?",
        "Ja, to nye brukere.",
        "To nye lisenser fra den 10., forholdsmessig.",
        "Økningen skyldes to nye brukere fra den 10., fakturert for resten av måneden.",
        reopen="Beløpet stemmer fortsatt ikke med det vi har bestilt.",
        tags=("invoice",),
        severity=1,
        norwegian=True,
    ),
    Scenario(
        "vendor",
        INC,
        "Skriveren i 2. etasje skriver ut blanke ark",
        "Skriveren i 2. etasje skriver bare ut blanke ark.",
        "Står det noe i displayet på skriveren?",
        "Den sier at tonerkassetten er tom, men vi byttet den i går.",
        "Feil type toner levert. Leverandøren sender riktig kassett.",
        "Leverandøren har byttet til riktig tonerkassett. Skriveren virker igjen.",
        reopen="Nå skriver den ut striper i stedet.",
        tags=("printer",),
        severity=2,
        norwegian=True,
    ),
    Scenario(
        "hardware",
        INC,
        "PC-en starter ikke",
        "PC-en min starter ikke. Den piper tre ganger når jeg slår den på.",
        "Tre pip betyr ofte minnefeil. Kan vi hente maskinen i dag?",
        "Ja, den står på pulten min.",
        "Defekt minnebrikke, byttet fra lager.",
        "Vi har byttet en defekt minnebrikke. PC-en står klar på pulten din.",
        reopen="Den piper igjen i dag morges.",
        tags=("pc",),
        severity=2,
        norwegian=True,
    ),
]

SPAM = [
    ("You have won a prize!", "Claim your prize today by sending us your bank details."),
    ("SEO services for your website", "We can bring your site to the first page of search."),
    ("Cheap watches", "Best replicas at the lowest prices, free shipping."),
    ("Business proposal", "I have an offer of great mutual benefit. Reply for details."),
    ("Re: invoice", "Open the attached file to see your invoice. (no attachment)"),
]

FOLLOW_UPS = [
    "Any news on this?",
    "Just checking — is anybody looking at this?",
    "This is getting urgent for us now.",
]
FOLLOW_UPS_NB = ["Noe nytt her?", "Har dere sett på dette?"]

FILL = {
    "site": ["shop.nordlys.example", "www.acme-retail.example", "app.nordlys.example"],
    "laptop": ["LT-0412", "LT-0877", "LT-1093"],
    "floor": ["1", "2", "3", "4", "5"],
    "room": ["Fjord", "Glacier", "Aurora", "Harbour"],
    "invoice": ["2024-1187", "2024-1203", "2024-1311", "2025-0042", "2025-0119", "2025-0230"],
    "amount": ["1 250", "3 980", "499", "12 400", "760"],
    "person": ["Ingrid Moe", "Jakob Strand", "Leah Carter", "Mads Eide", "Priya Shah"],
    "minutes": ["5", "10", "15", "20"],
    "size": ["40", "85", "120"],
    "version": ["5.2", "6.0", "6.1"],
    "port": ["8443", "9200", "5671"],
    "reference": ["AP-2231", "KST-117", "ACC-90"],
    "order": ["A-10422", "A-10871", "A-11003"],
}

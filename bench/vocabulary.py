"""The words the generator builds a desk from: the department tree, names, subjects and bodies."""

# (name, support line, children); about thirty departments, three levels deep.
DEPARTMENT_TREE = [
    (
        "Support",
        1,
        [
            ("Hardware", 2, [("Laptops", 2, []), ("Printers", 2, []), ("Phones", 2, [])]),
            ("Software", 2, [("Office", 2, []), ("ERP", 3, []), ("Mail and calendar", 2, [])]),
            ("Network", 2, [("VPN", 3, []), ("Wi-Fi", 2, [])]),
            ("Accounts and access", 2, []),
        ],
    ),
    (
        "Billing",
        1,
        [("Payments", 2, []), ("Refunds", 2, []), ("Invoices", 2, []), ("Contracts", 2, [])],
    ),
    ("Complaints", 1, [("Service quality", 2, []), ("Delivery", 2, [])]),
    ("Sales", 1, [("Partnerships", 2, []), ("Quotes", 2, [])]),
    (
        "IT operations",
        2,
        [("Servers", 3, []), ("Databases", 3, []), ("Security", 3, []), ("Backup", 3, [])],
    ),
    ("Facilities", 1, [("Building", 2, []), ("Catering", 2, [])]),
    ("External vendors", 3, [("Hardware vendor", 3, []), ("Telecom provider", 3, [])]),
]

# Share of new requests each top-level tree receives; inside a tree, sub-departments share it.
TREE_WEIGHTS = {
    "Support": 55,
    "Billing": 18,
    "Complaints": 7,
    "Sales": 5,
    "IT operations": 8,
    "Facilities": 4,
    "External vendors": 3,
}

FIRST_NAMES = (
    "Anna Bjørn Camilla David Emma Fredrik Grete Henrik Ingrid Jonas Kari Lars Maria Nils Olga "
    "Petter Rita Sven Tone Ulrik Vera William Yusuf Zara Aleksei Boris Darya Elena Fatima Georg "
    "Hanna Igor Julia Kirill Linn Marius Nina Oskar Pavel Sara Tatiana Viktor"
).split()
LAST_NAMES = (
    "Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen Berg "
    "Haugen Hagen Johannessen Ivanov Petrova Smirnov Kuznetsova Popov Sokolova Lebedev Novak "
    "Smith Jones Taylor Brown Williams Wilson Evans Thomas Roberts Walker Wright Green Hall"
).split()
ORGANISATION_WORDS = (
    "Nordic Fjord Arctic Polar Baltic Coastal Granite Harbour Summit Aurora Birch Pine Cedar "
    "Meridian Vector Quantum Atlas Orion Nova Lumen Pixel Cobalt Silver Amber"
).split()
ORGANISATION_KINDS = (
    "Logistics Hosting Consulting Retail Energy Shipping Media Health Foods Engineering "
    "Software Telecom Finance Travel Construction"
).split()

# {thing} is filled from THINGS; a few subjects mention an invoice (the text-search probe).
SUBJECTS = [
    "{thing} does not start",
    "{thing} is very slow since this morning",
    "Cannot log in to {thing}",
    "Error message when opening {thing}",
    "Request: new {thing} for a new employee",
    "{thing} keeps disconnecting",
    "Please reset my password for {thing}",
    "How do I export data from {thing}?",
    "{thing} shows the wrong date",
    "Access to {thing} for the finance team",
    "Question about the licence for {thing}",
    "{thing} stopped working after the update",
    "Change request: upgrade {thing}",
    "Documentation for {thing} is out of date",
    "Where can I find the manual for {thing}?",
    "{thing} is making a strange noise",
    "Cannot print from {thing}",
    "Wrong amount on invoice for {thing}",
    "Refund for {thing} not received",
    "Complaint about {thing} support",
]
THINGS = [
    "the laptop",
    "Outlook",
    "the VPN client",
    "the office printer",
    "the ERP system",
    "my phone",
    "the Wi-Fi in meeting room 3",
    "the shared drive",
    "Teams",
    "the web shop",
    "the CRM",
    "the docking station",
    "the payroll portal",
    "the customer database",
    "the backup job",
    "the second monitor",
    "the time sheet app",
    "the intranet",
    "our hosting account",
    "the domain renewal",
    "the badge reader",
    "the projector",
    "the mobile app",
    "the SSL certificate",
]
PARAGRAPHS = [
    "Hello, since this morning I cannot get it to work at all.",
    "It worked fine yesterday, and nothing was changed on my side as far as I know.",
    "I have already restarted the computer twice, without any change.",
    "The error message says that the service is not available right now.",
    "Could you please look into this as soon as possible? Our team depends on it.",
    "I have attached a screenshot of what I see on the screen.",
    "This affects three people in our department.",
    "Thank you for the quick answer, that solved it.",
    "Unfortunately the problem came back after an hour.",
    "We have forwarded the case to the supplier and are waiting for their answer.",
    "Please try to clear the cache and sign in again, then tell us if it helps.",
    "The update is scheduled for tonight; you may see a short interruption.",
    "I checked the logs and found the cause: an expired certificate on the server.",
    "The invoice was sent to the old address; we have corrected it and sent a new one.",
    "Your refund has been approved and will reach your account within five working days.",
    "Can you confirm which version you are running? You find it under Help, About.",
    "We are replacing the device; the new one will be on your desk tomorrow.",
    "Note for the next line: the customer has had this three times this month.",
    "Checked with the vendor: known issue, a fix is expected in the next release.",
    "Closing this as solved. Reply to this message if anything is still wrong.",
]
TAGS = [
    "vip",
    "outage",
    "hardware",
    "password",
    "invoice",
    "refund",
    "onboarding",
    "offboarding",
    "security",
    "vendor",
    "known-error",
    "follow-up",
    "complaint",
    "licence",
    "mobile",
    "network",
    "printer",
    "email",
    "erp",
    "backup",
    "windows",
    "macos",
    "linux",
    "urgent-customer",
    "contract",
    "delivery",
    "training",
    "change",
    "access",
    "feedback",
]

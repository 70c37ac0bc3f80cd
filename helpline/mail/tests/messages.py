"""Building raw test messages (bytes as a mail server would hand them over)."""

from email.message import EmailMessage
from email.utils import format_datetime

from helpline.core import clock

_counter = iter(range(1, 10**9))


def mail(
    *,
    sender: str = "Carol Client <carol@client.test>",
    to: str = "Help <help@desk.test>",
    subject: str = "Printer is broken",
    body: str = "The printer on floor 3 makes a noise.",
    message_id: str | None = "auto",
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
    html: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(clock.now())
    if message_id == "auto":
        message_id = f"<test-{next(_counter)}-{clock.now().timestamp()}@client.test>"
    if message_id:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()

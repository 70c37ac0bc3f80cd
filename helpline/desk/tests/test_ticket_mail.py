"""Mail entries on the ticket page: sanitised HTML in a sandboxed frame with its own policy,
inline images from the stored files, remote images only when asked, folded quotes, the original
message for staff — in a constant number of queries."""

import base64
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline.mail.ingest import Outcome, receive
from helpline.mail.models import Mailbox
from helpline.mail.tests.messages import mail

from .ticket_support import url  # noqa: F401

pytestmark = pytest.mark.django_db

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
HOSTILE = (
    b"From: Carol Client <carol@client.test>\r\n"
    b"To: help@desk.test\r\n"
    b"Subject: Screenshot\r\n"
    b"Message-ID: <hostile-1@client.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/related; boundary="r"\r\n\r\n'
    b"--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b"<p>Here is the error</p><script>window.hacked=1</script>"
    b'<img src="x" onerror="window.hacked=2">'
    b'<img src="https://tracker.example/pixel.gif" alt="tracker">'
    b'<img src="cid:shot@client" alt="shot">'
    b'<div class="gmail_quote">On Monday you wrote:<blockquote>Old question</blockquote></div>'
    b"\r\n--r\r\nContent-Type: image/png\r\nContent-ID: <shot@client>\r\n"
    b'Content-Disposition: inline; filename="shot.png"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(PNG) + b"\r\n--r--\r\n"
)


@pytest.fixture
def mailbox(support):
    return Mailbox.objects.create(name="Help", address="help@desk.test", department=support)


@pytest.fixture
def hostile(mailbox):
    receipt = receive(HOSTILE, mailbox=mailbox)
    assert receipt.outcome == Outcome.CREATED
    return receipt


def test_html_mail_is_a_sandboxed_frame_with_remote_images_offered(client, dispatcher, hostile):
    client.force_login(dispatcher)

    html = client.get(url("ticket", hostile.ticket.pk)).content.decode()

    body_url = url("mail_body", hostile.entry.pk)
    frame = re.search(r"<iframe[^>]*hl-mail-frame[^>]*>", html).group(0)
    assert f'src="{body_url}"' in frame
    assert 'sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"' in frame
    assert f'href="{body_url}?remote=1" target="mail-{hostile.entry.pk}"' in html
    assert "Load remote images" in html
    assert url("mail_raw", hostile.entry.pk) in html
    assert "window.hacked" not in html and "tracker.example" not in html


def test_frame_document_runs_nothing_and_loads_no_remote_image(client, dispatcher, hostile):
    client.force_login(dispatcher)

    response = client.get(url("mail_body", hostile.entry.pk))

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox allow-same-origin" in policy
    assert "img-src 'self' data:;" in policy  # no remote origin
    assert "allow-scripts" not in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    body = response.content.decode()
    assert "<script" not in body.split("</head>")[1] and "onerror" not in body
    assert "window.hacked" not in body
    assert "tracker.example" not in body
    # The inline image shows from the entry's stored file.
    stored = hostile.entry.attachments.get(filename="shot.png")
    assert f'src="{url("attachment", stored.pk)}"' in body
    # The quote is folded.
    assert re.search(
        r'<details class="hl-quote"><summary>Show quoted text</summary>.*Old question.*</details>',
        body,
        re.S,
    )


def test_remote_images_load_when_asked(client, dispatcher, hostile):
    client.force_login(dispatcher)

    response = client.get(url("mail_body", hostile.entry.pk) + "?remote=1")

    assert "https://tracker.example/pixel.gif" in response.content.decode()
    assert "img-src 'self' data: https: http:;" in response["Content-Security-Policy"]


def test_an_inline_image_of_another_entry_never_shows(client, dispatcher, hostile, mailbox):
    # A second message names the first one's image by its content: only an entry's own files.
    digest = hostile.entry.attachments.get().sha256
    other = receive(
        mail(html=f'<p>x</p><img src="cid:sha256-{digest}">', subject="Other"), mailbox=mailbox
    )
    client.force_login(dispatcher)

    body = client.get(url("mail_body", other.entry.pk)).content.decode()

    assert "/attachments/" not in body


def test_original_message_downloads_as_it_came(client, dispatcher, hostile):
    client.force_login(dispatcher)

    response = client.get(url("mail_raw", hostile.entry.pk))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == HOSTILE
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "sandbox"


def test_text_mail_folds_quotes_and_signature(client, dispatcher, mailbox):
    raw = mail(
        body="Thanks, it works.\n\nOn Mon, 1 Dec 2025, Ann <ann@desk.test> wrote:\n"
        "> Restart it.\n\n-- \nCarol\n",
    )
    receipt = receive(raw, mailbox=mailbox)
    client.force_login(dispatcher)

    html = client.get(url("ticket", receipt.ticket.pk)).content.decode()

    entry = html[html.index(f'id="entry-{receipt.entry.pk}"') :]
    entry = entry[: entry.index("</article>")]
    assert "Thanks, it works." in entry
    assert re.search(
        r"<details class=\"hl-quote\"><summary>Show quoted text</summary><div>On Mon.*"
        r"&gt; Restart it.</div></details>",
        entry,
        re.S,
    )
    assert "<summary>Show signature</summary>" in entry
    assert "mail_body" not in entry and "<iframe" not in entry


def test_mail_entries_add_no_queries(client, dispatcher, mailbox):
    first = receive(mail(html="<p>first</p>"), mailbox=mailbox)
    client.force_login(dispatcher)
    client.get(url("ticket", first.ticket.pk))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("ticket", first.ticket.pk)).status_code == 200
        return len(queries)

    before = count()
    message_id = first.entry.mail.message_id
    for n in range(10):
        receive(
            mail(html=f"<p>reply {n}</p>", in_reply_to=f"<{message_id}>", subject="Re: x"),
            mailbox=mailbox,
        )

    assert first.ticket.entries.filter(mail__isnull=False).count() == 11
    assert count() == before

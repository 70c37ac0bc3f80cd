"""Journey: hostile HTML mail shows safely on the ticket page; quotes fold and open."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from e2e.console import csp_violations, script_errors
from e2e.pages.mail_entry import MailEntry
from e2e.pages.ticket import TicketPage
from helpline.mail.ingest import Outcome, receive
from helpline.mail.models import Mailbox
from helpline.mail.tests.messages import mail

GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"  # noqa: E501


@pytest.fixture
def remote_host():
    """A loopback web server standing in for a sender's tracking pixel; it counts requests."""
    hits: list[str] = []

    class Pixel(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/gif")
            self.send_header("Content-Length", str(len(GIF)))
            self.end_headers()
            self.wfile.write(GIF)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pixel)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", hits
    finally:
        server.shutdown()
        server.server_close()


def hostile_html(remote: str) -> str:
    return (
        '<p>Here is the error</p><script>parent.document.title = "HACKED-SCRIPT"</script>'
        '<img src="x" onerror="parent.document.title = \'HACKED-ONERROR\'">'
        f'<p><img src="{remote}/pixel.gif" alt="remote picture" width="40" height="40"></p>'
        "<a href=\"javascript:parent.document.title='HACKED-LINK'\">harmless link</a>"
        '<div class="gmail_quote">On Monday, Ann wrote:'
        "<blockquote>OLD-QUESTION: is the printer on?</blockquote></div>"
    )


def test_hostile_html_mail_shows_safely_and_quotes_open(
    open_as, screenshot, browser_errors, dispatcher, support, remote_host
):
    remote, hits = remote_host
    mailbox = Mailbox.objects.create(name="Help", address="help@desk.test", department=support)
    # Given an HTML mail with a script, an onerror image and a remote image, and a text answer
    first = receive(
        mail(subject="Printer error", body="Here is the error", html=hostile_html(remote)),
        mailbox=mailbox,
    )
    assert first.outcome == Outcome.CREATED
    answer = receive(
        mail(
            subject="Re: Printer error",
            body="It works now, thanks!\n\nOn Mon, 1 Dec 2025, Ann <ann@desk.test> wrote:\n"
            "> TEXT-QUOTE: restart the printer\n",
            in_reply_to=f"<{first.entry.mail.message_id}>",
        ),
        mailbox=mailbox,
    )
    assert answer.ticket == first.ticket

    # When the dispatcher opens the request
    desk = open_as(dispatcher)
    TicketPage(desk, first.ticket.pk).open()
    html_entry = MailEntry(desk, first.entry.pk)
    expect(html_entry.frame.locator("body")).to_contain_text("Here is the error")

    # Then nothing in the mail ran, and the remote image was not fetched
    desk.wait_for_timeout(500)
    assert "HACKED" not in desk.title()
    assert hits == []
    expect(html_entry.frame.get_by_role("img", name="remote picture")).to_have_count(1)
    assert html_entry.frame.get_by_role("img", name="remote picture").get_attribute("src") is None
    html_entry.frame.get_by_text("harmless link").click()
    desk.wait_for_timeout(300)
    assert "HACKED" not in desk.title()

    # And the quoted history is folded, in the HTML mail and in the text answer, and opens
    # (the frame fits its content, folded and unfolded)
    old = html_entry.frame.get_by_text("OLD-QUESTION")
    expect(old).to_be_hidden()
    folded_height = html_entry.frame_element.bounding_box()["height"]
    assert folded_height < 300
    html_entry.show_quoted_text(in_frame=True)
    expect(old).to_be_visible()
    desk.wait_for_timeout(200)
    assert html_entry.frame_element.bounding_box()["height"] > folded_height
    text_entry = MailEntry(desk, answer.entry.pk)
    quote = text_entry.article.get_by_text("TEXT-QUOTE")
    expect(text_entry.article).to_contain_text("It works now, thanks!")
    expect(quote).to_be_hidden()
    text_entry.show_quoted_text(in_frame=False)
    expect(quote).to_be_visible()
    screenshot(desk, "mail-01-ticket-html-mail-remote-blocked")

    # When the dispatcher asks for the remote images, then (and only then) they load
    html_entry.load_remote_images.click()
    picture = html_entry.frame.get_by_role("img", name="remote picture")
    expect(picture).to_have_attribute("src", f"{remote}/pixel.gif")
    expect(html_entry.article).to_contain_text("Remote images are shown for this message.")
    for _ in range(50):
        if hits:
            break
        desk.wait_for_timeout(100)
    assert hits == ["/pixel.gif"]
    assert "HACKED" not in desk.title()

    desk.set_viewport_size({"width": 390, "height": 844})
    desk.wait_for_timeout(300)
    screenshot(desk, "mail-02-ticket-html-mail-390")
    assert not script_errors(browser_errors), "\n".join(browser_errors)
    assert not csp_violations(browser_errors), "\n".join(browser_errors)

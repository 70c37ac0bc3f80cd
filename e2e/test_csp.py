"""Journey 6's guard: the console watch really catches a Content-Security-Policy refusal.

Journeys 1 and 4 assert an empty console; this proves an inline style would not go unnoticed.
"""

from e2e.console import csp_violations


def test_console_watch_catches_inline_style(open_as, browser_errors):
    # Given a page of the product under its Content-Security-Policy
    page = open_as()
    response = page.goto("/accounts/login/")
    assert "style-src 'self'" in response.headers["content-security-policy"]

    # When a script adds an inline style, which the policy forbids
    with page.expect_console_message(lambda message: message.type == "error"):
        page.evaluate("document.body.setAttribute('style', 'color: red')")

    # Then the watch has recorded it as a CSP violation
    assert csp_violations(browser_errors), browser_errors

"""What the journeys collect from the browser's console: script errors and CSP refusals."""

from playwright.sync_api import Page

# Chromium words CSP refusals both ways, depending on the directive and the version.
CSP_MARKERS = ("Refused to", "Content Security Policy")


def watch_errors(page: Page, errors: list[str]) -> None:
    """Append every console error and uncaught exception of `page` to `errors`."""

    def on_console(message):
        if message.type == "error":
            errors.append(f"console: {message.text} ({page.url})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc} ({page.url})"))


def csp_violations(errors: list[str]) -> list[str]:
    return [error for error in errors if any(marker in error for marker in CSP_MARKERS)]


def script_errors(errors: list[str]) -> list[str]:
    return [error for error in errors if error.startswith("pageerror:")]

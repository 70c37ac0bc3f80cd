"""Template filters for the ticket page: channel and file icons."""

from django import template

register = template.Library()

CHANNEL_ICONS = {
    "portal": "bi-globe2",
    "email": "bi-envelope",
    "phone": "bi-telephone",
    "widget": "bi-window-sidebar",
    "api": "bi-code-slash",
    "staff": "bi-person-badge",
}


@register.filter
def channel_icon(channel: str) -> str:
    return CHANNEL_ICONS.get(channel, "bi-question-circle")


@register.filter
def file_icon(content_type: str) -> str:
    content_type = content_type or ""
    if content_type.startswith("image/"):
        return "bi-file-earmark-image"
    if content_type == "application/pdf":
        return "bi-file-earmark-pdf"
    if content_type.startswith("text/"):
        return "bi-file-earmark-text"
    if "zip" in content_type or "compressed" in content_type:
        return "bi-file-earmark-zip"
    if "spreadsheet" in content_type or "excel" in content_type:
        return "bi-file-earmark-spreadsheet"
    if "word" in content_type:
        return "bi-file-earmark-word"
    return "bi-file-earmark"


@register.filter
def initial(name: str) -> str:
    return (name or "?")[:1].upper()


@register.simple_tag(takes_context=True)
def thread_entries(context):
    """The page's thread entries as HTML, built in Python (`helpline.desk.thread`)."""
    from helpline.desk.thread import thread_html

    return thread_html(
        context["page"].entries,
        context["ticket"],
        request=context.get("request"),
        appended=bool(context.get("appended")),
    )

"""Template helpers for mail entries in a thread: the entry's mail, quote folding of its text,
whether its HTML has remote images to hold back."""

import re

from django import template

from helpline.mail.models import MailMessage
from helpline.mail.parsing import REFUSED_LABELS
from helpline.mail.quoting import Block, split_text

register = template.Library()

_REMOTE_IMAGE = re.compile(r'<img[^>]+src="(?:https?:)?//', re.IGNORECASE)


@register.filter
def mail_of(entry) -> MailMessage | None:
    """The entry's mail, or None (the page's query selects it with the entry)."""
    try:
        return entry.mail
    except MailMessage.DoesNotExist:
        return None


@register.filter
def mail_blocks(text: str) -> list[Block]:
    """The text cut into what the sender wrote, quoted history and signature."""
    return split_text(text or "")


@register.filter
def has_remote_images(html: str) -> bool:
    return bool(_REMOTE_IMAGE.search(html or ""))


@register.filter
def refused_label(code: str) -> str:
    return str(REFUSED_LABELS.get(code, code))

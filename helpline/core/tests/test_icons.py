"""Icons are pictures of a word next to them: screen readers skip them.

Bootstrap's icon font draws each icon as a private-use character, which a screen reader reads
as noise and which becomes part of a button's accessible name (" More" instead of "More").
An icon that stands alone is an image with a label (role="img" and aria-label).
"""

import re
from pathlib import Path

import pytest

HELPLINE = Path(__file__).resolve().parents[2]
ICON = re.compile(r'<i class="bi[^"]*"[^>]*>')


def unlabelled_icons(source: str) -> list[str]:
    return [
        tag
        for tag in ICON.findall(source)
        if 'aria-hidden="true"' not in tag and not ('role="img"' in tag and "aria-label=" in tag)
    ]


def test_the_scanner_finds_an_icon_a_screen_reader_would_read():
    source = """<button><i class="bi bi-three-dots"></i> More</button>
<button><i class="bi bi-send" aria-hidden="true"></i> Send</button>
<i class="bi bi-lock" role="img" aria-label="Staff only"></i>
<i class="bi bi-lock" title="Staff only"></i>
<i class="bi {{ icon }} ms-1"></i>"""
    assert unlabelled_icons(source) == [
        '<i class="bi bi-three-dots">',
        '<i class="bi bi-lock" title="Staff only">',
        '<i class="bi {{ icon }} ms-1">',
    ]


@pytest.mark.parametrize(
    "path",
    sorted(HELPLINE.glob("**/templates/**/*.html")),
    ids=lambda p: str(p.relative_to(HELPLINE)),
)
def test_templates_hide_their_icons_from_screen_readers(path):
    found = unlabelled_icons(path.read_text(encoding="utf-8"))
    assert not found, (
        'add aria-hidden="true" (or role="img" and an aria-label if it stands alone): '
        + "; ".join(found)
    )

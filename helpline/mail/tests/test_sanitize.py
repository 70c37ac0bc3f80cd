"""sanitize_html against the usual ways HTML is made to act, and render_mail_html's images."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpline.mail.sanitize import html_to_text, render_mail_html, sanitize_html

VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" ONERROR="alert(1)">',
    "<img src=x onerror\n=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JAVASCRIPT:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="evil.swf"></object><embed src="evil.swf">',
    '<form action="https://evil.example"><input name=p><button formaction=x>go</button></form>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<style>body{background:url(https://evil.example/t)}</style>",
    '<div style="position:fixed;inset:0;z-index:9999">cover</div>',
    '<div style="background-image:url(https://evil.example/t)">x</div>',
    '<div style="width:expression(alert(1))">x</div>',
    '<div style="behavior:url(x.htc)">x</div>',
    '<div style="-moz-binding:url(x.xml#x)">x</div>',
    '<div style="margin-top:-9999px">x</div>',
    '<div style="color:red;po\\73ition:fixed">x</div>',
    '<p class="fixed-top stretched-link" id="main">x</p>',
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<!--<script>alert(1)</script>-->",
    '<a href="#" onclick="alert(1)">x</a>',
    '<details open ontoggle="alert(1)">x</details>',
    '<video><source onerror="alert(1)"></video>',
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<textarea><img src=x onerror=alert(1)></textarea>",
]
DANGER = re.compile(
    r"<(script|iframe|object|embed|form|input|button|base|meta|link|style|svg|math|template|"
    r"video|source|textarea)\b|\son[a-z]+\s*=|javascript:|vbscript:|data:text|data:image/svg|"
    r"position|url\(|expression|behavior|binding|margin|class=\"[^\"]|id=\"main\"",
    re.IGNORECASE,
)


def tags(html: str) -> str:
    """The markup only: text that merely reads like code (escaped) is harmless."""
    return " ".join(re.findall(r"<[^<>]*>", html))


@pytest.mark.parametrize("vector", VECTORS)
def test_nothing_that_acts_survives(vector):
    clean = sanitize_html(vector)
    assert not DANGER.search(tags(clean)), clean


def test_what_a_letter_needs_stays():
    html = (
        '<table width="100%" cellpadding="4"><tr><td style="color:#333;font-weight:bold">'
        'A</td></tr></table><p align="center"><a href="https://example.no/x">link</a> '
        '<a href="mailto:a@example.no">mail</a></p><img src="cid:logo" alt="logo" width="10">'
        '<div class="gmail_quote"><blockquote type="cite">old</blockquote></div>'
    )
    clean = sanitize_html(html)
    for kept in (
        'style="color:#333;font-weight:bold"',
        'href="https://example.no/x"',
        'href="mailto:a@example.no"',
        'target="_blank"',
        'rel="noopener noreferrer nofollow"',
        'src="cid:logo"',
        'class="gmail_quote"',
        '<blockquote type="cite">',
    ):
        assert kept in clean, kept


def test_rendering_maps_inline_images_and_holds_back_remote_ones():
    html = sanitize_html(
        '<img src="cid:sha256-abc"><img src="cid:unknown"><img src="https://t.example/p.gif">'
        '<img src="//cdn.example/a.png"><img src="data:image/png;base64,AAAA">'
    )
    files = {"sha256-abc": "/desk/attachments/7/"}

    assert "cdn.example" not in html  # protocol-relative: dropped with the relative URLs
    blocked_html, blocked = render_mail_html(html, cid_url=files.get, load_remote=False)
    assert blocked == 1
    assert 'src="/desk/attachments/7/"' in blocked_html
    assert "t.example" not in blocked_html and "cdn.example" not in blocked_html
    assert "cid:" not in blocked_html
    assert 'src="data:image/png;base64,AAAA"' in blocked_html

    loaded_html, blocked = render_mail_html(html, cid_url=files.get, load_remote=True)
    assert blocked == 0
    assert 'src="https://t.example/p.gif"' in loaded_html


def test_html_to_text_keeps_structure_and_marks_quotes():
    text = html_to_text(
        "<p>Hello<br>there</p><ul><li>one</li></ul><blockquote>old<br>lines</blockquote>"
        "<script>x()</script><a href='https://e.example/'>site</a>"
    )
    assert text == "Hello\nthere\n- one\n\n> old\n> lines\nsite (https://e.example/)"


@settings(max_examples=300, deadline=10_000)
@given(
    st.lists(
        st.sampled_from(
            [
                "<",
                ">",
                "/",
                "=",
                '"',
                "'",
                " ",
                "script",
                "img",
                "src",
                "onerror",
                "a",
                "href",
                "javascript:",
                "style",
                "url(",
                "svg",
                "on",
                "load",
                "&#",
                "x",
                "<!--",
                "-->",
                "iframe",
                "data:",
                "text/html",
                "\n",
                "\t",
                "base",
                "form",
            ]
        ),  # fmt: skip
        max_size=80,
    )
)
def test_arbitrary_markup_never_acts(pieces):
    markup = tags(sanitize_html("".join(pieces)))
    assert not re.search(r"<(script|iframe|svg|base|form|style)\b|\son\w+\s*=", markup, re.I)
    assert "javascript:" not in markup.lower()


def test_very_large_html_gives_its_text_quickly():
    import time

    html = "<div><p>line &amp; more</p><script>x()</script></div>" * 40_000
    started = time.monotonic()
    text = html_to_text(html)
    assert time.monotonic() - started < 10
    assert text.startswith("line & more\nline & more")
    assert "x()" not in text

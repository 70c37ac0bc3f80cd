"""Quote and signature detection beyond the corpus: the headers of many clients, and lines
that only look like quotes."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpline.mail.quoting import fold_html, split_text, visible_text


@pytest.mark.parametrize(
    "header",
    [
        "On Mon, Dec 1, 2025 at 9:00 AM Ann Agent <ann@desk.test> wrote:",
        "On 01/12/2025 09:00, Ann Agent wrote:",
        "Am 01.12.2025 um 09:00 schrieb Ann Agent <ann@desk.test>:",
        "man. 1. des. 2025 kl. 09:00 skrev Ann Agent <ann@desk.test>:",
        "Den 1. des. 2025 kl. 09:00 skrev Ann Agent <ann@desk.test>:",
        "1. desember 2025 skrev Ann Agent følgende:",
        "1 декабря 2025 г., в 9:00, Ann Agent <ann@desk.test> написал(а):",
        "01.12.2025 9:00, Ann Agent пишет:",
        "Пн, 1 дек. 2025 г. в 09:00, Ann Agent <ann@desk.test>:",
        "-----Original Message-----",
        "-----Opprinnelig melding-----",
        "-----Исходное сообщение-----",
    ],
)
def test_quote_headers_of_many_clients(header):
    blocks = split_text(f"My answer.\n\n{header}\n> the question\n")
    assert [b.kind for b in blocks] == ["text", "quote"]
    assert blocks[0].text == "My answer."


def test_a_header_split_over_two_lines():
    text = "Yes.\n\nOn Mon, 1 Dec 2025 at 09:00, Ann Agent <ann@desk.test>\nwrote:\n> q\n"
    assert [b.kind for b in split_text(text)] == ["text", "quote"]


def test_outlook_block_in_russian_without_quote_marks():
    text = (
        "Не помогло.\n\nОт: Служба поддержки <help@desk.test>\nОтправлено: 1 декабря 2025 г.\n"
        "Кому: Иван\nТема: Почта\n\nПерезагрузите.\n"
    )
    assert visible_text(text) == "Не помогло."


@pytest.mark.parametrize(
    "text",
    [
        "If x > 3 then stop.\nI wrote: this is fine.",
        "From: the accounting department we got no answer.",
        "The ratio is 5:3\nOn Monday I will call.",
        "-- not a signature because it continues on the line",
    ],
)
def test_lines_that_only_look_like_quotes_stay_visible(text):
    assert [b.kind for b in split_text(text)] == ["text"]


def test_inline_answers_keep_every_answer_visible():
    text = "> q1\na1\n> q2\n>\n> q2 more\na2\n"
    blocks = split_text(text)
    assert [b.kind for b in blocks] == ["quote", "text", "quote", "text"]
    assert visible_text(text) == "a1\n\na2"


def test_a_long_tail_after_dashes_is_not_a_signature():
    text = "Body.\n-- \n" + "\n".join(f"line {i}" for i in range(30))
    assert "signature" not in [b.kind for b in split_text(text)]


def test_a_message_that_is_all_quote_still_shows_its_text():
    assert visible_text("> only a quote\n") == "> only a quote"


def test_fold_html_keeps_nesting_valid():
    html = '<div><p>new</p><div id="divRplyFwdMsg">From: x</div><p>old</p></div><p>after</p>'
    folded = fold_html(html, "Show")
    assert folded == (
        '<div><p>new</p><details class="hl-quote"><summary>Show</summary>'
        '<div id="divRplyFwdMsg">From: x</div><p>old</p></details></div><p>after</p>'
    )


def test_fold_html_folds_each_inline_blockquote():
    folded = fold_html("<blockquote>q1</blockquote><p>a1</p><blockquote>q2</blockquote>", "S")
    assert folded.count("<details") == 2
    assert "<p>a1</p>" in folded.split("</details>")[1]


LINES = st.sampled_from(
    ["hello", "", "> quoted", ">", "-- ", "On Mon, Ann <a@b.c> wrote:", "From: x", "Sent: y",
     "To: z", "Subject: s", "Sendt fra min iPhone", "   ", "Den 1. des. skrev Ola:", "пишет:"]
)  # fmt: skip


@settings(max_examples=300, deadline=10_000)
@given(st.lists(LINES, max_size=40))
def test_folding_loses_and_reorders_nothing(lines):
    text = "\n".join(lines)
    blocks = split_text(text)
    kept = [line for block in blocks for line in block.text.split("\n") if line.strip()]
    assert kept == [line for line in lines if line.strip()]
    assert all(a.kind != b.kind for a, b in zip(blocks, blocks[1:], strict=False))

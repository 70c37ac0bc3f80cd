"""Journey: an administrator rewrites a letter with the live preview; a broken placeholder is
refused with its line, and nothing of what she typed is lost."""

from playwright.sync_api import expect

from e2e.pages.manage_letters import LettersPage
from helpline.mail.models import LetterTemplate


def test_admin_edits_a_letter_with_live_preview(open_as, screenshot, browser_errors, admin_user):
    # Given an administrator on the letters page
    admin = open_as(admin_user)
    editor = (
        LettersPage(admin).open().edit("To the requester: an agent replied", "Norwegian Bokmål")
    )
    # The shipped Norwegian text is in the editor and in the preview
    expect(editor.subject).to_have_value("Sv: {{ subject }}")
    expect(editor.preview).to_contain_text("#1234")

    # When she types a new text with markup, the preview follows, escaped
    editor.text.fill("Hei {{ requester_name }}!\n\n<b>Svar</b>: {{ reply_text }}\n{{ link }}")
    expect(editor.preview).to_contain_text("<b>Svar</b>")
    expect(editor.preview.locator("b")).to_have_count(0)
    expect(editor.preview.get_by_role("link")).to_have_count(1)
    screenshot(admin, "30-manage-letter-preview")

    # And a misspelt placeholder shows in the preview at once
    editor.text.fill("Hei {{ navn }}")
    expect(editor.preview).to_contain_text("navn")
    expect(editor.preview.locator(".alert-danger")).to_have_count(1)

    # Saving it is refused with the line, and her text stays in the editor
    editor.save()
    expect(editor.field_error()).to_contain_text("Line 1")
    expect(editor.text).to_have_value("Hei {{ navn }}")
    assert not LetterTemplate.objects.exists()

    # Fixed, it is saved
    editor.text.fill("Hei {{ requester_name }}, se {{ link }}")
    editor.save()
    expect(admin.get_by_text("The letter is saved.")).to_be_visible()
    row = LetterTemplate.objects.get()
    assert (row.kind, row.language, row.body) == (
        "replied",
        "nb",
        "Hei {{ requester_name }}, se {{ link }}",
    )

    # The list marks it as changed; on a phone the page still works
    admin.set_viewport_size({"width": 390, "height": 844})
    LettersPage(admin).open()
    expect(admin.locator("#letter-replied .badge.text-bg-info")).to_have_count(1)
    screenshot(admin, "31-manage-letters-phone")
    assert not browser_errors, "\n".join(browser_errors)

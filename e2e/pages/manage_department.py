"""Administration: a new department at /manage/departments/new/."""

from playwright.sync_api import Page, expect

from .widgets import select_containing


class NewDepartmentPage:
    path = "/manage/departments/new/"

    def __init__(self, page: Page):
        self.page = page

    def create(self, *, name: str, parent: str, line: str) -> None:
        self.page.goto(self.path)
        self.page.get_by_label("Name").fill(name)
        select_containing(self.page.get_by_label("Parent department"), parent)
        self.page.get_by_label("Support line").select_option(label=line)
        self.page.get_by_role("button", name="Save").click()
        expect(self.page.get_by_role("heading", name=name)).to_be_visible()

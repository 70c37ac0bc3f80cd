"""The apps' import graph keeps its layers: read from the source, so a new import is checked too.

core is the ground (it imports none of our apps); the domain (accounts, audit, tickets) never
reaches up into the pages (desk, portal, administration); nothing imports the demo, which owns
its command; commands live with the app whose data they change.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # helpline/
DOMAIN = {"accounts", "audit", "tickets"}
PAGES = {"desk", "portal", "administration"}


def shipped_modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield path, parts


def imported_apps(path: Path, parts: tuple[str, ...]) -> set[tuple[str, int]]:
    """(app, line) for every import of `helpline.<app>`, relative ones resolved, nested too."""
    package = ["helpline", *parts[:-1]]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                modules = [".".join([*base, node.module] if node.module else base)]
            else:
                modules = [node.module or ""]
        else:
            continue
        for module in modules:
            dotted = module.split(".")
            if dotted[0] == "helpline" and len(dotted) > 1:
                found.add((dotted[1], node.lineno))
    return found


def violations(rule) -> list[str]:
    found = []
    for path, parts in shipped_modules():
        app = parts[0] if len(parts) > 1 else ""
        for imported, line in imported_apps(path, parts):
            if imported != app and rule(app, imported):
                found.append(f"{path.relative_to(ROOT)}:{line} imports helpline.{imported}")
    return found


def test_core_imports_none_of_the_other_apps():
    assert not violations(lambda app, imported: app == "core"), "core is the ground layer"


def test_nothing_imports_the_demo():
    assert not violations(lambda app, imported: imported == "demo")


def test_the_domain_never_imports_the_pages():
    assert not violations(lambda app, imported: app in DOMAIN and imported in PAGES)


def test_the_scan_sees_imports():
    """The scanner itself: the pages do import the domain; relative imports resolve."""
    assert violations(lambda app, imported: app == "desk" and imported == "tickets")
    common = ROOT / "tickets" / "services" / "_common.py"
    apps = {app for app, _line in imported_apps(common, common.relative_to(ROOT).parts)}
    assert {"tickets", "audit"} <= apps  # `from ..models import …` is helpline.tickets


def test_commands_live_with_their_app():
    commands = {
        path.stem: path.relative_to(ROOT).parts[0]
        for path in ROOT.glob("*/management/commands/*.py")
        if path.stem != "__init__"
    }
    assert commands["demo"] == "demo"
    assert commands["createadmin"] == "accounts"
    assert commands["prune-events"] == "audit"
    assert commands["check-files"] == "tickets"
    assert commands["reindex"] == "search"


CONFIGURATION = ("SiteSettings", "Status", "Topic", "PriorityRule")
WRITES = {"create", "get_or_create", "update_or_create", "update", "delete", "bulk_create"}


def _chain_root(node: ast.AST) -> str | None:
    """The name a chain such as `Status.objects.filter(…).update` starts from (`Status`); the
    arguments along the way do not count, so `Outbox.objects.filter(status=Status.X)` is not a
    write to statuses."""
    while True:
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return None


def test_configuration_is_written_in_one_module():
    """Settings, statuses, topics and the priority matrix change only through
    `helpline.administration.services` (which records every change)."""
    allowed = {ROOT / "administration" / "services.py", ROOT / "core" / "models.py"}
    offenders = []
    for path, _parts in shipped_modules():
        if path in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # Model.objects.<write>(…) and Model.objects.filter(…).<write>(…)
            if not (isinstance(node, ast.Attribute) and node.attr in WRITES):
                continue
            if _chain_root(node.value) in CONFIGURATION:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders


def test_role_groups_are_named_once_on_the_model():
    """A set or tuple of two or more roles outside `Role` itself should be `Role.STAFF`,
    `Role.SUPERVISING` or a new group declared there."""
    offenders = []
    for path, _parts in shipped_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Set | ast.Tuple | ast.List):
                continue
            roles = [
                e
                for e in node.elts
                if isinstance(e, ast.Attribute)
                and isinstance(e.value, ast.Name)
                and e.value.id == "Role"
            ]
            if len(roles) >= 2:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders

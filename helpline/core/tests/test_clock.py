"""Shipped code reads time from `helpline.core.clock` and never patches a clock."""

import ast
import datetime
from pathlib import Path

from helpline.core import clock

ROOT = Path(__file__).resolve().parents[2]  # helpline/


def shipped_modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_shipped_code_never_patches_a_clock():
    patching = {"unittest.mock", "mock", "time_machine", "freezegun"}
    offenders = []
    for path, tree in shipped_modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            if any(name.split(".")[0] in patching or name in patching for name in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders


def test_shipped_code_reads_the_application_clock():
    """`timezone.now` would ignore a replay: the demo's history would be written at today's
    time. Use `helpline.core.clock.now()` (and `ClockDateTimeField` for auto_now fields)."""
    offenders = []
    for path, tree in shipped_modules():
        if path == ROOT / "core" / "clock.py":
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "now"
                and isinstance(node.value, ast.Name)
                and node.value.id in {"timezone", "datetime"}
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.keyword) and node.arg in {"auto_now", "auto_now_add"}:
                call = next(
                    (n for n in ast.walk(tree) if isinstance(n, ast.Call) and node in n.keywords),
                    None,
                )
                func = call.func if call else None
                name = getattr(func, "attr", None) or getattr(func, "id", None)
                if name != "ClockDateTimeField":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.value.lineno} {node.arg}")
    assert not offenders, offenders


def test_replaying_sets_now_for_the_block_only():
    when = datetime.datetime(2025, 3, 1, 8, 0, tzinfo=datetime.UTC)
    with clock.replaying_at(when):
        assert clock.now() == when
    assert clock.now() > when

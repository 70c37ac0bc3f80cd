"""mypy passes, and its list of exempt modules only shrinks (pyproject.toml, `[tool.mypy]`).

The first test is `./dev typecheck`. The second runs mypy again with the exempt list lifted and
requires every listed module to still have errors: a module that has come to pass must leave the
list, so it can never slip back. Modules are never added to the list (a review rule; the comment
above the list says so).
"""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PYPROJECT = ROOT / "pyproject.toml"


def mypy_config() -> dict:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["mypy"]


def exempt_modules(config: dict) -> list[str]:
    return [
        module
        for override in config.get("overrides", [])
        if override.get("ignore_errors")
        for module in override["module"]
    ]


def mypy_run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mypy", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_mypy_passes():
    result = mypy_run()
    assert result.returncode == 0, result.stdout + result.stderr


def test_exempt_modules_still_have_errors(tmp_path):
    config = mypy_config()
    exempt = exempt_modules(config)
    assert all("*" not in module for module in exempt), "exempt whole modules by name"
    # The same configuration without the exempt list, in its own cache directory.
    lines = ["[tool.mypy]"]
    lines += [f"{key} = {toml_value(value)}" for key, value in config.items() if key != "overrides"]
    lines = [line for line in lines if not line.startswith("cache_dir")]
    lines.append(f"cache_dir = {toml_value(str(ROOT / '.cache' / 'mypy-exempt'))}")
    for override in config.get("overrides", []):
        if override.get("ignore_errors"):
            continue
        lines.append("[[tool.mypy.overrides]]")
        lines += [f"{key} = {toml_value(value)}" for key, value in override.items()]
    stubs = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["django-stubs"]
    lines.append("[tool.django-stubs]")
    lines += [f"{key} = {toml_value(value)}" for key, value in stubs.items()]
    lifted = tmp_path / "pyproject.toml"
    lifted.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = mypy_run("--config-file", str(lifted))

    failing = set()
    for match in re.finditer(r"^(helpline/\S+?)\.py:\d+: error:", result.stdout, re.MULTILINE):
        failing.add(match.group(1).removesuffix("/__init__").replace("/", "."))
    passing = sorted(set(exempt) - failing)
    assert not passing, (
        "These modules now pass mypy: take them off the exempt list in pyproject.toml: "
        + ", ".join(passing)
    )

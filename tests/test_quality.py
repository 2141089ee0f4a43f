"""Lint, format and types are part of the suite, so CI refuses what a reviewer would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EXAMPLE = "docs/examples/patti-orti"


def tool(name: str) -> str:
    found = BIN / name
    if found.exists():
        return str(found)
    located = shutil.which(name)
    if located is None:
        pytest.skip(f"{name} is not installed (install the 'dev' extra)")
    return located


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True)


def test_ruff_check_is_clean() -> None:
    result = run(
        tool("ruff"), "check", "core", "plugins", "tui", "tests", "scripts", "bench", EXAMPLE
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = run(
        tool("ruff"),
        "format",
        "--check",
        "core",
        "plugins",
        "tui",
        "tests",
        "scripts",
        "bench",
        EXAMPLE,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    result = run(tool("mypy"), "-p", "patti.core", "-p", "patti.plugins", "-p", "patti.tui")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean_on_the_example_plugin() -> None:
    result = run(tool("mypy"), "--strict", f"{EXAMPLE}/src")
    assert result.returncode == 0, result.stdout + result.stderr

"""The mapped layout installs completely: no package is forgotten in the list or the wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
MAPPING: dict[str, str] = PYPROJECT["tool"]["setuptools"]["package-dir"]


def packages_on_disk() -> set[str]:
    """Every folder with an ``__init__.py`` under a mapped root, as a dotted name."""
    found = set()
    for package, folder in MAPPING.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            relative = init.parent.relative_to(base).parts
            found.add(".".join((package, *relative)))
    return found


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert packages_on_disk() - listed == set()


def test_listed_packages_exist_on_disk() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert listed - packages_on_disk() == set()


def test_the_console_script_points_at_the_cli() -> None:
    assert PYPROJECT["project"]["scripts"]["patti"] == "patti.tui.cli:main"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """Build the wheel from a copy of the sources, so the checkout stays clean."""
    source = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    for folder in set(MAPPING.values()):
        shutil.copytree(
            ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"from setuptools import build_meta; build_meta.build_wheel({str(out)!r})",
        ],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_contains_every_package(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    missing = {p for p in packages_on_disk() if p.replace(".", "/") + "/__init__.py" not in names}
    assert missing == set()


def test_the_wheel_ships_type_markers_translations_and_styles(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert "patti/core/py.typed" in names
    assert "patti/core/locale/it/LC_MESSAGES/patti.mo" in names
    assert "patti/tui/patti.tcss" in names

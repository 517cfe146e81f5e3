"""The layers hold: the import contracts in pyproject.toml ([tool.importlinter]) pass on the
code as it is, and fail as soon as a module imports across a forbidden arrow.

Each check runs `lint-imports` with the project's own contracts on a copy of the
``commonground`` package in a temporary folder, so a probe module can be added to the copy
without touching the checkout. No database, no Django.
"""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
FORBIDDEN = [c for c in CONFIG["contracts"] if c["type"] == "forbidden"]


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory) -> Path:
    """The Python files of ``commonground`` copied under a temporary folder."""
    folder = tmp_path_factory.mktemp("layers")
    shutil.copytree(ROOT / "commonground", folder / "commonground",
                    ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "*.html"))
    return folder


def lint_imports(folder: Path) -> subprocess.CompletedProcess:
    """`lint-imports` with the project's contracts over the package copy in ``folder``."""
    config = folder / "contracts.toml"
    config.write_text((ROOT / "pyproject.toml").read_text())
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--no-logo", config],
        cwd=folder, env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120)


def probe(folder: Path, source: str, text: str) -> Path:
    """Add a module to package ``source`` of the copy (dotted name) holding ``text``."""
    path = folder.joinpath(*source.split(".")) / "_layers_probe.py"
    path.write_text(text)
    return path


def test_the_contracts_hold_on_the_code_as_it_is(package_copy):
    run = lint_imports(package_copy)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout
    for contract in CONFIG["contracts"]:
        assert f"{contract['name']} KEPT" in run.stdout


@pytest.mark.parametrize("contract", FORBIDDEN, ids=[c["id"] for c in FORBIDDEN])
@pytest.mark.parametrize("which", ["first", "last"])
def test_an_import_across_a_forbidden_arrow_breaks_the_contract(package_copy, contract, which):
    """A new module in a source package that imports a forbidden module (the first or the
    last listed: Django itself and an app, for the pure core) is reported, with its line."""
    source = contract["source_modules"][0 if which == "first" else -1]
    forbidden = contract["forbidden_modules"][0 if which == "first" else -1]
    path = probe(package_copy, source, f'"""An upward import."""\n\nimport {forbidden}\n')
    try:
        run = lint_imports(package_copy)
    finally:
        path.unlink()
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"{contract['name']} BROKEN" in run.stdout
    assert f"{source}._layers_probe -> {forbidden} (l.3)" in run.stdout


def test_an_import_hidden_inside_a_function_counts_too(package_copy):
    """As places/views.py once reached into catalogue from inside a view function."""
    path = probe(package_copy, "commonground.geography",
                 '"""Hides its Django import."""\n\n\ndef settings():\n'
                 '    from django.conf import settings\n    return settings\n')
    try:
        run = lint_imports(package_copy)
    finally:
        path.unlink()
    assert run.returncode == 1, run.stdout + run.stderr
    assert "commonground.geography._layers_probe -> django (l.5)" in run.stdout


def test_an_indirect_import_counts_too(package_copy):
    """A core module that imports a core module that imports Django breaks the contract."""
    helper = probe(package_copy, "commonground.solar", "from django.conf import settings\n")
    user = probe(package_copy, "commonground.lens",
                 "from commonground.solar import _layers_probe\n")
    try:
        run = lint_imports(package_copy)
    finally:
        helper.unlink()
        user.unlink()
    assert run.returncode == 1, run.stdout + run.stderr
    assert "commonground.lens._layers_probe -> commonground.solar._layers_probe" in run.stdout


ACYCLIC = [c for c in CONFIG["contracts"] if c["type"] == "acyclic_siblings"]


@pytest.mark.parametrize("contract", ACYCLIC, ids=[c["id"] for c in ACYCLIC])
def test_an_app_importing_an_app_built_on_it_makes_a_cycle(package_copy, contract):
    """The catalogue builds on accounts; accounts importing the catalogue back is a cycle."""
    path = probe(package_copy, "commonground.accounts", "import commonground.catalogue\n")
    try:
        run = lint_imports(package_copy)
    finally:
        path.unlink()
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"{contract['name']} BROKEN" in run.stdout
    assert ".accounts -> .catalogue" in run.stdout

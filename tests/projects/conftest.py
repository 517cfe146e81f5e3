"""The register's shared fixtures: the real register file (read through the data folder's
manifest, never by its name) and the real register imported for a council."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from commonground.geography.manifest import load_manifest


@dataclass
class RealRegister:
    """The real register as imported: who keeps it, what the import said, the file read."""

    owner: object  # accounts.Organisation (a council)
    report: object  # importing.ImportReport
    document: dict


@pytest.fixture(scope="session")
def register_path(data_dir) -> Path:
    manifest = load_manifest(data_dir)
    (resource,) = manifest.by_role("projects")
    return manifest.path_of(resource)


@pytest.fixture(scope="session")
def register_file(register_path) -> dict:
    """The real register file, parsed (a session-wide copy: take ``register_document``)."""
    return json.loads(register_path.read_text(encoding="utf-8"))


@pytest.fixture
def register_document(register_file) -> dict:
    """A fresh copy of the real register file, free to change."""
    return copy.deepcopy(register_file)


@pytest.fixture
def real_register(loaded, council, data_dir, register_file) -> RealRegister:
    """The real register imported (``load_register``), kept by the council; ``document`` is
    the file as imported (a copy of its own: change ``register_document`` instead)."""
    from commonground.projects.importing import load_register

    report = load_register(data_dir, owner=council)
    assert report.ok, [str(p) for p in report.problems]
    return RealRegister(owner=council, report=report, document=copy.deepcopy(register_file))

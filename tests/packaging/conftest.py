"""Packaging tests: krew's rules, completion, start-up imports, and the release archive installed the
way krew installs it, run through the real kubectl."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str):
    """release/*.py are scripts, not a package: load them by path (release.py imports krew.py)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "release" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def krew():
    return _load("krew")


@pytest.fixture(scope="session")
def release():
    _load("krew")
    return _load("release")

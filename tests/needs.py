"""Programs some tests run that a fresh machine may lack. Without one, those tests skip with one
line saying what to install (pytest -ra groups them on one line); on CI (CI=true) every skip is
an error instead (tests/conftest.py), because CI must run everything.

    busybox = need("busybox")          # the path, or the test skips
"""

from __future__ import annotations

import shutil

import pytest

# program -> the Debian package that provides it (what .ci/run installs)
PACKAGES = {
    "busybox": "busybox-static",  # or busybox; the collector tests work with either
    "tmux": "tmux",
    "dash": "dash",
    "objdump": "binutils",  # PyInstaller needs it to build the release binary
    "kubectl": "kubectl (https://kubernetes.io/docs/tasks/tools/)",
}


def install_hint(program: str) -> str:
    package = PACKAGES.get(program, program)
    how = package if " " in package else f"apt-get install -y {package}"
    return f"{program} not found on PATH: install it ({how})"


def need(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        pytest.skip(install_hint(program))
    return found

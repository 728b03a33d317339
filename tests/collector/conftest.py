from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

BUSYBOX = shutil.which("busybox")


@pytest.fixture(scope="session")
def bb(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Keyword arguments for kubectl_mem.kube.cgroup_dir's runners: Debian's busybox sh
    (`apt-get install busybox`) with a PATH holding only busybox applets, like a busybox image,
    so the script's awk is busybox awk too."""
    assert BUSYBOX, "busybox is required for the collector tests: apt-get install -y busybox"
    bindir = tmp_path_factory.mktemp("busybox-bin")
    for applet in ("sh", "awk", "cat", "printf"):
        (bindir / applet).symlink_to(BUSYBOX)
    return {"shell": [BUSYBOX, "sh"], "path": str(bindir)}

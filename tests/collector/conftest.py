from __future__ import annotations

import sys
from pathlib import Path

import pytest
from needs import need

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def bb(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Keyword arguments for kubectl_mem.kube.cgroup_dir's runners: Debian's busybox sh
    (busybox or busybox-static) with a PATH holding only busybox applets, like a busybox image,
    so the script's awk is busybox awk too. Without busybox the tests skip, saying so."""
    busybox = need("busybox")
    bindir = tmp_path_factory.mktemp("busybox-bin")
    for applet in ("sh", "awk", "cat", "printf"):
        (bindir / applet).symlink_to(busybox)
    return {"shell": [busybox, "sh"], "path": str(bindir)}

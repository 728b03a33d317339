"""`--demo`: the simulated cluster, started in-process, reached through a temporary kubeconfig.

The client then talks real HTTPS to it exactly as to a cluster, so the demo exercises every code
path a user's cluster would.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def demo_kubeconfig() -> Iterator[str]:
    from kubectl_mem.sim import SimServer, demo_cluster
    from kubectl_mem.sim.podlife import install

    with (
        tempfile.TemporaryDirectory(prefix="kubectl-mem-demo-") as tmp,
        SimServer(demo_cluster()).start() as server,
    ):
        # collector pods start, run the real collector script on each node's synthetic cgroup
        # tree and finish, so `--demo --cgroups` and the TUI's `c` show the kernel's figures too
        install(server)
        path = server.write_kubeconfig(Path(tmp) / "kubeconfig", context_name="demo")
        yield str(path)

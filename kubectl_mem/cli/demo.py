"""`--demo`: the simulated cluster, started in-process, reached through a temporary kubeconfig.

The client then talks real HTTPS to it exactly as to a cluster, so the demo exercises every code
path a user's cluster would. Nothing is left on the user's machine: the kubeconfig's folder, the
TLS files (removed as soon as they are loaded) and the collector pods' cgroup trees are all gone
when the command ends, on Ctrl-C and on SIGTERM too (raised here as `Terminated`, so that the
`with` blocks unwind).
"""

from __future__ import annotations

import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DEMO_CONTEXT = "demo"


class Terminated(KeyboardInterrupt):
    """SIGTERM during --demo: the CLI prints the message and exits 143 once everything is removed."""

    exit_code = 143  # 128 + SIGTERM, as a shell reports it
    message = "terminated"


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


@contextmanager
def demo_kubeconfig() -> Iterator[str]:
    from kubectl_mem.sim import SimServer, demo_cluster
    from kubectl_mem.sim.live import Live
    from kubectl_mem.sim.podlife import install
    from kubectl_mem.sim.scenario import DEMO_LAYOUTS, DEMO_NAMESPACE

    with (
        _sigterm_unwinds(),
        tempfile.TemporaryDirectory(prefix="kubectl-mem-demo-") as tmp,
        SimServer(demo_cluster()).start() as server,
    ):
        # collector pods start, run the real collector script on each node's synthetic cgroup
        # tree and finish, so `--demo --cgroups` and the TUI's `c` show the kernel's figures too
        install(server).layouts.update(DEMO_LAYOUTS)  # one node on cgroup v1
        # metrics move every few seconds, as a real cluster's do (and trends show in the view)
        live = Live(server.cluster).start()
        server.on_stop(live.stop)
        path = server.write_kubeconfig(
            Path(tmp) / "kubeconfig", context_name=DEMO_CONTEXT, namespace=DEMO_NAMESPACE
        )
        yield str(path)

"""Types for the collector pod tests (here, not in conftest.py: `import conftest` can resolve to
another directory's conftest)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from kubectl_mem.cli.env import Env
from kubectl_mem.cli.run import main
from kubectl_mem.kube.collector import MANAGED_BY, MANAGED_BY_LABEL
from kubectl_mem.sim import SimServer
from kubectl_mem.sim.podlife import PodLife


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class PodSim:
    srv: SimServer
    life: PodLife
    kubeconfig: Path
    node: str

    def run(self, *args: str, kubeconfig: Path | None = None) -> Run:
        out, err = io.StringIO(), io.StringIO()
        code = main(
            ["cgroups", *args, "--kubeconfig", str(kubeconfig or self.kubeconfig)],
            Env(stdout=out, stderr=err, stdout_isatty=False, environ={}),
        )
        return Run(code, out.getvalue(), err.getvalue())

    def collector_pods(self) -> list[dict]:
        return [
            p
            for p in self.srv.cluster.list("pods")
            if (p["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL) == MANAGED_BY
        ]

    def node_pods(self) -> list[dict]:
        return [p for p in self.srv.cluster.list("pods") if p["spec"].get("nodeName") == self.node]


def interrupt_mid_collection(ps: PodSim, args: list[str], sig: int) -> subprocess.CompletedProcess[str]:
    """Run `python -m kubectl_mem ARGS` against the sim, send `sig` once a collector pod exists,
    and return how the process ended (the pod lifecycle should be slow: `life.step_s`)."""
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubectl_mem", *args, "--kubeconfig", str(ps.kubeconfig)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    while not ps.collector_pods():
        assert time.monotonic() < deadline, "no collector pod appeared"
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

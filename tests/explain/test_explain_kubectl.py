"""Through the real `kubectl` binary: `kubectl mem explain` dispatches to kubectl-mem on PATH."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from kubectl_mem.sim import make_container, make_pod, oom_killed, start

MI = 1 << 20


def _plugin_path() -> str:
    bindir = Path(sys.executable).parent
    if not (bindir / "kubectl-mem").exists():
        pytest.fail(f"kubectl-mem is not installed next to {sys.executable}: pip install -e . first")
    return f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"


def _kubectl(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is expected on PATH"
    env = {**os.environ, "PATH": _plugin_path(), "KUBECONFIG": str(kubeconfig), "COLUMNS": "100"}
    return subprocess.run(
        [kubectl, "mem", "explain", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_kubectl_mem_explain_and_its_errors(explain_sim):
    s = explain_sim()
    s.node()
    s.cluster.add_pod(
        make_pod(
            "api-0",
            "shop",
            "node-1",
            [
                make_container(
                    "api",
                    "ghcr.io/acme/api:1",
                    requests={"memory": "256Mi"},
                    limits={"memory": "512Mi"},
                    env={"GOGC": "100"},
                )
            ],
            restarts={"api": 2},
            last_state={"api": oom_killed(s.now - timedelta(minutes=5))},
            now=s.now,
        )
    )
    s.cluster.set_pod_usage("shop", "api-0", {"api": 300 * MI})
    with start(s.cluster, faults=s.faults) as srv:
        kubeconfig = srv.write_kubeconfig(s.tmp / "kubeconfig", namespace="shop")
        ok = _kubectl(kubeconfig, "pod/api-0")
        missing = _kubectl(kubeconfig, "pod/nope", "-n", "other")
        wrong = _kubectl(kubeconfig, "svc/x")
    assert ok.returncode == 0, ok.stderr
    assert "Container api was OOM-killed by its 512Mi memory limit" in " ".join(ok.stdout.split())
    assert 'value: "460MiB"' in ok.stdout
    assert missing.returncode == 4
    assert 'error: pod "nope" not found in namespace "other"' in missing.stderr
    assert wrong.returncode == 2
    assert 'error: cannot explain "svc/x": expected pod, deploy, sts or ds' in wrong.stderr

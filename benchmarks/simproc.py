"""The simulated cluster in its own process, for the benchmarks that need one (top, tui): the
server's work then never shares a GIL with the client measured."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def start_sim(
    pods: int, nodes: int, kubeconfig: Path, extra: tuple[str, ...] = ()
) -> tuple[subprocess.Popen, str]:
    """Start `python -m kubectl_mem.sim serve` (with `extra` flags) and return (process, URL) once its
    kubeconfig exists."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubectl_mem.sim",
            "serve",
            "--pods",
            str(pods),
            "--nodes",
            str(nodes),
            "--kubeconfig",
            str(kubeconfig),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    url = ""
    for line in proc.stdout:  # it prints its URL, then "kubeconfig: PATH" once the file is written
        m = re.search(r"(https?://127\.0\.0\.1:\d+)", line)
        if m:
            url = m.group(1)
        if line.startswith("kubeconfig:") and url:
            return proc, url
    raise SystemExit("the simulated cluster exited before it was ready")

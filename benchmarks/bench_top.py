"""`kubectl mem top -A -o json` at scale, against baselines measured in the same run.

Starts the simulated cluster (default 20,000 pods on 200 nodes) in its own process, then times,
for each command, the median wall time and the peak RSS of N runs:
  raw transfer   curl --compressed of all pods, then all pod metrics (what any client must move)
  kubectl get    kubectl get pods -A -o json
  kubectl top    kubectl top pods -A
  kubectl-mem    kubectl mem top -A -o json (through the real kubectl, as users run it)
and prints each as a ratio of the raw transfer. Usage:
  python benchmarks/bench_top.py [--pods 20000] [--nodes 200] [--runs 3] [--skip-kubectl-get]
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import yaml
from simproc import start_sim


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in KiB, exit code) of one run; output discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 3):
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {err.strip()[:300]}")
    return wall, usage.ru_maxrss, proc.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pods", type=int, default=20000)
    ap.add_argument("--nodes", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-kubectl-get", action="store_true", help="kubectl get -o json takes long at 20k")
    opts = ap.parse_args()

    plugin = shutil.which("kubectl-mem")
    if plugin is None:
        raise SystemExit("kubectl-mem is not on PATH: install the project (pip install -e .) first")
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        t0 = time.perf_counter()
        sim, url = start_sim(opts.pods, opts.nodes, kubeconfig)
        print(
            f"simulated cluster: {opts.pods} pods, {opts.nodes} nodes at {url} "
            f"(ready in {time.perf_counter() - t0:.1f} s)"
        )
        try:
            cfg = yaml.safe_load(kubeconfig.read_text())
            token = cfg["users"][0]["user"]["token"]
            ca = Path(tmp) / "ca.crt"
            ca_data = cfg["clusters"][0]["cluster"].get("certificate-authority-data")
            if ca_data:
                ca.write_bytes(base64.b64decode(ca_data))
            env = dict(os.environ, KUBECONFIG=str(kubeconfig))
            curl = ["curl", "-sf", "--compressed", "-H", f"'Authorization: Bearer {token}'"]
            if ca_data:
                curl += ["--cacert", str(ca)]
            raw = (
                "sh",
                [
                    "sh",
                    "-c",
                    " ".join(
                        [
                            *curl,
                            f"{url}/api/v1/pods",
                            ">/dev/null",
                            "&&",
                            *curl,
                            f"{url}/apis/metrics.k8s.io/v1beta1/pods",
                            ">/dev/null",
                        ]
                    ),
                ],
            )
            commands = [
                ("raw transfer (curl gzip: pods, pod metrics)", raw[1]),
                ("kubectl mem top -A -o json", ["kubectl", "mem", "top", "-A", "-o", "json"]),
                ("kubectl top pods -A", ["kubectl", "top", "pods", "-A"]),
            ]
            if not opts.skip_kubectl_get:
                commands.append(
                    ("kubectl get pods -A -o json", ["kubectl", "get", "pods", "-A", "-o", "json"])
                )
            # warm up: the server's page cache and the OS file cache
            run(raw[1], env)
            run(commands[1][1], env)
            results = []
            for name, cmd in commands:
                walls, rss = [], []
                for _ in range(opts.runs):
                    w, m, _ = run(cmd, env)
                    walls.append(w)
                    rss.append(m)
                results.append((name, statistics.median(walls), max(rss)))
        finally:
            sim.terminate()
            sim.wait(timeout=30)
    base_wall, base_rss = results[0][1], results[0][2]
    print(f"\n{'command':48} {'wall s':>8} {'x raw':>7} {'peak RSS MiB':>13}")
    for name, wall, rss in results:
        print(f"{name:48} {wall:8.2f} {wall / base_wall:7.2f} {rss / 1024:13.0f}")
    mem = next(r for r in results if r[0].startswith("kubectl mem"))
    print(
        f"\nkubectl-mem: {mem[1] / base_wall:.2f}x the raw transfer (target <= 1.5x), "
        f"peak RSS {mem[2] / 1024:.0f} MiB (target <= 200 MiB); curl's own RSS {base_rss / 1024:.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

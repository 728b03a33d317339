"""`kubectl mem workloads -A -o json` against `kubectl mem top -A -o json`, at scale, in one run.

Starts the simulated cluster (default 20,000 pods on 200 nodes) in its own process, then runs the
two commands alternately (so the machine's noise falls on both alike) through the real kubectl,
and prints the median wall time and the peak RSS of each, and workloads' ratio to top. The target:
workloads within +10% of top in both (it lists the pods' owners too, and rolls them up, but writes
a far smaller document). Usage:
  python benchmarks/bench_workloads.py [--pods 20000] [--nodes 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from simproc import start_sim

TARGET = 1.10


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, float]:
    """(wall seconds, peak RSS in KiB, CPU seconds) of one run (kubectl and the plugin it runs);
    output discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise SystemExit(f"{' '.join(cmd)} failed ({code}): {err.strip()[:300]}")
    return wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pods", type=int, default=20000)
    ap.add_argument("--nodes", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    opts = ap.parse_args()
    if shutil.which("kubectl-mem") is None:
        raise SystemExit("kubectl-mem is not on PATH: install the project (pip install -e .) first")
    commands = {
        "top": ["kubectl", "mem", "top", "-A", "-o", "json"],
        "workloads": ["kubectl", "mem", "workloads", "-A", "-o", "json"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        t0 = time.perf_counter()
        sim, url = start_sim(opts.pods, opts.nodes, kubeconfig)
        ready = time.perf_counter() - t0
        print(f"simulated cluster: {opts.pods} pods, {opts.nodes} nodes at {url} (ready in {ready:.1f} s)")
        walls: dict[str, list[float]] = {k: [] for k in commands}
        rss: dict[str, list[int]] = {k: [] for k in commands}
        cpu: dict[str, list[float]] = {k: [] for k in commands}
        try:
            env = dict(os.environ, KUBECONFIG=str(kubeconfig))
            for cmd in commands.values():  # warm up: the server's page caches, the OS file cache
                run(cmd, env)
            for i in range(opts.runs):
                order = list(commands) if i % 2 == 0 else list(reversed(commands))
                for name in order:
                    w, m, c = run(commands[name], env)
                    walls[name].append(w)
                    rss[name].append(m)
                    cpu[name].append(c)
        finally:
            sim.terminate()
            sim.wait(timeout=30)
    print(
        f"\n{'command':34} {'wall s (median)':>16} {'peak RSS MiB (max)':>19} {'client CPU s (median)':>22}"
    )
    for name, cmd in commands.items():
        print(
            f"{' '.join(cmd[1:]):34} {statistics.median(walls[name]):16.2f} {max(rss[name]) / 1024:19.0f} "
            f"{statistics.median(cpu[name]):22.2f}"
        )
    wall_ratio = statistics.median(walls["workloads"]) / statistics.median(walls["top"])
    rss_ratio = max(rss["workloads"]) / max(rss["top"])
    cpu_ratio = statistics.median(cpu["workloads"]) / statistics.median(cpu["top"])
    ok = wall_ratio <= TARGET and rss_ratio <= TARGET
    print(
        f"\nworkloads / top: wall {wall_ratio:.2f}x, peak RSS {rss_ratio:.2f}x, client CPU {cpu_ratio:.2f}x "
        f"(target <= {TARGET:.2f}x each: {'met' if ok else 'NOT met'}; {opts.runs} runs each, alternating, "
        "on a shared machine: expect a few % of noise;\nunder load the client CPU ratio is the steadier "
        "figure: the wall time also holds the simulated server's, which shares the machine)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

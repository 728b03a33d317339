"""Every benchmark, one after the other, each printing its figures and ratios against the
baselines it measures in the same run:

  python benchmarks/run_all.py            # all of them (~5 minutes at the default sizes)
  python benchmarks/run_all.py top tui    # some of them
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
BENCHMARKS = {
    "top": "bench_top.py",  # top -A -o json at 20k pods vs curl, kubectl get, kubectl top
    "tui": "bench_tui.py",  # the interactive view: first screen, key latency, memory
    "collector": "bench_collector.py",  # the node script under busybox, and a node end to end
    "startup": "bench_startup.py",  # the release binary vs pip vs kubectl version --client
    "apiserver": "bench_apiserver.py",  # what each wire and the open view cost the (simulated) apiserver
    "workloads": "bench_workloads.py",  # workloads -A -o json vs top -A -o json at 20k pods
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    failed = []
    for name in names:
        print(f"\n===== {name}: {BENCHMARKS[name]}", flush=True)
        if subprocess.run([sys.executable, str(HERE / BENCHMARKS[name])]).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

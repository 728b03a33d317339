"""What one refresh of the interactive view costs the client, and which requests it sends.

Starts the simulated cluster (default 20,000 pods on 200 nodes) in its own process, opens the view's
data source (`tui.data_sources.ClusterSource`: list once, then watch) and loads it N+1 times, as the
view's refresh does. For the first load and the median of the next N it prints the client's CPU
(this thread's, plus the watch threads') split into
  fetch      the requests of a refresh (metrics, PriorityClasses, Summary fill-in) and their decoding
  model      build_snapshot from every watched record and the fresh usage (kube -> model)
and the requests each refresh sent, by path. Between loads, K pods are deleted on the server, so
that the watches have events to apply. Usage:
  python benchmarks/bench_refresh.py [--pods 20000] [--nodes 200] [--refreshes 5] [--deletes 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from simproc import start_sim

from kubectl_mem.kube import snapshot_source
from kubectl_mem.kube.http import Transport
from kubectl_mem.kube.snapshot_source import SnapshotSource
from kubectl_mem.tui.data_sources import ClusterSource


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pods", type=int, default=20_000)
    ap.add_argument("--nodes", type=int, default=200)
    ap.add_argument("--refreshes", type=int, default=5)
    ap.add_argument("--deletes", type=int, default=20)
    args = ap.parse_args()

    paths: Counter[str] = Counter()
    lock = threading.Lock()
    original = Transport.request

    def counted(self, method, path, params=(), **kw):  # type: ignore[no-untyped-def]
        with lock:
            paths[f"{method} {path}"] += 1
        return original(self, method, path, params, **kw)

    Transport.request = counted  # type: ignore[method-assign]

    model_cpu = [0.0]
    build = snapshot_source.build

    def timed_build(data, threshold):  # type: ignore[no-untyped-def]
        t = time.thread_time()
        try:
            return build(data, threshold)
        finally:
            model_cpu[0] += time.thread_time() - t

    import kubectl_mem.tui.data_sources as ds

    ds.build = timed_build  # type: ignore[assignment]

    with tempfile.TemporaryDirectory() as tmp:
        kc = Path(tmp) / "kubeconfig"
        proc, _ = start_sim(args.pods, args.nodes, kc)
        try:
            source = ClusterSource(SnapshotSource(kubeconfig=str(kc), all_namespaces=True))
            rows = []
            admin = source.source.transport
            fetched = None
            for i in range(args.refreshes + 1):
                if fetched is not None:  # changes for the watches to apply
                    for pv in fetched.loaded.shown[(i - 1) * args.deletes : i * args.deletes]:
                        p = pv.pod
                        admin.delete(f"/api/v1/namespaces/{p.namespace}/pods/{p.name}", ok_statuses=(404,))
                    time.sleep(1.0)  # the watch delivers them
                with lock:
                    paths.clear()
                model_cpu[0] = 0.0
                cpu0, wall0 = time.process_time(), time.perf_counter()
                fetched = source.load()
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
                with lock:
                    sent = dict(paths)
                rows.append((cpu, model_cpu[0], wall, len(fetched.loaded.shown), sent))
            source.close()
        finally:
            proc.terminate()
            proc.wait(timeout=60)

    first, rest = rows[0], rows[1:]
    print(f"{args.pods} pods on {args.nodes} nodes; {args.deletes} pods deleted before each refresh")
    print(f"{'load':18} {'client CPU s':>13} {'of it model s':>14} {'wall s':>8} {'pods':>7}")
    print(f"{'first (list)':18} {first[0]:13.2f} {first[1]:14.2f} {first[2]:8.2f} {first[3]:7}")
    med = [statistics.median(r[k] for r in rest) for k in range(3)]
    print(f"{'refresh (median)':18} {med[0]:13.2f} {med[1]:14.2f} {med[2]:8.2f} {rest[-1][3]:7}")
    print("requests of the last refresh (the watches' own are not counted):")
    for path, n in sorted(rest[-1][4].items()):
        print(f"  {n:3} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run a real node by hand (root): `cd tests && python -m nodetest [WORKDIR]`.

Starts an envtest control plane and the node, creates the real-node tier's workloads, prints the
admin kubeconfig and waits; Ctrl-C (or SIGTERM) stops everything and prints what was left behind.
"""

from __future__ import annotations

import signal
import sys
import tempfile
import threading
from pathlib import Path

from envtest import ControlPlane, cache_dir, find_assets
from realnode import pods as w

from nodetest.image import BUSYBOX
from nodetest.node import RealNode, why_not_here
from nodetest.proc import MachineBusy


def main() -> int:
    reason = why_not_here()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 1
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="kubectl-mem-realnode-"))
    assets = find_assets(need=("kube-apiserver", "etcd", "kubelet"))
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    cp = ControlPlane.start(work / "cp", assets=assets)
    node = None
    try:
        try:
            node = RealNode.start(work / "node", cp, assets, cache_dir())
        except MachineBusy as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        cp.create_namespace(w.NAMESPACE)
        for pod in w.workloads(node.name, BUSYBOX):
            cp.apply(f"/api/v1/namespaces/{w.NAMESPACE}/pods", pod)
        print(
            f"node {node.name} ready; kubeconfig: {cp.kubeconfig()}; kubelet: {node.kubelet_url}", flush=True
        )
        try:
            while not done.wait(1):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        if node is not None:
            node.stop()
            print(f"stopped; left behind: {node.leftovers() or 'nothing'}", flush=True)
        cp.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

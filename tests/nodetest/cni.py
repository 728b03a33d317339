"""The node's pod network: Debian's containernetworking-plugins, a bridge on a private range.

Nothing is routed off the machine: the bridge has no address on the host (`isGateway: false`), no
masquerading, no default route in the pods, and IP forwarding is left as it is. Pods get an address
(the kubelet wants a ready network) and can reach only each other. host-local keeps its leases in
`dataDir` inside the node's folder.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

BRIDGE = "kmem-rn0"
NETWORK = "kubectl-mem-realnode"
SUBNET = "10.251.77.0/24"
BIN_DIRS = ("/usr/lib/cni", "/opt/cni/bin")


def find_bin_dir() -> str | None:
    for d in BIN_DIRS:
        if Path(d, "bridge").exists() and Path(d, "host-local").exists() and Path(d, "loopback").exists():
            return d
    return None


def write_conf(conf_dir: Path, data_dir: Path) -> Path:
    conf_dir.mkdir(parents=True, exist_ok=True)
    doc = {
        "cniVersion": "1.0.0",
        "name": NETWORK,
        "plugins": [
            {
                "type": "bridge",
                "bridge": BRIDGE,
                "isGateway": False,
                "isDefaultGateway": False,
                "ipMasq": False,
                "hairpinMode": False,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": SUBNET}]],
                    "routes": [],
                    "dataDir": str(data_dir),
                },
            }
        ],
    }
    path = conf_dir / "10-kubectl-mem-realnode.conflist"
    path.write_text(json.dumps(doc, indent=1))
    return path


def bridge_exists() -> bool:
    return Path("/sys/class/net", BRIDGE).exists()


def remove_bridge() -> None:
    """The bridge stays after its last pod is gone (the plugin never deletes it)."""
    if bridge_exists():
        subprocess.run(
            [shutil.which("ip") or "ip", "link", "delete", BRIDGE], capture_output=True, check=False
        )


def cached_results(cache: Path = Path("/var/lib/cni/results")) -> list[Path]:
    """libcni's result cache entries of this network's sandboxes (`NETWORK-<id>-eth0`) and of their
    loopback (`cni-loopback-<id>-lo`, containerd's); a DEL removes them, a killed node leaves them."""
    if not cache.is_dir():
        return []
    ours = [p for p in cache.iterdir() if p.name.startswith(NETWORK + "-")]
    ids = {p.name[len(NETWORK) + 1 :].rsplit("-", 1)[0] for p in ours}
    loops = [
        p
        for p in cache.iterdir()
        if p.name.startswith("cni-loopback-") and p.name[13:].rsplit("-", 1)[0] in ids
    ]
    return ours + loops

"""The kubelet of the archive (`bin/kubelet`), as these VMs need it: cgroup v1, cgroupfs driver.

Configuration (a KubeletConfiguration file, `--root-dir` in the node's folder): `cgroupDriver:
cgroupfs` with `failCgroupV1: false` (1.35+ refuses cgroup v1 otherwise), containerd through its own
socket, the API server's cluster CA for client certificates and Webhook authorisation (the API
server reaches the kubelet with its kubelet client certificate, allowed by `system:kubelet-api-admin`),
a serving certificate for 127.0.0.1 from the same CA, ports picked free on loopback, pod logs in
the folder. Hard eviction keeps `memory.available<100Mi` (the kubelet's default, which the model
ranks against) and lowers the disk thresholds to 1% so a busy disk does not evict the test pods.

The kubelet writes some sysctls at start (vm.overcommit_memory, kernel.panic, kernel.panic_on_oops
...: `setupKernelTunables` with protectKernelDefaults false); `SYSCTLS` names them so the node can put
back what the machine had.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
from pathlib import Path

from .proc import spawn

SYSCTLS = (
    "vm/overcommit_memory",
    "vm/panic_on_oom",
    "kernel/panic",
    "kernel/panic_on_oops",
    "kernel/keys/root_maxkeys",
    "kernel/keys/root_maxbytes",
)


def read_sysctls() -> dict[str, str]:
    out = {}
    for name in SYSCTLS:
        with contextlib.suppress(OSError):
            out[name] = Path("/proc/sys", name).read_text().strip()
    return out


def restore_sysctls(saved: dict[str, str]) -> None:
    for name, value in saved.items():
        with contextlib.suppress(OSError):
            Path("/proc/sys", name).write_text(value)


class Kubelet:
    def __init__(
        self,
        workdir: Path,
        *,
        binary: Path,
        node_name: str,
        kubeconfig: Path,
        runtime_endpoint: str,
        client_ca: Path,
        serving_cert: Path,
        serving_key: Path,
        port: int,
        healthz_port: int,
    ) -> None:
        self.workdir = workdir
        self.binary = binary
        self.node_name = node_name
        self.kubeconfig = kubeconfig
        self.runtime_endpoint = runtime_endpoint
        self.client_ca = client_ca
        self.serving_cert = serving_cert
        self.serving_key = serving_key
        self.port = port
        self.healthz_port = healthz_port
        self.root_dir = workdir / "root"
        self.config = workdir / "kubelet-config.json"
        self.log = workdir / "kubelet.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def write_config(self) -> None:
        doc = {
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            "address": "127.0.0.1",
            "port": self.port,
            "readOnlyPort": 0,
            "healthzBindAddress": "127.0.0.1",
            "healthzPort": self.healthz_port,
            "tlsCertFile": str(self.serving_cert),
            "tlsPrivateKeyFile": str(self.serving_key),
            "authentication": {
                "anonymous": {"enabled": False},
                "webhook": {"enabled": True, "cacheTTL": "10s"},
                "x509": {"clientCAFile": str(self.client_ca)},
            },
            "authorization": {
                "mode": "Webhook",
                "webhook": {"cacheAuthorizedTTL": "10s", "cacheUnauthorizedTTL": "5s"},
            },
            "cgroupDriver": "cgroupfs",
            "failCgroupV1": False,
            "containerRuntimeEndpoint": self.runtime_endpoint,
            "failSwapOn": False,
            "podLogsDir": str(self.workdir / "pod-logs"),
            "evictionHard": {
                "memory.available": "100Mi",
                "nodefs.available": "1%",
                "nodefs.inodesFree": "1%",
                "imagefs.available": "1%",
            },
            "imageGCHighThresholdPercent": 100,
            "imageGCLowThresholdPercent": 99,
            "nodeStatusUpdateFrequency": "4s",
            "syncFrequency": "5s",
            "serializeImagePulls": False,
            "registerNode": True,
            "protectKernelDefaults": False,
            "shutdownGracePeriod": "0s",
            "containerLogMaxSize": "1Mi",
            "resolvConf": "",
            # crash-loop back-off left at the kubelet's default (10 s, 20 s, 40 s ... 5 min): a
            # container in back-off must stay there longer than a collector pod takes to start
            # under load (a 5 s cap made the back-off window shorter than that)
        }
        self.config.write_text(json.dumps(doc, indent=1))

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "pod-logs").mkdir(exist_ok=True)
        self.write_config()
        self.proc = spawn(
            [
                str(self.binary),
                f"--config={self.config}",
                f"--kubeconfig={self.kubeconfig}",
                f"--root-dir={self.root_dir}",
                f"--hostname-override={self.node_name}",  # the machine's own name, or localhost
                "--v=2",
            ],
            self.log,
            cwd=self.workdir,
        )

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if not self.running():
            return
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)

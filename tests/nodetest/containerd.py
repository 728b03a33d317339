"""A containerd of its own: config, root, state and socket under one folder, Debian's runc, CRI on.

Nothing is shared with a containerd the machine may run: its own `--config` (root, state, gRPC and
ttrpc sockets, the CRI plugin's CNI folders, `sandbox_image`), Debian's containerd and runc
(`SystemdCgroup = false`: the kubelet uses the cgroupfs driver) and `restrict_oom_score_adj = true`
(these VMs refuse to lower oom_score_adj below the runtime's own). Images come only from
`import_archive` (`ctr -n k8s.io images import`): there is no registry.

What containerd itself puts outside the folder: shim sockets in /run/containerd/s (one per shim,
removed when the shim exits) and network namespaces in /var/run/netns (removed with the sandbox).
`stop()` checks no task is left running before it ends containerd, since shims outlive it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from .proc import NodeTestError, spawn, tail

NAMESPACE = "k8s.io"


class Containerd:
    def __init__(self, workdir: Path, *, sandbox_image: str, cni_conf_dir: Path, cni_bin_dir: str) -> None:
        self.workdir = workdir
        self.root = workdir / "root"
        self.state = workdir / "state"
        self.socket = workdir / "containerd.sock"
        self.config = workdir / "config.toml"
        self.log = workdir / "containerd.log"
        self.sandbox_image = sandbox_image
        self.cni_conf_dir = cni_conf_dir
        self.cni_bin_dir = cni_bin_dir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"unix://{self.socket}"

    def write_config(self) -> None:
        cri = 'plugins."io.containerd.grpc.v1.cri"'
        self.config.write_text(
            f"""version = 2
root = "{self.root}"
state = "{self.state}"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "{self.socket}"
[ttrpc]
  address = "{self.socket}.ttrpc"
[debug]
  level = "warn"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "{self.workdir / "opt"}"
[{cri}]
  sandbox_image = "{self.sandbox_image}"
  restrict_oom_score_adj = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
[{cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
[{cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[{cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false
[{cri}.cni]
  bin_dir = "{self.cni_bin_dir}"
  conf_dir = "{self.cni_conf_dir}"
  max_conf_num = 1
"""
        )

    def start(self, timeout: float = 60.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.write_config()
        self.proc = spawn(["containerd", "--config", str(self.config)], self.log, cwd=self.workdir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise NodeTestError(f"containerd exited ({self.proc.returncode}): {tail(self.log)}")
            if self.socket.exists() and self.ctr("version", check=False).returncode == 0:
                return
            time.sleep(0.2)
        raise NodeTestError(f"containerd not answering after {timeout:g}s: {tail(self.log)}")

    def ctr(self, *args: str, check: bool = True, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        r = subprocess.run(
            ["ctr", "--address", str(self.socket), "-n", NAMESPACE, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and r.returncode != 0:
            raise NodeTestError(f"ctr {' '.join(args)}: {r.stderr.strip()[:500]}")
        return r

    def import_archive(self, archive: Path) -> list[str]:
        """Import a docker/OCI archive; the image names now known to containerd."""
        self.ctr("images", "import", "--no-unpack", str(archive))
        return self.images()

    def images(self) -> list[str]:
        out = self.ctr("images", "ls", "-q").stdout
        return [line for line in out.split() if line]

    def tasks(self) -> list[str]:
        """IDs of the tasks (running containers, sandboxes included) containerd knows."""
        out = self.ctr("tasks", "ls", "-q", check=False).stdout
        return [line for line in out.split() if line]

    def containers(self) -> list[str]:
        out = self.ctr("containers", "ls", "-q", check=False).stdout
        return [line for line in out.split() if line]

    def kill_all(self) -> None:
        """Last resort when the kubelet could not remove its pods: SIGKILL every task, delete it and
        its container (sandbox network namespaces are then left to `ip netns`)."""
        for tid in self.tasks():
            self.ctr("tasks", "kill", "-a", "-s", "SIGKILL", tid, check=False)
        deadline = time.monotonic() + 20
        while self.tasks() and time.monotonic() < deadline:
            for tid in self.tasks():
                self.ctr("tasks", "delete", "-f", tid, check=False)
            time.sleep(0.2)
        for cid in self.containers():
            self.ctr("containers", "delete", cid, check=False)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)

    def shim_pids(self) -> list[int]:
        """containerd-shim-runc-v2 processes started by this containerd (their command line names
        its socket): they outlive containerd, so teardown ends them by PID."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if cmd and cmd[0].endswith(b"containerd-shim-runc-v2") and str(self.socket).encode() in cmd:
                pids.append(int(entry.name))
        return pids

    def end_shims(self) -> None:
        for pid in self.shim_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

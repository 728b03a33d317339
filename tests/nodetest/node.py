"""A real Kubernetes node on this machine: containerd + runc + CNI bridge + the kubelet, joined to an
envtest control plane (tests/envtest). One at a time per machine (a lock in /run), root only.

    node = RealNode.start(workdir, control_plane, assets, lock_dir)
    node.name, node.kubelet_url, node.kubelet_get("/stats/summary")
    node.stop()          # pods deleted through the API, kubelet and containerd ended by PID,
                         # cgroups, mounts, netns and the bridge removed; node.leftovers() says what is not

Pods need `spec.nodeName` (there is no scheduler) and the images `image.BUSYBOX` / `image.PAUSE`.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from . import cni
from .containerd import Containerd
from .image import BUSYBOX, PAUSE, write_archive
from .kubelet import Kubelet, read_sysctls, restore_sysctls
from .proc import MachineBusy, NodeTestError, tail

# One real node per machine (both would make /kubepods and the same bridge): a lock file beside the
# unpacked envtest binaries, not in /run or /tmp.
LOCK_NAME = "realnode.lock"
# Written while a node runs (its folder), removed once it stopped cleanly: a /kubepods without it is
# another kubelet's, and is never touched.
RUNNING_NAME = "realnode.running"
# Folders the kubelet, containerd and the CNI plugins make outside the node's own folder whatever
# they are told (hard-coded paths): removed at the end when the node made them, else only the
# node's own entries in them are.
HOST_DIRS = ("/run/containerd", "/run/netns", "/var/lib/kubelet", "/var/lib/cni", "/var/log/containers")
LOCK_WAIT_S = 900.0
READY_TIMEOUT_S = 120.0
CGROUP_V1 = Path("/sys/fs/cgroup")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_name() -> str:
    """The machine's hostname, as a kubelet names its node by default, when it resolves to a loopback
    address: the API server reaches a kubelet by its Hostname address first, and this kubelet listens
    on 127.0.0.1 only. Else "localhost"."""
    host = socket.gethostname().lower()
    try:
        if host and ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
            return host
    except (OSError, ValueError):
        pass
    return "localhost"


def why_not_here() -> str | None:
    """None when a real node can run here; else one line saying what is missing."""
    if os.geteuid() != 0:
        return "the real-node tier needs root (it runs containerd and the kubelet)"
    missing = [b for b in ("containerd", "runc", "ctr", "ip") if shutil.which(b) is None]
    if cni.find_bin_dir() is None:
        missing.append("containernetworking-plugins")
    if missing:
        return (
            "missing "
            + ", ".join(missing)
            + ": apt-get install containerd runc containernetworking-plugins iproute2"
        )
    return None


def memory_hierarchy() -> Path | None:
    """The cgroup v1 memory hierarchy, or the unified root on a pure v2 host."""
    if (CGROUP_V1 / "memory" / "memory.usage_in_bytes").exists():
        return CGROUP_V1 / "memory"
    if (CGROUP_V1 / "cgroup.controllers").exists():
        return CGROUP_V1
    return None


def cgroup_hierarchies() -> list[Path]:
    """Every mounted cgroup hierarchy (v1 controllers, named ones, unified)."""
    out = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2] in ("cgroup", "cgroup2"):
            out.append(Path(parts[1]))
    return out


class RealNode:
    def __init__(self, workdir: Path, control_plane: Any, assets: Path, lock_dir: Path) -> None:
        self.workdir = workdir
        self.lock_path = lock_dir / LOCK_NAME
        self.running_path = lock_dir / RUNNING_NAME
        self.host_dirs_before = {d for d in HOST_DIRS if Path(d).exists()}
        self.cp = control_plane
        self.assets = assets
        self.name = node_name()
        self._lock_fd: int | None = None
        self.containerd: Containerd | None = None
        self.kubelet: Kubelet | None = None
        self.sysctls: dict[str, str] = {}
        self.mounts_before: set[str] = set()

    # -- lifecycle ------------------------------------------------------------------------------------
    @classmethod
    def start(cls, workdir: Path, control_plane: Any, assets: Path, lock_dir: Path) -> RealNode:
        node = cls(workdir, control_plane, assets, lock_dir)
        try:
            node._lock()
            node._start()
        except BaseException:
            node.stop()
            raise
        return node

    def _lock(self) -> None:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise NodeTestError(
                        f"another real node holds {self.lock_path} for over {LOCK_WAIT_S:g}s"
                    ) from None
                time.sleep(1)
        self._lock_fd = fd

    def _start(self) -> None:
        theirs = [str(h / "kubepods") for h in cgroup_hierarchies() if (h / "kubepods").exists()]
        if self.running_path.exists():
            # an earlier run of ours was killed before it could stop its node
            swept = sweep_stale(self.running_path.read_text().split("\n")[1:])
            if swept:
                print(
                    f"realnode: removed what an earlier, killed run left: {'; '.join(swept)}", file=sys.stderr
                )
        elif theirs or _other_kubelet():
            raise MachineBusy(
                f"this machine runs a kubelet of its own ({theirs[0] if theirs else 'a kubelet process'}): "
                "the real-node tier does not run beside it"
            )
        self.host_dirs_before = {d for d in HOST_DIRS if Path(d).exists()}
        # the node's folder, then the host folders it will have made (a sweep removes them)
        made = [d for d in HOST_DIRS if d not in self.host_dirs_before]
        self.running_path.write_text("\n".join([str(self.workdir), *made]) + "\n")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.mounts_before = set(_mount_points())
        self.sysctls = read_sysctls()
        cni_bin = cni.find_bin_dir()
        assert cni_bin is not None
        cni_conf = self.workdir / "cni" / "net.d"
        cni.write_conf(cni_conf, self.workdir / "cni" / "ipam")
        self.containerd = Containerd(
            self.workdir / "containerd", sandbox_image=PAUSE, cni_conf_dir=cni_conf, cni_bin_dir=cni_bin
        )
        self.containerd.start()
        archive = write_archive(self.workdir / "images.tar")
        names = self.containerd.import_archive(archive)
        if BUSYBOX not in names or PAUSE not in names:
            raise NodeTestError(f"images not imported: {names}")
        archive.unlink()

        cp = self.cp
        kubeconfig = cp.cert_kubeconfig(f"kubelet-{self.name}", f"system:node:{self.name}", ("system:nodes",))
        serving = cp.issue_serving_cert(f"kubelet-{self.name}", ("127.0.0.1", "localhost", self.name))
        # the API server's kubelet client certificate may call the kubelet's API (kubeadm binds the same)
        cp.apply(
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": "kubectl-mem-realnode-kubelet-api-admin"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "system:kubelet-api-admin",
                },
                "subjects": [
                    {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "User",
                        "name": "kube-apiserver-kubelet-client",
                    }
                ],
            },
        )
        self.kubelet = Kubelet(
            self.workdir / "kubelet",
            binary=self.assets / "kubelet",
            node_name=self.name,
            kubeconfig=kubeconfig,
            runtime_endpoint=self.containerd.endpoint,
            client_ca=cp.cluster_ca.cert,
            serving_cert=serving.cert,
            serving_key=serving.key,
            port=_free_port(),
            healthz_port=_free_port(),
        )
        self.kubelet.start()
        self.wait_ready()

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last = "not registered"
        while time.monotonic() < deadline:
            assert self.kubelet is not None
            if not self.kubelet.running():
                raise NodeTestError(f"kubelet exited: {tail(self.kubelet.log, 15)}")
            status, _, body = self.cp.request("GET", f"/api/v1/nodes/{self.name}")
            if status == 200:
                node = json.loads(body)
                for c in node.get("status", {}).get("conditions") or []:
                    if c.get("type") == "Ready":
                        if c.get("status") == "True":
                            return node
                        last = f"Ready={c.get('status')}: {c.get('message')}"
            time.sleep(0.5)
        raise NodeTestError(
            f"node {self.name} not Ready after {timeout:g}s ({last}): {tail(self.kubelet.log, 15)}"
        )

    # -- the kubelet's own API ------------------------------------------------------------------------
    @property
    def kubelet_url(self) -> str:
        assert self.kubelet is not None
        return f"https://127.0.0.1:{self.kubelet.port}"

    def kubelet_get(self, path: str, timeout: float = 15.0) -> Any:
        """GET the kubelet's port with the API server's kubelet client certificate (nodes/proxy to
        a loopback node address is refused by the API server)."""
        ctx = ssl.create_default_context(cafile=str(self.cp.ca_file))
        pair = self.cp.kubelet_client
        ctx.load_cert_chain(str(pair.cert), str(pair.key))
        with urllib.request.urlopen(self.kubelet_url + path, context=ctx, timeout=timeout) as r:
            body = r.read()
        return json.loads(body) if body[:1] in (b"{", b"[") else body.decode()

    # -- teardown -------------------------------------------------------------------------------------
    def delete_all_pods(self, timeout: float = 90.0) -> None:
        """Delete every pod bound to the node through the API and wait for the kubelet to finish
        (containers stopped, sandboxes and their network removed, then the pod object gone)."""
        path = f"/api/v1/pods?fieldSelector=spec.nodeName%3D{self.name}"
        status, _, body = self.cp.request("GET", path)
        if status != 200:
            return
        for pod in json.loads(body).get("items") or []:
            m = pod["metadata"]
            self.cp.request("DELETE", f"/api/v1/namespaces/{m['namespace']}/pods/{m['name']}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, _, body = self.cp.request("GET", path)
            if status == 200 and not json.loads(body).get("items") and not self._tasks():
                return
            if self.kubelet is None or not self.kubelet.running():
                break
            time.sleep(0.5)

    def _tasks(self) -> list[str]:
        return self.containerd.tasks() if self.containerd and self.containerd.proc else []

    def stop(self) -> None:
        """Everything back as it was: pods, kubelet, containers, containerd, shims, mounts, network,
        cgroups, sysctls; `leftovers()` tells what could not be removed. Without the lock (another
        real node holds it) nothing is touched: the /kubepods cgroups and the bridge are its."""
        if self._lock_fd is None:
            return
        try:
            if self.kubelet is not None and self.kubelet.running():
                self.delete_all_pods()
            if self.kubelet is not None:
                self.kubelet.stop()
            if self.containerd is not None and self.containerd.proc is not None:
                if self.containerd.tasks():
                    self.containerd.kill_all()
                self.containerd.stop()
                self.containerd.end_shims()
            self._unmount_ours()
            self._remove_netns()
            cni.remove_bridge()
            self._remove_cgroups()
            self._remove_host_files()
            if self.sysctls:
                restore_sysctls(self.sysctls)
            if self.cp is not None:
                self.cp.request("DELETE", f"/api/v1/nodes/{self.name}")
            if not self._mounts_under_workdir():
                shutil.rmtree(self.workdir / "containerd", ignore_errors=True)
                shutil.rmtree(self.workdir / "kubelet" / "root", ignore_errors=True)
            if not self.leftovers():
                self.running_path.unlink(missing_ok=True)
        finally:
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def _mounts_under_workdir(self) -> list[str]:
        prefix = str(self.workdir) + "/"
        return [m for m in _mount_points() if m.startswith(prefix)]

    def _unmount_ours(self) -> None:
        # deepest first: volume tmpfs under the kubelet's root, overlay rootfs under containerd's state
        for m in sorted(self._mounts_under_workdir(), key=len, reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True, check=False)

    def _remove_netns(self) -> None:
        for m in _mount_points():
            if "/netns/cni-" in m and m not in self.mounts_before:
                subprocess.run(["umount", m], capture_output=True, check=False)
                Path(m).unlink(missing_ok=True)

    def _remove_cgroups(self) -> None:
        """The kubelet leaves /kubepods (and its QoS tiers) in every hierarchy when it stops."""
        for h in cgroup_hierarchies():
            top = h / "kubepods"
            if not top.is_dir():
                continue
            for d in sorted(
                (p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True
            ):
                _rmdir(d)
            _rmdir(top)

    def _own_host_files(self) -> list[Path]:
        """Entries of this node in host folders that were there before it: CNI result caches of its
        network, /var/log/containers symlinks into its pod log folder."""
        out = cni.cached_results()
        logs = Path("/var/log/containers")
        if logs.is_dir() and self.kubelet is not None:
            ours = str(self.kubelet.workdir) + "/"
            out += [p for p in logs.iterdir() if p.is_symlink() and os.readlink(p).startswith(ours)]
        return out

    def _new_host_dirs(self) -> list[str]:
        return [d for d in HOST_DIRS if d not in self.host_dirs_before and Path(d).exists()]

    def _remove_host_files(self) -> None:
        for p in self._own_host_files():
            p.unlink(missing_ok=True)
        for d in self._new_host_dirs():
            if not any(m == d or m.startswith(d + "/") for m in _mount_points()):
                shutil.rmtree(d, ignore_errors=True)

    def leftovers(self) -> list[str]:
        """What of the node is still on the machine (empty when the teardown was complete)."""
        out = []
        if self.kubelet is not None and self.kubelet.running():
            out.append(f"kubelet pid {self.kubelet.proc.pid if self.kubelet.proc else '?'}")
        if self.containerd is not None:
            if self.containerd.proc is not None and self.containerd.proc.poll() is None:
                out.append(f"containerd pid {self.containerd.proc.pid}")
            out += [f"shim pid {p}" for p in self.containerd.shim_pids()]
        out += [f"mount {m}" for m in self._mounts_under_workdir()]
        out += [
            f"netns mount {m}" for m in _mount_points() if "/netns/cni-" in m and m not in self.mounts_before
        ]
        out += [f"cgroup {h / 'kubepods'}" for h in cgroup_hierarchies() if (h / "kubepods").exists()]
        if cni.bridge_exists():
            out.append(f"bridge {cni.BRIDGE}")
        out += [f"file {p}" for p in self._own_host_files()]
        out += [f"folder {d}" for d in self._new_host_dirs()]
        changed = {k: v for k, v in read_sysctls().items() if self.sysctls and self.sysctls.get(k) != v}
        out += [f"sysctl {k}={v} (was {self.sysctls[k]})" for k, v in changed.items()]
        return out


STATE_MARKS = ("/node/containerd/", "/node/kubelet/root/")  # in paths under a RealNode's workdir


def _other_kubelet() -> bool:
    """A kubelet process is running that is not one of ours (ours end with their test process)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd and (cmd[0].endswith(b"/kubelet") or cmd[0] == b"kubelet"):
            return True
    return False


def sweep_stale(host_dirs: list[str]) -> list[str]:
    """What a real node of an earlier run left when its test process was killed (SIGKILL ends
    containerd and the kubelet through PDEATHSIG, but not the shims, the containers, their mounts
    and cgroups). Called only with the machine-wide lock held and the running marker of that
    earlier run present (so /kubepods is ours, not a kubelet of the machine's own): every process
    in a /kubepods cgroup, every shim of a RealNode's containerd, every mount under a RealNode's
    folders, the netns, cgroups and bridge are stale."""
    done: list[str] = []
    victims: set[int] = set()
    for h in cgroup_hierarchies():
        top = h / "kubepods"
        if top.is_dir():
            for procs in top.rglob("cgroup.procs"):
                with contextlib.suppress(OSError):
                    victims |= {int(p) for p in procs.read_text().split()}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            cmd
            and cmd[0].endswith(b"containerd-shim-runc-v2")
            and any(a.endswith(b"/node/containerd/containerd.sock") for a in cmd)
        ):
            victims.add(int(entry.name))
    for pid in sorted(victims):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if victims:
        done.append(f"{len(victims)} processes")
        time.sleep(0.5)
    mounts = [
        m
        for m in _mount_points()
        if any(mark in m + "/" for mark in STATE_MARKS) or "/netns/cni-" in m  # the kubelet binds its root
    ]
    for m in sorted(mounts, key=len, reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True, check=False)
        if "/netns/cni-" in m:
            Path(m).unlink(missing_ok=True)
    if mounts:
        done.append(f"{len(mounts)} mounts")
    for h in cgroup_hierarchies():
        top = h / "kubepods"
        if top.is_dir():
            for d in sorted(
                (p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True
            ):
                _rmdir(d)
            _rmdir(top)
            done.append(str(top))
    if cni.bridge_exists():
        cni.remove_bridge()
        done.append(f"bridge {cni.BRIDGE}")
    for p in cni.cached_results():
        p.unlink(missing_ok=True)
        done.append(str(p))
    for d in host_dirs:
        if d in HOST_DIRS and Path(d).exists() and not any(m.startswith(d + "/") for m in _mount_points()):
            shutil.rmtree(d, ignore_errors=True)
            done.append(d)
    return done


def _rmdir(d: Path) -> None:
    with contextlib.suppress(OSError):
        d.rmdir()


def _mount_points() -> list[str]:
    out = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        parts = line.split()
        if len(parts) > 4:
            out.append(parts[4].replace("\\040", " "))
    return out

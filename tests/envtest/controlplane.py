"""etcd + kube-apiserver on loopback, for tests and benchmarks (controller-runtime's envtest, in Python).

    from envtest import ControlPlane, find_assets
    with ControlPlane.start(workdir, users=("viewer", "limited")) as cp:
        cp.kubeconfig("viewer")          # a kubeconfig file per user (bearer token, CA, server)
        cp.pid                           # the apiserver's PID: cp.cpu_seconds() reads /proc/PID/stat
        cp.create_namespace("team-a")    # with its "default" ServiceAccount (no controller-manager here)

What runs: one etcd member (client and peer on free loopback ports, data in `workdir`, fsync off) and
kube-apiserver on a free loopback port with TLS from a temporary PKI (pki.py), a static token file
(`admin` in system:masters; every other user only in system:authenticated: bind roles to them), RBAC
(plus the Node authorizer and NodeRestriction, which only concern system:nodes users, so a kubelet can
join), `--allow-privileged`, the aggregation layer (front-proxy CA, requestheader flags, proxy client
certificate) and a kubelet client certificate. There is no controller-manager and no scheduler:
namespaces need their ServiceAccount made by hand, pods need `spec.nodeName`, nothing garbage-collects.

Both processes die with the process that started them (PR_SET_PDEATHSIG), so a killed test run
leaves nothing running; `stop()` ends them by PID (SIGTERM, then SIGKILL) and removes etcd's data.
"""

from __future__ import annotations

import base64
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .assets import find_assets
from .pki import CA, KeyPair, genkey, public_key

ADMIN = "admin"
SERVICE_CIDR = "10.0.0.0/24"
SERVICE_IP = "10.0.0.1"  # the `kubernetes` Service, first of the range
READY_TIMEOUT = 120.0  # seconds; ~5-10 s on an idle machine, much more on a shared 2-CPU one
FRONT_PROXY_CLIENT = "front-proxy-client"

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ControlPlaneError(RuntimeError):
    pass


class ControlPlane:
    """A running etcd + kube-apiserver. Make one with `ControlPlane.start(...)`."""

    def __init__(self, workdir: Path, assets: Path, users: Sequence[str]) -> None:
        self.workdir = workdir
        self.assets = assets
        self.pki_dir = workdir / "pki"
        self.tokens: dict[str, str] = {u: secrets.token_hex(16) for u in (ADMIN, *users)}
        self.port = 0
        self.etcd_url = ""
        self.etcd: subprocess.Popen[bytes] | None = None
        self.apiserver: subprocess.Popen[bytes] | None = None
        self.apiserver_log = workdir / "kube-apiserver.log"
        self.etcd_log = workdir / "etcd.log"

    # -- lifecycle ----------------------------------------------------------------------------------
    @classmethod
    def start(
        cls,
        workdir: Path,
        *,
        users: Sequence[str] = ("viewer", "limited", "nobody"),
        assets: Path | None = None,
        extra_args: Sequence[str] = (),
        ready_timeout: float = READY_TIMEOUT,
    ) -> ControlPlane:
        """Start etcd and kube-apiserver under `workdir` (created) and wait for /readyz.

        `users`: token users besides `admin` (each in system:authenticated only). `extra_args`:
        more kube-apiserver flags (a later flag wins, e.g. `--enable-aggregator-routing=true`)."""
        workdir.mkdir(parents=True, exist_ok=True)
        cp = cls(workdir, assets or find_assets(), users)
        try:
            cp._make_pki()
            cp._write_files()
            cp._start_etcd()
            cp._start_apiserver(extra_args)
            cp._wait_ready(ready_timeout)
            for user in cp.tokens:
                cp._write_kubeconfig(cp.kubeconfig_path(user), user)
        except BaseException:
            cp.stop()
            raise
        return cp

    def stop(self) -> None:
        """End the apiserver, then etcd, by PID; remove etcd's data. Logs and PKI stay in workdir."""
        for proc in (self.apiserver, self.etcd):
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        shutil.rmtree(self.workdir / "etcd-data", ignore_errors=True)

    def __enter__(self) -> ControlPlane:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what callers use ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The kube-apiserver's PID."""
        assert self.apiserver is not None
        return self.apiserver.pid

    @property
    def etcd_pid(self) -> int:
        assert self.etcd is not None
        return self.etcd.pid

    @property
    def ca_file(self) -> Path:
        return self.pki_dir / "ca.crt"

    @property
    def users(self) -> list[str]:
        return list(self.tokens)

    def kubeconfig_path(self, user: str = ADMIN) -> Path:
        return self.workdir / "kubeconfigs" / f"{user}.yaml"

    def kubeconfig(self, user: str = ADMIN, *, namespace: str | None = None) -> Path:
        """The kubeconfig of token user `user` (its context's namespace set when given)."""
        if user not in self.tokens:
            raise KeyError(f"no user {user!r}: users are {', '.join(self.tokens)}")
        if namespace is None:
            return self.kubeconfig_path(user)
        path = self.workdir / "kubeconfigs" / f"{user}@{namespace}.yaml"
        if not path.exists():
            self._write_kubeconfig(path, user, namespace=namespace)
        return path

    def cert_kubeconfig(self, name: str, common_name: str, organizations: tuple[str, ...] = ()) -> Path:
        """A kubeconfig authenticating with a client certificate from the cluster CA, e.g. a kubelet's:
        `cert_kubeconfig("node-a", "system:node:node-a", ("system:nodes",))`."""
        pair = self.cluster_ca.issue(f"client-{name}", common_name, organizations=organizations, client=True)
        path = self.workdir / "kubeconfigs" / f"{name}.yaml"
        self._write_kubeconfig(path, name, cert=pair)
        return path

    def cpu_seconds(self, pid: int | None = None) -> float:
        """utime + stime of the apiserver (or `pid`) from /proc/PID/stat, in seconds."""
        fields = Path(f"/proc/{pid or self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_bytes(self, pid: int | None = None) -> int:
        for line in Path(f"/proc/{pid or self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        user: str = ADMIN,
        headers: Mapping[str, str] | None = None,
        content_type: str = "application/json",
        timeout: float = 30.0,
    ) -> tuple[int, dict[str, str], bytes]:
        """One raw HTTPS request as `user`: (status, headers with lower-case names, body). Errors are
        returned, not raised; a dict or list `body` is sent as JSON."""
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if user:
            req.add_header("Authorization", f"Bearer {self.tokens[user]}")
        if data is not None:
            req.add_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, context=self._ssl(), timeout=timeout) as r:
                return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()

    def apply(self, path: str, obj: Mapping[str, Any], *, user: str = ADMIN) -> dict[str, Any]:
        """POST `obj` to the collection `path`; an AlreadyExists is fine. Returns the server's object."""
        status, _, body = self.request("POST", path, dict(obj), user=user)
        if status == 409:
            name = obj["metadata"]["name"]
            status, _, body = self.request("GET", f"{path}/{name}", user=user)
        if status >= 300:
            raise ControlPlaneError(f"POST {path}: {status} {body[:300]!r}")
        return json.loads(body)

    def create_namespace(self, name: str, labels: Mapping[str, str] | None = None) -> None:
        """A namespace and its `default` ServiceAccount (the ServiceAccount admission plugin rejects
        pods without it, and there is no controller-manager to make it)."""
        meta: dict[str, Any] = {"name": name}
        if labels:
            meta["labels"] = dict(labels)
        self.apply("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": meta})
        self.apply(
            f"/api/v1/namespaces/{name}/serviceaccounts",
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}},
        )

    def issue_serving_cert(self, name: str, sans: Iterable[str]) -> KeyPair:
        """A serving certificate from the cluster CA (an extension apiserver's, a kubelet's)."""
        return self.cluster_ca.issue(f"serving-{name}", name, sans=tuple(sans), server=True)

    def front_proxy_ca_file(self) -> Path:
        return self.front_proxy_ca.cert

    # -- internals -----------------------------------------------------------------------------------
    def _ssl(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def _make_pki(self) -> None:
        d = self.pki_dir
        self.cluster_ca = CA(d, "ca", "kubectl-mem-envtest-ca")
        self.serving = self.cluster_ca.issue(
            "apiserver",
            "kube-apiserver",
            sans=(
                "127.0.0.1", SERVICE_IP, "localhost", "kubernetes", "kubernetes.default",
                "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
            ),
            server=True,
        )  # fmt: skip
        self.kubelet_client = self.cluster_ca.issue(
            "apiserver-kubelet-client",
            "kube-apiserver-kubelet-client",
            organizations=("kubeadm:cluster-admins",),
            client=True,
        )
        self.front_proxy_ca = CA(d, "front-proxy-ca", "kubectl-mem-envtest-front-proxy-ca")
        self.proxy_client = self.front_proxy_ca.issue("front-proxy-client", FRONT_PROXY_CLIENT, client=True)
        self.sa_key = d / "sa.key"
        genkey(self.sa_key, d)  # one EC key signs and verifies ServiceAccount tokens
        self.sa_pub = public_key(self.sa_key, d / "sa.pub")

    def _write_files(self) -> None:
        lines = []
        for i, (user, token) in enumerate(self.tokens.items()):
            groups = "system:masters" if user == ADMIN else ""
            lines.append(f'{token},{user},uid-{i},"{groups}"' if groups else f"{token},{user},uid-{i}")
        self.token_file = self.workdir / "tokens.csv"
        self.token_file.write_text("\n".join(lines) + "\n")
        self.token_file.chmod(0o600)
        (self.workdir / "kubeconfigs").mkdir(exist_ok=True)

    def _spawn(self, argv: list[str], log: Path) -> subprocess.Popen[bytes]:
        with open(log, "ab") as out:
            return subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
                cwd=self.workdir,
            )

    def _start_etcd(self) -> None:
        client, peer = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{client}"
        self.etcd = self._spawn(
            [
                str(self.assets / "etcd"),
                "--name=envtest",
                f"--data-dir={self.workdir / 'etcd-data'}",
                f"--listen-client-urls={self.etcd_url}",
                f"--advertise-client-urls={self.etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=envtest=http://127.0.0.1:{peer}",
                "--unsafe-no-fsync=true",  # a throwaway store: durability costs only time here
                "--log-level=warn",
            ],
            self.etcd_log,
        )

    def _start_apiserver(self, extra_args: Sequence[str]) -> None:
        self.port = free_port()
        d = self.pki_dir
        self.apiserver = self._spawn(
            [
                str(self.assets / "kube-apiserver"),
                f"--etcd-servers={self.etcd_url}",
                f"--secure-port={self.port}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                f"--cert-dir={d}",
                f"--tls-cert-file={self.serving.cert}",
                f"--tls-private-key-file={self.serving.key}",
                f"--client-ca-file={self.cluster_ca.cert}",
                f"--token-auth-file={self.token_file}",
                "--authorization-mode=Node,RBAC",
                "--enable-admission-plugins=NodeRestriction",  # added to the default plugins
                "--allow-privileged=true",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={self.sa_pub}",
                f"--service-account-signing-key-file={self.sa_key}",
                f"--kubelet-client-certificate={self.kubelet_client.cert}",
                f"--kubelet-client-key={self.kubelet_client.key}",
                f"--requestheader-client-ca-file={self.front_proxy_ca.cert}",
                f"--requestheader-allowed-names={FRONT_PROXY_CLIENT}",
                "--requestheader-username-headers=X-Remote-User",
                "--requestheader-group-headers=X-Remote-Group",
                "--requestheader-extra-headers-prefix=X-Remote-Extra-",
                f"--proxy-client-cert-file={self.proxy_client.cert}",
                f"--proxy-client-key-file={self.proxy_client.key}",
                *extra_args,
            ],
            self.apiserver_log,
        )

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            for name, proc, log in (
                ("etcd", self.etcd, self.etcd_log),
                ("kube-apiserver", self.apiserver, self.apiserver_log),
            ):
                if proc is not None and proc.poll() is not None:
                    raise ControlPlaneError(f"{name} exited ({proc.returncode}): {_tail(log)}")
            try:
                status, _, body = self.request("GET", "/readyz", timeout=5)
                if status == 200:
                    return
                last = f"/readyz {status}: {body.decode(errors='replace')[-300:]}"
            except (OSError, ssl.SSLError) as e:
                last = str(e)
            time.sleep(0.25)
        raise ControlPlaneError(
            f"kube-apiserver not ready after {timeout:g}s ({last}): {_tail(self.apiserver_log)}"
        )

    def _write_kubeconfig(
        self, path: Path, user: str, *, namespace: str | None = None, cert: KeyPair | None = None
    ) -> None:
        ctx: dict[str, Any] = {"cluster": "envtest", "user": user}
        if namespace:
            ctx["namespace"] = namespace
        creds: dict[str, str] = (
            {"client-certificate": str(cert.cert), "client-key": str(cert.key)}
            if cert
            else {"token": self.tokens[user]}
        )
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "envtest",
                    "cluster": {
                        "server": self.url,
                        "certificate-authority-data": base64.b64encode(self.ca_file.read_bytes()).decode(),
                    },
                }
            ],
            "users": [{"name": user, "user": creds}],
            "contexts": [{"name": user, "context": ctx}],
            "current-context": user,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=1))  # JSON is YAML
        path.chmod(0o600)


def _tail(path: Path, lines: int = 8) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:])[-1500:]

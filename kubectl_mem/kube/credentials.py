"""Who we are to the API server: the Authorization header (and, from an exec plugin, a client
certificate), as kubectl's client-go computes them from a kubeconfig user or a service account.

Kinds, in the order the `kubernetes` Python client tried them (auth-provider is handled in config.py
by that client itself, the one case we still hand to it):
  token / tokenFile     a bearer token; a token file is read again every minute (client-go's cached
                        file token source), so a rotated service-account token is picked up
  exec                  a credential plugin (client.authentication.k8s.io v1 / v1beta1): run once,
                        its answer kept until its expirationTimestamp, run again after a 401
  username / password   basic auth
Reference: https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from kubectl_mem.errors import ConfigError

TOKEN_FILE_RELOAD = 60.0  # seconds, as client-go's cached token file source
EXEC_INFO_ENV = "KUBERNETES_EXEC_INFO"
EXEC_CLUSTER_EXTENSION = "client.authentication.k8s.io/exec"


@dataclass(frozen=True)
class ClientCert:
    """A client certificate and its key, PEM."""

    cert: bytes
    key: bytes


class Credentials:
    """No credentials (an anonymous request, or a client certificate from the kubeconfig only)."""

    def headers(self) -> dict[str, str]:
        return {}

    def client_cert(self) -> ClientCert | None:
        """A certificate that came with the credentials (exec plugins), not the kubeconfig's own."""
        return None

    def refresh(self) -> bool:
        """After a 401: get fresh credentials if that can help; True when a retry is worth it."""
        return False


class Token(Credentials):
    def __init__(self, token: str) -> None:
        self._header = {"Authorization": f"Bearer {token}"}

    def headers(self) -> dict[str, str]:
        return self._header


class Basic(Credentials):
    def __init__(self, username: str, password: str) -> None:
        pair = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._header = {"Authorization": f"Basic {pair}"}

    def headers(self) -> dict[str, str]:
        return self._header


class TokenFile(Credentials):
    """A bearer token read from a file, again when the last read is a minute old."""

    def __init__(self, path: str, fallback: str | None = None) -> None:
        self.path = path
        self._fallback = fallback  # the kubeconfig's `token`, when the file cannot be read
        self._lock = threading.Lock()
        self._token = ""
        self._read_at = -TOKEN_FILE_RELOAD
        self._load()
        if not self._token:
            raise ConfigError(f"cannot read the token file {path}")

    def _load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as f:
                token = f.read().strip()
        except OSError:
            token = ""
        self._token = token or self._token or (self._fallback or "")
        self._read_at = time.monotonic()

    def headers(self) -> dict[str, str]:
        with self._lock:
            if time.monotonic() - self._read_at >= TOKEN_FILE_RELOAD:
                self._load()
            return {"Authorization": f"Bearer {self._token}"}

    def refresh(self) -> bool:
        with self._lock:
            before = self._token
            self._load()
            return self._token != before


class Exec(Credentials):
    """A client-go credential plugin: `command args...` prints an ExecCredential on stdout."""

    def __init__(self, spec: dict, *, base_dir: str, cluster: dict, stdin_is_terminal: bool) -> None:
        if not spec.get("command") or not spec.get("apiVersion"):
            raise ConfigError("kubeconfig exec plugin: command and apiVersion are required")
        self.api_version = str(spec["apiVersion"])
        command = str(spec["command"])
        if os.sep in command and not os.path.isabs(command):  # client-go: relative to the kubeconfig
            command = os.path.join(base_dir, command)
        self.argv = [command, *(str(a) for a in spec.get("args") or [])]
        self.env = {str(e["name"]): str(e.get("value", "")) for e in spec.get("env") or [] if "name" in e}
        self.install_hint = str(spec.get("installHint") or "")
        mode = spec.get("interactiveMode") or ("IfAvailable" if self.api_version.endswith("v1beta1") else "")
        self.interactive = stdin_is_terminal and mode != "Never"
        if mode == "Always" and not stdin_is_terminal:
            raise ConfigError(
                f"exec plugin {command}: interactiveMode Always needs a terminal on standard input"
            )
        self.cluster = _exec_cluster(cluster) if spec.get("provideClusterInfo") else None
        self._lock = threading.Lock()
        self._header: dict[str, str] = {}
        self._cert: ClientCert | None = None
        self._expires: float | None = None  # epoch seconds
        self._run()

    def _run(self) -> None:
        spec: dict = {"interactive": self.interactive}
        if self.cluster is not None:
            spec["cluster"] = self.cluster
        info = {"apiVersion": self.api_version, "kind": "ExecCredential", "spec": spec}
        env = {**os.environ, **self.env, EXEC_INFO_ENV: json.dumps(info)}
        name = self.argv[0]
        if shutil.which(name) is None and not os.path.exists(name):
            hint = f"; {self.install_hint.strip()}" if self.install_hint else ""
            raise ConfigError(f"getting credentials: exec: executable {name} not found{hint}")
        try:
            done = subprocess.run(
                self.argv,
                env=env,
                stdin=None if self.interactive else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=None,  # the plugin talks to the user on stderr, as under kubectl
                check=False,
            )
        except OSError as e:
            raise ConfigError(f"getting credentials: exec: {name}: {e.strerror}") from None
        if done.returncode != 0:
            raise ConfigError(f"getting credentials: exec: {name} exited with status {done.returncode}")
        try:
            answer = json.loads(done.stdout)
            status = answer["status"]
        except (ValueError, KeyError, TypeError):
            raise ConfigError(f"getting credentials: exec: {name} did not print an ExecCredential") from None
        if answer.get("apiVersion") != self.api_version:
            raise ConfigError(
                f"getting credentials: exec: {name} answered {answer.get('apiVersion')}, "
                f"asked for {self.api_version}"
            )
        if status.get("token"):
            self._header, self._cert = {"Authorization": f"Bearer {status['token']}"}, None
        elif status.get("clientCertificateData") and status.get("clientKeyData"):
            cert = ClientCert(status["clientCertificateData"].encode(), status["clientKeyData"].encode())
            self._header, self._cert = {}, cert
        else:
            raise ConfigError(
                f"getting credentials: exec: {name} gave neither a token nor a client certificate and key"
            )
        self._expires = _rfc3339(status.get("expirationTimestamp"))

    def _fresh(self) -> None:
        if self._expires is not None and time.time() >= self._expires:
            self._run()

    def headers(self) -> dict[str, str]:
        with self._lock:
            self._fresh()
            return self._header

    def client_cert(self) -> ClientCert | None:
        with self._lock:
            self._fresh()
            return self._cert

    def refresh(self) -> bool:
        with self._lock:
            self._run()
            return True


def _exec_cluster(cluster: dict) -> dict:
    """The kubeconfig cluster as an ExecCredential's spec.cluster (client-go's names)."""
    out: dict = {"server": cluster.get("server", "")}
    names = {
        "tls-server-name": "tlsServerName",
        "insecure-skip-tls-verify": "insecureSkipTLSVerify",
        "certificate-authority-data": "certificateAuthorityData",
        "proxy-url": "proxyURL",
        "disable-compression": "disableCompression",
    }
    for key, name in names.items():
        if key in cluster:
            out[name] = cluster[key]
    for ext in cluster.get("extensions") or []:
        if isinstance(ext, dict) and ext.get("name") == EXEC_CLUSTER_EXTENSION:
            out["config"] = ext.get("extension")
    return out


def _rfc3339(value: object) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC).timestamp()
    except ValueError:
        return None


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False

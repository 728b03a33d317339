"""A throwaway PKI for one control plane, made with the `openssl` command (EC P-256 keys: fast).

Two CAs as kubeadm makes them: the cluster CA (serving certificates, client certificates the
apiserver trusts through --client-ca-file, the apiserver's kubelet client certificate) and the
front-proxy CA (the aggregation layer: the apiserver proves itself to extension servers such as a
metrics server with the front-proxy client certificate).
"""

from __future__ import annotations

import ipaddress
import subprocess
from dataclasses import dataclass
from pathlib import Path

DAYS = "2"


def _openssl(*args: str, cwd: Path) -> None:
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args[:2])} failed: {r.stderr.strip()[:500]}")


@dataclass(frozen=True)
class KeyPair:
    cert: Path
    key: Path


class CA:
    """A certificate authority in `folder`: `ca.crt`/`ca.key` named `name`.crt/.key."""

    def __init__(self, folder: Path, name: str, common_name: str) -> None:
        self.folder = folder
        self.name = name
        folder.mkdir(parents=True, exist_ok=True)
        self.cert = folder / f"{name}.crt"
        self.key = folder / f"{name}.key"
        genkey(self.key, folder)
        _openssl(
            "req", "-x509", "-new", "-key", self.key.name, "-out", self.cert.name, "-days", DAYS,
            "-subj", f"/CN={common_name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
            cwd=folder,
        )  # fmt: skip

    def issue(
        self,
        name: str,
        common_name: str,
        *,
        organizations: tuple[str, ...] = (),
        sans: tuple[str, ...] = (),
        server: bool = False,
        client: bool = False,
    ) -> KeyPair:
        """A certificate signed by this CA; `sans` mixes IP addresses and DNS names."""
        key = self.folder / f"{name}.key"
        cert = self.folder / f"{name}.crt"
        csr = self.folder / f"{name}.csr"
        ext = self.folder / f"{name}.ext"
        genkey(key, self.folder)
        subj = "".join(f"/O={o}" for o in organizations) + f"/CN={common_name}"
        _openssl("req", "-new", "-key", key.name, "-out", csr.name, "-subj", subj, cwd=self.folder)
        usages = [u for u, on in (("serverAuth", server), ("clientAuth", client)) if on]
        lines = [
            "basicConstraints=critical,CA:FALSE",
            "keyUsage=critical,digitalSignature,keyEncipherment",
            f"extendedKeyUsage={','.join(usages)}",
        ]
        if sans:
            lines.append("subjectAltName=" + ",".join(_san(s) for s in sans))
        ext.write_text("\n".join(lines) + "\n")
        _openssl(
            "x509", "-req", "-in", csr.name, "-CA", self.cert.name, "-CAkey", self.key.name,
            "-CAcreateserial", "-out", cert.name, "-days", DAYS, "-extfile", ext.name,
            cwd=self.folder,
        )  # fmt: skip
        csr.unlink()
        ext.unlink()
        return KeyPair(cert, key)


def genkey(path: Path, cwd: Path) -> None:
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path.name, cwd=cwd)
    path.chmod(0o600)


def _san(s: str) -> str:
    try:
        ipaddress.ip_address(s)
        return f"IP:{s}"
    except ValueError:
        return f"DNS:{s}"


def public_key(key: Path, out: Path) -> Path:
    _openssl("pkey", "-in", str(key), "-pubout", "-out", str(out), cwd=key.parent)
    return out

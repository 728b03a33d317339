"""Every way a kubeconfig says who we are, against the real kube-apiserver and, for each kubeconfig,
against the real kubectl too: client certificate files, the same inline (-data), a credential plugin
giving a token or a client certificate, tls-server-name. kubectl-mem reads kubeconfigs itself (not
through the `kubernetes` client): what kubectl accepts it must accept, and see the same pods."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from apiworld import World, mem, plugin_env

pytestmark = pytest.mark.apiserver


def _pods(r: subprocess.CompletedProcess[str]) -> list[tuple[str, str]]:
    assert r.returncode in (0, 3), r.stderr
    assert "Traceback" not in r.stderr
    return sorted((p["namespace"], p["name"]) for p in json.loads(r.stdout)["items"])


def _kubectl_pods(kubeconfig: Path) -> list[tuple[str, str]]:
    done = subprocess.run(
        ["kubectl", "get", "pods", "-A", "-o", "json"],
        env=plugin_env(kubeconfig),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return sorted(
        (p["metadata"]["namespace"], p["metadata"]["name"]) for p in json.loads(done.stdout)["items"]
    )


@pytest.fixture(scope="module")
def cert_admin(world: World) -> dict:
    """A system:masters client certificate (files), as `kubectl config set-credentials` writes it."""
    path = world.cp.cert_kubeconfig("cert-admin", "cert-admin", ("system:masters",))
    return yaml.safe_load(path.read_text())


def _write(tmp_path: Path, name: str, doc: dict) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc))
    path.chmod(0o600)
    return path


def _plugin(tmp_path: Path, status: dict) -> dict:
    script = tmp_path / "plugin.py"
    answer = {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": status}
    script.write_text(f"import json\nprint(json.dumps({answer!r}))\n")
    return {
        "apiVersion": "client.authentication.k8s.io/v1",
        "command": sys.executable,
        "args": [str(script)],
        "interactiveMode": "Never",
    }


def test_client_certificates_in_files_and_inline_see_what_kubectl_sees(world, cert_admin, tmp_path):
    expected = _pods(mem(world.real_kubeconfig(), "top", "-A", "-o", "json"))
    files = _write(tmp_path, "files.yaml", cert_admin)
    inline = json.loads(json.dumps(cert_admin))
    user = inline["users"][0]["user"]
    for key in ("client-certificate", "client-key"):
        user[f"{key}-data"] = base64.b64encode(Path(user.pop(key)).read_bytes()).decode()
    cluster = inline["clusters"][0]["cluster"]  # and the CA as a file, the other way round
    (tmp_path / "ca.crt").write_bytes(base64.b64decode(cluster.pop("certificate-authority-data")))
    cluster["certificate-authority"] = "ca.crt"  # relative to the kubeconfig, as kubectl reads it
    inline_path = _write(tmp_path, "inline.yaml", inline)
    for kc in (files, inline_path):
        assert _kubectl_pods(kc) == expected
        assert _pods(mem(kc, "top", "-A", "-o", "json")) == expected


def test_credential_plugins_giving_a_token_or_a_client_certificate(world, cert_admin, tmp_path):
    expected = _pods(mem(world.real_kubeconfig(), "top", "-A", "-o", "json"))
    token_dir, cert_dir = tmp_path / "token", tmp_path / "cert"
    token_dir.mkdir()
    cert_dir.mkdir()
    by_token = json.loads(json.dumps(cert_admin))
    by_token["users"][0]["user"] = {"exec": _plugin(token_dir, {"token": world.cp.tokens["admin"]})}
    user = cert_admin["users"][0]["user"]
    status = {
        "clientCertificateData": Path(user["client-certificate"]).read_text(),
        "clientKeyData": Path(user["client-key"]).read_text(),
    }
    by_cert = json.loads(json.dumps(cert_admin))
    by_cert["users"][0]["user"] = {"exec": _plugin(cert_dir, status)}
    for kc in (_write(token_dir, "kc.yaml", by_token), _write(cert_dir, "kc.yaml", by_cert)):
        assert _kubectl_pods(kc) == expected
        assert _pods(mem(kc, "top", "-A", "-o", "json")) == expected


def test_tls_server_name_is_the_name_checked(world, tmp_path):
    doc = yaml.safe_load(world.real_kubeconfig().read_text())
    cluster = doc["clusters"][0]["cluster"]
    cluster["tls-server-name"] = "kubernetes.default"  # a name in the serving certificate
    good = _write(tmp_path, "good.yaml", doc)
    assert _pods(mem(good, "top", "-A", "-o", "json"))
    cluster["tls-server-name"] = "not-the-apiserver.example"
    bad = mem(_write(tmp_path, "bad.yaml", doc), "top", "-A", "-o", "json")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("error: TLS error talking to the API server at https://127.0.0.1:"), (
        bad.stderr
    )

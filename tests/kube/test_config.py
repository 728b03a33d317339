"""Cluster access configuration, with real kubeconfig files (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubectl_mem.errors import ConfigError, NotFoundError
from kubectl_mem.kube.config import connect, parse_timeout


def kubeconfig(path: Path, *, current: str | None, contexts: dict[str, tuple[str, str | None]]) -> Path:
    """contexts: name -> (server, namespace)."""
    doc: dict = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": f"c-{n}", "cluster": {"server": s}} for n, (s, _) in contexts.items()],
        "users": [{"name": f"u-{n}", "user": {"token": f"token-{n}"}} for n in contexts],
        "contexts": [
            {
                "name": n,
                "context": {"cluster": f"c-{n}", "user": f"u-{n}", **({"namespace": ns} if ns else {})},
            }
            for n, (_, ns) in contexts.items()
        ],
    }
    if current is not None:
        doc["current-context"] = current
    path.write_text(yaml.safe_dump(doc))
    return path


def test_first_kubeconfig_file_that_sets_current_context_wins(tmp_path, monkeypatch):
    a = kubeconfig(tmp_path / "a", current="alpha", contexts={"alpha": ("http://127.0.0.1:1", "team-a")})
    b = kubeconfig(tmp_path / "b", current="beta", contexts={"beta": ("http://127.0.0.1:2", None)})
    monkeypatch.setenv("KUBECONFIG", f"{a}:{b}")
    conn = connect()
    assert (conn.context, conn.server, conn.namespace) == ("alpha", "http://127.0.0.1:1", "team-a")


def test_context_from_a_later_file_and_default_namespace(tmp_path, monkeypatch):
    a = kubeconfig(tmp_path / "a", current=None, contexts={"alpha": ("http://127.0.0.1:1", "team-a")})
    b = kubeconfig(tmp_path / "b", current="beta", contexts={"beta": ("http://127.0.0.1:2", None)})
    monkeypatch.setenv("KUBECONFIG", f"{a}:{b}")
    conn = connect()
    assert (conn.context, conn.namespace) == ("beta", "default")
    assert connect(namespace="ops").namespace == "ops"
    assert connect(context="alpha").server == "http://127.0.0.1:1"


def test_explicit_kubeconfig_wins_over_env(tmp_path, monkeypatch):
    a = kubeconfig(tmp_path / "a", current="alpha", contexts={"alpha": ("http://127.0.0.1:1", None)})
    b = kubeconfig(tmp_path / "b", current="beta", contexts={"beta": ("http://127.0.0.1:2", None)})
    monkeypatch.setenv("KUBECONFIG", str(a))
    assert connect(kubeconfig=str(b)).context == "beta"


def test_unknown_context_is_not_found(tmp_path, monkeypatch):
    a = kubeconfig(tmp_path / "a", current="alpha", contexts={"alpha": ("http://127.0.0.1:1", None)})
    monkeypatch.setenv("KUBECONFIG", str(a))
    with pytest.raises(NotFoundError, match='context "nope" does not exist'):
        connect(context="nope")


def test_no_kubeconfig_and_not_in_cluster(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ConfigError, match="no kubeconfig found .* not running in a cluster"):
        connect()


def test_missing_explicit_kubeconfig(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        connect(kubeconfig=str(tmp_path / "nope"))


def test_garbage_kubeconfig(tmp_path):
    p = tmp_path / "bad"
    p.write_text("{{{ not yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        connect(kubeconfig=str(p))


def test_in_cluster_config(tmp_path, monkeypatch):
    """The client's in-cluster loader reads the service account files; point it at fakes of them."""
    from kubernetes.config import incluster_config

    token, ca = tmp_path / "token", tmp_path / "ca.crt"
    token.write_text("sa-token")
    ca.write_text("not checked until a request is made")
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(ca))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    conn = connect(namespace="apps")
    assert (conn.context, conn.server, conn.namespace) == ("in-cluster", "https://10.0.0.1:443", "apps")


@pytest.mark.parametrize(
    ("value", "seconds"), [(None, None), ("0", None), ("5", 5.0), ("5s", 5.0), ("1m", 60.0), ("250ms", 0.25)]
)
def test_request_timeout(value, seconds):
    assert parse_timeout(value) == seconds


def test_bad_request_timeout():
    with pytest.raises(ConfigError, match="invalid --request-timeout"):
        parse_timeout("soon")

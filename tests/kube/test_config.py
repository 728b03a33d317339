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
    """The service account's files (token, CA, namespace) as a pod has them, with the service env."""
    from kubectl_mem.kube import config

    (tmp_path / "token").write_text("sa-token\n")
    (tmp_path / "namespace").write_text("from-the-pod")
    monkeypatch.setattr(config, "SERVICE_ACCOUNT_DIR", str(tmp_path))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    conn = connect(namespace="apps")
    assert (conn.context, conn.server, conn.namespace) == ("in-cluster", "https://10.0.0.1:443", "apps")
    assert conn.headers({})["Authorization"] == "Bearer sa-token"
    assert connect().namespace == "from-the-pod"
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "fd00::1")
    assert connect().server == "https://[fd00::1]:443"


@pytest.mark.parametrize(
    ("value", "seconds"), [(None, None), ("0", None), ("5", 5.0), ("5s", 5.0), ("1m", 60.0), ("250ms", 0.25)]
)
def test_request_timeout(value, seconds):
    assert parse_timeout(value) == seconds


def test_bad_request_timeout():
    with pytest.raises(ConfigError, match="invalid --request-timeout"):
        parse_timeout("soon")


def one_context(path: Path, cluster: dict, user: dict) -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "c",
        "clusters": [{"name": "c", "cluster": cluster}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
    }
    path.write_text(yaml.safe_dump(doc))
    return path


def test_token_file_relative_to_its_kubeconfig_and_read_again_when_rotated(tmp_path, monkeypatch):
    from kubectl_mem.kube import credentials

    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "token").write_text("first\n")
    kc = one_context(tmp_path / "cfg" / "config", {"server": "http://127.0.0.1:1"}, {"tokenFile": "token"})
    monkeypatch.chdir(tmp_path)
    conn = connect(kubeconfig=str(kc))
    assert conn.headers({})["Authorization"] == "Bearer first"
    (tmp_path / "cfg" / "token").write_text("second\n")
    assert conn.headers({})["Authorization"] == "Bearer first"  # kept for a minute, as client-go
    monkeypatch.setattr(credentials, "TOKEN_FILE_RELOAD", 0.0)
    assert conn.headers({})["Authorization"] == "Bearer second"


def test_basic_auth_and_no_credentials(tmp_path):
    kc = one_context(tmp_path / "a", {"server": "http://127.0.0.1:1"}, {"username": "u", "password": "p"})
    assert connect(kubeconfig=str(kc)).headers({})["Authorization"] == "Basic dTpw"
    kc = one_context(tmp_path / "b", {"server": "http://127.0.0.1:1"}, {})
    assert "Authorization" not in connect(kubeconfig=str(kc)).headers({})


def exec_plugin(tmp_path: Path, status: dict, api: str = "client.authentication.k8s.io/v1") -> Path:
    """A credential plugin: records what kubectl-mem told it (KUBERNETES_EXEC_INFO, its env) and
    prints an ExecCredential."""
    script = tmp_path / "plugin.py"
    answer = {"apiVersion": api, "kind": "ExecCredential", "status": status}
    script.write_text(
        "import json, os, sys\n"
        f"log = open({str(tmp_path / 'calls')!r}, 'a')\n"
        "log.write(json.dumps({'info': json.loads(os.environ['KUBERNETES_EXEC_INFO']),"
        " 'extra': os.environ.get('EXTRA'), 'args': sys.argv[1:]}) + '\\n')\n"
        f"print(json.dumps({answer!r}))\n"
    )
    return script


def test_exec_plugin_token_with_cluster_info_and_renewal_after_expiry(tmp_path):
    import json
    import sys

    plugin = exec_plugin(tmp_path, {"token": "from-plugin", "expirationTimestamp": "2000-01-01T00:00:00Z"})
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": sys.executable,
            "args": [str(plugin), "--region", "x"],
            "env": [{"name": "EXTRA", "value": "yes"}],
            "interactiveMode": "Never",
            "provideClusterInfo": True,
        }
    }
    kc = one_context(tmp_path / "kc", {"server": "https://127.0.0.1:1", "tls-server-name": "api"}, user)
    conn = connect(kubeconfig=str(kc))
    assert conn.headers({})["Authorization"] == "Bearer from-plugin"
    calls = [json.loads(line) for line in (tmp_path / "calls").read_text().splitlines()]
    assert len(calls) == 2  # the answer had already expired: asked again for the request
    first = calls[0]
    assert first["args"] == ["--region", "x"] and first["extra"] == "yes"
    assert first["info"]["kind"] == "ExecCredential"
    assert first["info"]["spec"] == {
        "interactive": False,
        "cluster": {"server": "https://127.0.0.1:1", "tlsServerName": "api"},
    }


def test_exec_plugin_that_is_missing_or_fails_is_one_clear_error(tmp_path):
    import sys

    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "no-such-plugin-x"}}
    user["exec"]["installHint"] = "install no-such-plugin-x from example.com"
    kc = one_context(tmp_path / "a", {"server": "https://127.0.0.1:1"}, user)
    with pytest.raises(ConfigError, match="executable no-such-plugin-x not found; install no-such-plugin-x"):
        connect(kubeconfig=str(kc))
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": sys.executable}}
    user["exec"]["args"] = ["-c", "raise SystemExit(4)"]
    kc = one_context(tmp_path / "b", {"server": "https://127.0.0.1:1"}, user)
    with pytest.raises(ConfigError, match="exited with status 4"):
        connect(kubeconfig=str(kc))


@pytest.mark.parametrize(
    ("env", "server", "proxy"),
    [
        ({"HTTPS_PROXY": "http://proxy:3128"}, "https://api.example.com", "http://proxy:3128"),
        ({"https_proxy": "http://p:1", "NO_PROXY": "example.com"}, "https://api.example.com", None),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "10.0.0.0/8"}, "https://10.1.2.3:6443", None),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"}, "https://api.example.com", None),
        ({"HTTP_PROXY": "http://p:1"}, "https://api.example.com", None),
        ({"ALL_PROXY": "socks5://p:1"}, "https://api.example.com", "socks5://p:1"),
    ],
)
def test_proxy_from_the_environment_as_kubectl_reads_it(tmp_path, monkeypatch, env, server, proxy):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    kc = one_context(tmp_path / "kc", {"server": server}, {"token": "t"})
    assert connect(kubeconfig=str(kc)).proxy == proxy
    kc = one_context(tmp_path / "kc2", {"server": server, "proxy-url": "http://own:8080"}, {"token": "t"})
    assert connect(kubeconfig=str(kc)).proxy == "http://own:8080"


def test_missing_certificate_file_is_a_config_error(tmp_path):
    kc = one_context(
        tmp_path / "kc", {"server": "https://127.0.0.1:1", "certificate-authority": "ca.crt"}, {}
    )
    with pytest.raises(ConfigError, match=r'context "c": .*ca\.crt does not exist'):
        connect(kubeconfig=str(kc))


def test_a_legacy_auth_provider_is_left_to_the_kubernetes_client(tmp_path):
    """oidc/gcp/azure auth-providers (token refresh through the identity provider) are the one case
    still loaded by the `kubernetes` client; its token reaches our requests the same way."""
    import base64
    import json

    def part(d: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

    id_token = f"{part({'alg': 'none'})}.{part({'exp': 4102444800, 'iss': 'https://issuer.example'})}.sig"
    provider = {
        "name": "oidc",
        "config": {"client-id": "x", "idp-issuer-url": "https://issuer.example", "id-token": id_token},
    }
    kc = one_context(tmp_path / "kc", {"server": "https://127.0.0.1:1"}, {"auth-provider": provider})
    conn = connect(kubeconfig=str(kc))
    assert conn.server == "https://127.0.0.1:1"
    assert conn.headers({})["Authorization"] == f"Bearer {id_token}"

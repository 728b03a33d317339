"""kubectl_complete-mem: cobra's __complete protocol, against a small fake API server, and through the
real kubectl (1.26+ runs `kubectl_complete-mem` from PATH with the words after `mem`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kubectl_mem.cli import completion

BIN = Path(sys.executable).parent  # the environment's bin/: kubectl-mem, kubectl_complete-mem
PODS = {"team-a": ["api-7d9f", "api-8e1a", "worker-0"], "team-b": ["batch-1"]}
NODES = ["node-1", "node-2"]


class FakeApi(BaseHTTPRequestHandler):
    requests: list[tuple[str, str]] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        path = self.path.split("?")[0]
        FakeApi.requests.append((self.path, self.headers.get("Accept", "")))
        if self.headers.get("Authorization") != "Bearer t0ken":
            return self._send(401, {"kind": "Status", "code": 401, "message": "Unauthorized"})
        parts = path.strip("/").split("/")
        if path == "/api/v1/namespaces":
            names = list(PODS)
        elif path == "/api/v1/nodes":
            names = NODES
        elif path == "/api/v1/pods":
            names = [p for ps in PODS.values() for p in ps]
        elif len(parts) == 5 and parts[2] == "namespaces" and parts[4] == "pods":
            names = PODS.get(parts[3], [])
        else:
            return self._send(404, {"kind": "Status", "code": 404, "message": "not found"})
        kind = (
            "PartialObjectMetadataList"
            if "as=PartialObjectMetadataList" in self.headers["Accept"]
            else "List"
        )
        items = [{"metadata": {"name": n, "uid": "u"}} for n in names]
        return self._send(200, {"kind": kind, "apiVersion": "v1", "metadata": {}, "items": items})

    def _send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def kubeconfig(path: Path, server: str, contexts: dict[str, str], current: str) -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": "t0ken"}}],
        "contexts": [
            {"name": name, "context": {"cluster": "c", "user": "u", **({"namespace": ns} if ns else {})}}
            for name, ns in contexts.items()
        ],
        "current-context": current,
    }
    path.write_text(json.dumps(doc))  # JSON is YAML
    return path


@pytest.fixture
def env(api, tmp_path):
    first = kubeconfig(tmp_path / "a.yaml", api, {"ctx-a": "team-a", "ctx-b": ""}, "ctx-a")
    second = kubeconfig(tmp_path / "b.yaml", api, {"ctx-b": "team-b", "prod-eu": "team-b"}, "prod-eu")
    return {"KUBECONFIG": f"{first}{os.pathsep}{second}", "HOME": str(tmp_path)}


def run(words: list[str], env: dict[str, str], capsys) -> tuple[list[str], int]:
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        assert completion.main(words) == 0
    finally:
        os.environ.clear()
        os.environ.update(old)
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith(":"), out
    return out[:-1], int(out[-1][1:])


def values(lines: list[str]) -> list[str]:
    return [line.split("\t")[0] for line in lines]


def test_subcommands_with_descriptions(env, capsys):
    lines, directive = run([""], env, capsys)
    assert {"top", "nodes", "explain", "version"} <= set(values(lines))
    assert all("\t" in line for line in lines)  # cobra: value<TAB>description
    assert directive == completion.NO_FILE_COMP
    assert values(run(["ve"], env, capsys)[0]) == ["version"]


def test_flags_of_the_subcommand(env, capsys):
    long_only = values(run(["top", "--"], env, capsys)[0])
    assert {"--namespace", "--context", "--kubeconfig", "--output", "--all-namespaces", "--selector"} <= set(
        long_only
    )
    assert not [f for f in long_only if not f.startswith("--")]
    with_short = values(run(["top", "-"], env, capsys)[0])
    assert {"-n", "-o", "-A", "-l", "--namespace"} <= set(with_short)
    assert values(run(["top", "--no"], env, capsys)[0]) == ["--no-headers", "--node"]
    assert "--all-namespaces" not in values(run(["nodes", "--"], env, capsys)[0])


def test_flag_values_from_choices_and_sorts(env, capsys):
    assert values(run(["top", "-o", ""], env, capsys)[0]) == ["table", "wide", "json", "yaml"]
    assert values(run(["top", "--output=j"], env, capsys)[0]) == ["json"]  # cobra: no "--output=" prefix
    assert values(run(["explain", "-o", ""], env, capsys)[0]) == ["text", "markdown", "json"]
    sorts = values(run(["top", "--sort-by", ""], env, capsys)[0])
    assert "risk" in sorts and "memory" in sorts
    sorts = values(run(["workloads", "--sort-by", ""], env, capsys)[0])
    assert {"idle", "saving", "requested"} <= set(sorts) and "risk" not in sorts
    assert values(run(["workloads", "--by", ""], env, capsys)[0]) == ["workload", "namespace"]


def test_kubeconfig_flag_completes_files(env, capsys):
    assert run(["top", "--kubeconfig", ""], env, capsys) == ([], completion.DEFAULT)


def test_contexts_from_every_kubeconfig_file_without_api_calls(env, capsys):
    FakeApi.requests.clear()
    lines, directive = run(["top", "--context", ""], env, capsys)
    assert lines == ["ctx-a", "ctx-b", "prod-eu"]
    assert directive == completion.NO_FILE_COMP
    assert run(["top", "--context=pr"], env, capsys)[0] == ["prod-eu"]
    assert FakeApi.requests == []


def test_namespaces(env, capsys):
    FakeApi.requests.clear()
    assert run(["top", "-n", ""], env, capsys)[0] == ["team-a", "team-b"]
    assert run(["nodes", "--namespace=team-"], env, capsys)[0] == ["team-a", "team-b"]
    path, accept = FakeApi.requests[0]
    assert path.startswith("/api/v1/namespaces?") and "limit=" in path
    assert "as=PartialObjectMetadataList" in accept  # names only, not whole objects


def test_pod_names_in_the_right_namespace(env, capsys):
    assert run(["explain", ""], env, capsys)[0] == ["api-7d9f", "api-8e1a", "worker-0"]  # ctx-a: team-a
    assert run(["explain", "a"], env, capsys)[0] == ["api-7d9f", "api-8e1a"]
    assert run(["explain", "-n", "team-b", ""], env, capsys)[0] == ["batch-1"]
    assert run(["explain", "--context", "prod-eu", ""], env, capsys)[0] == ["batch-1"]
    assert run(["explain", "pod/w"], env, capsys)[0] == ["pod/worker-0"]
    assert run(["explain", "api-7d9f", ""], env, capsys)[0] == []  # one pod only


def test_node_names(env, capsys):
    assert run(["nodes", ""], env, capsys)[0] == ["node-1", "node-2"]
    assert run(["top", "--node", "node-2"], env, capsys)[0] == ["node-2"]


@pytest.mark.parametrize(
    "words, environ",
    [
        (["top", "-n", ""], {"KUBECONFIG": "/nonexistent/config"}),
        (["explain", ""], {"KUBECONFIG": "{bad}"}),
    ],
)
def test_errors_print_only_the_error_directive(words, environ, tmp_path, capsys):
    environ = {**environ, "HOME": str(tmp_path)}
    if environ["KUBECONFIG"] == "{bad}":
        (tmp_path / "bad").write_text("contexts: [unclosed")
        environ["KUBECONFIG"] = str(tmp_path / "bad")
    assert run(words, environ, capsys) == ([], completion.ERROR)


def test_unreachable_server_is_an_error_not_a_hang(tmp_path, capsys):
    cfg = kubeconfig(tmp_path / "c", "http://127.0.0.1:9", {"x": "default"}, "x")  # discard port: refused
    assert run(["top", "-n", ""], {"KUBECONFIG": str(cfg), "HOME": str(tmp_path)}, capsys) == ([], 1)


def test_static_completions_do_not_import_the_kubernetes_client():
    code = (
        "import sys; from kubectl_mem.cli import completion; "
        "completion.main(['top', '--']); completion.main(['top', '-o', '']); completion.main(['']); "
        "sys.stdout.flush(); "
        "bad = [m for m in ('kubernetes', 'textual', 'msgspec', 'urllib3') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


# --- through the real kubectl -------------------------------------------------------------------


def kubectl_complete(words: list[str], env: dict[str, str], path: str) -> tuple[list[str], int]:
    out = subprocess.run(
        ["kubectl", "__complete", "mem", *words],
        env={**env, "PATH": path},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    assert out[-1].startswith(":"), out
    return out[:-1], int(out[-1][1:])


@pytest.fixture
def plugin_path(tmp_path):
    """A PATH with only kubectl-mem and kubectl_complete-mem of this environment, and the system."""
    d = tmp_path / "plugins"
    d.mkdir()
    for name in ("kubectl-mem", "kubectl_complete-mem"):
        assert (BIN / name).exists(), f"{name}: run `pip install -e .` (the entry points)"
        (d / name).symlink_to(BIN / name)
    return f"{d}{os.pathsep}/usr/bin{os.pathsep}/bin"


def test_through_kubectl(env, plugin_path):
    lines, directive = kubectl_complete([""], env, plugin_path)
    assert {"top", "nodes", "version"} <= set(values(lines)) and directive == 4
    assert kubectl_complete(["top", "-n", ""], env, plugin_path) == (["team-a", "team-b"], 4)
    assert kubectl_complete(["top", "--context", "ctx-"], env, plugin_path) == (["ctx-a", "ctx-b"], 4)
    assert kubectl_complete(["explain", "-n", "team-b", ""], env, plugin_path) == (["batch-1"], 4)


def test_kubectl_lists_the_plugin_itself(env, plugin_path):
    lines = subprocess.run(
        ["kubectl", "__complete", "me"], env={**env, "PATH": plugin_path}, capture_output=True, text=True
    ).stdout.splitlines()
    assert any(line.split("\t")[0] == "mem" for line in lines)

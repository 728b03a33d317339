"""`top` over each wire: protobuf or JSON, streaming lists or paginated LISTs, the same document."""

from __future__ import annotations

import io
import json

import pytest

from kubectl_mem.cli.env import Env
from kubectl_mem.cli.run import main
from kubectl_mem.kube import pb
from kubectl_mem.kube.protocol import DEFAULT_STREAMING


def run(argv: list[str], kubeconfig, monkeypatch, streaming: str | None = None) -> tuple[int, str, str]:
    if streaming is None:
        monkeypatch.delenv("KUBE_FEATURE_WatchListClient", raising=False)
    else:
        monkeypatch.setenv("KUBE_FEATURE_WatchListClient", streaming)
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--kubeconfig", str(kubeconfig)], Env(stdout=out, stderr=err, stdout_isatty=False))
    return code, out.getvalue(), err.getvalue()


def _doc(out: str) -> dict:
    doc = json.loads(out)
    doc.pop("metadata", None)  # when it was taken
    return doc


def test_every_wire_gives_the_same_document(sim, monkeypatch):
    docs = {}
    for protocol in ("json", "protobuf"):
        for streaming in ("true", "false"):
            sim.clear_requests()
            code, out, err = run(
                ["top", "-A", "-o", "json", "--protocol", protocol], sim.kubeconfig, monkeypatch, streaming
            )
            assert code == 0, err
            docs[protocol, streaming] = _doc(out)
            pods = [r for r in sim.requests if r.path == "/api/v1/pods"]
            assert [r.query.get("watch") == "1" for r in pods] == [streaming == "true"] * len(pods)
            wants_pb = [pb.CONTENT_TYPE in r.headers["accept"] for r in pods]
            assert wants_pb == [protocol == "protobuf"] * len(pods)
            metrics = [r for r in sim.requests if r.path.startswith("/apis/metrics.k8s.io")]
            assert metrics and all(r.headers["accept"] == "application/json" for r in metrics)
    first = docs["json", "false"]
    assert first["items"] and all(d == first for d in docs.values())


def test_the_default_wire(sim, monkeypatch):
    code, _, err = run(["top", "-A", "-o", "json"], sim.kubeconfig, monkeypatch)
    assert code == 0, err
    pods = [r for r in sim.requests if r.path == "/api/v1/pods"]
    assert pods and all(pb.CONTENT_TYPE in r.headers["accept"] for r in pods)  # protobuf, as kubectl
    streamed = [r.query.get("sendInitialEvents") == "true" for r in pods]
    assert streamed == [DEFAULT_STREAMING] * len(pods)


def test_a_server_without_streaming_lists_still_answers(sim, monkeypatch):
    sim.faults.watch_list = False
    sim.faults.protobuf = False
    code, out, err = run(["top", "-A", "-o", "json"], sim.kubeconfig, monkeypatch)
    assert code == 0 and err == ""
    assert len(json.loads(out)["items"]) == len(sim.cluster.list("pods"))


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_bad_watch_list_setting_is_a_usage_error(sim, monkeypatch, value):
    code, out, err = run(["top", "-A", "-o", "json"], sim.kubeconfig, monkeypatch, value)
    assert code == 2 and out == ""
    assert err.startswith("error: KUBE_FEATURE_WatchListClient=") and err.count("\n") == 1


def test_an_unknown_protocol_is_a_usage_error(sim, monkeypatch):
    code, _, err = run(["top", "-A", "--protocol", "yaml"], sim.kubeconfig, monkeypatch)
    assert code == 2 and "--protocol" in err


def test_explain_tells_the_same_over_each_wire(sim, monkeypatch):
    pod = next(p for p in sim.cluster.list("pods") if p["status"].get("containerStatuses"))["metadata"]
    outs = {}
    for protocol in ("json", "protobuf"):
        sim.clear_requests()
        argv = ["explain", "-n", pod["namespace"], pod["name"], "-o", "json", "--protocol", protocol]
        code, out, err = run(argv, sim.kubeconfig, monkeypatch)
        assert code in (0, 3), err
        doc = json.loads(out)
        doc.pop("metadata", None)
        outs[protocol] = doc
        events = [r for r in sim.requests if r.path.endswith("/events")]
        assert events and all(
            (pb.CONTENT_TYPE in r.headers["accept"]) == (protocol == "protobuf") for r in events
        )
    assert outs["json"] == outs["protobuf"]

"""Fidelity of the simulated cluster: every request the plugin makes, asked of the real apiserver and of the
simulated cluster holding the same objects, gets an answer of the same shape.

The requests are not listed here by hand: the plugin's commands run against the simulated cluster, and
what it asked (path, query, Accept) is replayed to both servers. Compared: status code, Content-Type,
whether the body is gzipped, the list's kind/apiVersion and metadata keys, the items' names in order, the
items' keys and JSON types, and for errors the Status (message, reason, code; details' keys). Protobuf
bodies are compared as the plugin's decoders read them; watch and streaming-list framing is the wire
tier's (test_apiserver_wire.py).

Differences that exist and do not matter (the plugin never reads them) are listed in IGNORED with why.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from apiworld import World, mem, oom_killed_pod
from compare import differences, shape

from kubectl_mem.kube import decode, decode_pb, pb

pytestmark = pytest.mark.apiserver

PROTOBUF_FIRST = "application/vnd.kubernetes.protobuf,application/json"

# (path prefix in the shape, why the difference does not matter)
IGNORED: dict[str, str] = {
    ".metadata.managedFields": "the real server writes managedFields on every object it stores; the "
    "simulated pods carry a kubelet/controller-manager history instead; the plugin never reads them "
    "(protobuf and JSON decoders skip them)",
    ".metadata.generation": "pods and PriorityClasses get metadata.generation on a 1.36 server; unread",
    ".status.observedGeneration": "1.36 servers fill status.observedGeneration on pod status writes; unread",
}


def _ignored(path: str) -> bool:
    return any(path == p or path.startswith(p + ".") or path.startswith(p + "[") for p in IGNORED)


def _body(headers: dict[str, str], body: bytes) -> bytes:
    return gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body


def _items_shape(items: list[dict[str, Any]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for item in items:
        shape(item, "", out)
    return {(p, t) for p, t in out if not _ignored(p)}


def _names(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(i["metadata"].get("namespace", ""), i["metadata"]["name"]) for i in items]


def _decoded(path: str, body: bytes) -> list[tuple[str, str]]:
    """(namespace, name) of a protobuf list's items, as the plugin's decoders read them."""
    if path.startswith("/api/v1/nodes/"):
        return [("", decode_pb.one_node(body).name)]
    if "/pods/" in path:
        pod = decode_pb.one_pod(body)
        return [(pod.namespace, pod.name)]
    if "/pods" in path:
        return [(p.namespace, p.name) for p in decode_pb.pods_page(body)[0]]
    if path.endswith("/nodes"):
        return [("", n.name) for n in decode_pb.nodes_page(body)[0]]
    if path.endswith("/events"):
        kind, _ = pb.unwrap(body)
        return [("", kind)]
    raise AssertionError(f"no protobuf decoder for {path}")


@pytest.fixture
def plugin_requests(metrics_api: World) -> Iterator[list[tuple[str, str, str]]]:
    """(path, query, accept) of every GET the plugin's commands sent, in order, without repeats."""
    world = metrics_api
    pod = oom_killed_pod(world.cluster)
    ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    world.sim.clear_requests()
    for protocol in ("protobuf", "json"):
        for args in (
            ("top", "-A", "-o", "json"),
            ("top", "-n", "team-search", "-l", "app", "-o", "json"),
            ("top", "-A", "--field-selector", "status.phase=Running", "-o", "json"),
            ("nodes", "-o", "json"),
            ("nodes", "node-2", "-o", "json"),
            ("explain", f"pod/{name}", "-n", ns, "-o", "json"),
        ):
            r = mem(world.sim_kubeconfig(), *args, "--protocol", protocol)
            assert r.returncode == 0, r.stderr
    seen: list[tuple[str, str, str]] = []
    for rec in world.sim.requests:
        key = (rec.path, rec.raw_query, rec.headers.get("accept", ""))
        # first pages only (a continue token is the server's own), no watches (test_apiserver_wire.py)
        if (
            rec.method == "GET"
            and "watch" not in rec.query
            and "continue" not in rec.query
            and key not in seen
        ):
            seen.append(key)
    assert len(seen) >= 10
    yield seen


def _ask(world: World, path: str, query: str, accept: str) -> tuple[Any, Any]:
    target = f"{path}?{query}" if query else path
    headers = {"Accept": accept, "Accept-Encoding": "gzip"}
    return world.real_request(target, headers), world.sim_request(target, headers)


def test_every_plugin_request_gets_the_same_shape(metrics_api: World, plugin_requests) -> None:
    problems: list[str] = []
    for path, query, accept in plugin_requests:
        (rs, rh, rb), (ss, sh, sb) = _ask(metrics_api, path, query, accept)
        where = f"GET {path}?{query} [{accept}]"
        if rs != ss:
            problems.append(f"{where}: status real {rs} sim {ss}")
            continue
        rtype, stype = rh.get("content-type", ""), sh.get("content-type", "")
        if rtype != stype:
            problems.append(f"{where}: content-type real {rtype!r} sim {stype!r}")
            continue
        if ("gzip" in rh.get("content-encoding", "")) != ("gzip" in sh.get("content-encoding", "")):
            problems.append(
                f"{where}: gzip real {rh.get('content-encoding')} sim {sh.get('content-encoding')}"
            )
        rb, sb = _body(rh, rb), _body(sh, sb)
        if rtype.startswith(pb.CONTENT_TYPE):
            if _decoded(path, rb) != _decoded(path, sb):
                problems.append(f"{where}: protobuf items differ")
            continue
        real, sim = json.loads(rb), json.loads(sb)
        for key in ("kind", "apiVersion"):
            if real.get(key) != sim.get(key):
                problems.append(f"{where}: {key} real {real.get(key)} sim {sim.get(key)}")
        if "items" not in real:
            rshape = {x for x in shape(real) if not _ignored(x[0])}
            sshape = {x for x in shape(sim) if not _ignored(x[0])}
        else:
            if sorted(real["metadata"]) != sorted(sim["metadata"]):
                problems.append(f"{where}: list metadata real {real['metadata']} sim {sim['metadata']}")
            if _names(real["items"]) != _names(sim["items"]):
                problems.append(
                    f"{where}: items real {_names(real['items'])[:5]} sim {_names(sim['items'])[:5]}"
                )
            rshape, sshape = _items_shape(real["items"]), _items_shape(sim["items"])
        for p, t in sorted(sshape - rshape):
            problems.append(f"{where}: only the sim has {p} ({t})")
        for p, t in sorted(rshape - sshape):
            problems.append(f"{where}: only the real server has {p} ({t})")
    assert not problems, "\n".join(problems[:60])


ERRORS = [
    ("nobody", "/api/v1/pods"),
    ("nobody", "/api/v1/namespaces/team-search/pods/x"),
    ("limited", "/api/v1/nodes"),
    ("limited", "/apis/scheduling.k8s.io/v1/priorityclasses"),
    ("admin", "/api/v1/namespaces/team-search/pods/nope"),
    ("admin", "/api/v1/nodes/nope"),
    ("admin", "/api/v1/pods?labelSelector=a%3D%3D%3Db"),
    ("admin", "/api/v1/pods?fieldSelector=spec.nope%3Dx"),
    ("admin", "/api/v1/things"),
    ("admin", "/apis/nope.example.com/v1/things"),
    ("bad-token", "/api/v1/pods"),
]


@pytest.mark.parametrize("accept", ["application/json", PROTOBUF_FIRST])
def test_error_statuses_are_the_real_servers(metrics_api: World, accept: str) -> None:
    problems = []
    for user, target in ERRORS:
        headers = {"Accept": accept}
        (rs, rh, rb) = metrics_api.real_request(target, headers, user=user)
        (ss, sh, sb) = metrics_api.sim_request(target, headers, user=user)
        where = f"{user} GET {target} [{accept}]"
        if (rs, rh.get("content-type")) != (ss, sh.get("content-type")):
            problems.append(f"{where}: real {rs} {rh.get('content-type')} sim {ss} {sh.get('content-type')}")
            continue
        if rh.get("content-type", "").startswith("text/plain"):
            if rb != sb:
                problems.append(f"{where}: body real {rb!r} sim {sb!r}")
            continue
        real, sim = _status(rb), _status(sb)
        if real != sim:
            problems.append(f"{where}:\n  real {real}\n  sim  {sim}")
    assert not problems, "\n".join(problems)


def _status(body: bytes) -> dict[str, Any]:
    if body.startswith(pb.MAGIC):
        kind, raw = pb.unwrap(body)
        st = pb.parse(pb.Status, raw)
        return {"kind": kind, "message": st.message, "reason": st.reason, "code": st.code}
    doc = json.loads(body)
    out = {k: doc.get(k) for k in ("kind", "message", "reason", "code")}
    out["details"] = sorted(doc.get("details", {}) or {}) if "details" in doc else None
    return out


def test_a_single_object_has_kind_and_list_items_do_not(world: World) -> None:
    for get in (world.real_request, world.sim_request):
        status, _, body = get("/api/v1/nodes/node-1", {"Accept": "application/json"})
        assert status == 200 and json.loads(body)["kind"] == "Node"
        status, _, body = get("/api/v1/nodes", {"Accept": "application/json"})
        assert status == 200 and all("kind" not in n for n in json.loads(body)["items"])


def test_the_collector_pod_is_created_and_deleted_alike(world: World) -> None:
    """POST and DELETE of the collector pod: the server's answer has the same shape on both (the
    simulated node's kubelet held back: the real cluster has none)."""
    from kubectl_mem.kube.collector import collector_pod

    world.sim.podlife.not_ready.add("node-1")  # type: ignore[attr-defined]
    body = collector_pod("node-1", image="busybox:1.36", run_id="fidelity", script="true")
    path = "/api/v1/namespaces/default/pods"
    created = []
    try:
        for req in (world.real_request, world.sim_request):
            status, _, answer = req(path, {"Accept": "application/json"}, method="POST", body=body)
            assert status == 201
            created.append((req, json.loads(answer)))
        (_, rpod), (_, spod) = created
        rshape = {x for x in shape(rpod) if not _ignored(x[0])}
        sshape = {x for x in shape(spod) if not _ignored(x[0])}
        problems = [f"only the real server has {p} ({t})" for p, t in sorted(rshape - sshape)]
        problems += [f"only the sim has {p} ({t})" for p, t in sorted(sshape - rshape)]
        assert not problems, "\n".join(problems)
    finally:
        world.sim.podlife.not_ready.discard("node-1")  # type: ignore[attr-defined]
        for req, pod in created:
            target = f"{path}/{pod['metadata']['name']}?gracePeriodSeconds=0"
            status, _, deleted = req(target, {"Accept": "application/json"}, method="DELETE")
            assert status == 200 and json.loads(deleted)["kind"] == "Pod"
            assert req(target, {"Accept": "application/json"}, method="DELETE")[0] == 404


def test_records_decode_the_same_from_both(metrics_api: World) -> None:
    """The slim records the model gets, from the real server and from the simulated one."""
    for path in ("/api/v1/pods", "/api/v1/nodes"):
        decoded = []
        for get in (metrics_api.real_request, metrics_api.sim_request):
            status, headers, body = get(path, {"Accept": "application/json", "Accept-Encoding": "gzip"})
            assert status == 200
            page = decode.pods_page if path.endswith("pods") else decode.nodes_page
            records, _ = page(_body(headers, body))
            decoded.append([_without_uid(r) for r in records])
        assert not differences(decoded[0], decoded[1])


def _without_uid(record: Any) -> Any:
    """A record without what the real server made anew (UIDs, creation times) or adds since 1.35
    (a pod created bound gets its node's topology labels: PodTopologyLabels admission; the simulated
    cluster is a 1.32 one, and no view shows pod labels). Labels sorted: Go writes map keys sorted,
    the simulated cluster in the order it built them; JSON objects have no order to rely on."""
    d = msgspec.structs.asdict(record)
    d.pop("uid", None)
    d.pop("created", None)
    if "labels" in d:
        d["labels"] = sorted((k, v) for k, v in d["labels"] if not k.startswith("topology.kubernetes.io/"))
    return d

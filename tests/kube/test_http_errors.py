"""Error Status bodies in the media type the request put first: the apiserver answers a protobuf request's
errors in protobuf (kube-apiserver 1.36: 401, 403, 404, 400 and 410 alike), and the message shown must be
the server's either way."""

from __future__ import annotations

import pytest

from kubectl_mem.errors import ApiNotFoundError, ForbiddenError
from kubectl_mem.kube import codecs, pb
from kubectl_mem.kube.config import connect
from kubectl_mem.kube.http import Transport, status_error
from kubectl_mem.sim import Auth, Rule


@pytest.mark.parametrize("accept", [codecs.JSON, codecs.PROTOBUF_FIRST])
def test_not_found_and_forbidden_keep_the_servers_message(sim_factory, tmp_path, accept) -> None:
    auth = Auth({"t": ("alice", [Rule(verbs=("get",), resources=("pods",))])})
    srv = sim_factory(auth=auth)
    conn = connect(kubeconfig=str(srv.write_kubeconfig(tmp_path / "kc", token="t")))
    t = Transport(conn)
    with pytest.raises(ApiNotFoundError) as nf:
        t.get("/api/v1/namespaces/default/pods/nope", accept=accept)
    assert nf.value.message == 'pods "nope" not found'
    with pytest.raises(ForbiddenError) as fb:
        t.get("/api/v1/pods", accept=accept)
    assert fb.value.message == (
        'pods is forbidden: User "alice" cannot list resource "pods" in API group "" at the cluster scope'
    )
    conn.close()


def test_a_protobuf_status_as_kube_apiserver_sends_it() -> None:
    # k8s\0 + runtime.Unknown{Status}, as kube-apiserver 1.36 sends it (tests/apiserver asks a live one)
    st = pb.Status(
        status="Failure", message='pods is forbidden: User "x" cannot list', reason="Forbidden", code=403
    )
    body = pb.wrap("v1", "Status", st.SerializeToString())
    e = status_error(403, body, "/api/v1/pods")
    assert (e.message, e.reason) == ('pods is forbidden: User "x" cannot list', "Forbidden")
    assert status_error(403, pb.MAGIC + b"\xff\xff", "/api/v1/pods").message == "forbidden: GET /api/v1/pods"

"""Paginated lists against the simulated cluster: every page, the same query, 410 restarts."""

from __future__ import annotations

import pytest

from kubectl_mem.errors import GoneError, MalformedResponseError
from kubectl_mem.kube import decode
from kubectl_mem.kube.config import connect
from kubectl_mem.kube.http import Transport
from kubectl_mem.kube.lists import list_all


@pytest.fixture
def transport(sim):
    conn = connect(kubeconfig=str(sim.kubeconfig))
    yield Transport(conn, sleep=lambda s: None)
    conn.close()


def pod_pages(sim) -> list[dict]:
    return [r.query for r in sim.requests if r.path == "/api/v1/pods"]


def test_all_pages_with_gzip_and_the_same_query(sim, transport):
    everything = sim.cluster.list("pods")
    pods = list_all(transport, "/api/v1/pods", decode.pods_page, [("labelSelector", "")], limit=7)
    assert sorted(p.key for p in pods) == sorted(
        f"{o['metadata']['namespace']}/{o['metadata']['name']}" for o in everything
    )
    queries = pod_pages(sim)
    assert len(queries) == -(-len(everything) // 7)
    assert all(q.get("limit") == "7" for q in queries)
    assert "continue" not in queries[0] and all("continue" in q for q in queries[1:])
    assert all(r.headers.get("accept-encoding", "").startswith("gzip") for r in sim.requests)


def test_expired_continue_token_restarts_the_list_once(sim, transport):
    sim.faults.expire_continue(1)
    pods = list_all(transport, "/api/v1/pods", decode.pods_page, limit=7)
    assert len(pods) == len(sim.cluster.list("pods"))  # no duplicates from the first attempt
    statuses = [r.status for r in sim.requests if r.path == "/api/v1/pods"]
    assert statuses.count(410) == 1 and statuses[0] == 200


def test_expiring_twice_fails_clearly(sim, transport):
    sim.faults.expire_continue(2)
    with pytest.raises(GoneError, match="expired twice while paging"):
        list_all(transport, "/api/v1/pods", decode.pods_page, limit=7)


def test_malformed_page(sim, transport):
    sim.faults.malform("/api/v1/nodes")
    with pytest.raises(MalformedResponseError, match="GET /api/v1/nodes"):
        list_all(transport, "/api/v1/nodes", decode.nodes_page, limit=2)


@pytest.mark.parametrize(
    "q",
    ["1623370Ki", "512Mi", "1Gi", "0", "123", "1.5Gi", "500M", "1e3", "100m", "+1Ki", "Ki", "-1Ki", "7Ti"],
)
def test_fast_memory_parse_agrees_with_the_exact_parser(q):
    from kubectl_mem.kube.decode import _mem
    from kubectl_mem.model.quantity import memory_bytes

    assert _mem(q) == memory_bytes(q)


@pytest.mark.parametrize("q", ["0x1", "١٢٣", "12Qi", ""])
def test_fast_memory_parse_rejects_what_the_exact_parser_rejects(q):
    from kubectl_mem.kube.decode import _mem

    with pytest.raises(ValueError):
        _mem(q)

"""Requests and limits are compared exactly, as upstream's Quantity.Cmp; rounded only where upstream
calls Value() (issue 10.8)."""

from __future__ import annotations

import json

import pytest

from kubectl_mem.kube.decode import one_pod
from kubectl_mem.model.oom_score import pod_oom_score_adjs
from kubectl_mem.model.qos import compute_qos
from kubectl_mem.model.records import ContainerUsage, Node, PodUsage
from kubectl_mem.model.snapshot import build_snapshot

GI = 1 << 30


def _pod(requests: dict[str, str], limits: dict[str, str]):
    body = {
        "metadata": {"name": "p", "namespace": "ns", "uid": "u"},
        "spec": {
            "nodeName": "n1",
            "containers": [
                {"name": "app", "image": "x", "resources": {"requests": requests, "limits": limits}}
            ],
        },
        "status": {"phase": "Running"},
    }
    return one_pod(json.dumps(body).encode())


@pytest.mark.parametrize(
    ("requests", "limits", "qos"),
    [
        # 1.2Gi is 1288490188.8 bytes: both round up to 1288490189, yet they differ
        ({"memory": "1.2Gi", "cpu": "1"}, {"memory": "1288490189", "cpu": "1"}, "Burstable"),
        ({"memory": "1.2Gi", "cpu": "1"}, {"memory": "1.2Gi", "cpu": "1000m"}, "Guaranteed"),
        ({"memory": "1Gi", "cpu": "100.5m"}, {"memory": "1Gi", "cpu": "101m"}, "Burstable"),  # MilliValue 101
        ({"memory": "1Gi", "cpu": "0.1005"}, {"memory": "1Gi", "cpu": "100.5m"}, "Guaranteed"),
    ],
)
def test_qos_compares_quantities_exactly(requests, limits, qos: str) -> None:
    assert compute_qos(_pod(requests, limits)) == qos


def test_eviction_compares_usage_with_the_exact_request() -> None:
    """A working set of 1288490189 bytes is over a 1.2Gi request, though Value() of it is the same."""
    p = _pod({"memory": "1.2Gi"}, {})
    s = build_snapshot(
        [p],
        [Node("n1", 16 * GI, 15 * GI)],
        [PodUsage("ns", "p", (ContainerUsage("app", 1288490189),))],
        [],
        taken_at="2026-05-01T12:00:00Z",
    )
    v = s.pods[0]
    assert v.request == 1288490189  # shown in whole bytes
    assert v.over_request is True


def test_oom_score_uses_value_as_upstream() -> None:
    p = _pod({"memory": "1.2Gi"}, {"memory": "2Gi"})
    # Value() rounds up: 1000 - 1000 * 1288490189 // 16Gi
    assert pod_oom_score_adjs(p, 16 * GI, qos_class="Burstable", priority=0)["app"] == 1000 - (
        1000 * 1288490189 // (16 * GI)
    )

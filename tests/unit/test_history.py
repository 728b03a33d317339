"""OOM kills, SIGKILLs, restarts and the kubelet's eviction message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from unit_factories import pod, status, term

from kubectl_mem.model.history import (
    describe_termination,
    eviction_of,
    last_termination,
    parse_eviction_message,
    pod_history,
    termination_kind,
    was_oom_killed,
)

Ki, Mi = 1 << 10, 1 << 20

KUBELET_MESSAGE = (
    "The node was low on resource: memory. Threshold quantity: 100Mi, available: 88364Ki. "
    "Container api was using 1532464Ki, request is 512Mi, has larger consumption of memory. "
    "Container side was using 10Mi, request is 0, has larger consumption of memory. "
)


@pytest.mark.parametrize(
    ("t", "kind"),
    [
        (term("OOMKilled", 137), "oom_killed"),
        (term("OOMKilled", 0), "oom_killed"),  # the reason wins
        (term("Error", 137), "sigkill"),  # exit 137 without OOMKilled is not an OOM
        (term("", 137), "sigkill"),
        (term("Error", 143), "signal"),
        (term("Error", 1), "error"),
        (term("Completed", 0), "completed"),
    ],
)
def test_termination_kind(t, kind: str) -> None:
    assert termination_kind(t) == kind


def test_describe_termination_keeps_sigkill_apart_from_oom() -> None:
    assert describe_termination(term("OOMKilled", 137)) == "OOMKilled (exit 137)"
    assert "not an OOM kill" in describe_termination(term("Error", 137))
    assert describe_termination(term("Error", 2)) == "exited 2 (Error)"


def test_last_termination_prefers_the_current_state() -> None:
    now, before = term("Error", 1), term("OOMKilled", 137)
    assert last_termination(status(terminated=now, last_termination=before)) is now
    assert last_termination(status(last_termination=before)) is before
    assert last_termination(status()) is None


def test_pod_history_counts_oom_kills_and_sigkills_separately() -> None:
    p = pod(
        "p",
        statuses=(
            status("api", restart_count=4, last_termination=term("OOMKilled", 137)),
            status("worker", restart_count=1, last_termination=term("Error", 137)),
            status("side", restart_count=0, terminated=term("OOMKilled", 137)),
            status("ok", restart_count=2, last_termination=term("Completed", 0)),
        ),
    )
    h = pod_history(p)
    assert h.restarts == 7
    assert h.oom_kills == 2
    assert h.oom_killed == ("api", "side")
    assert h.sigkilled == ("worker",)
    assert was_oom_killed(p.statuses[0]) and not was_oom_killed(p.statuses[1])


def test_parses_the_kubelet_memory_eviction_message() -> None:
    m = parse_eviction_message(KUBELET_MESSAGE)
    assert m.resource == "memory"
    assert m.threshold == "100Mi"
    assert m.available == "88364Ki"
    assert m.containers == (("api", 1532464 * Ki, 512 * Mi), ("side", 10 * Mi, 0))
    assert m.raw == KUBELET_MESSAGE


def test_message_without_trailing_space_and_negative_available() -> None:
    m = parse_eviction_message(
        "The node was low on resource: memory. Threshold quantity: 1Gi, available: -20Mi. "
        "Container a was using 2Gi, request is 1Gi, has larger consumption of memory."
    )
    assert (m.threshold, m.available) == ("1Gi", "-20Mi")
    assert m.containers == (("a", 2 << 30, 1 << 30),)


def test_ephemeral_storage_message() -> None:
    text = (
        "The node was low on resource: ephemeral-storage. Threshold quantity: 10%, available: 1Gi. "
        "Container build was using 30Gi, request is 0, has larger consumption of ephemeral-storage. "
    )
    m = parse_eviction_message(text)
    assert m.resource == "ephemeral-storage"
    assert m.containers == (("build", 30 << 30, 0),)


def test_limit_messages_and_garbage_keep_raw_only() -> None:
    limit = "Pod ephemeral local storage usage exceeds the total limit of containers 1Gi. "
    m = parse_eviction_message(limit)
    assert (m.resource, m.threshold, m.containers, m.raw) == ("", "", (), limit)
    junk = parse_eviction_message(
        "Container x was using lots, request is ?, has larger consumption of memory. "
    )
    assert junk.containers == (("x", None, None),)


def test_eviction_of_only_for_evicted_pods() -> None:
    assert (
        eviction_of(pod("p", phase="Failed", reason="Evicted", message=KUBELET_MESSAGE)).resource == "memory"
    )
    assert eviction_of(pod("p", phase="Failed", reason="OOMKilled", message=KUBELET_MESSAGE)) is None
    assert eviction_of(pod("p", phase="Failed", reason="Evicted", message="")).raw == ""


@given(st.text(max_size=300))
def test_parser_never_raises(text: str) -> None:
    assert parse_eviction_message(text).raw == text

"""OOM-kill and eviction risk levels, reasons and the sort score."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubectl_mem.model.records import Termination
from kubectl_mem.model.risk import eviction_risk, oom_risk, overall_risk
from kubectl_mem.model.views import RISK_ORDER, ContainerView, EvictionPlace
from kubectl_mem.model.words import ordinal

Mi, Gi = 1 << 20, 1 << 30
NOW = datetime.fromisoformat("2024-05-01T12:00:00Z")


def cv(
    name="api",
    ws_mi: int | None = 100,
    limit_mi: int | None = 512,
    oom: bool = False,
    restarts: int = 0,
    finished: str | None = None,
    exit_code: int = 0,
) -> ContainerView:
    limit = limit_mi * Mi if limit_mi else None
    ws = ws_mi * Mi if ws_mi is not None else None
    last = (
        Termination(
            reason="OOMKilled" if oom else "Error",
            exit_code=exit_code or (137 if oom else 0),
            finished_at=finished,
        )
        if oom or exit_code
        else None
    )
    return ContainerView(
        name,
        "regular",
        ws,
        None,
        limit,
        None,
        ws * 100.0 / limit if ws is not None and limit else None,
        limit - ws if ws is not None and limit else None,
        500,
        restarts,
        last,
        oom,
    )


@pytest.mark.parametrize(
    ("container", "level", "reason"),
    [
        (cv(ws_mi=492), "critical", "api at 96% of its 512Mi limit"),
        (cv(ws_mi=470), "high", "api at 92% of its 512Mi limit"),
        (cv(ws_mi=380), "medium", "api at 74% of its 512Mi limit"),
        (cv(ws_mi=100), "low", "api at 20% of its 512Mi limit"),
        (
            cv(ws_mi=420, oom=True, restarts=2, finished="2024-05-01T11:48:00Z"),
            "critical",
            "api OOMKilled 12m ago, now at 82% of its limit",
        ),
        (
            cv(ws_mi=420, oom=True, restarts=2, finished="2024-04-20T11:48:00Z"),
            "high",
            "api OOMKilled 11d ago, restarted 2 times",
        ),  # an old OOM at 82 % is not critical
        (cv(ws_mi=None, oom=True, restarts=5), "high", "api OOMKilled, restarted 5 times"),
        (cv(ws_mi=100, exit_code=137), "medium", "api was killed by SIGKILL (exit 137), not an OOM kill"),
        (cv(ws_mi=100, limit_mi=None), "low", "api has no memory limit"),
        (cv(ws_mi=None), "unknown", None),
    ],
)
def test_oom_risk_levels(container, level: str, reason: str | None) -> None:
    r = oom_risk([container], qos_class="Burstable", now=NOW).risk
    assert r.level == level
    if reason:
        assert r.reasons[0] == reason


def test_no_limit_on_a_node_under_pressure_is_medium_unless_guaranteed() -> None:
    c = cv(ws_mi=100, limit_mi=None)
    assert oom_risk([c], qos_class="Burstable", node_under_pressure=True).risk.level == "medium"
    assert oom_risk([c], qos_class="Burstable", node_under_pressure=False).risk.level == "low"


def test_pod_level_limit_counts() -> None:
    r = oom_risk(
        [cv(ws_mi=900, limit_mi=None)], qos_class="Burstable", pod_level_limit=Gi, pod_working_set=1000 * Mi
    ).risk
    assert r.level == "critical"
    assert r.reasons == ("pod at 98% of its pod-level 1Gi limit",)


def ev(**kw):
    place = EvictionPlace(
        kw.pop("node", "node-3"),
        kw.pop("active", True),
        kw.pop("critical", False),
        kw.get("position", 1),
        kw.pop("last", kw.pop("position", 1)),
        kw.pop("of", 20),
        kw.pop("unknown", 0),
    )
    base = dict(
        exceeds_request=True,
        excess=100 * Mi,
        qos_class="Burstable",
        request=512 * Mi,
        capacity=16 * Gi,
        headroom=80 * Mi,
        memory_pressure=False,
    )
    base.update(kw)
    return eviction_risk(place, **base)


@pytest.mark.parametrize(
    ("kw", "level"),
    [
        ({"headroom": -10 * Mi}, "critical"),
        ({"memory_pressure": True, "headroom": 4 * Gi}, "critical"),
        ({"memory_pressure": True, "position": 7}, "high"),
        ({"memory_pressure": True, "position": 7, "exceeds_request": False}, "medium"),
        ({"headroom": 80 * Mi}, "high"),  # tight: < 10 % of 16Gi, first ranked
        ({"headroom": 80 * Mi, "position": 20, "exceeds_request": False}, "medium"),
        ({"headroom": 3 * Gi, "position": 2}, "medium"),  # warm: < 25 %, first ranked, over request
        ({"headroom": 3 * Gi, "position": 9, "qos_class": "BestEffort"}, "medium"),
        ({"headroom": 3 * Gi, "position": 9}, "low"),
        ({"headroom": 8 * Gi}, "low"),
        ({"headroom": None}, "unknown"),
        ({"headroom": None, "memory_pressure": True}, "critical"),
        ({"critical": True, "headroom": -Gi}, "low"),  # never evicted
        ({"active": False, "headroom": -Gi}, "low"),
    ],
)
def test_eviction_risk_levels(kw, level: str) -> None:
    assert ev(**kw).risk.level == level


def test_eviction_reasons_read_like_an_sre_would_say_it() -> None:
    r = ev(headroom=80 * Mi).risk
    assert r.reasons[0] == "1st of 20 to be evicted on node-3, 80Mi above threshold"
    assert "using 100Mi more than its 512Mi request" in r.reasons
    assert (
        ev(headroom=-20 * Mi, position=2).risk.reasons[0]
        == "2nd of 20 to be evicted on node-3, 20Mi below threshold"
    )
    assert "node-3 reports MemoryPressure" in ev(memory_pressure=True).risk.reasons


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (102, "102nd"),
        (111, "111th"),
    ],
)
def test_ordinal(n: int, text: str) -> None:
    assert ordinal(n) == text


def test_overall_is_the_higher_with_both_reasons() -> None:
    o = oom_risk([cv(ws_mi=470)], qos_class="Burstable")
    e = ev(headroom=-10 * Mi)
    total = overall_risk(o, e)
    assert total.risk.level == "critical"
    assert total.risk.reasons[0].startswith("1st of 20 to be evicted")
    assert "api at 92% of its 512Mi limit" in total.risk.reasons


@given(st.integers(0, 250), st.integers(0, 250))
def test_score_orders_levels_then_closeness(a: int, b: int) -> None:
    ra = oom_risk([cv(ws_mi=a * 512 // 100)], qos_class="Burstable")
    rb = oom_risk([cv(ws_mi=b * 512 // 100)], qos_class="Burstable")
    if RISK_ORDER[ra.risk.level] != RISK_ORDER[rb.risk.level]:
        assert (ra.score > rb.score) == (RISK_ORDER[ra.risk.level] > RISK_ORDER[rb.risk.level])
    elif a < b and a < 200:
        assert ra.score <= rb.score


@given(st.integers(1, 50), st.integers(1, 50), st.integers(-Gi, 16 * Gi))
def test_earlier_in_line_scores_higher_on_the_same_node(p1: int, p2: int, headroom: int) -> None:
    s1, s2 = ev(position=p1, headroom=headroom), ev(position=p2, headroom=headroom)
    if p1 < p2:
        assert s1.score >= s2.score

"""Selector grammar and matching, as k8s.io/apimachinery parses them."""

from __future__ import annotations

import pytest

from kubectl_mem.sim.selectors import SelectorError, parse_field_selector, parse_label_selector

LABELS = {"app": "api", "tier": "backend", "release": "7"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", True),
        ("app=api", True),
        ("app==api", True),
        ("app!=api", False),
        ("app!=web", True),
        ("missing!=x", True),  # absent keys satisfy negative requirements
        ("app in (web, api)", True),
        ("app notin (web,api)", False),
        ("missing notin (x)", True),
        ("tier", True),
        ("!tier", False),
        ("!missing", True),
        ("app=api,tier=frontend", False),
        ("app=api, tier in (backend)", True),
        ("release>5", True),
        ("release<5", False),
        ("example.com/team=x", False),
    ],
)
def test_label_selector_matching(text: str, expected: bool) -> None:
    assert parse_label_selector(text).matches(LABELS) is expected


@pytest.mark.parametrize(
    "text",
    ["app=", "app in x", "app in (a", "=x", "app===x", "app=a,", "Bad Key=x", "app=-bad-", "release>x"],
)
def test_label_selector_errors(text: str) -> None:
    if text == "app=":
        assert parse_label_selector(text).matches({"app": ""})  # empty value is valid
        return
    with pytest.raises(SelectorError):
        parse_label_selector(text)


def test_field_selector() -> None:
    fields = {"spec.nodeName": "n1", "status.phase": "Running", "metadata.name": "a,b"}
    sel = parse_field_selector("spec.nodeName=n1,status.phase!=Failed", fields.__contains__)
    assert sel.matches(fields) and sel.exact("spec.nodeName") == "n1"
    assert not parse_field_selector("status.phase==Pending", fields.__contains__).matches(fields)
    assert parse_field_selector(r"metadata.name=a\,b", fields.__contains__).matches(fields)
    with pytest.raises(SelectorError, match="field label not supported: spec.bogus"):
        parse_field_selector("spec.bogus=1", fields.__contains__)
    with pytest.raises(SelectorError):
        parse_field_selector("nonsense", fields.__contains__)

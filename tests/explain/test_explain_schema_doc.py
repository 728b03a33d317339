"""docs/explain-schema.md names every key the JSON document has, so the two cannot drift apart."""

from __future__ import annotations

import re
from pathlib import Path

from json_keys import json_keys
from test_explain_golden import _deployment, _evicted, _oom_go, _oom_go_cgroups

from kubectl_mem.report.document import API_VERSION
from kubectl_mem.report.explain_json import explanation_document

DOC = Path(__file__).parents[2] / "docs" / "explain-schema.md"


def test_every_key_is_documented():
    text = DOC.read_text()
    documented = {
        w for span in re.findall(r"`([^`]+)`", text) for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", span)
    }
    keys: set[str] = set()
    for e in (_oom_go(), _evicted(), _deployment(), _oom_go_cgroups()):
        doc = explanation_document(e, context="sim")
        assert doc["apiVersion"] == API_VERSION and doc["kind"] == "MemoryExplanation"
        keys |= json_keys(doc)
    assert sorted(keys - documented) == []

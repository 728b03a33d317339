"""`kubectl mem explain -o json`: the `MemoryExplanation` document, documented in
docs/explain-schema.md and versioned with the other documents (`document.API_VERSION`).

The document is the model's `Explanation` with camelCase keys, plus metadata and warnings like
the other documents. Bytes are integers (`...Bytes`-free names keep the model's field names:
`workingSet`, `request`, `limit`, `headroom` are bytes), percentages are numbers rounded to 2 places.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from kubectl_mem.model.explain import Explanation
from kubectl_mem.report.document import API_VERSION

KIND = "MemoryExplanation"


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def _convert(v: Any) -> Any:
    if isinstance(v, dict):
        return {_camel(k): _convert(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_convert(x) for x in v]
    if isinstance(v, float):
        return round(v, 2)
    return v


def _fix_scores(pod: dict[str, Any]) -> None:
    scores = pod.get("oomScore", {}).get("scores")
    if scores is not None:
        pod["oomScore"]["scores"] = [{"container": n, "oomScoreAdj": s} for n, s in scores]


def explanation_document(
    e: Explanation, *, context: str, warnings: Iterable[tuple[str, str]] = ()
) -> dict[str, Any]:
    body = _convert(msgspec.to_builtins(e))
    for pod in body["pods"]:
        _fix_scores(pod)
    meta = {
        "context": context,
        "namespace": body.pop("namespace"),
        "target": body.pop("target"),
        "takenAt": body.pop("takenAt"),
        "metricsAvailable": body.pop("metricsAvailable"),
    }
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": meta,
        "warnings": [{"source": s, "message": m} for s, m in warnings],
        **body,
    }

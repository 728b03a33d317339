"""The wire protocols for core/v1 (pods, nodes, events), without importing their decoders: the
command line's parser needs only the names."""

from __future__ import annotations

from typing import Literal

Protocol = Literal["json", "protobuf"]
PROTOCOLS: tuple[Protocol, ...] = ("json", "protobuf")
# The default, chosen by benchmarks/bench_apiserver.py: on a real kube-apiserver at 20k pods a protobuf
# LIST costs it a quarter of the CPU of the JSON one and ~2/3 of the bytes.
DEFAULT_PROTOCOL: Protocol = "protobuf"
# Streaming lists (KEP-3157) where the server offers them; KUBE_FEATURE_WatchListClient overrides.
DEFAULT_STREAMING = True

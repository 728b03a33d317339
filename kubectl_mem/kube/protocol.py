"""The wire protocols for core/v1 (pods, nodes, events), without importing their decoders: the
command line's parser needs only the names."""

from __future__ import annotations

from typing import Literal

Protocol = Literal["json", "protobuf"]
PROTOCOLS: tuple[Protocol, ...] = ("json", "protobuf")
# The default, chosen by benchmarks/bench_apiserver.py: on a real kube-apiserver at 20k pods a protobuf
# LIST costs it a quarter of the CPU of the JSON one and ~2/3 of the bytes.
DEFAULT_PROTOCOL: Protocol = "protobuf"
# Streaming lists (KEP-3157) only when asked for (KUBE_FEATURE_WatchListClient=true), chosen by
# benchmarks/bench_apiserver.py on kube-apiserver 1.36 at 20k pods: a streaming list cost it 1.26 s of
# CPU against 1.58 s for protobuf pages of 500, but it sends its watch stream uncompressed: 103 MB
# against 15 MB of gzip pages, which a remote cluster's link pays for. Pages already stay within the
# CPU goal (<= 1.2x one unpaginated protobuf LIST) and, at 500 items each, bounded in memory.
DEFAULT_STREAMING = False

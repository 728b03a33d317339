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
# benchmarks/bench_apiserver.py on kube-apiserver 1.36 at 20k pods: the apiserver's CPU was a wash (a
# streaming list 1.26 s and 1.92 s in two runs, protobuf pages of 500 1.58 s and 1.08 s), but a watch
# stream goes out uncompressed: 103 MB against 15 MB of gzip pages, which a remote cluster's link pays
# for, and the pages were quicker for the client. Pages of 500 are bounded in the apiserver's memory too.
DEFAULT_STREAMING = False

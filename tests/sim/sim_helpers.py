"""Raw HTTP(S) access to a SimServer, for asserting on exact status codes, headers and bodies."""

from __future__ import annotations

import gzip
import http.client
import json
import ssl
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubectl_mem.sim import ADMIN_TOKEN, SimServer


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    raw: bytes  # as received (possibly gzip)

    @property
    def body(self) -> bytes:
        return gzip.decompress(self.raw) if self.headers.get("content-encoding") == "gzip" else self.raw

    def json(self) -> Any:
        return json.loads(self.body)


def connect(srv: SimServer) -> http.client.HTTPConnection:
    if srv.tls:
        ctx = ssl.create_default_context(cadata=srv.ca_pem)
        return http.client.HTTPSConnection(srv.host, srv.port, context=ctx, timeout=30)
    return http.client.HTTPConnection(srv.host, srv.port, timeout=30)


def get(
    srv: SimServer,
    path: str,
    *,
    token: str | None = ADMIN_TOKEN,
    headers: dict[str, str] | None = None,
    conn: http.client.HTTPConnection | None = None,
) -> Reply:
    own = conn is None
    c = conn or connect(srv)
    h = {"Accept": "application/json", **(headers or {})}
    if token:
        h["Authorization"] = f"Bearer {token}"
    c.request("GET", path, headers=h)
    r = c.getresponse()
    reply = Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    if own:
        c.close()
    return reply


# fixture types of tests/conftest.py (`import conftest` would pick whichever conftest is first on sys.path)
SimFactory = Callable[..., SimServer]
Kubectl = Callable[..., subprocess.CompletedProcess[str]]

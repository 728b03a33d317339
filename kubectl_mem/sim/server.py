"""A Kubernetes API server on loopback that serves a `Cluster` to real clients (kubectl, client-go,
the Python client, curl).

Request flow, in the apiserver's filter order: log → latency → authentication (401) → injected faults
(429/500, where APF and panics would answer) → route lookup (404) → authorization (403) → handler.
Routes live in a `Router`: `SimServer.router.add("POST", "/api/v1/namespaces/{namespace}/pods", fn,
verb="create", resource="pods")` plugs a new endpoint in with auth, faults and logging for free.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import functools
import hashlib
import json
import os
import re
import select
import socket
import sys
import threading
import time
import uuid
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from . import protobuf as sim_pb
from .auth import ADMIN_TOKEN, Attributes, Auth, User
from .cluster import RESOURCES, Cluster, Entry, Snapshot, encode
from .faults import Faults
from .selectors import (
    FieldSelector,
    LabelSelector,
    SelectorError,
    parse_field_selector,
    parse_label_selector,
)
from .tables import columns_for, row_cells
from .tls import CA_PEM, ca_data, server_context

__all__ = [
    "ApiError",
    "RequestContext",
    "RequestRecord",
    "Response",
    "Router",
    "SimServer",
    "start",
    "status_body",
]

Obj = dict[str, Any]
GZIP_LEVEL = 1  # what the apiserver uses for big responses: speed over ratio
GZIP_MIN_BYTES = 128 * 1024  # the apiserver's defaultGzipThresholdBytes
DEFAULT_CHUNK = 500  # kubectl's --chunk-size, precomputed at start
PROTOBUF = sim_pb.pb.CONTENT_TYPE
WATCH_TIMEOUT_SECONDS = 1800  # the apiserver's --min-request-timeout: a watch without timeoutSeconds
INITIAL_EVENTS_END = "k8s.io/initial-events-end"

EXPIRED_CONTINUE_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new "
    "list without the continue parameter, or use the continue token in this response to retrieve the "
    "remainder of the results. Continuing with the provided token results in an inconsistent list - objects "
    "that were created, modified, or deleted between the time the first chunk was returned and now may show "
    "up in the list."
)
NOT_FOUND_MESSAGE = "the server could not find the requested resource"


# -- errors and responses --------------------------------------------------------------------------


def status_body(
    code: int,
    reason: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> bytes:
    """A metav1.Status failure document."""
    doc: Obj = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": dict(metadata or {}),
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details is not None:
        doc["details"] = dict(details)
    doc["code"] = code
    return encode(doc)


class ApiError(Exception):
    """Raised by handlers; becomes a Status response."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.details, self.metadata = details, metadata
        self.headers = dict(headers or {})

    @classmethod
    def not_found(cls, resource: str, name: str, group: str = "") -> ApiError:
        qualified = f"{resource}.{group}" if group else resource
        details = {"name": name, "group": group, "kind": resource}
        return cls(
            404, "NotFound", f'{qualified} "{name}" not found', {k: v for k, v in details.items() if v}
        )

    @classmethod
    def no_route(cls) -> ApiError:
        return cls(404, "NotFound", NOT_FOUND_MESSAGE, {})

    @classmethod
    def bad_request(cls, message: str) -> ApiError:
        return cls(400, "BadRequest", message)

    def response(self) -> Response:
        return Response(
            self.code,
            status_body(self.code, self.reason, self.message, self.details, self.metadata),
            headers=self.headers,
        )


@dataclass(slots=True)
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    gzipped: bool = False  # body is already gzip-encoded (served from the page cache)
    # a watch: stream(client_gone) gives the pieces, sent chunked as they come, until it ends or the
    # client goes away (client_gone() turns true)
    stream: Callable[[Callable[[], bool]], Iterator[bytes]] | None = None


# What the apiserver's mux answers for a group it does not serve (metrics.k8s.io without metrics-server).
def _page_not_found() -> Response:
    return Response(404, b"404 page not found\n", "text/plain; charset=utf-8")


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the server saw it, for tests to assert on."""

    method: str
    path: str
    query: dict[str, str]
    raw_query: str
    headers: dict[str, str]  # lower-cased names
    status: int
    content_encoding: str
    bytes_sent: int
    duration_s: float  # handling time, up to the first byte of the response
    user: str


@dataclass(slots=True)
class RequestContext:
    server: SimServer
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    params: dict[str, str]
    body: bytes
    user: User | None = None

    @property
    def cluster(self) -> Cluster:
        return self.server.cluster

    @property
    def accepts_gzip(self) -> bool:
        return "gzip" in self.headers.get("accept-encoding", "")

    @property
    def table_version(self) -> str | None:
        """meta.k8s.io version of the Table the client asked for, if it asked for one."""
        for part in self.headers.get("accept", "").split(","):
            params = dict(p.strip().split("=", 1) for p in part.split(";")[1:] if "=" in p)
            if params.get("as") == "Table" and params.get("g") == "meta.k8s.io":
                return params.get("v", "v1")
        return None

    @property
    def partial_metadata(self) -> bool:
        """The client asked for a PartialObjectMetadataList (metadata only: `kubectl get --raw` users,
        client-go's metadata informers, kubectl-mem's owner lists)."""
        for part in self.headers.get("accept", "").split(","):
            params = dict(p.strip().split("=", 1) for p in part.split(";")[1:] if "=" in p)
            if params.get("as") == "PartialObjectMetadataList" and params.get("g") == "meta.k8s.io":
                return True
        return False

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def wants_protobuf(self) -> bool:
        """The first media type of Accept that the server offers is protobuf (kubectl: protobuf, json)."""
        if not self.server.faults.protobuf:
            return False
        for part in self.headers.get("accept", "").split(","):
            media = part.split(";")[0].strip()
            if media == PROTOBUF:
                return True
            if media in ("application/json", "*/*", "application/*"):
                return False
        return False


Handler = Callable[[RequestContext], Response]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: str
    regex: re.Pattern[str]
    handler: Handler
    verb: str
    resource: str
    group: str
    subresource: str
    metrics_api: bool


class Router:
    """Method + path template → handler, with the authorization attributes of the endpoint.

    Templates use {namespace}, {name} and {path} (the last one may contain slashes)."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(
        self,
        method: str,
        pattern: str,
        handler: Handler,
        *,
        verb: str = "get",
        resource: str = "",
        group: str = "",
        subresource: str = "",
    ) -> None:
        rx = re.escape(pattern).replace(r"\{path\}", r"(?P<path>.+)")
        rx = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", rx)
        self._routes.insert(
            0,
            Route(
                method,
                pattern,
                re.compile(f"^{rx}$"),
                handler,
                verb,
                resource,
                group,
                subresource,
                group == "metrics.k8s.io",
            ),
        )

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for a request; routes added later win, so tests can override defaults."""
        for route in self._routes:
            if route.method == method and (m := route.regex.match(path)):
                return route, m.groupdict()
        return None

    def knows_path(self, path: str) -> bool:
        return any(r.regex.match(path) for r in self._routes)

    def paths(self) -> list[tuple[str, str]]:
        return [(r.method, r.pattern) for r in self._routes]

    def copy(self) -> Router:
        r = Router()
        r._routes = list(self._routes)
        return r


# -- lists, pagination, continue tokens ------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _query_hash(resource: str, namespace: str, labels: str, fields: str) -> str:
    return hashlib.sha256(f"{resource}\0{namespace}\0{labels}\0{fields}".encode()).hexdigest()[:16]


def encode_continue(rv: int, start_key: str, offset: int, qhash: str) -> str:
    """Opaque to clients, as in the apiserver: base64 JSON (version, resourceVersion, start key) plus the
    offset and a hash of the query so a token can't be replayed against another selector."""
    return _b64(encode({"v": "meta.k8s.io/v1", "rv": rv, "start": start_key, "off": offset, "q": qhash}))


def decode_continue(token: str) -> Obj:
    try:
        doc = json.loads(_unb64(token))
        if doc.get("v") != "meta.k8s.io/v1" or not isinstance(doc.get("rv"), int):
            raise ValueError("bad version")
        return doc
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ApiError.bad_request(f"continue key is not valid: {exc}") from exc


def gzip_bytes(body: bytes) -> bytes:
    c = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # wbits 31: gzip container, mtime 0 → deterministic
    return c.compress(body) + c.flush()


@dataclass(frozen=True, slots=True)
class _ListQuery:
    resource: str
    namespace: str
    labels: LabelSelector
    fields: FieldSelector
    limit: int
    token: str

    @property
    def qhash(self) -> str:
        return _query_hash(self.resource, self.namespace, self.labels.text, self.fields.text)


def _parse_list_query(ctx: RequestContext, resource: str) -> _ListQuery:
    rtype = RESOURCES[resource]
    try:
        labels = parse_label_selector(ctx.query.get("labelSelector"))
        fields = parse_field_selector(ctx.query.get("fieldSelector"), rtype.field_names.__contains__)
    except SelectorError as exc:
        raise ApiError.bad_request(str(exc)) from exc
    raw_limit = ctx.query.get("limit", "0") or "0"
    try:
        limit = int(raw_limit)
    except ValueError as exc:
        raise ApiError.bad_request(f'strconv.ParseInt: parsing "{raw_limit}": invalid syntax') from exc
    return _ListQuery(
        resource,
        ctx.params.get("namespace", ""),
        labels,
        fields,
        max(limit, 0),
        ctx.query.get("continue", ""),
    )


def typed(rtype: Any, raw: bytes) -> bytes:
    """A stored object (list-item bytes) with its kind and apiVersion, as a GET or a watch event has it."""
    head = b'{"kind":"%s","apiVersion":"%s"' % (rtype.kind.encode(), rtype.api_version.encode())
    return head + (b"," + raw[1:] if len(raw) > 2 else b"}")


def _list_envelope(rtype_kind: str, api_version: str, meta: Obj, items: Sequence[bytes]) -> bytes:
    return b"".join(
        (
            b'{"kind":"',
            rtype_kind.encode(),
            b'","apiVersion":"',
            api_version.encode(),
            b'","metadata":',
            encode(meta),
            b',"items":[',
            b",".join(items),
            b"]}",
        )
    )


class SimServer:
    """A running simulated apiserver. Use `start()` to make one."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        auth: Auth | None = None,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        gzip_min_bytes: int = GZIP_MIN_BYTES,
        precompute: bool = True,
        log_requests: bool = True,
        tls: bool = True,
    ) -> None:
        self.cluster = cluster
        self.auth = auth if auth is not None else Auth()
        self.faults = faults if faults is not None else Faults()
        self.router = default_router()
        self.gzip_min_bytes = gzip_min_bytes
        self.log_requests = log_requests
        self._precompute = precompute
        self._log: deque[RequestRecord] = deque(maxlen=100_000)  # bounded: `serve` may run for days
        self._issued: dict[str, float] = {}  # continue token -> when it was last handed out
        self._log_lock = threading.Lock()
        self.tls = tls
        self.kubeconfig: Path | None = None  # the last kubeconfig written by write_kubeconfig()
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.sim = self
        if tls:
            # Handshake in the connection's thread, not in accept(): a slow client must not stall the others.
            self._httpd.socket = server_context().wrap_socket(
                self._httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self._thread: threading.Thread | None = None
        self.bookmark_seconds = 60.0  # how often an open watch gets a BOOKMARK (the apiserver: ~1 min)
        self._stopping = threading.Event()
        self._watch_sockets: set[Any] = set()  # open watch connections, for drop_watches()
        self._watch_lock = threading.Lock()
        self._pb_cache = sim_pb.Cache()
        self._stop_hooks: list[Callable[[], None]] = []

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def ca_pem(self) -> str | None:
        """PEM of the CA that signed the server certificate (ssl's cadata=; a kubeconfig carries it
        as certificate-authority-data). Never a file: nothing of the sim's is left in /tmp."""
        return CA_PEM if self.tls else None

    def start(self) -> SimServer:
        if self._precompute:
            self.warm()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            name=f"sim-apiserver-{self.port}",
            kwargs={"poll_interval": 0.1},
            daemon=True,
        )
        self._thread.start()
        return self

    def drop_watches(self) -> int:
        """Cut every open watch connection, as a restarting apiserver or a broken network would."""
        with self._watch_lock:
            socks = list(self._watch_sockets)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return len(socks)

    def on_stop(self, hook: Callable[[], None]) -> None:
        """Call `hook()` when the server stops (after it stopped answering): e.g. the pod
        lifecycle's threads, which must end before the process does."""
        self._stop_hooks.append(hook)

    def stop(self) -> None:
        self._stopping.set()
        self.drop_watches()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        hooks, self._stop_hooks = self._stop_hooks, []
        for hook in hooks:
            hook()

    def __enter__(self) -> SimServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def warm(self, chunk: int = DEFAULT_CHUNK) -> None:
        """Render the unfiltered pod/node lists (pages of `chunk` and the full list, plain and gzip) into the
        page cache, so the first big fetch costs what curl of a static file would. Gzip runs on all cores."""
        jobs: list[Callable[[], bytes]] = []
        for resource in ("pods", "nodes"):
            snap = self.cluster.snapshot(resource)
            paged = _ListQuery(resource, "", LabelSelector(()), FieldSelector(()), chunk, "")
            full = _ListQuery(resource, "", paged.labels, paged.fields, 0, "")
            items = snap.select("", paged.labels, paged.fields)
            for q, starts in ((full, [0]), (paged, range(0, max(len(items), 1), chunk))):
                for start in starts:
                    jobs.append(functools.partial(self._page, snap, q, items, start, True))
        for resource in (
            "pods.metrics.k8s.io",
            "nodes.metrics.k8s.io",
        ):  # metrics-server lists are never paged
            snap = self.cluster.snapshot(resource)
            q = _ListQuery(resource, "", LabelSelector(()), FieldSelector(()), 0, "")
            jobs.append(functools.partial(self._page, snap, q, snap.select("", q.labels, q.fields), 0, True))
        with ThreadPoolExecutor(max_workers=max(os.cpu_count() or 1, 1)) as pool:
            for _ in pool.map(lambda job: job(), jobs):
                pass

    # -- request log ----------------------------------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    def _record(self, rec: RequestRecord) -> None:
        if self.log_requests:
            with self._log_lock:
                self._log.append(rec)

    # -- kubeconfig -----------------------------------------------------------------------------
    def write_kubeconfig(
        self,
        path: str | Path,
        *,
        token: str | None = ADMIN_TOKEN,
        context_name: str = "sim",
        namespace: str | None = "default",
        user_name: str | None = None,
    ) -> Path:
        """Write a kubeconfig for this server: https with the sim CA (client-go sends tokens only over
        TLS), bearer token, `namespace` as the context's default namespace."""
        path = Path(path)
        user: Obj = {"token": token} if token else {}
        ctx: Obj = {"cluster": context_name, "user": user_name or f"{context_name}-user"}
        if namespace:
            ctx["namespace"] = namespace
        cluster: Obj = {"server": self.url}
        if self.tls:
            cluster["certificate-authority-data"] = ca_data()
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "clusters": [{"name": context_name, "cluster": cluster}],
            "users": [{"name": user_name or f"{context_name}-user", "user": user}],
            "contexts": [{"name": context_name, "context": ctx}],
            "current-context": context_name,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        self.kubeconfig = path
        return path

    # -- dispatch -------------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[Response, str]:
        split = urlsplit(target)
        path = split.path.rstrip("/") or "/"
        query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        ctx = RequestContext(self, method, path, query, headers, {}, body)
        latency = self.faults.latency_ms
        if latency:
            time.sleep(latency / 1000)
        try:
            user = self.auth.authenticate(headers.get("authorization"))
            if user is None:
                raise ApiError(401, "Unauthorized", "Unauthorized")
            ctx.user = user
            injected = self.faults.take(path)
            if injected is not None:
                if injected.status == 429:
                    raise ApiError(
                        429,
                        "TooManyRequests",
                        "Too many requests, please try again later.",
                        {"retryAfterSeconds": injected.retry_after},
                        headers={"Retry-After": str(injected.retry_after)},
                    )
                raise ApiError(
                    injected.status,
                    "InternalError" if injected.status == 500 else "ServiceUnavailable",
                    "Internal error occurred: injected fault"
                    if injected.status == 500
                    else "the server is currently unable to handle the request",
                    {"causes": [{"message": "injected fault"}]} if injected.status == 500 else {},
                )
            found = self.router.match(method, path)
            if found is None and self._unknown_group(path):
                return _page_not_found(), user.name
            if found is None:
                if self.router.knows_path(path):
                    raise ApiError(
                        405,
                        "MethodNotAllowed",
                        "the server does not allow this method on the requested resource",
                        {},
                    )
                raise ApiError.no_route()
            route, params = found
            ctx.params = params
            if route.metrics_api or path.startswith("/apis/metrics.k8s.io"):
                mode = self.faults.metrics
                if mode == "absent":
                    return _page_not_found(), user.name
                if mode == "unavailable":
                    # The aggregator's proxy answers in plain text when metrics-server is down.
                    return Response(503, b"service unavailable\n", "text/plain; charset=utf-8"), user.name
            attrs = Attributes(
                verb="watch" if route.verb == "list" and query.get("watch") in ("1", "true") else route.verb,
                resource=route.resource,
                group=route.group,
                subresource=route.subresource,
                namespace=params.get("namespace", ""),
                name=params.get("name", ""),
                path=path,
            )
            if not self.auth.authorize(user, attrs):
                msg, details = attrs.forbidden_status(user.name)
                raise ApiError(403, "Forbidden", msg, details)
            resp = route.handler(ctx)
        except ApiError as err:
            return self._error_response(ctx, err), ctx.user.name if ctx.user else ""
        if self.faults.is_malformed(path) and resp.status == 200:
            raw = resp.body if not resp.gzipped else zlib.decompress(resp.body, 31)
            resp = Response(resp.status, raw[: max(len(raw) // 2, 1)], resp.content_type, resp.headers)
        return resp, ctx.user.name if ctx.user else ""

    def _unknown_group(self, path: str) -> bool:
        """/apis/GROUP/... of a group this server does not serve (the apiserver's mux answers those)."""
        parts = path.split("/")
        if len(parts) < 3 or parts[1] != "apis":
            return False
        prefix = f"/apis/{parts[2]}"
        return not any(p == prefix or p.startswith(prefix + "/") for _, p in self.router.paths())

    def _error_response(self, ctx: RequestContext, err: ApiError) -> Response:
        """The Status in the media type the client asked for first: the apiserver answers errors in
        protobuf too (its own groups; metrics-server speaks JSON only)."""
        if ctx.wants_protobuf and not ctx.path.startswith("/apis/metrics.k8s.io"):
            return Response(
                err.code, sim_pb.status_body(err.code, err.reason, err.message), PROTOBUF, err.headers
            )
        return err.response()

    # -- list machinery -------------------------------------------------------------------------
    def _page(
        self,
        snap: Snapshot,
        q: _ListQuery,
        items: Sequence[Entry],
        start: int,
        gz: bool,
        partial: bool = False,
    ) -> bytes:
        key = ("list", q.namespace, q.labels.text, q.fields.text, start, q.limit, gz, partial)
        return snap.cached(key, lambda: self._render_page(snap, q, items, start, gz, partial))

    def _render_page(
        self, snap: Snapshot, q: _ListQuery, items: Sequence[Entry], start: int, gz: bool, partial: bool
    ) -> bytes:
        if gz:
            return gzip_bytes(self._page(snap, q, items, start, False, partial))
        end = len(items) if q.limit == 0 else min(start + q.limit, len(items))
        rtype = snap.rtype
        meta: Obj = {"resourceVersion": str(snap.rv)} if rtype.has_resource_version else {}
        if end < len(items):
            meta["continue"] = encode_continue(snap.rv, items[end - 1].key + "\x00", end, q.qhash)
            if q.labels.empty and q.fields.empty:
                meta["remainingItemCount"] = len(items) - end
        if partial:
            # each item as PartialObjectMetadata: its whole metadata (managedFields too), nothing else
            raws = [
                encode(
                    {
                        "kind": "PartialObjectMetadata",
                        "apiVersion": "meta.k8s.io/v1",
                        "metadata": e.obj.get("metadata", {}),
                    }
                )
                for e in items[start:end]
            ]
            return _list_envelope("PartialObjectMetadataList", "meta.k8s.io/v1", meta, raws)
        return _list_envelope(rtype.list_kind, rtype.api_version, meta, [e.raw for e in items[start:end]])

    def list_response(self, ctx: RequestContext, resource: str, *, paginate: bool = True) -> Response:
        if ctx.query.get("watch") in ("1", "true"):
            if not RESOURCES[resource].has_resource_version:  # metrics-server has no watch
                raise ApiError(
                    405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
                )
            return self.watch_response(ctx, resource)
        q = _parse_list_query(ctx, resource)
        if not paginate:  # metrics-server ignores limit/continue
            q = _ListQuery(q.resource, q.namespace, q.labels, q.fields, 0, "")
        snap, start, start_key = self._resolve(q)
        items = snap.select(q.namespace, q.labels, q.fields)
        if start_key is not None:
            start = bisect.bisect_left(items, start_key, key=lambda e: e.key)
        end = len(items) if q.limit == 0 else min(start + q.limit, len(items))
        if end < len(items):
            # Token TTLs count from when a token was (last) handed out; pages themselves stay cached.
            token = encode_continue(snap.rv, items[end - 1].key + "\x00", end, q.qhash)
            if len(self._issued) > 100_000:
                self._issued.clear()
            self._issued[token] = self.faults.clock()
        if (version := ctx.table_version) is not None:
            return self._table_list(ctx, snap, q, items, start, version)
        gz = ctx.accepts_gzip
        if ctx.wants_protobuf and snap.rtype.kind in sim_pb.KINDS:
            body = self._pb_page(snap, q, items, start, False)
            # Our protobuf leaves out fields a real server sends (probes, projected volumes ...): gzip by
            # the size a real server's protobuf would have, 2/3 of the JSON (98 MB against 146 MB at 20k).
            real_size = len(self._page(snap, q, items, start, False)) * 2 // 3
            if gz and real_size >= self.gzip_min_bytes:
                return Response(200, self._pb_page(snap, q, items, start, True), PROTOBUF, gzipped=True)
            return Response(200, body, PROTOBUF)
        partial = ctx.partial_metadata
        body = self._page(snap, q, items, start, False, partial)
        if gz and len(body) >= self.gzip_min_bytes:
            return Response(200, self._page(snap, q, items, start, True, partial), gzipped=True)
        return Response(200, body)

    def _pb_page(self, snap: Snapshot, q: _ListQuery, items: Sequence[Entry], start: int, gz: bool) -> bytes:
        key = ("pb", q.namespace, q.labels.text, q.fields.text, start, q.limit, gz)
        return snap.cached(key, lambda: self._render_pb_page(snap, q, items, start, gz))

    def _render_pb_page(
        self, snap: Snapshot, q: _ListQuery, items: Sequence[Entry], start: int, gz: bool
    ) -> bytes:
        if gz:
            return gzip_bytes(self._pb_page(snap, q, items, start, False))
        end = len(items) if q.limit == 0 else min(start + q.limit, len(items))
        rtype = snap.rtype
        meta: Obj = {"resourceVersion": str(snap.rv)}
        if end < len(items):
            meta["continue"] = encode_continue(snap.rv, items[end - 1].key + "\x00", end, q.qhash)
            if q.labels.empty and q.fields.empty:
                meta["remainingItemCount"] = len(items) - end
        encoded = [self._pb_cache.get(rtype.kind, e.raw, e.obj) for e in items[start:end]]
        return sim_pb.list_body(rtype.api_version, rtype.list_kind, meta, encoded)

    # -- watch ----------------------------------------------------------------------------------
    def watch_response(self, ctx: RequestContext, resource: str) -> Response:
        """A watch, as the apiserver's watch cache serves it: optional initial state (a streaming list
        ends it with a bookmark annotated k8s.io/initial-events-end), then every change after the
        starting resourceVersion that matches the selectors, bookmarks, until timeoutSeconds."""
        q = _parse_list_query(ctx, resource)
        rtype = RESOURCES[resource]
        query = ctx.query
        send_initial = query.get("sendInitialEvents")
        match = query.get("resourceVersionMatch", "")
        bookmarks = query.get("allowWatchBookmarks") in ("1", "true")
        errs = []
        if send_initial is not None:
            if match != "NotOlderThan":
                errs.append(
                    "resourceVersionMatch: Forbidden: sendInitialEvents requires setting "
                    "resourceVersionMatch to NotOlderThan"
                )
            if not self.faults.watch_list:
                errs.append(
                    "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless "
                    "the WatchList feature gate is enabled"
                )
        if match and send_initial is None:
            errs.append(
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch "
                "unless sendInitialEvents is provided"
            )
        if errs:
            raise ApiError(
                422,
                "Invalid",
                f'ListOptions.meta.k8s.io "" is invalid: {", ".join(errs)}',
                {"group": "meta.k8s.io", "kind": "ListOptions", "causes": []},
            )
        try:
            timeout = int(query.get("timeoutSeconds") or WATCH_TIMEOUT_SECONDS)
        except ValueError as exc:
            raise ApiError.bad_request(f"invalid timeoutSeconds: {exc}") from exc
        rv_text = query.get("resourceVersion", "")
        proto = ctx.wants_protobuf and rtype.kind in sim_pb.KINDS
        initial: Sequence[Entry] = ()
        end_marker = send_initial == "true"
        if send_initial == "true" or (send_initial is None and rv_text in ("", "0")):
            snap = self.cluster.snapshot(resource)
            initial, start_rv = snap.select(q.namespace, q.labels, q.fields), snap.rv
        elif send_initial == "false" and rv_text in ("", "0"):
            start_rv = self.cluster.resource_version
        else:
            try:
                start_rv = int(rv_text)
            except ValueError as exc:
                raise ApiError.bad_request(f"invalid resource version: {rv_text}") from exc
        content_type = f"{PROTOBUF};stream=watch" if proto else "application/json"
        stream = self._watch_stream(rtype, q, proto, initial, start_rv, end_marker, bookmarks, timeout)
        return Response(200, b"", content_type, stream=stream)

    def _event(self, rtype: Any, type_: str, entry: Entry, proto: bool) -> bytes:
        if proto:
            envelope = sim_pb.envelope(
                rtype.api_version, rtype.kind, self._pb_cache.get(rtype.kind, entry.raw, entry.obj)
            )
            return sim_pb.watch_frame(type_, envelope)
        return b'{"type":"' + type_.encode() + b'","object":' + typed(rtype, entry.raw) + b"}\n"

    def _bookmark(self, rtype: Any, rv: int, end: bool, proto: bool) -> bytes:
        annotations = {INITIAL_EVENTS_END: "true"} if end else {}
        if proto:
            obj = sim_pb.pb.PartialObject()
            obj.metadata.resource_version = str(rv)
            obj.metadata.annotations.update(annotations)
            return sim_pb.watch_frame(
                "BOOKMARK", sim_pb.envelope(rtype.api_version, rtype.kind, obj.SerializeToString())
            )
        md: Obj = {"resourceVersion": str(rv), "creationTimestamp": None}
        if annotations:
            md["annotations"] = annotations
        doc = {
            "type": "BOOKMARK",
            "object": {"kind": rtype.kind, "apiVersion": rtype.api_version, "metadata": md},
        }
        return encode(doc) + b"\n"

    def _expired(self, rv: int, proto: bool) -> bytes:
        oldest = self.cluster.resource_version
        message = f"too old resource version: {rv} ({oldest})"
        if proto:
            return sim_pb.watch_frame("ERROR", sim_pb.status_body(410, "Expired", message))
        st = json.loads(status_body(410, "Expired", message))
        return encode({"type": "ERROR", "object": st}) + b"\n"

    def _watch_stream(
        self,
        rtype: Any,
        q: _ListQuery,
        proto: bool,
        initial: Sequence[Entry],
        start_rv: int,
        end_marker: bool,
        bookmarks: bool,
        timeout: float,
    ) -> Iterator[bytes]:
        def matches(e: Entry | None) -> bool:
            return (
                e is not None
                and (not q.namespace or e.namespace == q.namespace)
                and (q.labels.empty or q.labels.matches(e.labels))
                and (q.fields.empty or q.fields.matches(e.fields))
            )

        def events(client_gone: Callable[[], bool]) -> Iterator[bytes]:
            batch: list[bytes] = []
            for e in initial:
                batch.append(self._event(rtype, "ADDED", e, proto))
                if len(batch) >= 100:
                    yield b"".join(batch)
                    batch = []
            if end_marker:
                batch.append(self._bookmark(rtype, start_rv, True, proto))
            if batch:
                yield b"".join(batch)
            now = time.monotonic()
            deadline, next_bookmark = now + timeout, now + self.bookmark_seconds
            last = start_rv
            while not self._stopping.is_set() and not client_gone():
                now = time.monotonic()
                if now >= deadline:
                    return
                wait = (
                    min(deadline - now, max(next_bookmark - now, 0.0), 0.5)
                    if bookmarks
                    else min(deadline - now, 0.5)
                )
                got = self.cluster.changes_since(rtype.key, last, wait)
                if got is None:
                    yield self._expired(last, proto)
                    return
                changes, last = got
                out = []
                for c in changes:
                    now_in, was_in = matches(c.entry), matches(c.prev)
                    if c.type == "DELETED":
                        kind = "DELETED" if was_in else ""
                    elif now_in:
                        kind = "MODIFIED" if was_in else "ADDED"
                    else:
                        kind = "DELETED" if was_in else ""  # it left the selection
                    if kind:
                        out.append(self._event(rtype, kind, c.entry, proto))
                if bookmarks and time.monotonic() >= next_bookmark:
                    out.append(self._bookmark(rtype, last, False, proto))
                    next_bookmark = time.monotonic() + self.bookmark_seconds
                if out:
                    yield b"".join(out)

        return events

    def _resolve(self, q: _ListQuery) -> tuple[Snapshot, int, str | None]:
        """The snapshot, start offset and, for an inconsistent continuation (rv -1, as handed out with a
        410), the key to start from in the latest snapshot."""
        ttl = self.faults.continue_ttl_seconds
        if not q.token:
            return self.cluster.snapshot(q.resource), 0, None
        tok = decode_continue(q.token)
        if tok.get("q") not in (None, q.qhash):
            raise ApiError.bad_request(
                "continue key is not valid: the continue token was issued for a different "
                "query (resource, namespace and selectors must stay the same)"
            )
        if tok["rv"] == -1:
            return self.cluster.snapshot(q.resource), 0, str(tok.get("start", ""))
        snap_at = self.cluster.snapshot_at(q.resource, tok["rv"])
        issued = self._issued.get(q.token)
        expired = (
            snap_at is None
            or self.faults.take_continue_expiry()
            or (ttl is not None and (issued is None or self.faults.clock() - issued > ttl))
        )
        if expired:
            if snap_at is not None and snap_at is self.cluster.snapshot(q.resource):
                self.cluster.renew(q.resource)  # the revision is compacted: the cluster has moved on
            inconsistent = encode_continue(-1, tok.get("start", ""), 0, q.qhash)
            raise ApiError(410, "Expired", EXPIRED_CONTINUE_MESSAGE, metadata={"continue": inconsistent})
        assert snap_at is not None
        return snap_at, int(tok.get("off", 0)), None

    def _table_list(
        self,
        ctx: RequestContext,
        snap: Snapshot,
        q: _ListQuery,
        items: Sequence[Entry],
        start: int,
        version: str,
    ) -> Response:
        end = len(items) if q.limit == 0 else min(start + q.limit, len(items))
        meta: Obj = {"resourceVersion": str(snap.rv)} if snap.rtype.has_resource_version else {}
        if end < len(items):
            meta["continue"] = encode_continue(snap.rv, items[end - 1].key + "\x00", end, q.qhash)
            if q.labels.empty and q.fields.empty:
                meta["remainingItemCount"] = len(items) - end
        return self._table(ctx, q.resource, [e.obj for e in items[start:end]], meta, version)

    def _table(
        self, ctx: RequestContext, resource: str, objs: Sequence[Obj], meta: Obj, version: str
    ) -> Response:
        include = ctx.query.get("includeObject", "Metadata")
        now = time.time()
        rows = []
        for obj in objs:
            row: Obj = {"cells": row_cells(resource, obj, now)}
            if include == "Object":
                row["object"] = obj
            elif include != "None":
                row["object"] = {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": f"meta.k8s.io/{version}",
                    "metadata": obj.get("metadata", {}),
                }
            rows.append(row)
        body = encode(
            {
                "kind": "Table",
                "apiVersion": f"meta.k8s.io/{version}",
                "metadata": meta,
                "columnDefinitions": columns_for(resource),
                "rows": rows,
            }
        )
        return self.maybe_gzip(ctx, Response(200, body))

    def maybe_gzip(self, ctx: RequestContext, resp: Response) -> Response:
        if ctx.accepts_gzip and not resp.gzipped and len(resp.body) >= self.gzip_min_bytes:
            return Response(resp.status, gzip_bytes(resp.body), resp.content_type, resp.headers, gzipped=True)
        return resp

    def object_response(self, ctx: RequestContext, resource: str, name: str, namespace: str = "") -> Response:
        rtype = RESOURCES[resource]
        entry = self.cluster.get_entry(resource, name, namespace)
        if entry is None:
            if rtype.group == "metrics.k8s.io":
                # metrics-server names the missing object "ns/name" and the resource podmetrics/nodemetrics.
                shown = f"{namespace}/{name}" if rtype.namespaced else name
                raise ApiError(
                    404,
                    "NotFound",
                    f'{rtype.resource[:-1]}metrics.metrics.k8s.io "{shown}" not found',
                    {"name": shown, "group": "metrics.k8s.io", "kind": f"{rtype.resource[:-1]}metrics"},
                )
            raise ApiError.not_found(rtype.resource, name, rtype.group)
        if (version := ctx.table_version) is not None:
            meta = {"resourceVersion": entry.obj["metadata"].get("resourceVersion", "")}
            return self._table(ctx, resource, [entry.obj], meta, version)
        if ctx.wants_protobuf and rtype.kind in sim_pb.KINDS:
            encoded = self._pb_cache.get(rtype.kind, entry.raw, entry.obj)
            return Response(200, sim_pb.envelope(rtype.api_version, rtype.kind, encoded), PROTOBUF)
        return self.maybe_gzip(ctx, Response(200, typed(rtype, entry.raw)))


# -- handlers --------------------------------------------------------------------------------------


def _json(doc: Any) -> Response:
    return Response(200, encode(doc))


def _version(ctx: RequestContext) -> Response:
    v = ctx.cluster.server_version
    major, minor = v.lstrip("v").split(".")[:2]
    return _json(
        {
            "major": major,
            "minor": minor,
            "gitVersion": v,
            "gitCommit": hashlib.sha1(v.encode()).hexdigest(),
            "gitTreeState": "clean",
            "buildDate": "2025-04-22T16:03:41Z",
            "goVersion": "go1.23.8",
            "compiler": "gc",
            "platform": "linux/amd64",
        }
    )


def _api_versions(ctx: RequestContext) -> Response:
    # Plain application/json (not the aggregated apidiscovery.k8s.io/v2 kind): clients fall back to
    # legacy discovery, which is what servers before 1.26 answered.
    return _json(
        {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": f"{ctx.server.host}:{ctx.server.port}"}
            ],
        }
    )


def _res(
    name: str,
    kind: str,
    namespaced: bool,
    verbs: Sequence[str],
    singular: str = "",
    short: Sequence[str] = (),
    categories: Sequence[str] = (),
    hash_: str = "",
) -> Obj:
    r: Obj = {
        "name": name,
        "singularName": singular,
        "namespaced": namespaced,
        "kind": kind,
        "verbs": list(verbs),
    }
    if short:
        r["shortNames"] = list(short)
    if categories:
        r["categories"] = list(categories)
    if hash_:
        r["storageVersionHash"] = hash_
    return r


_ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
CORE_RESOURCES: list[Obj] = [
    _res("events", "Event", True, _ALL_VERBS, "event", ("ev",), hash_="r2yiGXH7wu8="),
    _res(
        "namespaces",
        "Namespace",
        False,
        ("create", "delete", "get", "list", "patch", "update", "watch"),
        "namespace",
        ("ns",),
        hash_="Q3oi5N2YM8M=",
    ),
    _res("namespaces/status", "Namespace", False, ("get", "patch", "update")),
    _res("nodes", "Node", False, _ALL_VERBS, "node", ("no",), hash_="XwShjMxG9Fs="),
    _res("nodes/proxy", "NodeProxyOptions", False, ("create", "delete", "get", "patch", "update")),
    _res("nodes/status", "Node", False, ("get", "patch", "update")),
    _res("pods", "Pod", True, _ALL_VERBS, "pod", ("po",), ("all",), "xPOwRZ+Yhw8="),
    _res("pods/eviction", "Eviction", True, ("create",)),
    _res("pods/log", "Pod", True, ("get",)),
    _res("pods/status", "Pod", True, ("get", "patch", "update")),
]
SCHEDULING_RESOURCES: list[Obj] = [
    _res(
        "priorityclasses", "PriorityClass", False, _ALL_VERBS, "priorityclass", ("pc",), hash_="1QwjyaZjj3Y="
    ),
]
_SCALE = ("get", "patch", "update")
APPS_RESOURCES: list[Obj] = [
    _res(
        "controllerrevisions",
        "ControllerRevision",
        True,
        _ALL_VERBS,
        "controllerrevision",
        hash_="85nkx63pcBU=",
    ),
    _res("daemonsets", "DaemonSet", True, _ALL_VERBS, "daemonset", ("ds",), ("all",), "dd7pWHUlMKQ="),
    _res("daemonsets/status", "DaemonSet", True, _SCALE),
    _res("deployments", "Deployment", True, _ALL_VERBS, "deployment", ("deploy",), ("all",), "8aSe+NMegvE="),
    {**_res("deployments/scale", "Scale", True, _SCALE), "group": "autoscaling", "version": "v1"},
    _res("deployments/status", "Deployment", True, _SCALE),
    _res("replicasets", "ReplicaSet", True, _ALL_VERBS, "replicaset", ("rs",), ("all",), "P1RzHs8/mWQ="),
    {**_res("replicasets/scale", "Scale", True, _SCALE), "group": "autoscaling", "version": "v1"},
    _res("replicasets/status", "ReplicaSet", True, _SCALE),
    _res("statefulsets", "StatefulSet", True, _ALL_VERBS, "statefulset", ("sts",), ("all",), "H+vl74LkKdo="),
    {**_res("statefulsets/scale", "Scale", True, _SCALE), "group": "autoscaling", "version": "v1"},
    _res("statefulsets/status", "StatefulSet", True, _SCALE),
]
BATCH_RESOURCES: list[Obj] = [
    _res("cronjobs", "CronJob", True, _ALL_VERBS, "cronjob", ("cj",), ("all",), "sd5LIXh4Fjs="),
    _res("cronjobs/status", "CronJob", True, _SCALE),
    _res("jobs", "Job", True, _ALL_VERBS, "job", (), ("all",), "mudhfqk/qZY="),
    _res("jobs/status", "Job", True, _SCALE),
]
METRICS_RESOURCES: list[Obj] = [
    _res("nodes", "NodeMetrics", False, ("get", "list")),
    _res("pods", "PodMetrics", True, ("get", "list")),
]


def _groups(ctx: RequestContext) -> list[Obj]:
    groups = [("apps", "v1"), ("batch", "v1"), ("scheduling.k8s.io", "v1")]
    if ctx.server.faults.metrics != "absent":
        groups.append(("metrics.k8s.io", "v1beta1"))
    return [
        {
            "name": g,
            "versions": [{"groupVersion": f"{g}/{v}", "version": v}],
            "preferredVersion": {"groupVersion": f"{g}/{v}", "version": v},
        }
        for g, v in groups
    ]


def _api_groups(ctx: RequestContext) -> Response:
    return _json({"kind": "APIGroupList", "apiVersion": "v1", "groups": _groups(ctx)})


def _api_group(name: str) -> Handler:
    def handler(ctx: RequestContext) -> Response:
        for g in _groups(ctx):
            if g["name"] == name:
                return _json({"kind": "APIGroup", "apiVersion": "v1", **g})
        raise ApiError.no_route()

    return handler


def _resource_list(group_version: str, resources: list[Obj]) -> Handler:
    def handler(ctx: RequestContext) -> Response:
        return _json(
            {
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": group_version,
                "resources": resources,
            }
        )

    return handler


def _list(resource: str, *, paginate: bool = True) -> Handler:
    def handler(ctx: RequestContext) -> Response:
        return ctx.server.list_response(ctx, resource, paginate=paginate)

    return handler


def _get(resource: str) -> Handler:
    def handler(ctx: RequestContext) -> Response:
        return ctx.server.object_response(ctx, resource, ctx.params["name"], ctx.params.get("namespace", ""))

    return handler


_SUMMARY_CPU_MEM = ("nodeName", "systemContainers", "startTime", "cpu", "memory")
_POD_CPU_MEM = ("podRef", "startTime", "containers", "cpu", "memory")


def _summary(ctx: RequestContext) -> Response:
    name = ctx.params["name"]
    doc = ctx.cluster.summary(name)
    if doc is None:
        raise ApiError.not_found("nodes", name)
    if ctx.query.get("only_cpu_and_memory") == "true":
        node = {k: v for k, v in doc["node"].items() if k in _SUMMARY_CPU_MEM}
        node["systemContainers"] = [
            {k: v for k, v in c.items() if k in ("name", "startTime", "cpu", "memory")}
            for c in node.get("systemContainers", [])
        ]
        pods = [
            {
                **{k: v for k, v in p.items() if k in _POD_CPU_MEM},
                "containers": [
                    {k: v for k, v in c.items() if k in ("name", "startTime", "cpu", "memory")}
                    for c in p.get("containers", [])
                ],
            }
            for p in doc["pods"]
        ]
        doc = {"node": node, "pods": pods}
    # The kubelet pretty-prints its JSON; the apiserver proxies the bytes unchanged.
    return ctx.server.maybe_gzip(ctx, Response(200, json.dumps(doc, indent=2).encode()))


def _node_proxy_other(ctx: RequestContext) -> Response:
    if ctx.cluster.get_entry("nodes", ctx.params["name"]) is None:
        raise ApiError.not_found("nodes", ctx.params["name"])
    return Response(404, b"404 page not found\n", "text/plain; charset=utf-8")


def _health(ctx: RequestContext) -> Response:
    return Response(200, b"ok", "text/plain; charset=utf-8")


def default_router() -> Router:
    r = Router()
    nonres = {"verb": "get"}
    for p in ("/healthz", "/livez", "/readyz"):
        r.add("GET", p, _health, **nonres)
    r.add("GET", "/version", _version, **nonres)
    r.add("GET", "/api", _api_versions, **nonres)
    r.add("GET", "/api/v1", _resource_list("v1", CORE_RESOURCES), **nonres)
    r.add("GET", "/apis", _api_groups, **nonres)
    for group, resources in (("apps", APPS_RESOURCES), ("batch", BATCH_RESOURCES)):
        r.add("GET", f"/apis/{group}", _api_group(group), **nonres)
        r.add("GET", f"/apis/{group}/v1", _resource_list(f"{group}/v1", resources), **nonres)
        for res in (
            x["name"] for x in resources if "/" not in x["name"] and x["name"] != "controllerrevisions"
        ):
            key, g = f"{res}.{group}", {"resource": res, "group": group}
            r.add("GET", f"/apis/{group}/v1/{res}", _list(key), verb="list", **g)
            r.add("GET", f"/apis/{group}/v1/namespaces/{{namespace}}/{res}", _list(key), verb="list", **g)
            r.add(
                "GET", f"/apis/{group}/v1/namespaces/{{namespace}}/{res}/{{name}}", _get(key), verb="get", **g
            )
    r.add("GET", "/apis/scheduling.k8s.io", _api_group("scheduling.k8s.io"), **nonres)
    r.add(
        "GET",
        "/apis/scheduling.k8s.io/v1",
        _resource_list("scheduling.k8s.io/v1", SCHEDULING_RESOURCES),
        **nonres,
    )
    r.add("GET", "/apis/metrics.k8s.io", _api_group("metrics.k8s.io"), **nonres)
    r.add(
        "GET",
        "/apis/metrics.k8s.io/v1beta1",
        _resource_list("metrics.k8s.io/v1beta1", METRICS_RESOURCES),
        **nonres,
    )
    for res in ("pods", "events"):
        r.add("GET", f"/api/v1/{res}", _list(res), verb="list", resource=res)
        r.add("GET", f"/api/v1/namespaces/{{namespace}}/{res}", _list(res), verb="list", resource=res)
        r.add("GET", f"/api/v1/namespaces/{{namespace}}/{res}/{{name}}", _get(res), verb="get", resource=res)
    for res in ("nodes", "namespaces"):
        r.add("GET", f"/api/v1/{res}", _list(res), verb="list", resource=res)
        r.add("GET", f"/api/v1/{res}/{{name}}", _get(res), verb="get", resource=res)
    r.add(
        "GET",
        "/api/v1/nodes/{name}/proxy/{path}",
        _node_proxy_other,
        verb="get",
        resource="nodes",
        subresource="proxy",
    )
    r.add(
        "GET",
        "/api/v1/nodes/{name}/proxy/stats/summary",
        _summary,
        verb="get",
        resource="nodes",
        subresource="proxy",
    )
    pcs = "priorityclasses.scheduling.k8s.io"
    r.add(
        "GET",
        "/apis/scheduling.k8s.io/v1/priorityclasses",
        _list(pcs),
        verb="list",
        resource="priorityclasses",
        group="scheduling.k8s.io",
    )
    r.add(
        "GET",
        "/apis/scheduling.k8s.io/v1/priorityclasses/{name}",
        _get(pcs),
        verb="get",
        resource="priorityclasses",
        group="scheduling.k8s.io",
    )
    m = {"group": "metrics.k8s.io"}
    r.add(
        "GET",
        "/apis/metrics.k8s.io/v1beta1/pods",
        _list("pods.metrics.k8s.io", paginate=False),
        verb="list",
        resource="pods",
        **m,
    )
    r.add(
        "GET",
        "/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods",
        _list("pods.metrics.k8s.io", paginate=False),
        verb="list",
        resource="pods",
        **m,
    )
    r.add(
        "GET",
        "/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods/{name}",
        _get("pods.metrics.k8s.io"),
        verb="get",
        resource="pods",
        **m,
    )
    r.add(
        "GET",
        "/apis/metrics.k8s.io/v1beta1/nodes",
        _list("nodes.metrics.k8s.io", paginate=False),
        verb="list",
        resource="nodes",
        **m,
    )
    r.add(
        "GET",
        "/apis/metrics.k8s.io/v1beta1/nodes/{name}",
        _get("nodes.metrics.k8s.io"),
        verb="get",
        resource="nodes",
        **m,
    )
    return r


# -- HTTP plumbing ---------------------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    sim: SimServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that goes away mid-request (a --request-timeout, Ctrl-C, a TLS handshake cut
        # short) is normal for an apiserver: socketserver would print a traceback on the user's
        # terminal. Anything else is a bug in the sim and stays loud.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Header and body go out in separate writes; without NODELAY, Nagle + delayed ACK add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _serve(self) -> None:
        t0 = time.perf_counter()
        sim = self.server.sim
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        resp, user = sim.handle(self.command, self.path, headers, body)
        payload = resp.body
        encoding = ""
        if resp.gzipped:
            encoding = "gzip"
        head = [
            f"HTTP/1.1 {resp.status} {_phrase(resp.status)}",
            f"Audit-Id: {uuid.uuid4()}",
            "Cache-Control: no-cache, private",
            f"Content-Type: {resp.content_type}",
            f"Date: {self.date_time_string()}",
        ]
        if encoding:
            head.append("Content-Encoding: gzip")
            head.append("Vary: Accept-Encoding")
        for k, v in resp.headers.items():
            head.append(f"{k}: {v}")
        if resp.stream is not None:
            head.append("Transfer-Encoding: chunked")
        else:
            head.append(f"Content-Length: {len(payload)}")
        header_bytes = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        split = urlsplit(self.path)
        # Logged before the body goes out, so a client that has its answer always finds its request.
        sim._record(
            RequestRecord(
                self.command,
                split.path,
                {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()},
                split.query,
                headers,
                resp.status,
                encoding,
                len(payload),
                time.perf_counter() - t0,
                user,
            )
        )
        if resp.stream is not None:
            self._send_stream(sim, header_bytes, resp.stream)
            return
        try:
            if len(payload) < 65536:
                self.wfile.write(header_bytes + payload)
            else:
                self.wfile.write(header_bytes)
                self.wfile.write(payload)
        except OSError:  # the client left (broken pipe, reset, TLS EOF): nothing to answer
            self.close_connection = True
        if headers.get("connection", "").lower() == "close":
            self.close_connection = True

    def _send_stream(
        self, sim: SimServer, header_bytes: bytes, stream: Callable[[Callable[[], bool]], Iterator[bytes]]
    ) -> None:
        sock = self.connection

        def client_gone() -> bool:
            # a watching client sends nothing more: anything readable is its close (EOF, TLS close_notify)
            try:
                return bool(select.select([sock], [], [], 0)[0])
            except (OSError, ValueError):
                return True

        with sim._watch_lock:
            sim._watch_sockets.add(sock)
        try:
            self.wfile.write(header_bytes)
            for piece in stream(client_gone):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError, ValueError):
            self.close_connection = True
        finally:
            with sim._watch_lock:
                sim._watch_sockets.discard(sock)
            if sim._stopping.is_set():
                self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Unknown"


def start(
    cluster: Cluster | None = None,
    *,
    auth: Auth | None = None,
    faults: Faults | None = None,
    port: int = 0,
    gzip_min_bytes: int = GZIP_MIN_BYTES,
    precompute: bool = True,
    tls: bool = True,
) -> SimServer:
    """Serve `cluster` (default: the demo scenario) on 127.0.0.1 in a background thread.

    Use as a context manager or call .stop(). auth=Auth.disabled() turns authentication off; tls=False
    serves plain http (client-go then sends no token, so pair it with Auth.disabled())."""
    if cluster is None:
        from .scenario import demo_cluster

        cluster = demo_cluster()
    return SimServer(
        cluster,
        auth=auth,
        faults=faults,
        port=port,
        gzip_min_bytes=gzip_min_bytes,
        precompute=precompute,
        tls=tls,
    ).start()

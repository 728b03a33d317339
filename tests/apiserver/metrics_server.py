"""A small metrics.k8s.io/v1beta1 server behind the real apiserver's aggregation layer.

It serves the PodMetrics and NodeMetrics of a simulated `Cluster` (the same objects the real server
was loaded with, see mirror.py) the way metrics-server does: over TLS with a certificate from the
cluster CA (the APIService's caBundle), trusting only the front-proxy client certificate, taking the
user from X-Remote-User/X-Remote-Group and asking the real apiserver whether that user may read
metrics (a SubjectAccessReview, as every aggregated server delegates authorization). Lists ignore
`limit`, as metrics-server's do; items carry no kind/apiVersion.

The APIService points at an ExternalName Service named `localhost`: the aggregator resolves an
ExternalName to `https://NAME:PORT` (k8s.io/apiserver/pkg/util/proxy.ResolveCluster), so no
Endpoints are needed (they may not point at loopback addresses) and nothing leaves the machine.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from envtest import ControlPlane, free_port

from kubectl_mem.sim import Attributes, Cluster
from kubectl_mem.sim.selectors import SelectorError, parse_label_selector

GROUP = "metrics.k8s.io"
VERSION = "v1beta1"
PREFIX = f"/apis/{GROUP}/{VERSION}"
APISERVICE = f"{VERSION}.{GROUP}"
SERVICE_NS = "kube-system"
SERVICE_NAME = "kubectl-mem-test-metrics"

Obj = dict[str, Any]

RESOURCE_LIST = {
    "kind": "APIResourceList",
    "apiVersion": "v1",
    "groupVersion": f"{GROUP}/{VERSION}",
    "resources": [
        {
            "name": "nodes",
            "singularName": "",
            "namespaced": False,
            "kind": "NodeMetrics",
            "verbs": ["get", "list"],
        },
        {
            "name": "pods",
            "singularName": "",
            "namespaced": True,
            "kind": "PodMetrics",
            "verbs": ["get", "list"],
        },
    ],
}


def _status(code: int, reason: str, message: str, details: Obj | None = None) -> Obj:
    doc: Obj = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure"}
    doc.update({"message": message, "reason": reason, "details": details or {}, "code": code})
    return doc


class MetricsServer:
    """Start with `MetricsServer(cp, cluster).start()`, then `register()` / `unregister()`; `stop()`."""

    def __init__(self, cp: ControlPlane, cluster: Cluster) -> None:
        self.cp = cp
        self.cluster = cluster
        self.port = free_port()
        self.requests: list[tuple[str, str]] = []  # (user, path?query)
        self.registered: int | None = None  # the port the APIService points at
        # the aggregator checks the certificate against the Service's DNS name, whatever it dials
        pair = cp.issue_serving_cert("metrics-server", (f"{SERVICE_NAME}.{SERVICE_NS}.svc", "localhost"))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pair.cert, pair.key)
        ctx.verify_mode = ssl.CERT_REQUIRED  # only the aggregator's front-proxy client certificate
        ctx.load_verify_locations(cafile=str(cp.front_proxy_ca.cert))
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True)
        self._httpd.metrics = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    def start(self) -> MetricsServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="metrics-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # -- the APIService -------------------------------------------------------------------------
    def register(self, timeout: float = 60, *, port: int | None = None, want: int = 200) -> None:
        """Create the Service and APIService and wait until the aggregator answers `want` (200: serves
        metrics). `port`: point it elsewhere, e.g. at a port nothing listens on (metrics-server down)."""
        port = port or self.port
        if self.registered == port:
            return
        self.cp.request("DELETE", f"/apis/apiregistration.k8s.io/v1/apiservices/{APISERVICE}")
        self.cp.request("DELETE", f"/api/v1/namespaces/{SERVICE_NS}/services/{SERVICE_NAME}")
        self.cp.apply(
            f"/api/v1/namespaces/{SERVICE_NS}/services",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": SERVICE_NAME},
                "spec": {
                    "type": "ExternalName",
                    "externalName": "localhost",
                    "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
                },
            },
        )
        self.cp.apply(
            "/apis/apiregistration.k8s.io/v1/apiservices",
            {
                "apiVersion": "apiregistration.k8s.io/v1",
                "kind": "APIService",
                "metadata": {"name": APISERVICE},
                "spec": {
                    "group": GROUP,
                    "version": VERSION,
                    "service": {"namespace": SERVICE_NS, "name": SERVICE_NAME, "port": port},
                    "caBundle": _b64(self.cp.ca_file.read_bytes()),
                    "groupPriorityMinimum": 100,
                    "versionPriority": 100,
                },
            },
        )
        self._wait(want, timeout)
        self.registered = port

    def unregister(self, timeout: float = 60) -> None:
        self.registered = None
        self.cp.request("DELETE", f"/apis/apiregistration.k8s.io/v1/apiservices/{APISERVICE}")
        self.cp.request("DELETE", f"/api/v1/namespaces/{SERVICE_NS}/services/{SERVICE_NAME}")
        self._wait(404, timeout)

    def _wait(self, want: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        status = 0
        while time.monotonic() < deadline:
            status = self.cp.request("GET", f"{PREFIX}/nodes")[0]
            if status == want:
                return
            time.sleep(0.2)
        raise TimeoutError(f"GET {PREFIX}/nodes kept answering {status}, waited for {want}")

    # -- serving --------------------------------------------------------------------------------
    def allowed(self, user: str, groups: list[str], attrs: Attributes) -> bool:
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": user,
                "groups": groups,
                "resourceAttributes": {
                    "verb": attrs.verb,
                    "group": attrs.group,
                    "resource": attrs.resource,
                    "namespace": attrs.namespace,
                    "name": attrs.name,
                },
            },
        }
        status, _, body = self.cp.request(
            "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", review
        )
        return status == 201 and bool(json.loads(body).get("status", {}).get("allowed"))

    def answer(self, path: str, query: dict[str, str], user: str, groups: list[str]) -> tuple[int, Obj]:
        if path == PREFIX:
            return 200, RESOURCE_LIST
        if not path.startswith(PREFIX + "/"):
            return 404, _status(404, "NotFound", "the server could not find the requested resource")
        parts = path[len(PREFIX) + 1 :].split("/")
        namespace = name = ""
        if parts[0] == "namespaces" and len(parts) >= 3:
            namespace, parts = parts[1], parts[2:]
        resource = parts[0]
        if resource not in ("pods", "nodes") or len(parts) > 2 or (resource == "nodes" and namespace):
            return 404, _status(404, "NotFound", "the server could not find the requested resource")
        if len(parts) == 2:
            name = parts[1]
        attrs = Attributes(
            verb="get" if name else "list", resource=resource, group=GROUP, namespace=namespace, name=name
        )
        if not self.allowed(user, groups, attrs):
            message, details = attrs.forbidden_status(user)
            return 403, _status(403, "Forbidden", message, details)
        key = f"{resource}.{GROUP}"
        items = [
            o for o in self.cluster.list(key) if not namespace or o["metadata"].get("namespace") == namespace
        ]
        kind = "PodMetrics" if resource == "pods" else "NodeMetrics"
        if name:
            found = [o for o in items if o["metadata"]["name"] == name]
            if not found:
                shown = f"{namespace}/{name}" if namespace else name
                return 404, _status(
                    404,
                    "NotFound",
                    f'{resource[:-1]}metrics.{GROUP} "{shown}" not found',
                    {"name": shown, "group": GROUP, "kind": f"{resource[:-1]}metrics"},
                )
            return 200, {"kind": kind, "apiVersion": f"{GROUP}/{VERSION}", **_item(found[0])}
        try:
            selector = parse_label_selector(query.get("labelSelector", ""))
        except SelectorError as e:
            return 400, _status(400, "BadRequest", str(e))
        items = [o for o in items if selector.matches(o["metadata"].get("labels") or {})]
        return 200, {
            "kind": f"{kind}List",
            "apiVersion": f"{GROUP}/{VERSION}",
            "metadata": {},
            "items": [_item(o) for o in items],
        }


def _item(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "metrics-server-test"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        server: MetricsServer = self.server.metrics  # type: ignore[attr-defined]
        split = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        peer = dict(x[0] for x in self.connection.getpeercert().get("subject", ()))  # type: ignore[attr-defined]
        user = self.headers.get("X-Remote-User", "")
        groups = self.headers.get_all("X-Remote-Group") or []
        if peer.get("commonName") != "front-proxy-client" or not user:
            code, doc = 401, _status(401, "Unauthorized", "Unauthorized")
        else:
            server.requests.append((user, self.path))
            code, doc = server.answer(split.path.rstrip("/"), query, user, groups)
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

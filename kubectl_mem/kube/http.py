"""Requests to the API server (GETs; the POST and DELETE of the collector pods) over urllib3.

The connection (kube/config.py) gives the URL, the auth headers (bearer tokens, exec credential
plugins) and the pool (TLS, client certificates, proxy); we take the raw body (gzip-decoded by
urllib3) so that `kube/decode.py` can decode it straight into slim records. 429 and 5xx are retried
a bounded number of times, honouring Retry-After; a 401 once after fresh credentials where they can
be renewed (exec plugins, token files); every other failure becomes a typed, one-line error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import msgspec
import urllib3

from kubectl_mem.errors import (
    ApiError,
    ApiNotFoundError,
    ForbiddenError,
    GoneError,
    MalformedResponseError,
    UnauthorizedError,
    UnreachableError,
)
from kubectl_mem.kube.config import Connection

MAX_RETRIES = 5
MAX_RETRY_AFTER = 10.0  # seconds; a server asking for longer is treated as failing


class _Status(msgspec.Struct):
    kind: str = ""
    message: str = ""
    reason: str = ""
    code: int = 0


class Response(msgspec.Struct):
    status: int
    body: bytes


class Transport:
    """Thread-safe: urllib3's pool manager is, and credentials renew under their own lock."""

    def __init__(
        self,
        conn: Connection,
        *,
        retries: int = MAX_RETRIES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.conn = conn
        self.retries = retries
        self.sleep = sleep
        self._lock = threading.Lock()
        self.requests = 0  # how many HTTP requests were sent, for tests and benchmarks
        # does this server offer streaming lists (KEP-3157)? None: not tried yet on this connection
        self.streaming_lists: bool | None = None

    def get(
        self,
        path: str,
        params: Sequence[tuple[str, str]] = (),
        *,
        accept: str = "application/json",
        ok_statuses: Sequence[int] = (),
    ) -> Response:
        """GET path; returns the body on 2xx (and on any status in ok_statuses), else raises."""
        return self.request("GET", path, params, accept=accept, ok_statuses=ok_statuses)

    def post(self, path: str, body: bytes, params: Sequence[tuple[str, str]] = ()) -> Response:
        """POST a JSON body (create). Never retried: a create that reached the server may have
        happened even when the answer was an error."""
        return self.request("POST", path, params, body=body, retry=False)

    def delete(
        self, path: str, params: Sequence[tuple[str, str]] = (), *, ok_statuses: Sequence[int] = ()
    ) -> Response:
        """DELETE path (idempotent, so retried like a GET)."""
        return self.request("DELETE", path, params, ok_statuses=ok_statuses)

    def stream(
        self,
        path: str,
        params: Sequence[tuple[str, str]] = (),
        *,
        accept: str,
        read_timeout: float,
        retry: bool = True,
    ) -> urllib3.BaseHTTPResponse:
        """GET a long-lived response (a watch) and hand it back unread. 429 and 5xx before the stream
        starts are retried as `get` retries them; any other error status raises as `get` does."""
        conn = self.conn
        attempt = 0
        renewed = False
        while True:
            with self._lock:
                self.requests += 1
            try:
                raw = conn.pool.request(
                    "GET",
                    conn.url(path, params),
                    headers=conn.headers({"Accept": accept, "Accept-Encoding": "gzip"}),
                    timeout=urllib3.Timeout(connect=30.0, read=read_timeout),
                    retries=urllib3.Retry(total=0, redirect=3),
                    preload_content=False,
                )
            except urllib3.exceptions.HTTPError as e:
                raise UnreachableError(_unreachable(self.conn.server, e)) from None
            if 200 <= raw.status < 300:
                return raw
            try:
                body = raw.data
            finally:
                raw.release_conn()
            if raw.status == 401 and not renewed and conn.credentials.refresh():
                renewed = True
                continue
            retry_after = _retry_after(raw.headers.get("Retry-After"))
            retryable = retry and (raw.status == 429 or raw.status >= 500) and attempt < self.retries
            if retryable and (retry_after is None or retry_after <= MAX_RETRY_AFTER):
                attempt += 1
                self.sleep(retry_after if retry_after is not None else min(0.2 * 2**attempt, 5.0))
                continue
            raise status_error(raw.status, body, path, attempts=attempt + 1)

    def request(
        self,
        method: str,
        path: str,
        params: Sequence[tuple[str, str]] = (),
        *,
        body: bytes | None = None,
        accept: str = "application/json",
        ok_statuses: Sequence[int] = (),
        retry: bool = True,
    ) -> Response:
        conn = self.conn
        attempt = 0
        renewed = False
        while True:
            header_params = {"Accept": accept, "Accept-Encoding": "gzip"}
            if body is not None:
                header_params["Content-Type"] = "application/json"
            with self._lock:
                self.requests += 1
            try:
                raw = conn.pool.request(
                    method,
                    conn.url(path, params),
                    body=body,
                    headers=conn.headers(header_params),
                    timeout=_timeout(conn.request_timeout),
                    retries=urllib3.Retry(
                        total=1, connect=1, read=0, status=0, redirect=3, respect_retry_after_header=False
                    ),
                )
            except urllib3.exceptions.HTTPError as e:
                raise UnreachableError(_unreachable(self.conn.server, e)) from None
            status = raw.status
            if 200 <= status < 300 or status in ok_statuses:
                return Response(status, raw.data)
            if status == 401 and not renewed and conn.credentials.refresh():
                renewed = True
                continue
            retry_after = _retry_after(raw.headers.get("Retry-After"))
            retryable = retry and (status == 429 or status >= 500) and attempt < self.retries
            if retryable and (retry_after is None or retry_after <= MAX_RETRY_AFTER):
                attempt += 1
                self.sleep(retry_after if retry_after is not None else min(0.2 * 2**attempt, 5.0))
                continue
            raise status_error(status, raw.data, path, attempts=attempt + 1, method=method)


def _timeout(seconds: float | None) -> urllib3.Timeout:
    if seconds is None:
        return urllib3.Timeout(connect=30.0, read=None)
    return urllib3.Timeout(total=seconds)


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare from the API server; fall back to our back-off


def _unreachable(server: str, e: Exception) -> str:
    reason = getattr(e, "reason", None) or e
    text = str(reason)
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2: look at refusals first
    if "Connection refused" in text:
        return f"cannot reach the API server at {server}: connection refused"
    if isinstance(reason, urllib3.exceptions.TimeoutError) or "timed out" in text:
        return f"timed out talking to the API server at {server}"
    if isinstance(reason, urllib3.exceptions.SSLError) or "SSL" in text or "certificate" in text:
        return f"TLS error talking to the API server at {server}: {text.split(': ', 1)[-1][:200]}"
    if "Name or service not known" in text or "nodename nor servname" in text or "resolve" in text:
        return f"cannot resolve the API server's host in {server}"
    return f"cannot reach the API server at {server}: {text[:200]}"


def status_error(status: int, body: bytes, path: str, *, attempts: int = 1, method: str = "GET") -> ApiError:
    """Turn an error response into the typed error, keeping the server's own message (a Status in
    JSON, or in protobuf when protobuf was the first type the request accepted)."""
    message, reason = _status_message(body)
    if status == 401:
        return UnauthorizedError(
            "the API server rejected the credentials (401 Unauthorized)",
            code=status,
            reason=reason,
            hint="log in again or check the user in your kubeconfig",
        )
    if status == 403:
        return ForbiddenError(message or f"forbidden: {method} {path}", code=status, reason=reason)
    if status == 404:
        return ApiNotFoundError(message or f"not found: {path}", code=status, reason=reason)
    if status == 410:
        return GoneError(message or f"gone: {path}", code=status, reason=reason)
    if status == 429 or status >= 500:
        what = "too many requests (429)" if status == 429 else f"server error {status}"
        detail = f": {message}" if message else ""
        return ApiError(
            f"the API server kept failing on {method} {path}: {what}{detail} (after {attempts} attempts)",
            code=status,
            reason=reason,
        )
    return ApiError(message or f"unexpected status {status} on {method} {path}", code=status, reason=reason)


def _status_message(body: bytes) -> tuple[str, str]:
    if body[:4] == b"k8s\x00":
        from kubectl_mem.kube import pb  # only a protobuf client gets protobuf errors

        try:
            st = pb.parse(pb.Status, pb.unwrap(body)[1])
            return st.message, st.reason
        except ValueError:
            return "", ""
    try:
        st = msgspec.json.decode(body, type=_Status)
        return st.message, st.reason
    except (msgspec.DecodeError, msgspec.ValidationError):
        return "", ""


def malformed(path: str, e: Exception) -> MalformedResponseError:
    return MalformedResponseError(f"malformed response from the API server for GET {path}: {e}")

"""Watch streams, streaming lists, and a reflector that lists once and then watches.

A watch (`?watch=1`) is one long HTTP response of events. JSON streams carry one
`{"type": ..., "object": ...}` a line; protobuf streams (`;stream=watch`) carry length-delimited
frames, each a `metav1.WatchEvent` whose object is a `k8s\\0` envelope (see `pb.py`).

A streaming list (KEP-3157: `sendInitialEvents=true&resourceVersionMatch=NotOlderThan`) is a watch
that first sends every object as ADDED, then a BOOKMARK annotated `k8s.io/initial-events-end`: the
apiserver serves it from its watch cache with constant memory instead of building list pages. A
server that does not offer it refuses the parameters (400, or 403/422 from proxies); that is learnt
once per connection (`Transport.streaming_lists`) and paginated LISTs are used from then on.
"""

from __future__ import annotations

import contextlib
import http.client
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec
import urllib3

from kubectl_mem.errors import (
    ApiError,
    ForbiddenError,
    GoneError,
    KubectlMemError,
    MalformedResponseError,
    UnreachableError,
)
from kubectl_mem.kube import pb
from kubectl_mem.kube.codecs import Codec
from kubectl_mem.kube.http import Transport
from kubectl_mem.kube.lists import list_all

T = TypeVar("T")

INITIAL_EVENTS_END = "k8s.io/initial-events-end"
WATCH_SECONDS = (300, 600)  # a watch asks the server to end it after a random time in this range
BACKOFF = (0.8, 30.0)  # first and longest wait before reconnecting after a failure
MAX_FRAME = 64 << 20  # a protobuf frame longer than this is a broken stream, not an object


@dataclass(frozen=True, slots=True)
class Event:
    type: str  # ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
    obj: Any = None  # the decoded record (ADDED, MODIFIED, DELETED)
    resource_version: str = ""
    initial_events_end: bool = False  # the BOOKMARK that ends a streaming list's initial events
    code: int = 0  # ERROR: the Status
    reason: str = ""
    message: str = ""


class StreamingUnsupported(KubectlMemError):
    """The server refused a streaming list: use paginated LISTs on this connection."""


# -- decoding events ------------------------------------------------------------------------------


class _Annotations(msgspec.Struct, gc=False):
    end: str | None = msgspec.field(default=None, name=INITIAL_EVENTS_END)


class _Meta(msgspec.Struct, rename="camel", gc=False):
    resource_version: str = ""
    annotations: _Annotations | None = None


class _JsonObject(msgspec.Struct, gc=False):
    metadata: _Meta = msgspec.field(default_factory=_Meta)
    # a Status (ERROR events)
    code: int = 0
    reason: str = ""
    message: str = ""


class _JsonEvent(msgspec.Struct, gc=False):
    type: str = ""
    object: msgspec.Raw = msgspec.Raw(b"null")


_json_event = msgspec.json.Decoder(_JsonEvent)
_json_object = msgspec.json.Decoder(_JsonObject)


_OBJECT_EVENTS = frozenset(("ADDED", "MODIFIED", "DELETED"))


def _json_events(lines: Iterator[bytes], decode_event: Callable[[bytes], tuple[Any, str]]) -> Iterator[Event]:
    for line in lines:
        if not line.strip():
            continue
        ev = _json_event.decode(line)
        raw = bytes(ev.object)
        if ev.type in _OBJECT_EVENTS:
            obj, rv = decode_event(raw)
            yield Event(ev.type, obj, rv)
            continue
        head = _json_object.decode(raw)
        rv = head.metadata.resource_version
        if ev.type == "ERROR":
            yield Event("ERROR", None, rv, code=head.code, reason=head.reason, message=head.message)
        elif ev.type == "BOOKMARK":
            ann = head.metadata.annotations
            yield Event("BOOKMARK", None, rv, initial_events_end=ann is not None and ann.end == "true")


def _pb_events(frames: Iterator[bytes], decode_event: Callable[[bytes], tuple[Any, str]]) -> Iterator[Event]:
    for frame in frames:
        ev = pb.parse(pb.WatchEvent, frame)
        envelope = ev.object.raw
        if ev.type in _OBJECT_EVENTS:
            obj, rv = decode_event(envelope)
            yield Event(ev.type, obj, rv)
        elif ev.type == "ERROR":
            st = pb.parse(pb.Status, pb.unwrap(envelope)[1])
            yield Event("ERROR", None, "", code=st.code, reason=st.reason, message=st.message)
        elif ev.type == "BOOKMARK":
            meta = pb.parse(pb.PartialObject, pb.unwrap(envelope)[1]).metadata
            end = meta.annotations.get(INITIAL_EVENTS_END) == "true"
            yield Event("BOOKMARK", None, meta.resource_version, initial_events_end=end)


def _lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    buf = b""
    for chunk in chunks:
        buf += chunk
        *done, buf = buf.split(b"\n")
        yield from done
    if buf.strip():
        yield buf


def _frames(chunks: Iterator[bytes]) -> Iterator[bytes]:
    buf = bytearray()
    for chunk in chunks:
        buf += chunk
        while len(buf) >= 4:
            size = int.from_bytes(buf[:4], "big")
            if size > MAX_FRAME:
                raise ValueError(f"a watch frame of {size} bytes")
            if len(buf) < 4 + size:
                break
            yield bytes(buf[4 : 4 + size])
            del buf[: 4 + size]
    if buf:
        raise ValueError("the watch stream ended inside a frame")


def _chunks(resp: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
    while True:
        data = resp.read1(1 << 16)
        if not data:
            return
        yield data


def events(
    resp: urllib3.BaseHTTPResponse, decode_event: Callable[[bytes], tuple[Any, str]]
) -> Iterator[Event]:
    """The events of one watch response, framed by its content type, as they arrive."""
    ctype = resp.headers.get("Content-Type", "")
    if ctype.startswith(pb.CONTENT_TYPE):
        return _pb_events(_frames(_chunks(resp)), decode_event)
    return _json_events(_lines(_chunks(resp)), decode_event)


# -- one watch ------------------------------------------------------------------------------------


class Watch:
    """One watch request; iterate for its events, `close()` from any thread to end it."""

    def __init__(
        self,
        transport: Transport,
        path: str,
        params: Sequence[tuple[str, str]],
        codec: Codec,
        resource_version: str,
        *,
        timeout_seconds: int | None = None,
        initial_events: bool = False,
        retry: bool = True,
    ) -> None:
        seconds = timeout_seconds or random.randint(*WATCH_SECONDS)
        query = [*params, ("watch", "1"), ("allowWatchBookmarks", "true"), ("timeoutSeconds", str(seconds))]
        if initial_events:
            query += [("sendInitialEvents", "true"), ("resourceVersionMatch", "NotOlderThan")]
        query.append(("resourceVersion", resource_version))
        self.path = path
        # a server sends a bookmark about every minute: twice that without a byte means the link is dead
        self._resp = transport.stream(
            path, query, accept=codec.watch_accept, read_timeout=max(seconds, 60) + 60, retry=retry
        )
        self._decode_event = codec.decode_event
        self._closed = False
        self._reader: Iterator[Event] | None = None

    def __iter__(self) -> Iterator[Event]:
        # one reader for the response's life: a streaming list's loop stops at the end bookmark and the
        # watch loop goes on with the same reader (and its buffered bytes)
        if self._reader is None:
            self._reader = self._read()
        return self._reader

    def _read(self) -> Iterator[Event]:
        try:
            yield from events(self._resp, self._decode_event)
        except Exception as e:
            if self._closed:  # closed under the reader's feet (stop, or the caller is done): not a failure
                return
            if isinstance(e, (msgspec.DecodeError, msgspec.ValidationError, ValueError)):
                raise MalformedResponseError(
                    f"malformed watch event from the API server for {self.path}: {e}"
                ) from None
            if isinstance(e, (urllib3.exceptions.ProtocolError, http.client.HTTPException)):
                raise UnreachableError(f"the watch of {self.path} was cut: connection lost") from None
            if isinstance(e, (urllib3.exceptions.HTTPError, OSError)):
                raise UnreachableError(f"the watch of {self.path} was cut: {str(e)[:160]}") from None
            raise
        finally:
            self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            # never hand a half-read stream back to the pool: close its connection first
            with contextlib.suppress(Exception):
                self._resp.shutdown()  # wakes a reader blocked in another thread
            with contextlib.suppress(Exception):
                self._resp.close()
                self._resp.release_conn()


def _status_event_error(ev: Event, path: str) -> ApiError:
    if ev.code == 410:
        return GoneError(
            ev.message or f"watch of {path}: resource version too old", code=410, reason=ev.reason
        )
    return ApiError(
        ev.message or f"watch of {path} failed ({ev.code})", code=ev.code or 500, reason=ev.reason
    )


# -- streaming lists ------------------------------------------------------------------------------


def stream_list(
    transport: Transport, path: str, params: Sequence[tuple[str, str]], codec: Codec
) -> tuple[list[Any], str, Watch]:
    """Every object through a streaming list: (records, resourceVersion, the open watch that goes on
    from there). Raises StreamingUnsupported when the server refuses it."""
    try:
        w = Watch(transport, path, params, codec, "", initial_events=True)
    except ApiError as e:
        if e.code in (400, 403, 405, 406, 415, 422):
            if e.code != 403:  # 403: this user may not watch here; another list may still stream
                transport.streaming_lists = False
            raise StreamingUnsupported(f"streaming lists refused by the server: {e.message}") from None
        raise
    items: list[Any] = []
    for ev in w:
        if ev.type in ("ADDED", "MODIFIED"):
            items.append(ev.obj)
        elif ev.type == "BOOKMARK" and ev.initial_events_end:
            transport.streaming_lists = True
            return items, ev.resource_version, w
        elif ev.type == "ERROR":
            w.close()
            raise _status_event_error(ev, path)
    w.close()
    # the stream ended without the end marker: a server that ignored sendInitialEvents
    transport.streaming_lists = False
    raise StreamingUnsupported(f"the server ended the streaming list of {path} without its end bookmark")


def list_objects(
    transport: Transport,
    path: str,
    params: Sequence[tuple[str, str]],
    codec: Codec,
    *,
    streaming: bool = True,
) -> tuple[list[Any], str]:
    """All objects at one resourceVersion: a streaming list where the connection offers it, else
    paginated LISTs. Returns (records, resourceVersion)."""
    if streaming and transport.streaming_lists is not False:
        try:
            items, rv, w = stream_list(transport, path, params, codec)
            w.close()
            return items, rv
        except StreamingUnsupported:
            pass
    return list_all(
        transport, path, codec.decode_page, params, accept=codec.accept, head=codec.list_head, with_rv=True
    )


# -- list once, then watch --------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchState:
    """How a reflector is doing, for the header."""

    synced: bool = False  # the first list is in
    connected: bool = False  # a watch is open
    retry_at: float | None = None  # time.monotonic() of the next attempt, while backing off
    error: str = ""  # why the last attempt failed
    relists: int = 0  # lists after the first (410 Gone)
    events: int = 0


class Reflector(Generic[T]):
    """Keeps `key -> record` current for one resource: one list, then a watch resumed from the last
    resourceVersion seen (bookmarks included); 410 Gone lists again; a broken connection retries
    with exponential back-off, said in `state`. Runs in a daemon thread; `stop()` ends it."""

    def __init__(
        self,
        transport: Transport,
        path: str,
        params: Sequence[tuple[str, str]],
        codec: Codec,
        key: Callable[[T], str],
        *,
        streaming: bool = True,
        on_change: Callable[[], None] | None = None,
        name: str = "",
        poll_seconds: float = 10.0,
        backoff: tuple[float, float] = BACKOFF,
    ) -> None:
        self.transport = transport
        self.path = path
        self.params = list(params)
        self.codec = codec
        self.key = key
        self.streaming = streaming
        self.on_change = on_change
        self.name = name or path
        self.poll_seconds = poll_seconds
        self.backoff = backoff
        self._items: dict[str, T] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._synced = threading.Event()
        self._watch: Watch | None = None
        self._thread: threading.Thread | None = None
        self.rv = ""
        self.state = WatchState()
        self.first_error: KubectlMemError | None = None  # the first list failed with this
        self.lists = 0

    # -- reading
    def items(self) -> list[T]:
        with self._lock:
            return list(self._items.values())

    def wait_synced(self, timeout: float | None = None) -> bool:
        """True once the first list is in; raises the first list's error if it failed."""
        done = self._synced.wait(timeout)
        if self.first_error is not None:
            raise self.first_error
        return done

    # -- life
    def start(self) -> Reflector[T]:
        self._thread = threading.Thread(target=self._run, name=f"watch {self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        w = self._watch
        if w is not None:
            w.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _set(self, **changes: Any) -> None:
        self.state = WatchState(**{**self.state.__dict__, **changes})

    def _replace(self, items: list[T], rv: str) -> None:
        with self._lock:
            self._items = {self.key(x): x for x in items}
        self.rv = rv
        self.lists += 1
        if self._synced.is_set():
            self._set(relists=self.state.relists + 1)
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def _apply(self, ev: Event) -> None:
        if ev.type in ("ADDED", "MODIFIED"):
            with self._lock:
                self._items[self.key(ev.obj)] = ev.obj
        elif ev.type == "DELETED":
            with self._lock:
                self._items.pop(self.key(ev.obj), None)
        if ev.resource_version:
            self.rv = ev.resource_version
        if ev.type != "BOOKMARK":
            self._set(events=self.state.events + 1)
            self._changed()

    def _list(self) -> Watch | None:
        """List everything; the streaming list's watch goes on as the watch."""
        if self.streaming and self.transport.streaming_lists is not False:
            try:
                items, rv, w = stream_list(self.transport, self.path, self.params, self.codec)
                self._replace(items, rv)
                return w
            except StreamingUnsupported:
                pass
        items, rv = list_all(
            self.transport,
            self.path,
            self.codec.decode_page,
            self.params,
            accept=self.codec.accept,
            head=self.codec.list_head,
            with_rv=True,
        )
        self._replace(items, rv)
        return None

    def _run(self) -> None:
        failures = 0
        need_list = True
        while not self._stop.is_set():
            try:
                w = None
                if need_list:
                    w = self._list()
                    need_list = False
                    self._synced.set()
                if w is None:  # resume; a failure shows in the state and backs off here, not in HTTP retries
                    w = Watch(self.transport, self.path, self.params, self.codec, self.rv, retry=False)
                self._watch = w
                if self._stop.is_set():
                    w.close()
                    return
                self._set(connected=True, retry_at=None, error="", synced=True)
                failures = 0
                for ev in w:
                    if ev.type == "ERROR":
                        raise _status_event_error(ev, self.path)
                    self._apply(ev)
                # the server ended the watch (its timeout): resume from the last resourceVersion
            except GoneError as e:
                need_list = True  # our resourceVersion is compacted away: only a new list is consistent
                self._set(connected=False, error=f"410 Gone, listing again: {e.message}")
            except ForbiddenError as e:
                if not self._synced.is_set():
                    self.first_error = e
                    self._synced.set()
                    return
                # allowed to list but not to watch: list again at each poll instead
                need_list = True
                self._set(
                    connected=False,
                    retry_at=time.monotonic() + self.poll_seconds,
                    error=f"no watch: {e.message}",
                )
                if self._stop.wait(self.poll_seconds):
                    return
            except KubectlMemError as e:
                if self._stop.is_set():
                    return
                if not self._synced.is_set():
                    self.first_error = e
                    self._synced.set()
                    return
                failures += 1
                first, longest = self.backoff
                wait = min(first * 2 ** (failures - 1), longest) * random.uniform(0.8, 1.2)
                self._set(connected=False, retry_at=time.monotonic() + wait, error=str(e))
                self._changed()
                if self._stop.wait(wait):
                    return
            finally:
                self._watch = None

"""Paginated LIST: `limit` + `continue`, restarted once from scratch on 410 Gone.

Pages are pipelined: a fetcher thread requests page n+1 (network and gzip inflate release the GIL)
while this thread decodes page n into records. The fetcher reads only the list metadata of each page
to learn the next continue token. Each page's bytes are dropped once decoded, so peak memory is a
couple of pages of JSON plus the slim records.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import msgspec

from kubectl_mem.errors import GoneError
from kubectl_mem.kube import wire
from kubectl_mem.kube.http import Transport, malformed

T = TypeVar("T")
PageDecoder = Callable[[bytes], tuple[list[T], wire.ListMeta]]

CHUNK = 500  # kubectl's --chunk-size
PREFETCH = 2  # pages fetched ahead of the decoder


class _ListHead(msgspec.Struct):
    metadata: wire.ListMeta = msgspec.field(default_factory=wire.ListMeta)


_head = msgspec.json.Decoder(_ListHead)


def list_all(
    transport: Transport,
    path: str,
    decode_page: PageDecoder[T],
    params: Sequence[tuple[str, str]] = (),
    *,
    limit: int | None = CHUNK,
    accept: str = "application/json",
    head: Callable[[bytes], wire.ListMeta] | None = None,
    with_rv: bool = False,
) -> Any:
    """Every item (and, with_rv, the list's resourceVersion, where a watch can start from)."""
    items: list[T] = []
    attempt = 0
    rv = ""
    for page_attempt, body in _pages(transport, path, params, limit, accept, head or _json_head):
        if page_attempt != attempt:  # the list restarted after a 410: what we had is inconsistent
            attempt, items, rv = page_attempt, [], ""
        try:
            records, meta = decode_page(body)
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as e:  # ValueError: a bad quantity
            raise malformed(path, e) from None
        rv = rv or meta.resource_version
        items.extend(records)
    return (items, rv) if with_rv else items


def _json_head(body: bytes) -> wire.ListMeta:
    return _head.decode(body).metadata


def _pages(
    transport: Transport,
    path: str,
    params: Sequence[tuple[str, str]],
    limit: int | None,
    accept: str,
    head: Callable[[bytes], wire.ListMeta],
) -> Iterator[tuple[int, bytes]]:
    """(attempt, page body) in order, fetched ahead by a thread; its errors are raised here."""
    q: queue.Queue[tuple[int, bytes] | BaseException | None] = queue.Queue(maxsize=PREFETCH)
    stop = threading.Event()

    def put(item: tuple[int, bytes] | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        try:
            attempt = 0
            while True:
                token = ""
                try:
                    while True:
                        query = list(params)
                        if limit:
                            query.append(("limit", str(limit)))
                        if token:
                            query.append(("continue", token))
                        body = transport.get(path, query, accept=accept).body
                        try:
                            token = head(body).continue_
                        except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as e:
                            raise malformed(path, e) from None
                        if not put((attempt, body)):
                            return
                        if not token:
                            put(None)
                            return
                except GoneError as e:
                    if attempt or not token:
                        raise GoneError(
                            f"listing {path} failed: the continue token expired twice while paging "
                            "(410 Gone); the cluster may be changing fast: try again, or narrow the list "
                            "with -n or -l",
                            code=e.code,
                            reason=e.reason,
                        ) from None
                    attempt += 1  # a consistent list is only possible from the start again
        except Exception as e:  # handed to the consumer and raised in its thread
            put(e)

    thread = threading.Thread(target=fetch, name=f"list {path}", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)

"""Paginated LIST: `limit` + `continue`, restarted once from scratch on 410 Gone.

Each page is decoded into records and dropped before the next one is fetched, so peak memory is
one page of JSON plus the slim records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import msgspec

from kubectl_mem.errors import GoneError
from kubectl_mem.kube import wire
from kubectl_mem.kube.http import Transport, malformed

T = TypeVar("T")
PageDecoder = Callable[[bytes], tuple[list[T], wire.ListMeta]]

CHUNK = 500  # kubectl's --chunk-size


def list_all(
    transport: Transport,
    path: str,
    decode_page: PageDecoder[T],
    params: Sequence[tuple[str, str]] = (),
    *,
    limit: int | None = CHUNK,
) -> list[T]:
    restarted = False
    while True:
        items: list[T] = []
        token = ""
        try:
            while True:
                query = list(params)
                if limit:
                    query.append(("limit", str(limit)))
                if token:
                    query.append(("continue", token))
                body = transport.get(path, query).body
                try:
                    records, meta = decode_page(body)
                except (msgspec.DecodeError, msgspec.ValidationError) as e:
                    raise malformed(path, e) from None
                items.extend(records)
                token = meta.continue_
                if not token:
                    return items
        except GoneError as e:
            if restarted or not token:
                raise GoneError(
                    f"listing {path} failed: the continue token expired twice while paging (410 Gone); "
                    "the cluster may be changing fast: try again, or narrow the list with -n or -l",
                    code=e.code,
                    reason=e.reason,
                ) from None
            restarted = True  # a consistent list is only possible from the start again

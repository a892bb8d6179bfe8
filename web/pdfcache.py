"""Rendered PDFs, kept per process and rendered one at a time.

A published notice or announcement does not change, yet anyone may ask for its
PDF, many times and at once.  Each rendered document is kept (up to
:data:`MAX_BYTES` per worker, least recently used first out) under the SHA-256
of everything it shows — the context values the PDF reads and the wording of
its labels, so a different language, or any change, is another document and
never a stale one.  A worker renders one PDF at a time: others wait, then
usually find the bytes ready.

A gevent worker serves all its requests on one thread, and reportlab never
yields: a PDF rendered in the request's greenlet would stop every other request
of the worker for as long as it takes (seconds for a long notice, more on a busy
machine).  So the rendering runs on a thread of gevent's thread pool; the
worker's event loop gets the interpreter back every few milliseconds (the GIL's
switch interval) and keeps answering.  In a thread worker (``gthread``) the
request's own thread renders.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import gevent
from gevent import monkey

#: Bytes of rendered PDFs one process keeps.
MAX_BYTES = 64 * 1024 * 1024

_cache: OrderedDict[str, bytes] = OrderedDict()
_size = 0
_guard: list[threading.Lock] = []  # created on first use: after gevent patched threading


def _lock() -> threading.Lock:
    if not _guard:
        _guard.append(threading.Lock())
    return _guard[0]


def digest(kind: str, ctx: Mapping[str, Any], keys: Iterable[str],
           labels: Mapping[str, str]) -> str:
    """The identity of a document: its kind, the values it shows and its labels."""
    shown = {key: ctx.get(key) for key in keys}
    text = json.dumps([kind, shown, dict(labels)], sort_keys=True, ensure_ascii=False,
                      default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _get(key: str) -> bytes | None:
    data = _cache.get(key)
    if data is not None:
        _cache.move_to_end(key)
    return data


def _put(key: str, data: bytes) -> None:
    global _size
    if len(data) > MAX_BYTES or key in _cache:
        return
    _cache[key] = data
    _size += len(data)
    while _size > MAX_BYTES:
        _, old = _cache.popitem(last=False)
        _size -= len(old)


def rendered(key: str, render: Callable[[], bytes]) -> bytes:
    """The bytes kept under ``key``, or ``render()``'s (kept), one render at a time."""
    data = _get(key)
    if data is not None:
        return data
    with _lock():
        data = _get(key)  # rendered by the request this one waited for
        if data is None:
            data = _off_the_event_loop(render)
            _put(key, data)
    return data


def _off_the_event_loop(render: Callable[[], bytes]) -> bytes:
    if monkey.is_module_patched("threading"):  # a gevent worker
        result: bytes = gevent.get_hub().threadpool.apply(render)
        return result
    return render()


def clear() -> None:
    """Forget every kept PDF (tests)."""
    global _size
    _cache.clear()
    _size = 0

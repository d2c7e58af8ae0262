"""Back-pressure: a request-body size limit and a bounded admission queue in front of the workers.

Inference is CPU-bound, so requests run in a fixed pool of worker threads. At most
``concurrency + queue_size`` requests are admitted at once; the next one is refused at the door
(503 with ``Retry-After``) instead of piling up in memory, which is how unbounded servers leak
under load. A request that waits longer than its timeout gets 504, but keeps its slot until its
worker really finishes, so the bound holds even for abandoned work.
"""
from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, TypeVar

T = TypeVar("T")


class QueueFullError(Exception):
    """Every worker is busy and the waiting line is full."""

    def __init__(self, retry_after: int):
        super().__init__(f"server busy: all workers and queue slots are taken; retry in {retry_after} s")
        self.retry_after = retry_after


class RequestTimeoutError(Exception):
    """A request's result was not ready within the server's timeout."""


class AdmissionQueue:
    """Runs blocking jobs on ``concurrency`` threads with at most ``queue_size`` jobs waiting."""

    def __init__(self, concurrency: int, queue_size: int, timeout_s: float):
        self.concurrency = concurrency
        self.capacity = concurrency + queue_size
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="alphacut-worker")
        self._lock = threading.Lock()
        self._admitted = 0
        self._running = 0
        self._mean_service_s = 1.0  # moving average of one job's run time, for Retry-After
        self.completed = 0
        self.refused = 0

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "concurrency": self.concurrency,
                "capacity": self.capacity,
                "admitted": self._admitted,
                "running": self._running,
                "waiting": self._admitted - self._running,
                "completed": self.completed,
                "refused": self.refused,
                "mean_service_s": round(self._mean_service_s, 4),
            }

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: the queue ahead drained by all workers."""
        with self._lock:
            ahead = max(1, self._admitted - self.concurrency + 1)
            return max(1, math.ceil(ahead * self._mean_service_s / self.concurrency))

    async def run(self, job: Callable[..., T], *args: Any) -> T:
        """Admit ``job`` (or raise :class:`QueueFullError`), run it on a worker, await its result."""
        with self._lock:
            full = self._admitted >= self.capacity
            if full:
                self.refused += 1
            else:
                self._admitted += 1
        if full:
            raise QueueFullError(self.retry_after())
        try:
            future = self._pool.submit(self._timed, job, *args)
        except BaseException:
            self._release(None)
            raise
        future.add_done_callback(self._release)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout_s)
        except asyncio.TimeoutError:
            raise RequestTimeoutError(f"no result within the server's timeout of {self.timeout_s:g} s") from None

    def _timed(self, job: Callable[..., T], *args: Any) -> T:
        with self._lock:
            self._running += 1
        start = time.perf_counter()
        try:
            return job(*args)
        finally:
            elapsed = time.perf_counter() - start
            with self._lock:
                self._running -= 1
                self._mean_service_s = 0.8 * self._mean_service_s + 0.2 * elapsed

    def _release(self, future: Future | None) -> None:
        with self._lock:
            self._admitted -= 1
            if future is not None and not future.cancelled():
                self.completed += 1

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class BodyTooLargeError(Exception):
    pass


class BodyLimitMiddleware:
    """ASGI middleware: 413 with a JSON error for request bodies over ``max_bytes``.

    A declared ``Content-Length`` over the limit is refused before anything is read; a chunked
    or understated body is cut off as soon as the running count passes the limit.
    """

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        state = {"received": 0, "exceeded": False, "started": False}

        async def limited_receive():
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.max_bytes:
                    state["exceeded"] = True
                    raise BodyTooLargeError
            return message

        async def guarded_send(message):
            if state["exceeded"]:
                return  # the app's own reaction to the cut-off body is replaced by our 413
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not state["exceeded"]:
                raise
        if state["exceeded"] and not state["started"]:
            await self._refuse(send)

    async def _refuse(self, send) -> None:
        limit_mib = self.max_bytes / (1024 * 1024)
        body = json.dumps({
            "error": "payload_too_large",
            "detail": f"request body exceeds the server's upload limit of {self.max_bytes:,} bytes ({limit_mib:.1f} MiB)",
        }).encode()
        await send({
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")],
        })
        await send({"type": "http.response.body", "body": body})

"""Back-pressure: a bounded admission count in front of a fixed pool of worker threads.

Inference is CPU-bound, so requests run on ``concurrency`` worker threads. At most
``concurrency + queue_size`` upload requests are admitted at once, counted from the moment their
head arrives, before any of their body is read (:mod:`alphacut.server.gate` admits them); the next
one is refused at the door (503 with ``Retry-After``), so memory is bounded by that count whatever
clients send, as in nginx's and uvicorn's connection limits. A request that waits longer than its
timeout gets 504 but keeps its slot until its worker really finishes, so the bound holds even for
abandoned work.
"""
from __future__ import annotations

import asyncio
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


class Admission:
    """One admitted request's slot. It is held by the request until its answer is sent and by
    each job it runs until that job ends; the slot frees when both have let go."""

    def __init__(self, queue: "AdmissionQueue"):
        self._queue = queue
        self._holds = 1  # the request itself
        self._lock = threading.Lock()

    async def run(self, job: Callable[..., T], *args: Any) -> T:
        """Run ``job(*args)`` on a worker and await its result (:class:`RequestTimeoutError` after
        the queue's timeout; the job keeps this slot until it really ends)."""
        self._hold()
        try:
            future = self._queue.submit(job, *args)
        except BaseException:
            self.release()
            raise
        future.add_done_callback(lambda done: self._queue.count_done(done, self.release))
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self._queue.timeout_s)
        except asyncio.TimeoutError:
            raise RequestTimeoutError(f"no result within the server's timeout of {self._queue.timeout_s:g} s") from None

    def _hold(self) -> None:
        with self._lock:
            if self._holds == 0:
                raise RuntimeError("this admission was already released")
            self._holds += 1

    def release(self) -> None:
        with self._lock:
            self._holds -= 1
            freed = self._holds == 0
        if freed:
            self._queue.free_slot()


class AdmissionQueue:
    """``capacity`` admission slots in front of ``concurrency`` worker threads."""

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
        """``admitted`` counts requests from their head to their answer: ``waiting`` are those
        not on a worker (reading their body, or queued)."""
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

    def admit(self) -> Admission:
        """A slot for one request, or :class:`QueueFullError` when all are taken."""
        with self._lock:
            full = self._admitted >= self.capacity
            if full:
                self.refused += 1
            else:
                self._admitted += 1
        if full:
            raise QueueFullError(self.retry_after())
        return Admission(self)

    def submit(self, job: Callable[..., T], *args: Any) -> Future:
        return self._pool.submit(self._timed, job, *args)

    def count_done(self, future: Future, then: Callable[[], None]) -> None:
        if not future.cancelled():
            with self._lock:
                self.completed += 1
        then()

    def free_slot(self) -> None:
        with self._lock:
            self._admitted -= 1

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

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

"""The local engine: jobs run in this process, as a pipeline.

Decoding and encoding run in a small thread pool ahead of and behind the model, so the model is
never waiting on I/O (onnxruntime and Pillow release the GIL while they work). Up to ``prefetch``
images are decoded ahead, fewer when they are large: no image is read while ``pixels_in_flight``
pixels (from the files' headers) are decoded, processed or being written, unless nothing else is
in flight.

With a batch size above 1 (a session whose engine takes batches, e.g. CUDA), the frames of up to
that many decoded images go through the model in one call; each image keeps its own predictions
(in its pending read) and refinement uses them, so the results are those of one image at a time.
"""
from __future__ import annotations

import logging
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np

from alphacut.engines.plan import BatchReport, EngineConfig, Failure, Job, OnFinished, describe_error
from alphacut.engines.steps import (
    encode_streamed, header_pixels, load_remover, read_source, skip_existing_target, write_bytes, write_result,
)
from alphacut.errors import AlphacutError, DiskFullError
from alphacut.io.decode import Decoded, DecodedImage, FrameStream
from alphacut.models.failures import INFERENCE_ERRORS
from alphacut.pipeline import Remover

log = logging.getLogger(__name__)


def run_local(
    jobs: list[Job],
    config: EngineConfig,
    *,
    remover: Remover | None = None,
    on_finished: OnFinished = lambda job, error: None,
) -> BatchReport:
    """Decode ahead, run the model in this thread, encode and write behind; one bad file never
    stops the batch, a full disk does (:class:`DiskFullError`, after the writes in flight end).
    ``on_finished(job, error)`` is called once per job, in order of completion.

    The model is loaded from ``config`` (as each Ray worker loads it) unless ``remover`` is given:
    a caller that holds a loaded session, or a test that wraps one; ``config.options`` apply only
    to the remover built here.
    """
    remover = remover or load_remover(config)
    batch_size = config.batch_size or remover.session.batch_size
    with ThreadPoolExecutor(max_workers=config.io_threads or max(2, batch_size), thread_name_prefix="alphacut-io") as pool:
        return _Pipeline(jobs, remover, config, batch_size, pool, on_finished).run()


@dataclass(eq=False)
class _Read:
    """A job admitted to the pipeline: its decode (``None`` when its target exists and is
    skipped), its header size while in flight, and the model's output for each of its frames when
    computed ahead in a batch (``None``: not computed; a ``None`` entry: that frame runs alone)."""

    job: Job
    decoding: Future[Decoded | None]
    pixels: int
    predictions: list[np.ndarray | None] | None = None


class _Pipeline:
    """One run's state: the jobs not read yet, the reads ahead of the model, the writes behind
    it, and the pixels in flight."""

    def __init__(self, jobs: list[Job], remover: Remover, config: EngineConfig, batch_size: int,
                 pool: ThreadPoolExecutor, on_finished: OnFinished):
        self.remover, self.config, self.batch_size, self.pool = remover, config, batch_size, pool
        self.on_finished = on_finished
        self.prefetch = max(config.prefetch, 2 * batch_size)
        self.report = BatchReport()
        self.upcoming = deque(jobs)
        self.reads: deque[_Read] = deque()
        self.writes: deque[tuple[_Read, Future[None]]] = deque()
        self.in_flight = 0  # jobs decoded (or decoding), being processed or being written
        self.pixels_in_flight = 0  # their header pixels
        self.next_pixels: int | None = None  # header size of upcoming[0], read once even if held back

    def run(self) -> BatchReport:
        self.refill()
        while self.reads or self.upcoming:
            if not self.reads:  # the budget held the next image back: finish writes, then read it
                self.drain_writes(keep=0)
                self.refill()
                continue
            if self.batch_size > 1 and self.reads[0].predictions is None:
                self.predict_ahead()
            read = self.reads.popleft()
            self.refill()
            self.process(read)
        self.drain_writes(keep=0)
        return self.report

    def refill(self) -> None:
        while self.upcoming and len(self.reads) < self.prefetch:
            if self.next_pixels is None:
                self.next_pixels = header_pixels(self.upcoming[0])
            if self.in_flight and self.pixels_in_flight + self.next_pixels > self.config.pixels_in_flight:
                return
            job = self.upcoming.popleft()
            self.reads.append(_Read(job, self.pool.submit(self.decode, job), self.next_pixels))
            self.in_flight += 1
            self.pixels_in_flight += self.next_pixels
            self.next_pixels = None

    def decode(self, job: Job) -> Decoded | None:
        if skip_existing_target(job, self.config):
            return None
        return read_source(job, self.config)

    def predict_ahead(self) -> None:
        """One model call for the frames of the next ``batch_size`` decoded images not predicted yet
        (an animation's stream is not: it runs a frame at a time, its frames never all decoded)."""
        ready = [read for read in list(self.reads)[:self.batch_size] if read.predictions is None
                 and read.decoding.exception() is None and isinstance(read.decoding.result(), DecodedImage)]
        frames = [frame.image for read in ready for frame in read.decoding.result().frames]
        if not frames:
            return
        try:
            outputs: list[np.ndarray | None] = list(self.remover.session.predict_many(frames))
        except INFERENCE_ERRORS as exc:
            # A batch can fail where single images do not (GPU memory for a large batch): these
            # images then run one at a time in Remover.process, which reports any error of an
            # image's own. The results are the same either way; the report counts these calls.
            # Anything else (a bug) is not a model call failing and stops the run.
            self.report.unbatched_predictions += 1
            log.warning("a batched model call on %d frames failed (%s: %s); running them one at a time",
                        len(frames), type(exc).__name__, exc)
            outputs = [None] * len(frames)
        for read in ready:
            count = len(read.decoding.result().frames)
            read.predictions, outputs = outputs[:count], outputs[count:]

    def process(self, read: _Read) -> None:
        exception = read.decoding.exception()
        if exception is not None:
            self.finish(read, describe_error(exception))
            return
        decoded = read.decoding.result()
        if decoded is None:
            self.finish(read, None, skipped=True)
            return
        try:
            if isinstance(decoded, FrameStream):  # decoded, run and encoded here a frame at a time
                data = encode_streamed(self.remover.results(decoded), decoded.loop, self.config)
                output = partial(write_bytes, read.job, data)
            else:
                output = partial(write_result, read.job, self.remover.process(decoded, predictions=read.predictions),
                                 decoded, self.config)
        except AlphacutError as exc:
            self.finish(read, str(exc))
            return
        except Exception as exc:  # a model failure on one image must not stop thousands
            self.finish(read, f"processing failed ({type(exc).__name__}: {exc})")
            return
        finally:
            read.predictions = None  # held until written otherwise
        self.writes.append((read, self.pool.submit(output)))
        self.drain_writes(keep=self.prefetch)

    def drain_writes(self, keep: int) -> None:
        while len(self.writes) > keep:
            read, writing = self.writes.popleft()
            exception = writing.exception()
            if isinstance(exception, DiskFullError):  # every later write would fail too: stop here
                raise DiskFullError(f"{exception}; the outputs written are complete: free some space, then "
                                    "resume with --skip-existing") from exception
            self.finish(read, None if exception is None else describe_error(exception))

    def finish(self, read: _Read, error: str | None, *, skipped: bool = False) -> None:
        self.in_flight -= 1
        self.pixels_in_flight -= read.pixels
        if error is not None:
            self.report.failures.append(Failure(read.job.relative, error))
        elif skipped:
            self.report.skipped += 1
        else:
            self.report.written += 1
        self.on_finished(read.job, error)

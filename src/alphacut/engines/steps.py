"""The steps of one job that every engine runs the same way, so that the local engine and the Ray
workers write the same bytes: read and decode the source, check an object-store target, encode
the frames and write them atomically. An animation is read as a
:class:`~alphacut.io.decode.FrameStream`: decoded, run and encoded a frame at a time."""
from __future__ import annotations

import sys
from typing import Iterable

from PIL import Image

from alphacut.engines import storage
from alphacut.engines.plan import STDIO, EngineConfig, Job
from alphacut.errors import OutputError
from alphacut.io.decode import Decoded, DecodedImage, Frame, header_size, read_frames
from alphacut.io.encode import encode_frames, encode_stream
from alphacut.models import load_model
from alphacut.pipeline import Remover


def read_source(job: Job, config: EngineConfig) -> Decoded:
    """The job's image from a path, an object-store URI or stdin under the limits of ``config``:
    a still image decoded, an animation opened as a stream (its frames decoded as they are run)."""
    if job.source == STDIO:
        data: bytes | str = sys.stdin.buffer.read()
    elif storage.is_uri(job.source):
        data = storage.read_bytes(job.source)
    else:
        data = job.source  # a path: the decoder's own messages (no such file, a folder, empty)
    return read_frames(data, name=job.relative, max_pixels=config.max_pixels, max_frames=config.max_frames)


def skip_existing_target(job: Job, config: EngineConfig) -> bool:
    """For an object-store target, checked as the job runs (:func:`alphacut.engines.plan.check_targets`
    checked local ones): ``True`` when it exists and ``skip_existing`` is set; raises
    :class:`OutputError` when it exists and may not be replaced."""
    if not storage.is_uri(job.target) or not storage.exists(job.target):
        return False
    if config.skip_existing:
        return True
    if not config.overwrite:
        raise OutputError(f"output {job.target} exists (use --skip-existing or --overwrite)")
    return False


def write_result(job: Job, frames: list[Image.Image], decoded: DecodedImage, config: EngineConfig) -> None:
    """Encode ``frames`` (an animation keeps the source's frame times and loop count) and write
    them to the job's target: a file or object, atomically, or stdout."""
    write_bytes(job, encode_frames(frames, config.fmt, durations=[f.duration for f in decoded.frames],
                                   loop=decoded.loop, png_level=config.png_level))


def encode_streamed(frames: Iterable[Frame], loop: int | None, config: EngineConfig) -> bytes:
    """``frames`` (each with its display time) encoded as they come, in the format of ``config``."""
    return encode_stream(frames, config.fmt, loop=loop, png_level=config.png_level)


def process_and_write(job: Job, remover: Remover, decoded: Decoded, config: EngineConfig) -> None:
    """Run ``remover`` on ``decoded`` and write the result, frame by frame for a stream: one
    worker's whole job, in one thread."""
    write_bytes(job, encode_streamed(remover.results(decoded), decoded.loop, config))


def write_bytes(job: Job, data: bytes) -> None:
    """Encoded output to the job's target: a file or object, atomically, or stdout."""
    if job.target == STDIO:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        storage.write_bytes_atomic(job.target, data)


def header_pixels(job: Job) -> int:
    """Width x height of a local source from its header (no decoding); 0 when unknown (stdin, an
    object-store URI, an unreadable file: decoding reports those)."""
    if job.source == STDIO or storage.is_uri(job.source):
        return 0
    size = header_size(job.source)
    return 0 if size is None else size[0] * size[1]


def load_remover(config: EngineConfig) -> Remover:
    """The model of ``config`` loaded, with ``config.options``: once per local run, once per Ray actor."""
    session = load_model(config.model, device=config.device, threads=config.threads, runtime=config.runtime)
    return Remover(session, config.options)

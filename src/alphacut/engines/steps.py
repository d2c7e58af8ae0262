"""The steps of one job that every engine runs the same way, so that the local engine and the Ray
workers write the same bytes: read and decode the source, check an object-store target, encode
the frames and write them atomically."""
from __future__ import annotations

import sys

from PIL import Image

from alphacut.engines import storage
from alphacut.engines.plan import STDIO, EngineConfig, Job
from alphacut.errors import OutputError
from alphacut.io.decode import DecodedImage, decode_image, header_size
from alphacut.models import load_model
from alphacut.pipeline import Remover
from alphacut.io.encode import encode_frames


def read_source(job: Job, max_pixels: int | None) -> DecodedImage:
    """The job's image from a path, an object-store URI or stdin, decoded under the pixel limit."""
    if job.source == STDIO:
        data: bytes | str = sys.stdin.buffer.read()
    elif storage.is_uri(job.source):
        data = storage.read_bytes(job.source)
    else:
        data = job.source  # a path: the decoder's own messages (no such file, a folder, empty)
    return decode_image(data, name=job.relative, max_pixels=max_pixels)


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
    data = encode_frames(frames, config.fmt, durations=[f.duration for f in decoded.frames], loop=decoded.loop,
                         png_level=config.png_level)
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

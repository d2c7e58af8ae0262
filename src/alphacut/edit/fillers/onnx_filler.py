"""A learned inpainter supplied by the user as an ONNX file (LaMa-, MAT- or partial-convolution-style).

The contract the graph must follow
----------------------------------
Inputs (two, float32, NCHW):

* ``image``: 1 x 3 x H x W, RGB in [0, 1]; hole pixels are set to 0.
* ``mask``: 1 x 1 x H x W, 1 = hole (to be painted), 0 = known.

They are told apart by name (``image``/``img``/``input`` and ``mask``) or, failing that, by their
channel count (3 and 1).

Output: the first graph output, 1 x 3 x H x W, RGB in [0, 1] (clipped). Only its hole pixels are
used; every known pixel of the result is the input's, exactly.

Size: if the graph fixes H and W (e.g. 512 x 512), the image and mask are resized to that size,
and the output resized back (soft edges of the hole take the resized output, not a seam). If
H and W are dynamic, the image is padded by reflection to a multiple of ``multiple`` (8 by
default; U-Nets with k downsamplings need 2**k; a graph can declare its own in the metadata
property ``multiple``, as ``alphacut filler train`` does) and the output cropped back; ``max_side`` bounds
the working resolution for large photos.

``alphacut filler train`` (:mod:`alphacut.adapt.filler_train`) exports models that follow this contract.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from alphacut.edit.fillers.base import check_inputs
from alphacut.edit.fillers.registry import register_filler
from alphacut.errors import ModelError

_IMAGE_NAMES = ("image", "img", "input", "images")
_MASK_NAMES = ("mask", "masks", "hole")


@register_filler("onnx", argument="PATH", file_suffix=".onnx")
class OnnxFiller:
    """Runs a user's inpainting ONNX graph that follows the contract in this module's docstring."""

    def __init__(self, path: Path, *, multiple: int = 8, max_side: int | None = None, threads: int | None = None):
        import onnxruntime as ort

        from alphacut.config import default_threads

        self.path = Path(path)
        if not self.path.is_file():
            raise ModelError(f"{self.path}: no such ONNX file (the filler's weights are yours to supply)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or default_threads()
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises untyped errors for bad graphs
            raise ModelError(f"{self.path}: onnxruntime cannot load this model ({str(exc).splitlines()[0]})") from None
        self.image_input, self.mask_input, self.fixed_size = _inputs_of(self.session, self.path)
        self.output = self.session.get_outputs()[0].name
        self.multiple = _declared_multiple(self.session, self.path, multiple)
        self.max_side = max_side
        self.name = f"onnx:{self.path.name}"

    def fill(self, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        rgb, hole = check_inputs(rgb, hole)
        height, width = hole.shape
        image = rgb.astype(np.float32) / 255.0
        mask = hole.astype(np.float32)
        if self.fixed_size is not None:
            work = (self.fixed_size[1], self.fixed_size[0])  # cv2 (width, height)
        else:
            scale = 1.0 if self.max_side is None else min(1.0, self.max_side / max(height, width))
            work = (max(1, round(width * scale)), max(1, round(height * scale)))
        if work != (width, height):
            image = cv2.resize(image, work, interpolation=cv2.INTER_AREA)
            mask = (cv2.resize(mask, work, interpolation=cv2.INTER_LINEAR) > 0).astype(np.float32)
        pad_y = pad_x = 0
        if self.fixed_size is None:
            pad_y = -work[1] % self.multiple
            pad_x = -work[0] % self.multiple
            if pad_y or pad_x:
                image = cv2.copyMakeBorder(image, 0, pad_y, 0, pad_x, cv2.BORDER_REFLECT_101)
                mask = cv2.copyMakeBorder(mask, 0, pad_y, 0, pad_x, cv2.BORDER_CONSTANT, value=0)
        image = image * (1.0 - mask[..., None])
        feed = {
            self.image_input: np.ascontiguousarray(image.transpose(2, 0, 1)[None], np.float32),
            self.mask_input: np.ascontiguousarray(mask[None, None], np.float32),
        }
        from alphacut.models.failures import INFERENCE_ERRORS  # imports onnxruntime, as __init__ does

        try:
            raw = self.session.run([self.output], feed)[0]
        except INFERENCE_ERRORS as exc:
            raise ModelError(f"{self.path}: the inpainting model failed to run ({str(exc).splitlines()[0]})") from None
        raw = np.asarray(raw, np.float32)
        if raw.ndim != 4 or raw.shape[:2] != (1, 3):
            raise ModelError(f"{self.path}: output must be 1 x 3 x H x W, got {list(raw.shape)}")
        painted = np.clip(raw[0].transpose(1, 2, 0), 0.0, 1.0)[: work[1], : work[0]]
        if painted.shape[:2] != (work[1], work[0]):
            raise ModelError(f"{self.path}: output is {painted.shape[1]}x{painted.shape[0]}, expected {work[0]}x{work[1]}")
        if work != (width, height):
            painted = cv2.resize(painted, (width, height), interpolation=cv2.INTER_CUBIC)
        out = rgb.copy()
        out[hole] = np.clip(np.rint(painted[hole] * 255.0), 0, 255).astype(np.uint8)
        return out


def _declared_multiple(session, path: Path, default: int) -> int:
    """The ``multiple`` the graph declares in its metadata, else ``default``; a declaration that is
    not a whole number >= 1 is an error, not silently replaced by the default."""
    declared = session.get_modelmeta().custom_metadata_map.get("multiple")
    if declared is None:
        return max(1, int(default))
    if not declared.strip().isdigit() or int(declared) < 1:
        raise ModelError(f"{path}: its metadata says multiple={declared!r}; it must be a whole number >= 1")
    return int(declared)


def _inputs_of(session, path: Path) -> tuple[str, str, tuple[int, int] | None]:
    """Names of the image and mask inputs, and the fixed (H, W) when the graph has one."""
    inputs = session.get_inputs()
    if len(inputs) != 2:
        raise ModelError(f"{path}: an inpainting model needs two inputs (image, mask), this one has {len(inputs)}")
    by_name = {i.name.lower(): i for i in inputs}
    image = next((by_name[n] for n in _IMAGE_NAMES if n in by_name), None)
    mask = next((by_name[n] for n in _MASK_NAMES if n in by_name), None)
    if image is None or mask is None:
        channels = {i.shape[1] if len(i.shape) == 4 else None: i for i in inputs}
        image, mask = channels.get(3), channels.get(1)
    if image is None or mask is None:
        raise ModelError(f"{path}: cannot tell the image input (1x3xHxW) from the mask input (1x1xHxW)")
    height, width = image.shape[2], image.shape[3]
    fixed = (height, width) if isinstance(height, int) and isinstance(width, int) else None
    return image.name, mask.name, fixed

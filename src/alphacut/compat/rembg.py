"""rembg's Python API on alphacut: ``from alphacut.compat.rembg import remove, new_session``
replaces ``from rembg import remove, new_session`` and the rest of the code stays as it is.

Same signatures and return types as rembg: bytes in, PNG bytes out; a PIL image in, a PIL image
out (RGBA, or the ``L`` mask with ``only_mask``); a NumPy array in, an array out
(``H x W x 4``, or ``H x W``). Like rembg, an array is read by :func:`PIL.Image.fromarray` (so an
OpenCV BGR array comes back in BGR order) and an animation by its first frame.

rembg's model names map to alphacut's (``isnet-general-use`` -> ``isnet``; ``dis_custom`` with
``model_path=`` runs that ISNet-family ONNX file); alphacut's own names and ONNX paths work too.
Without a session, ``remove`` uses alphacut's default model (rembg's would be ``u2net``, which
alphacut does not have). The refinement is alphacut's (``auto`` preset); rembg's options map
onto it as :mod:`alphacut.compat.rembg_fields` describes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np
from PIL import Image
from PIL.Image import Image as PILImage

from alphacut.compat.rembg_fields import MODEL_BY_REMBG_NAME, RembgOptions, our_model_name, rembg_name_of
from alphacut.io.decode import decode_first_frame
from alphacut.io.encode import encode_frames
from alphacut.models import DEFAULT_MODEL, all_models, is_installed, load_model, looks_like_path
from alphacut.models.session import SalientSession
from alphacut.pipeline import RemoveOptions, Remover
from alphacut.refine.alpha import alpha_to_uint8

#: The session ``new_session()`` opens without a name: alphacut's default model under rembg's name.
DEFAULT_SESSION = rembg_name_of(DEFAULT_MODEL) or DEFAULT_MODEL
#: rembg's "custom" sessions that take ``model_path=``; only the DIS (ISNet) family preprocesses
#: the way alphacut's ISNet does, so only it is offered.
CUSTOM_SESSIONS = ("dis_custom",)
_PROVIDER_DEVICES = {"CPUExecutionProvider": "cpu", "CUDAExecutionProvider": "cuda"}


class RembgSession:
    """What rembg's ``new_session`` returns: a loaded model under the name it was asked by."""

    def __init__(self, model_name: str, session: SalientSession):
        self.model_name = model_name
        self.inner_session = session

    def predict(self, img: PILImage, *args: Any, **kwargs: Any) -> list[PILImage]:
        """The model's masks for ``img`` as rembg gives them: a list of ``L`` images."""
        if args or kwargs:
            raise TypeError(f"predict() takes only the image (got extra {', '.join(map(str, (*args, *kwargs)))})")
        probability = self.inner_session.predict(img.convert("RGB"))
        return [Image.fromarray(alpha_to_uint8(probability), "L")]

    def __repr__(self) -> str:
        return f"RembgSession({self.model_name!r} -> {self.inner_session.spec.name})"


def new_session(model_name: str | None = None, *args: Any, providers: Sequence[str] | None = None,
                model_path: str | None = None, **kwargs: Any) -> RembgSession:
    """A session for a rembg model name (or an alphacut name, or an ONNX path); without one,
    :data:`DEFAULT_SESSION`.

    Raises ``ValueError`` for a model alphacut does not have, naming the ones installed here, as
    rembg does for a name it does not know.
    """
    if args or kwargs:
        extra = [repr(a) for a in args] + sorted(kwargs)
        raise TypeError(f"new_session() got unsupported argument(s) {', '.join(extra)} (alphacut's rembg drop-in "
                        "takes model_name, providers and, for dis_custom, model_path)")
    model_name = model_name or DEFAULT_SESSION
    device = _device(providers)
    if model_name in CUSTOM_SESSIONS:
        if not model_path:
            raise ValueError(f"{model_name} needs model_path='path/to/model.onnx'")
        return RembgSession(model_name, load_model(Path(model_path).expanduser(), device=device))
    if model_path is not None:
        raise TypeError(f"model_path is only for {', '.join(CUSTOM_SESSIONS)}, not {model_name!r}")
    ours = our_model_name(model_name)
    if ours not in all_models() and not looks_like_path(ours):
        raise ValueError(f"No session class found for model '{model_name}'. Installed here: {installed_names()}")
    return RembgSession(model_name, load_model(ours, device=device))


def installed_names() -> str:
    """Installed models as rembg names where rembg has one, e.g. ``isnet-general-use (isnet)``."""
    names = []
    for name, spec in all_models().items():
        if is_installed(spec):
            theirs = rembg_name_of(name)
            names.append(f"{theirs} ({name})" if theirs else name)
    return ", ".join(names) or f"none (install one: alphacut models install {DEFAULT_MODEL})"


def remove(
    data: Union[bytes, PILImage, np.ndarray],
    alpha_matting: bool = False,
    alpha_matting_foreground_threshold: int = 240,
    alpha_matting_background_threshold: int = 10,
    alpha_matting_erode_size: int = 10,
    session: Optional[RembgSession] = None,
    only_mask: bool = False,
    post_process_mask: bool = False,
    bgcolor: Optional[Tuple[int, int, int, int]] = None,
    force_return_bytes: bool = False,
    *args: Any,
    **kwargs: Any,
) -> Union[bytes, PILImage, np.ndarray]:
    """rembg's ``remove``: the cutout of ``data`` in the kind it came as (see the module's doc).

    ``putalpha`` (rembg's keyword for keeping the photo's colours under the new alpha) is accepted:
    alphacut's cutouts always keep them (decontaminated at soft edges). Any other extra argument is
    a ``TypeError`` rather than being ignored.
    """
    kwargs.pop("putalpha", None)
    if args or kwargs:
        extra = [repr(a) for a in args] + sorted(kwargs)
        raise TypeError(f"remove() got unsupported argument(s) {', '.join(extra)} (alphacut's rembg drop-in)")
    if isinstance(data, (PILImage, bytes)):
        source: Any = data
    elif isinstance(data, np.ndarray):
        source = Image.fromarray(data)
    else:
        raise ValueError("Input type {} is not supported.".format(type(data)))
    options = RembgOptions(
        alpha_matting=alpha_matting,
        foreground_threshold=alpha_matting_foreground_threshold,
        background_threshold=alpha_matting_background_threshold,
        erode_size=alpha_matting_erode_size,
        only_mask=only_mask,
        post_process_mask=post_process_mask,
        bgcolor=tuple(bgcolor) if bgcolor is not None else None,  # type: ignore[arg-type]
    )
    result = cut_out(_inner(session), options, source)
    if force_return_bytes or isinstance(data, bytes):
        return encode_frames([result], "png")
    if isinstance(data, np.ndarray):
        return np.asarray(result)
    return result


def cut_out(session: SalientSession, options: RembgOptions, source: bytes | PILImage,
            max_pixels: int | None = None) -> PILImage:
    """rembg's result for one image (its first frame): an RGBA cutout (on ``bgcolor`` if given)
    or, with ``only_mask``, the ``L`` mask. The HTTP drop-in runs the same function."""
    frame = decode_first_frame(source, max_pixels=max_pixels)
    values = options.remove_values(frame.size)
    remover = Remover(session, RemoveOptions.from_user(**values, max_pixels=max_pixels))
    matte = remover.matte(frame)
    result = remover.compose(matte.colours, matte.alpha)
    return result if result.mode == "L" else result.convert("RGBA")  # rembg's cutouts are RGBA, on a colour too


def _inner(session: RembgSession | SalientSession | None) -> SalientSession:
    if session is None:
        return new_session().inner_session
    if isinstance(session, RembgSession):
        return session.inner_session
    if isinstance(session, SalientSession):
        return session
    raise TypeError(f"session must come from new_session(), not {type(session).__name__}")


def _device(providers: Sequence[str] | None) -> str:
    if not providers:
        return "cpu"
    names = [p if isinstance(p, str) else p[0] for p in providers]  # onnxruntime also takes (name, options)
    for name in names:
        if name in _PROVIDER_DEVICES:
            return _PROVIDER_DEVICES[name]
    raise ValueError(f"providers {names}: alphacut runs CPUExecutionProvider or CUDAExecutionProvider")


__all__ = ["MODEL_BY_REMBG_NAME", "RembgSession", "cut_out", "new_session", "remove"]

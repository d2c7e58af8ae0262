"""What a model call can raise when it fails at run time, so callers catch exactly that.

onnxruntime raises its own exception classes (``Fail``, ``RuntimeException``, ``InvalidArgument``,
``EPFail`` for a CUDA out-of-memory...), which share no base class but ``Exception``; OpenVINO
raises ``RuntimeError``; the buffers NumPy and Pillow allocate around a call raise
``MemoryError``. A caller that catches :data:`INFERENCE_ERRORS` handles a failed model call and
lets every other exception (a bug) surface.
"""
from __future__ import annotations

import importlib.util


def _onnxruntime_errors() -> tuple[type[Exception], ...]:
    """The exception classes of onnxruntime's native module (none when it is not installed)."""
    if importlib.util.find_spec("onnxruntime") is None:
        return ()
    from onnxruntime.capi import onnxruntime_pybind11_state as native

    return tuple(value for value in vars(native).values() if isinstance(value, type) and issubclass(value, Exception))


#: Exceptions that mean "the model call failed", from any runtime.
INFERENCE_ERRORS: tuple[type[BaseException], ...] = (MemoryError, RuntimeError, *_onnxruntime_errors())

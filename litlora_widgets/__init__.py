"""litlora-widgets: SAM2 video segmentation in Jupyter that learns from each correction.

Public API: :func:`load_predictor`, :class:`Session`, :func:`annotate` (the widget) and
:func:`evaluate` (the simulated-user evaluation). Heavy modules load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "load_predictor": ("build_sam", "load_predictor"),
    "default_predictor": ("build_sam", "default_predictor"),
    "ModelInfo": ("build_sam", "ModelInfo"),
    "Session": ("session", "Session"),
    "Candidate": ("session", "Candidate"),
    "CorrectionResult": ("session", "CorrectionResult"),
    "LitConfig": ("engine.experts", "LitConfig"),
    "VideoSource": ("video", "VideoSource"),
    "annotate": ("widget", "annotate"),
    "LitLoraApp": ("widget", "LitLoraApp"),
    "evaluate": ("evaluation", "evaluate"),
}

__all__ = sorted(_LAZY) + ["__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from .build_sam import ModelInfo, load_predictor  # noqa: F401
    from .session import Candidate, CorrectionResult, Session  # noqa: F401


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'litlora_widgets' has no attribute {name!r}")

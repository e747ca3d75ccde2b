"""Compatibility names for code written against the single-module widget (now the
:mod:`litlora_widgets.widget` package)."""

from .widget.controller import Controller, describe, format_traceback  # noqa: F401
from .widget.handlers import export_paths, planned_frames  # noqa: F401
from .widget.state import curves_of, prompts_on_frame, user_frames  # noqa: F401
from .widget.wire import encode_jpeg, encode_label_map, encode_masks, finite  # noqa: F401
from .widget.worker import FrameServer, Throttle, Worker, adopt_parent, kernel_parent  # noqa: F401

"""The notebook widget, as a small package:

- ``app``: :class:`LitLoraApp` (traits, Python API) and :func:`annotate`;
- ``events``: the typed event protocol (names shared with ``js/src/events.js``);
- ``wire``: mask/frame encodings for the front end;
- ``worker``: the worker and frame-server threads;
- ``controller``: events -> worker -> traits, and the busy rule;
- ``handlers``: what each event does to the :class:`~litlora_widgets.session.Session`;
- ``state``: what the widget shows, derived from the session (prompts, curves, timeline).
"""

from .app import STATIC, LitLoraApp, annotate

__all__ = ["STATIC", "LitLoraApp", "annotate"]

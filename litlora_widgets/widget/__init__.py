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

# the public home of the class (repr, anywidget id, docs), as before the package split
LitLoraApp.__module__ = annotate.__module__ = __name__

__all__ = ["STATIC", "LitLoraApp", "annotate"]

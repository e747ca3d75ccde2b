"""The notebook widget: :func:`annotate` and :class:`LitLoraApp` (its traits and Python API).

Durable state lives in traits (so it survives re-display and static export); frames travel
as JPEG bytes in custom-message buffers on request; the front end (``static/widget.js``, built
from ``js/``) sends the typed events of ``events.py``, which ``controller.py`` applies to a
:class:`Session` on one worker thread (``handlers.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets as t

from . import events as E
from .controller import Controller

STATIC = Path(__file__).resolve().parents[1] / "static"


class LitLoraApp(anywidget.AnyWidget):
    """Interactive SAM2 + LIT-LoRA video segmentation in a notebook cell.

    >>> app = LitLoraApp(Session(load_predictor(), "frames/"))
    >>> app                                   # click to prompt, propagate, correct, accept
    >>> app.session.masks(10)                 # the session holds every result
    """

    _esm = STATIC / "widget.js"
    _css = STATIC / "widget.css"

    # video
    frame = t.Int(0).tag(sync=True)
    num_frames = t.Int(0).tag(sync=True)
    video_width = t.Int(0).tag(sync=True)
    video_height = t.Int(0).tag(sync=True)
    video_name = t.Unicode("").tag(sync=True)
    model_name = t.Unicode("").tag(sync=True)
    random_weights = t.Bool(False).tag(sync=True)
    # a persistent line above the frame, e.g. the embedded model on a real video (item 12)
    model_notice = t.Unicode("").tag(sync=True)
    fps = t.Int(10).tag(sync=True)
    # objects and the visible frame's annotations
    objects = t.List(t.Dict()).tag(sync=True)  # [{id, name, color: [r, g, b]}]
    selected = t.Int(0).tag(sync=True)  # obj_id receiving prompts (0: a click starts one)
    prompts = t.List(t.Dict()).tag(sync=True)  # [{obj_id, kind: point|box, x, y, label | box}]
    prompts_frame = t.Int(-1).tag(sync=True)
    mask_bytes = t.Bytes(b"").tag(sync=True)  # LMR1 label map of mask_frame (js/src/masks.js)
    mask_frame = t.Int(-1).tag(sync=True)
    mask_epoch = t.Int(0).tag(sync=True)  # bumped when masks of other frames may have changed
    # candidates: [{index, score, obj_score, expert (None = SAM2), area, bbox, absent, rle}]
    candidates = t.List(t.Dict()).tag(sync=True)
    candidates_frame = t.Int(-1).tag(sync=True)
    candidates_obj = t.Int(0).tag(sync=True)
    auto_candidates = t.Bool(True).tag(sync=True)  # after Step with LIT on and experts trained
    # curves: {iou: [{obj_id, points}], against: "ground truth" | "your masks", iou_label,
    # training: [...], live: {...} | None, marks: [...]} (js/src/curves.js reads them)
    curves = t.Dict().tag(sync=True)
    # timeline: {rows: [{obj_id, codes: one character per frame (state.TIMELINE_CODES),
    # review: [{frame, score, why}] frames to review, most likely wrong first}],
    # review_fraction, unsure_iou, unsure_obj_score} (js/src/timeline.js reads them)
    timeline = t.Dict().tag(sync=True)
    # modes and feedback
    lit = t.Bool(True).tag(sync=True)
    busy = t.Unicode("").tag(sync=True)  # what the worker is doing, "" when idle
    progress = t.Dict().tag(sync=True)  # {done, total, label}
    training = t.Dict().tag(sync=True)  # {active, epoch, max_epochs, seconds_left, loss, iou}
    notice = t.Dict().tag(sync=True)  # {text, n, refused}: a refused or dropped press
    can_undo = t.Bool(False).tag(sync=True)
    can_redo = t.Bool(False).tag(sync=True)
    status = t.Unicode("").tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    error_detail = t.Unicode("").tag(sync=True)
    export_dir = t.Unicode("litlora_exports").tag(sync=True)
    # "fit": the frame scales so the whole tool fits the visible height; or a height in px
    size = t.Unicode("fit").tag(sync=True)
    last_export = t.Unicode("").tag(sync=True)
    # adapter library: {folder, rows: [{path, name, video, object, model, date, num_experts,
    # strength, fits, why}]} while the user picks a file to load (widget/library.py)
    adapters = t.Dict().tag(sync=True)
    # static export: the current frame's JPEG, set only while writing HTML
    static_frame = t.Bytes(b"").tag(sync=True)
    static_frame_index = t.Int(-1).tag(sync=True)

    def __init__(self, session, **kwargs: Any):
        s = session
        super().__init__(
            num_frames=s.num_frames,
            video_width=s.width,
            video_height=s.height,
            video_name=s.video_name,
            model_name=s.model_name,
            random_weights=bool(s.random_weights),
            lit=s.lit_enabled,
            **kwargs,
        )
        self.session = s
        self._ctl = Controller(self, s)
        self.on_msg(self._on_msg)
        self.observe(self._on_frame, names="frame")
        self.observe(self._on_lit, names="lit")
        self.observe(self._on_selected, names="selected")
        self._ctl.refresh(status=opening_hint(s), epoch=False)

    # ---- kernel side ---------------------------------------------------------------------
    def _on_msg(self, _widget, content: dict, buffers: list) -> None:
        self._ctl.handle(content, buffers, from_ui=True)

    def _on_frame(self, change) -> None:
        n = self.num_frames
        if not 0 <= change["new"] < max(n, 1):
            self.frame = min(max(change["new"], 0), max(n - 1, 0))
            return
        self._ctl.on_frame_change(change["new"])

    def _on_selected(self, change) -> None:
        # an open adapter library says what fits the object now selected
        if self.adapters.get("rows"):
            self._ctl.handle(E.ListAdapters())

    def _on_lit(self, change) -> None:
        if change["new"] != self.session.lit_enabled:
            self._ctl.handle(E.Lit(enabled=bool(change["new"])))

    def dispatch(self, event: dict | E.Event) -> None:
        """Apply a front-end event from Python, e.g. ``{"type": "click", "frame": 0, "x": 10,
        "y": 20, "label": 1}`` or ``events.Click(frame=0, x=10, y=20)`` (scripts, tests).
        It queues on the worker behind any running task (a press in the browser would be
        refused while busy: see ``controller.py``)."""
        self._ctl.handle(event)

    def import_mask(self, mask, frame: int | None = None, obj: int | None = None) -> None:
        """Apply a mask made elsewhere (bool/0-255 array, or a PNG path) to ``frame`` (default:
        the current one) of ``obj`` (default: the selected one). On a tracked frame with
        LIT-LoRA on it is a correction and trains at once; otherwise it is a mask prompt.
        Checked here, applied on the worker like a click."""
        from .. import checks as P
        from ..masks import read_label_png, validate_mask

        s = self.session
        frame = P.check_frame(self.frame if frame is None else frame, s.num_frames)
        if isinstance(mask, (str, Path)):
            labels = read_label_png(Path(mask))
            mask = labels == obj if obj is not None and (labels == obj).any() else labels > 0
        mask = validate_mask(mask, s.height, s.width, name="imported mask", allow_empty=False)
        self._ctl.handle(E.Mask(frame=frame, obj_id=obj, mask=mask))

    def wait(self, timeout: float | None = 60) -> bool:
        """Block until every queued event has been applied (not from the worker itself)."""
        return self._ctl.worker.join(timeout)

    def stop(self) -> None:
        """Cancel a running propagation or training, like the Stop button."""
        self._ctl.stop()

    def close(self) -> None:
        ctl = getattr(self, "_ctl", None)
        if ctl is not None:
            ctl.close()
        super().close()

    # ---- static export -------------------------------------------------------------------
    def to_html(self, path: str | Path, title: str | None = None) -> Path:
        """Write a standalone HTML page showing the current frame with its overlays (no kernel
        needed to view it; the widget loader comes from a CDN unless the page rewrites it)."""
        from ipywidgets.embed import embed_minimal_html

        path = Path(path)
        frame = self.frame
        jpeg = self._ctl.frames.jpeg(frame)
        with self._ctl.publish_lock:
            self._ctl.show_frame(frame, static_frame=jpeg, static_frame_index=frame)
            try:
                # drop_defaults=False: _esm, _css and _view_name are "defaults" the page needs
                embed_minimal_html(
                    path, views=[self], title=title or self.video_name, drop_defaults=False
                )
            finally:
                self._ctl.set_traits(static_frame=b"", static_frame_index=-1)
        return path


def annotate(
    video=None,
    predictor=None,
    *,
    reference=None,
    lit: bool = True,
    export_dir: str | Path = "litlora_exports",
    resume: bool = False,
    **session_kw: Any,
) -> LitLoraApp:
    """Open ``video`` in the widget (a folder, mp4, (T,H,W,3) array, list of images).

    ``video=None`` opens the package's synthetic demo clip with its ground truth as the IoU
    reference; ``predictor=None`` loads the default model (:func:`default_predictor`).
    ``reference``: ground-truth masks for the live IoU curve (COCO JSON, DAVIS folder or a
    (T,H,W) label array). ``resume=True`` continues the autosaved session of this video
    (its ``workdir``, default the per-video folder) when there is one. Other keywords go to
    :class:`Session`.
    """
    from ..build_sam import default_predictor
    from ..session import Session

    demo = video is None or is_demo_clip(video)
    if video is None:
        try:
            from ..datasets import demo_clip
        except ImportError as exc:  # pragma: no cover - shipped with the package
            raise ImportError("annotate() without a video needs litlora_widgets.datasets") from exc
        video, gt = demo_clip()
        reference = gt if reference is None else reference
    if predictor is None:
        predictor = default_predictor()
    from ..journal import JOURNAL, latest_journal, set_aside, workdir_for

    session, earlier = None, None
    if session_kw.get("autosave", True):
        workdir = Path(session_kw.get("workdir") or workdir_for(video)).expanduser()
        earlier = latest_journal(workdir)
    if resume and earlier is not None:
        kw = {k: v for k, v in session_kw.items() if k != "workdir"}
        session = Session.resume(workdir, predictor, video, journal=earlier.name, **kw)
    kept_notice = ""
    if earlier is not None and not resume:  # re-running the cell: a new session
        if earlier.name == JOURNAL:  # kept under a dated name, also in an explicit workdir=
            earlier = set_aside(earlier)
        kept_notice = earlier_session_notice(earlier)
    if session is None:
        session = Session(predictor, video, lit=lit, **session_kw)
    if reference is not None:
        ref = np.asarray(reference) if isinstance(reference, (list, tuple)) else reference
        session.import_masks(ref, as_reference=True)
    notice = model_notice(session.model_name, demo=demo)
    notice = "\n".join(filter(None, [kept_notice, notice]))
    app = LitLoraApp(session, export_dir=str(export_dir), model_notice=notice)
    if reference is not None:
        app._ctl.iou_against = "ground truth"
        app._ctl.refresh(epoch=False)
    return app


#: the one line that swaps the embedded demo model for official SAM2 weights
OFFICIAL_WEIGHTS_LINE = (
    'annotate(video, load_predictor("sam2.1_hiera_tiny.pt", config="sam2.1_hiera_t"))'
)


def is_demo_clip(video) -> bool:
    """The embedded demo clip passed as an array (as the quickstart notebook does)."""
    from ..datasets import DEMO_CLIP, demo_clip

    if not isinstance(video, np.ndarray):
        return False
    shape = (DEMO_CLIP["num_frames"], *DEMO_CLIP["size"], 3)
    return video.shape == shape and np.array_equal(video, demo_clip()[0])


def earlier_session_notice(path: Path) -> str:
    """Re-running the cell starts a new session; the earlier one is kept: say how to go on."""
    import time

    from ..journal import journal_summary

    actions, last = journal_summary(path)
    when = (
        ""
        if last is None
        else f", last saved {time.strftime('%Y-%m-%d %H:%M', time.localtime(last))}"
    )
    return (
        f"This is a new session. Your earlier session of this video ({actions} action"
        f"{'' if actions == 1 else 's'}{when}) is kept: to continue it, run "
        "annotate(video, resume=True) before annotating here."
    )


def model_notice(model_name: str, demo: bool) -> str:
    """Honest about the model: the embedded ``litlora-tiny`` was trained on synthetic clips
    only, so on any other video say so, with the line that loads official weights."""
    from ..build_sam import TINY_NAME

    if model_name != TINY_NAME or demo:
        return ""
    return (
        f"{TINY_NAME} is a small demo model trained on synthetic videos only: expect poor "
        f"masks on real footage. For real work load official SAM2 weights:\n{OFFICIAL_WEIGHTS_LINE}"
    )


def opening_hint(session) -> str:
    """The first status line: what a click does now (a resumed or reused session already has
    objects, so "start an object" would be wrong there)."""
    n = len(session.objects)
    if not n:
        return "click on the video to start an object"
    what = "1 object" if n == 1 else f"{n} objects"
    return f"{what}: click to refine the selected one, + object for another, ? for keys"

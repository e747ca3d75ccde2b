// LitLoraApp front end (anywidget). One view = stacked canvases (frame, masks, candidate
// highlight, points, cursor) in a box sized to fit, a timeline, controls and a feedback line.
// All state that matters lives in the kernel's traits; this view keeps only caches (decoded
// frames and masks) and transient UI state (drag, help, play, hidden masks).
// The kernel receives the semantic events of events.js ({type: "click", frame, obj_id, x, y,
// label}, ...), never mouse moves; while it is busy only navigation goes out (transport.js).
//
// Modules: transport (kernel I/O, busy gate), layout (fit), draw (frame, masks, points),
// pointer (clicks, boxes, right-click), candidates (side-by-side crops), timeline (rows,
// review marks), curves (charts, hover readouts), keys (bindings), dom (helpers).

import { CANDIDATE_COLORS, colorTable, toHex } from "./colors.js";
import { LRUCache, prefetchPlan } from "./cache.js";
import { decodeLabelMap } from "./masks.js";
import { HELP, applySeek, keyAction } from "./keys.js";
import {
  drawIouChart,
  drawTrainingChart,
  frameAtX as iouFrameAt,
  iouReadout,
  trainingHoverAt,
  trainingLayout,
  trainingReadout,
} from "./curves.js";
import { EVENTS, WHAT } from "./events.js";
import { Gate, Transport, refusal, refusedText } from "./transport.js";
import { CROP_SIDE, cropSide, fitBox, maxFrameHeight, panelBelowHeight, placeCandidatesPanel, visibleHeight } from "./layout.js";
import { clearCanvas, drawFrame, drawMaskLayer, drawPoints, drawSingleMask } from "./draw.js";
import { Pointer } from "./pointer.js";
import { candidatePanel } from "./candidates.js";
import {
  LEGEND,
  cellColor,
  drawTimeline,
  nextReview,
  reviewFrames,
  emptyReviewText,
  frameAtX as timelineFrameAt,
} from "./timeline.js";
import { button, h } from "./dom.js";
import { libraryPanel } from "./library.js";

const LAYERS = ["frame", "mask", "hover", "points", "cursor"];
const FRAME_CACHE_BYTES = 400e6;
const NOTICE_MS = 5000;
const ROOT_GAP = 4; // px between the tool's rows (widget.css: .litlora gap)
const VIEW_GAP = 8; // px between the frame and the candidates beside it (.ll-view gap)

async function decodeJpeg(buf) {
  const blob = new Blob([buf], { type: "image/jpeg" });
  return createImageBitmap(blob);
}

export class AppView {
  constructor(model, el) {
    this.t = new Transport(model);
    this.gate = new Gate(this.t, (text, refused) => this.showNotice(text, { refused }));
    this.el = el;
    this.shown = model.get("frame");
    this.pending = new Set();
    this.playing = null;
    this.helpOpen = false;
    this.masksHidden = false;
    this.localPrompts = [];
    this.cands = [];
    this.hoverCand = -1;
    // what the pointer is over on a chart: {chart: "iou", frame}, {chart: "training", epoch}
    // or {chart: "training", run}; null when it is over neither
    this.hover = null;
    this.notice = "";
    this.noticeTimer = null;
    this.refused = null; // {whats, busy}: what recent notices say was refused, and the task
    this.statusSuperseded = null; // the status a later notice made old news
    this.build();
    this.resetCaches();
    this.bindModel();
    this.renderAll();
    this.requestFrames();
  }

  get model() {
    return this.t.model;
  }

  // ---- kernel I/O ------------------------------------------------------------------------
  bindModel() {
    const t = this.t;
    t.on("msg:custom", (msg, buffers) => this.onMessage(msg, buffers));
    t.on("change:frame", () => {
      const f = t.get("frame");
      if (f !== this.shown) this.show(f, { fromKernel: true });
      this.updateNav();
    });
    t.on("change:num_frames", () => this.updateNav());
    t.on("change:video_width", () => this.resetCaches());
    t.on("change:video_height", () => this.resetCaches());
    t.on("change:size", () => this.fit());
    t.on("change:mask_epoch", () => {
      this.maskCache.clear();
      this.onMask();
    });
    t.on("change:mask_bytes", () => this.onMask());
    t.on("change:objects", () => {
      this.renderObjects();
      this.drawMask();
      this.drawPoints();
      this.drawCurves();
      this.drawTimeline();
      this.renderStatus();
    });
    t.on("change:selected", () => {
      this.renderObjects();
      this.updateReviewButton();
    });
    t.on("change:prompts", () => {
      this.localPrompts = [];
      this.drawPoints();
    });
    t.on("change:candidates", () => this.onCandidates());
    t.on("change:candidates_frame", () => this.onCandidates());
    t.on("change:curves", () => this.drawCurves());
    t.on("change:timeline", () => this.drawTimeline());
    t.on("change:adapters", () => this.renderLibrary());
    t.on("change:export_dir", () => {
      this.exportDir.value = t.get("export_dir") || "";
    });
    t.on("change:notice", () => {
      const n = t.get("notice") || {};
      this.localPrompts = []; // a refused or dropped press leaves no pending point
      this.drawPoints();
      if (n.text) this.showNotice(n.text, { refused: n.refused });
    });
    t.on("change:status", () => {
      // news again; it ends a hint too (the focus hint stayed over the point just added),
      // but no other notice (a refusal restated as its task ends comes with the task's status)
      this.statusSuperseded = null;
      if (this.notice && this.noticeIsHint) this.clearNotice();
    });
    t.on("change:busy", () => {
      if (t.get("busy")) return;
      // the task ended: its outcome (the status) is news, and a refusal made during it is
      // restated in the past tense; a task of a second ends before "busy … ignored" is read
      this.statusSuperseded = null;
      const r = this.refused;
      if (r) this.showNotice(refusedText(r.whats, r.busy), { supersede: false });
      else this.clearNotice();
    });
    for (const name of ["busy", "progress", "training", "lit", "can_undo", "can_redo", "status", "error"]) {
      t.on(`change:${name}`, () => this.renderStatus());
    }
    t.on("change:static_frame", () => this.loadStaticFrame());
  }

  onMessage(msg, buffers) {
    if (msg?.type === "frame" && buffers?.length) {
      const f = msg.frame;
      decodeJpeg(buffers[0])
        .then((bmp) => {
          this.pending.delete(f);
          this.frames.set(f, bmp);
          if (f === this.shown) this.drawFrame();
          if (this.cands.length && f === this.t.get("candidates_frame")) this.renderCandidates();
        })
        .catch((err) => {
          this.pending.delete(f);
          console.error("litlora: bad frame", f, err);
        });
    }
  }

  requestFrames(dir = 1) {
    const n = this.t.get("num_frames");
    const want = prefetchPlan(this.shown, n, (f) => this.frames.has(f) || this.pending.has(f), {
      dir,
      ahead: this.playing ? 16 : 8,
    });
    if (!want.length) return;
    want.forEach((f) => this.pending.add(f));
    this.t.send({ type: EVENTS.FRAMES, frames: want });
    // Forget requests that never came back (kernel restarted) so they can be retried.
    setTimeout(() => want.forEach((f) => this.pending.delete(f)), 5000);
  }

  loadStaticFrame() {
    const buf = this.t.get("static_frame");
    if (!buf || !buf.byteLength) return;
    const f = this.t.get("static_frame_index");
    decodeJpeg(buf).then((bmp) => {
      this.frames.set(f, bmp);
      if (f === this.shown) this.drawFrame();
    });
  }

  /** Send an action through the busy gate (navigation never comes here), after a seek to
   * the frame shown (transport.js: the kernel must know it before the action arrives). */
  act(type, payload = {}) {
    return this.gate.send(type, payload, this.shown);
  }

  // ---- DOM -----------------------------------------------------------------------------
  build() {
    // data-lm-suppress-shortcuts: JupyterLab's command-mode keys (c, 1-9, arrows) stay ours
    this.root = h("div", { class: "litlora", tabindex: "0", "data-lm-suppress-shortcuts": "true" });
    this.title = h("span", { class: "ll-title" });
    this.objectsEl = h("span", { class: "ll-objects" });
    this.header = h("div", { class: "ll-header" }, this.title, this.objectsEl);
    this.noticeEl = h("div", { class: "ll-model-notice", hidden: true });

    // data-jp-suppress-context-menu: JupyterLab opens no cell menu over the video
    this.stage = h("div", { class: "ll-stage", "data-jp-suppress-context-menu": "true" });
    this.canvases = {};
    for (const name of LAYERS) {
      const c = h("canvas", { class: `ll-layer ll-layer-${name}`, "data-layer": name });
      this.canvases[name] = c;
      this.stage.append(c);
    }
    this.pointer = new Pointer(this.stage, this.canvases.cursor, {
      isFocused: () => this.engaged || this.root.contains(document.activeElement),
      focus: () => this.root.focus({ preventScroll: true }),
      videoSize: () => [this.canvases.frame.width, this.canvases.frame.height],
      // the opening hint ("click an object…") stays what the line says afterwards
      onFocusClick: () => this.showNotice("widget focused: click again to add a point", { supersede: false, hint: true }),
      onPoint: (v, label) => this.addPoint(v, label),
      onBox: (box) => this.addBox(box),
    });

    this.timeline = h("canvas", { class: "ll-timeline", "data-testid": "timeline" });
    this.timelineWrap = h("div", { class: "ll-timeline-wrap", title: "timeline: click or drag to jump" }, this.timeline);
    this.bindTimeline();
    const legend = LEGEND.map(([code, word]) => {
      const c = cellColor(code, [120, 120, 120]);
      return h("span", { class: "ll-legend-item" }, h("i", { style: `background:rgba(${c.slice(0, 3).join(",")},${c[3]})` }), word);
    });
    legend.push(h("span", { class: "ll-legend-item", title: "the frames most likely wrong: R jumps to the next" }, h("b", { class: "ll-legend-review" }, "▼"), "to review (R)"));
    this.legendEl = h("div", { class: "ll-legend" }, ...legend);

    this.slider = h("input", { type: "range", min: "0", class: "ll-slider", "aria-label": "frame" });
    this.slider.addEventListener("input", () => this.show(Number(this.slider.value)));
    this.frameLabel = h("span", { class: "ll-frame-label", "data-testid": "frame-label" });
    this.playBtn = button("▶", "play / pause (Space)", () => this.togglePlay());
    this.reviewBtn = button("▼ review", "next frame to review (R; Shift+R: previous)", () => this.jumpToReview(1), "ll-review-next");
    this.reviewBtn.dataset.testid = "review-next";
    const nav = h(
      "div",
      { class: "ll-nav" },
      button("⇤", "first frame (Home)", () => this.show(0)),
      button("◁", "previous frame (←)", () => this.show(this.shown - 1)),
      this.playBtn,
      button("▷", "next frame (→)", () => this.show(this.shown + 1)),
      button("⇥", "last frame (End)", () => this.show(this.t.get("num_frames") - 1)),
      this.slider,
      this.frameLabel,
      this.reviewBtn,
    );

    this.litBox = h("input", { type: "checkbox", class: "ll-lit" });
    this.litBox.addEventListener("change", () => {
      if (this.t.get("busy")) {
        this.litBox.checked = Boolean(this.t.get("lit"));
        this.showNotice(refusal(EVENTS.LIT, this.t.get("busy")), { refused: WHAT.lit });
        return;
      }
      this.t.set("lit", this.litBox.checked);
    });
    const prop = (direction) => () => this.act(EVENTS.PROPAGATE, { direction, frame: this.shown });
    this.btn = {
      bwd: button("◀◀", "propagate backward (Shift+P)", prop("backward"), "ll-prop-bwd"),
      fwd: button("Propagate ▶▶", "propagate forward (P)", prop("forward"), "ll-prop-fwd"),
      both: button("◀▶", "propagate both ways", prop("both"), "ll-prop-both"),
      step: button("Step", "track one frame forward (S)", () => this.act(EVENTS.STEP, { frame: this.shown }), "ll-step"),
      cands: button("Candidates", "every expert's mask for this frame (C)", () => this.askCandidates(), "ll-cand-btn"),
      undo: button("↶", "undo (Ctrl+Z)", () => this.act(EVENTS.UNDO), "ll-undo"),
      redo: button("↷", "redo (Ctrl+Shift+Z)", () => this.act(EVENTS.REDO), "ll-redo"),
      hide: button("◐", "hide / show masks (H)", () => this.toggleMasks(), "ll-hide"),
      stop: button("■ Stop", "stop propagation / training", () => this.stop(), "ll-stop"),
    };
    const actions = h(
      "div",
      { class: "ll-actions" },
      this.btn.bwd, this.btn.fwd, this.btn.both, this.btn.step, this.btn.stop,
      h("label", { class: "ll-lit-label", title: "LIT-LoRA: corrections on tracked frames train an expert at once" }, this.litBox, " LIT"),
      this.btn.cands, this.btn.undo, this.btn.redo, this.btn.hide,
      button("?", "keyboard help (?)", () => this.toggleHelp()),
    ); // prettier-ignore

    // feedback line: progress, then the error, a notice, or the status; one line, fixed height
    this.progressBar = h("progress", { class: "ll-progress", max: "1", value: "0" });
    this.progressLabel = h("span", { class: "ll-progress-label", "data-testid": "progress" });
    this.msgEl = h("span", { class: "ll-msg", "data-testid": "status" });
    this.errClose = button("×", "dismiss", () => this.t.set("error", ""), "ll-err-close");
    this.feedback = h(
      "div",
      { class: "ll-feedback", "data-testid": "feedback" },
      this.progressBar,
      this.progressLabel,
      this.msgEl,
      this.errClose,
    );

    this.candPanel = h("div", { class: "ll-cands", "data-testid": "candidates", hidden: true });
    this.candsBeside = false; // where fit() put the panel: beside the frame, or below the controls
    this.view = h("div", { class: "ll-view" }, this.stage);
    this.libraryEl = h("div", { class: "ll-library", "data-testid": "adapters", hidden: true });
    this.iouCanvas = h("canvas", { class: "ll-curve ll-curve-iou" }); // a click jumps to the frame
    this.trainCanvas = h("canvas", { class: "ll-curve ll-curve-train" });
    // hover values: DOM readouts over the charts (their text is the state a test reads)
    this.iouReadout = h("div", { class: "ll-readout", "data-testid": "iou-readout", hidden: true });
    this.trainReadout = h("div", { class: "ll-readout", "data-testid": "training-readout", hidden: true });
    const curves = h(
      "div",
      { class: "ll-curves" },
      h("div", { class: "ll-chart ll-chart-iou" }, this.iouCanvas, this.iouReadout),
      h("div", { class: "ll-chart ll-chart-train" }, this.trainCanvas, this.trainReadout),
    );
    this.bindCharts();

    const exp = (kind) => () => this.act(EVENTS.EXPORT, { format: kind });
    this.exportDir = h("input", { class: "ll-export-dir", title: "export folder", "aria-label": "export folder" });
    this.exportDir.addEventListener("change", () => this.t.set("export_dir", this.exportDir.value));
    this.exportDir.addEventListener("keydown", (e) => e.stopPropagation());
    this.exportBtns = [
      button("COCO JSON", "export masks as COCO RLE JSON (new file each time)", exp("coco")),
      button("DAVIS PNGs", "export masks as DAVIS palette PNGs (new folder each time)", exp("davis")),
      button("Save adapters", "save the LoRA experts", exp("save_adapters")),
      button("Load adapters", "the adapter files of the export folder, to pick one", () => this.act(EVENTS.LIST_ADAPTERS)),
    ];
    this.exportEl = h("div", { class: "ll-export" }, "Export to ", this.exportDir, ...this.exportBtns);

    this.helpEl = h("div", { class: "ll-help", hidden: true });
    const rows = HELP.map(([k, v]) => h("tr", {}, h("td", {}, h("kbd", {}, k)), h("td", {}, v)));
    this.helpEl.append(h("div", { class: "ll-help-box" }, h("b", {}, "Keyboard & mouse"), h("table", {}, ...rows)));
    this.helpEl.addEventListener("click", () => this.toggleHelp(false));

    this.root.append(
      this.header, this.noticeEl, this.view, this.timelineWrap, nav, actions, this.feedback,
      this.candPanel, this.legendEl, curves, this.exportEl, this.libraryEl, this.helpEl,
    ); // prettier-ignore
    this.root.addEventListener("keydown", (e) => this.onKey(e));
    // "engaged": the user is working in the widget. Focus leaving to a removed button (the
    // object chips are re-rendered) is not leaving; focus moving to another element is.
    this.engaged = false;
    this.root.addEventListener("focusin", () => {
      this.engaged = true;
    });
    this.root.addEventListener("focusout", (e) => {
      if (e.relatedTarget && !this.root.contains(e.relatedTarget)) this.engaged = false;
    });
    this.el.append(this.root);
    this.resizeObs = new ResizeObserver(() => this.fit());
    this.resizeObs.observe(this.root);
    this.onWindowResize = () => this.fit();
    globalThis.addEventListener?.("resize", this.onWindowResize);
  }

  bindTimeline() {
    const seekAt = (e) => {
      const r = this.timeline.getBoundingClientRect();
      this.show(timelineFrameAt(e.clientX - r.left, r.width, this.t.get("num_frames")));
    };
    this.timeline.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      this.timeline.setPointerCapture?.(e.pointerId);
      this.scrubbing = true;
      seekAt(e);
    });
    this.timeline.addEventListener("pointermove", (e) => this.scrubbing && seekAt(e));
    const end = () => {
      this.scrubbing = false;
    };
    this.timeline.addEventListener("pointerup", end);
    this.timeline.addEventListener("pointercancel", end);
  }

  bindCharts() {
    // x in the canvas's content box (where the charts draw), and that box's width
    const at = (canvas, e) => {
      const r = canvas.getBoundingClientRect();
      return [e.clientX - r.left - (canvas.clientLeft || 0), canvas.clientWidth || r.width];
    };
    const iouAt = (e) => iouFrameAt(...at(this.iouCanvas, e), this.t.get("num_frames"));
    this.iouCanvas.addEventListener("pointermove", (e) => this.setHover({ chart: "iou", frame: iouAt(e) }));
    // a click goes to the frame the readout shows: Chromium's pointer events have fractional
    // x and its clicks whole x, which could fall on the frame before
    this.iouCanvas.addEventListener("click", (e) => this.show(this.hover?.chart === "iou" ? this.hover.frame : iouAt(e)));
    this.trainCanvas.addEventListener("pointermove", (e) =>
      this.setHover(trainingHoverAt(...at(this.trainCanvas, e), this.t.get("curves"))),
    );
    for (const c of [this.iouCanvas, this.trainCanvas]) c.addEventListener("pointerleave", () => this.setHover(null));
  }

  /** The chart hover state: redraw the hovered chart's marker and its readout on change. */
  setHover(hover) {
    if (hoverKey(hover) === hoverKey(this.hover)) return;
    this.hover = hover;
    this.drawCurves();
  }

  /** Size the frame box: whole CSS px, aspect kept, the whole tool within the visible height;
   * and place the candidates panel beside it or below the controls (placeCandidatesPanel). */
  fit() {
    const w = this.t.get("video_width") || 1;
    const hgt = this.t.get("video_height") || 1;
    const availW = this.root.clientWidth;
    if (!availW) return;
    const panel = this.candPanel;
    const open = !panel.hidden;
    const below = () => (open && !this.candsBeside ? panel.offsetHeight + ROOT_GAP : 0);
    // the height of everything but the frame and the candidates panel
    const others = this.root.offsetHeight - this.view.offsetHeight - below();
    const size = this.t.get("size") || "fit";
    const visible = visibleHeight(this.root);
    const maxH = maxFrameHeight(size, visible, others);
    let box = fitBox(w, hgt, availW, maxH);
    if (open) {
      // the panel's height below the controls: as last measured there for these candidates
      // and this width (so the choice cannot flip between fits), else estimated
      const key = `${this.cands.length}:${availW}`;
      if (!this.candsBeside && panel.offsetHeight) this.belowMeasured = { key, h: panel.offsetHeight };
      const belowH = this.belowMeasured?.key === key ? this.belowMeasured.h : panelBelowHeight(this.cands.length, availW);
      const place = placeCandidatesPanel(this.cands.length, w, hgt, availW, maxH, maxFrameHeight(size, visible, others + belowH + ROOT_GAP), {
        gap: VIEW_GAP,
      });
      box = place.box;
      this.placeCandidates(place.beside, availW - box.width - VIEW_GAP, box.height);
      if (!place.beside) box = fitBox(w, hgt, availW, maxFrameHeight(size, visible, others + below()));
    } else this.placeCandidates(false, availW - box.width - VIEW_GAP, box.height);
    this.root.dataset.fitWidth = String(availW); // the width the frame box was fitted to
    if (box.width !== this.boxW || box.height !== this.boxH) {
      this.boxW = box.width;
      this.boxH = box.height;
      this.stage.style.width = `${box.width}px`;
      this.stage.style.height = `${box.height}px`;
      this.root.dataset.stageSize = `${box.width}x${box.height}`;
      this.drawPoints();
    }
    if (this.timelineW !== availW) {
      this.timelineW = availW;
      this.drawTimeline();
      this.drawCurves();
    }
  }

  resetCaches() {
    const w = this.t.get("video_width") || 1;
    const hgt = this.t.get("video_height") || 1;
    for (const c of Object.values(this.canvases)) {
      c.width = w;
      c.height = hgt;
    }
    this.boxW = this.boxH = undefined;
    const cap = Math.max(16, Math.min(400, Math.floor(FRAME_CACHE_BYTES / (w * hgt * 4))));
    this.frames?.clear();
    this.frames = new LRUCache(cap, (bmp) => bmp?.close?.());
    this.maskCache = new LRUCache(cap);
    this.pending.clear();
    this.loadStaticFrame();
    this.fit();
  }

  renderAll() {
    this.renderTitle();
    this.renderObjects();
    this.renderStatus();
    this.updateNav();
    this.onMask();
    this.onCandidates();
    this.drawPoints();
    this.drawCurves();
    this.drawTimeline();
    this.exportDir.value = this.t.get("export_dir") || "";
    this.renderLibrary();
    this.fit();
  }

  renderTitle() {
    const t = this.t;
    const parts = [t.get("video_name"), `${t.get("video_width")}×${t.get("video_height")}`, t.get("model_name")];
    this.title.textContent = parts.filter(Boolean).join(" · ");
    if (t.get("random_weights")) {
      this.title.append(h("span", { class: "ll-badge", title: "masks are meaningless" }, "random weights"));
    }
  }

  renderObjects() {
    const sel = this.t.get("selected");
    const chips = (this.t.get("objects") || []).map((o) => {
      const name = h("span", { class: "ll-obj-name" }, o.name);
      const chip = h(
        "span",
        {
          class: `ll-obj${o.id === sel ? " ll-selected" : ""}`,
          "data-obj": String(o.id),
          title: "click: select ([ / ] keys) · double-click: rename",
        },
        h("span", { class: "ll-swatch", style: `background:${toHex(o.color)}` }),
        name,
        h(
          "span",
          {
            class: "ll-obj-del",
            title: "delete object",
            onclick: (e) => {
              e.stopPropagation();
              if (confirm(`Delete ${o.name}?`)) this.act(EVENTS.REMOVE_OBJECT, { obj_id: o.id });
            },
          },
          "×",
        ),
      );
      chip.addEventListener("click", () => this.t.set("selected", o.id));
      chip.addEventListener("dblclick", () => this.renameObject(o, name));
      return chip;
    });
    const add = button("+ object", "add an object (next clicks go to it)", () => this.act(EVENTS.ADD_OBJECT));
    this.keepFocus(() => this.objectsEl.replaceChildren(...chips, add));
  }

  selectObject(delta) {
    const ids = (this.t.get("objects") || []).map((o) => o.id);
    if (!ids.length) return;
    const i = ids.indexOf(this.t.get("selected"));
    this.t.set("selected", ids[(i + delta + ids.length) % ids.length]);
  }

  /** Rename in place: Enter or a click elsewhere keeps the name, Esc cancels. Once only:
   * re-rendering removes the input, and Chromium then blurs it (a second rename, and Esc
   * used to save through that blur). */
  renameObject(o, nameEl) {
    const input = h("input", { class: "ll-rename", value: o.name });
    let finished = false;
    const done = (commit) => {
      if (finished) return;
      finished = true;
      const name = input.value.trim();
      if (commit && name && name !== o.name) this.act(EVENTS.RENAME, { obj_id: o.id, name });
      this.renderObjects();
    };
    input.addEventListener("keydown", (e) => {
      e.stopPropagation();
      if (e.key === "Enter") done(true);
      if (e.key === "Escape") done(false);
    });
    input.addEventListener("blur", () => done(true));
    nameEl.replaceWith(input);
    input.focus();
    input.select();
  }

  /** Show `text` for NOTICE_MS in place of the status. A notice is newer than the status, so
   * by default (`supersede`) the line then stays empty rather than go back to an older status
   * ("propagating forward: done" after a review jump) until the kernel says something new.
   * `refused`: what a busy refusal refused. */
  showNotice(text, { refused = "", supersede = true, hint = false, frame = undefined } = {}) {
    this.notice = text;
    this.noticeIsHint = hint; // a hint gives way to the next status
    this.noticeFrame = frame; // a notice about one frame goes when another is shown
    if (refused) {
      // every refusal still on screen is restated at the task's end, not only the last
      const busy = this.t.get("busy") || "busy";
      const whats = this.refused?.busy === busy ? this.refused.whats : [];
      this.refused = { whats: whats.includes(refused) ? whats : [...whats, refused], busy };
    } else this.refused = null;
    if (supersede) this.statusSuperseded = this.t.get("status") || "";
    this.root.dataset.notice = text;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => {
      this.clearNotice(); // read while the task ran: a refusal is not restated at its end
      this.renderStatus();
    }, NOTICE_MS);
    this.renderStatus();
  }

  clearNotice() {
    clearTimeout(this.noticeTimer);
    this.notice = "";
    this.noticeFrame = undefined;
    this.refused = null;
    this.root.dataset.notice = "";
  }

  renderStatus() {
    const t = this.t;
    const busy = t.get("busy");
    const p = t.get("progress") || {};
    const tr = t.get("training") || {};
    const err = t.get("error");
    const hasObj = (t.get("objects") || []).length > 0;
    this.root.classList.toggle("ll-is-busy", Boolean(busy));
    this.root.dataset.busy = busy || "";
    this.root.dataset.error = err || "";
    this.progressBar.hidden = !p.total;
    this.progressBar.max = Math.max(1, p.total || 1);
    this.progressBar.value = p.done || 0;
    let prog = "";
    if (tr.active) {
      const left = tr.seconds_left === null || tr.seconds_left === undefined ? "" : ` · ≤ ${Math.ceil(tr.seconds_left)} s left`;
      const iou = Number.isFinite(tr.iou) ? ` · IoU vs your mask ${tr.iou.toFixed(2)}` : "";
      prog = `training: epoch ${tr.epoch ?? 0} of ≤ ${tr.max_epochs ?? "?"}${left}${iou}`;
    } else if (p.total) {
      prog = `${busy || ""} ${p.done ?? 0}/${p.total} ${p.label ?? ""}`.trim();
    } else if (busy) {
      prog = `⏳ ${busy}`;
    }
    this.progressLabel.textContent = prog;
    const status = t.get("status") || "";
    let msg = status === this.statusSuperseded ? "" : status;
    let kind = "status";
    if (err) [msg, kind] = [err, "error"];
    else if (this.notice) [msg, kind] = [this.notice, "notice"];
    this.msgEl.textContent = msg;
    this.msgEl.title = err ? t.get("error_detail") || err : msg;
    this.feedback.dataset.kind = kind;
    this.keepFocus(() => {
      this.errClose.hidden = !err;
    });
    this.litBox.checked = Boolean(t.get("lit"));
    const b = this.btn;
    const off = (btn, v) => this.setDisabled(btn, v);
    for (const k of ["bwd", "fwd", "both", "step", "cands"]) off(b[k], Boolean(busy) || !hasObj);
    off(b.undo, Boolean(busy) || !t.get("can_undo"));
    off(b.redo, Boolean(busy) || !t.get("can_redo"));
    off(b.stop, !busy && !this.playing);
    for (const e of this.exportBtns.slice(0, 3)) off(e, Boolean(busy) || !hasObj);
    off(this.exportBtns[3], Boolean(busy));
    this.renderModelNotice();
  }

  /** Issue #12, item 12: the embedded demo model on a video that is not a demo clip. */
  renderModelNotice() {
    const text = this.t.get("model_notice") || "";
    this.noticeEl.hidden = !text;
    this.noticeEl.textContent = text;
  }

  updateNav() {
    const n = this.t.get("num_frames");
    this.slider.max = String(Math.max(0, n - 1));
    this.slider.value = String(this.shown);
    this.frameLabel.textContent = `frame ${this.shown} / ${Math.max(0, n - 1)}`;
    this.root.dataset.frame = String(this.shown);
    this.root.dataset.kernelFrame = String(this.t.get("frame"));
  }

  // ---- navigation (always live, even while the kernel is busy) ------------------------
  show(f, { fromKernel = false } = {}) {
    const n = this.t.get("num_frames");
    f = Math.max(0, Math.min(n - 1, Math.round(f)));
    const dir = f >= this.shown ? 1 : -1;
    this.shown = f;
    // a notice about one frame ("no candidates on frame 22") goes when another is shown
    if (this.noticeFrame !== undefined && this.noticeFrame !== f) {
      this.clearNotice();
      this.renderStatus();
    }
    this.drawFrame();
    this.drawMask();
    this.onCandidates();
    this.drawPoints();
    this.drawCurves();
    this.drawTimeline();
    this.updateNav();
    if (!fromKernel && this.t.get("frame") !== f) this.t.set("frame", f);
    this.requestFrames(dir);
  }

  togglePlay() {
    if (this.playing) {
      clearInterval(this.playing);
      this.playing = null;
      this.playBtn.textContent = "▶";
      this.renderStatus();
      return;
    }
    this.playBtn.textContent = "❚❚";
    const fps = this.t.get("fps") || 10;
    this.playing = setInterval(() => {
      const n = this.t.get("num_frames");
      const next = this.shown + 1 >= n ? 0 : this.shown + 1;
      if (!this.frames.has(next)) {
        this.requestFrames(1);
        return; // wait for the frame rather than showing a stale one
      }
      this.show(next);
    }, 1000 / fps);
    this.renderStatus();
  }

  stop() {
    if (this.playing) this.togglePlay();
    this.t.send({ type: EVENTS.STOP });
  }

  toggleMasks(hidden = !this.masksHidden) {
    this.masksHidden = hidden;
    this.root.dataset.masksHidden = String(hidden);
    this.btn.hide.classList.toggle("ll-on", hidden);
    this.drawMask();
    this.drawPoints();
  }

  // ---- drawing -----------------------------------------------------------------------------
  drawFrame() {
    if (drawFrame(this.canvases.frame, this.frames.get(this.shown))) {
      this.root.dataset.drawnFrame = String(this.shown);
    }
  }

  onMask() {
    const buf = this.t.get("mask_bytes");
    const f = this.t.get("mask_frame");
    if (f >= 0) {
      try {
        this.maskCache.set(f, decodeLabelMap(buf));
      } catch (err) {
        console.error("litlora: bad mask bytes", err);
      }
    }
    if (f === this.shown) this.drawMask();
  }

  drawMask() {
    const lm = this.maskCache.get(this.shown);
    this.root.dataset.maskFrame = this.maskCache.has(this.shown) ? String(this.shown) : "";
    drawMaskLayer(this.canvases.mask, this.masksHidden ? null : lm, colorTable(this.t.get("objects") || []));
  }

  onCandidates() {
    const list = this.t.get("candidates") || [];
    const onFrame = list.length > 0 && this.t.get("candidates_frame") === this.shown;
    // keys 1–N act on the candidates shown: none when they belong to another frame
    this.cands = onFrame ? list.map((c) => ({ ...c, ...(decodeLabelMap(c.rle) ?? {}) })) : [];
    // their status line ("keys 1–3 accept") holds while they are shown: away from their frame
    // the line stays empty until news (and returns with them)
    const status = this.t.get("status") || "";
    if (onFrame) {
      if (this.statusSuperseded === this.candStatus) this.statusSuperseded = null;
      this.candStatus = status;
    } else if (status === this.candStatus) this.statusSuperseded = status; // (the kernel clears them)
    this.renderStatus();
    this.hoverCand = -1;
    this.root.dataset.candidates = String(this.cands.length);
    this.drawHover();
    this.renderCandidates();
  }

  /** Put the candidates panel beside the frame (`width` x at most `height` px, scrolling)
   * or below the controls. */
  placeCandidates(beside, width, height) {
    const panel = this.candPanel;
    if (beside !== this.candsBeside) {
      this.candsBeside = beside;
      this.keepFocus(() => (beside ? this.view.append(panel) : this.feedback.after(panel)));
    }
    panel.classList.toggle("ll-cands-beside", beside);
    panel.style.width = beside ? `${width}px` : "";
    panel.style.maxHeight = beside ? `${height}px` : "";
    this.root.dataset.candidatesAt = panel.hidden ? "" : beside ? "beside" : "below";
    // beside the frame the crops grow into the room there is (a 628 px frame left 332 x 628)
    const side = beside ? cropSide(this.cands.length, width, height) : CROP_SIDE;
    if (side !== this.cropSide) {
      this.cropSide = side;
      this.root.dataset.cropSide = String(side);
      if (!panel.hidden) this.fillCandidates();
    }
  }

  renderCandidates() {
    if (!this.cands.length) {
      this.keepFocus(() => {
        this.candPanel.replaceChildren();
        this.candPanel.hidden = true;
      });
      this.fit();
      return;
    }
    this.candPanel.hidden = false;
    this.fillCandidates();
    this.fit();
  }

  /** The panel's content at the current crop size. */
  fillCandidates() {
    const f = this.t.get("candidates_frame");
    const panel = candidatePanel({
      cands: this.cands,
      frame: f,
      bmp: this.frames.peek(f),
      side: this.cropSide ?? CROP_SIDE,
      onAccept: (i) => this.accept(i),
      onReject: () => this.reject(),
      onHover: (i) => {
        this.hoverCand = i;
        this.drawHover();
      },
    });
    this.keepFocus(() => this.candPanel.replaceChildren(...panel));
  }

  renderLibrary() {
    const lib = this.t.get("adapters") || {};
    const open = Boolean(lib.rows && lib.rows.length);
    const rows = open
      ? libraryPanel(lib, {
          onLoad: (path) => this.act(EVENTS.EXPORT, { format: "load_adapters", path }),
          onClose: () => this.t.set("adapters", {}),
        })
      : [];
    this.keepFocus(() => {
      this.libraryEl.hidden = !open;
      this.libraryEl.replaceChildren(...rows);
    });
  }

  /** Enable or disable a button. A focused button being disabled would drop the focus to the
   * page, so the widget takes it first: keys must stay ours. */
  setDisabled(btn, disabled) {
    if (disabled && btn === document.activeElement) this.root.focus({ preventScroll: true });
    btn.disabled = disabled;
  }

  /** Run `render`, which may remove or hide controls: if it takes away the focused one, the
   * widget takes the focus, as when a focused button is disabled (renderStatus). Else the
   * focus would drop to the page and the next keys reach nobody (or JupyterLab). */
  keepFocus(render) {
    const had = document.activeElement;
    const inside = had !== this.root && this.root.contains(had);
    render();
    if (inside && (!this.root.contains(had) || had.closest("[hidden]"))) this.root.focus({ preventScroll: true });
  }

  drawHover() {
    const c = this.canvases.hover;
    const cand = this.cands[this.hoverCand];
    if (!cand || cand.absent || !cand.labels) {
      clearCanvas(c);
      return;
    }
    drawSingleMask(c, cand, CANDIDATE_COLORS[(this.hoverCand + 1) % CANDIDATE_COLORS.length]);
  }

  drawPoints() {
    const kernel = this.t.get("prompts_frame") === this.shown ? this.t.get("prompts") || [] : [];
    const local = this.localPrompts.filter((p) => p.frame === this.shown);
    const { width, height } = this.canvases.frame;
    drawPoints(this.canvases.points, [...kernel, ...local], colorTable(this.t.get("objects") || []), width, height);
  }

  drawTimeline() {
    const tl = this.t.get("timeline") || {};
    this.root.dataset.timeline = (tl.rows ?? []).map((r) => `${r.obj_id}:${r.codes}`).join("|");
    const queued = (r) => (r.review ?? []).map((q) => q.frame).join(",");
    this.root.dataset.review = (tl.rows ?? []).map((r) => `${r.obj_id}:${queued(r)}`).join("|");
    this.updateReviewButton();
    const width = this.timelineW || this.root.clientWidth;
    if (!width) return; // not laid out yet (hidden tab): drawn by fit() once it is
    const n = drawTimeline(this.timeline, tl, {
      numFrames: this.t.get("num_frames"),
      frame: this.shown,
      colors: colorTable(this.t.get("objects") || []),
      width,
    });
    this.root.dataset.timelineRows = String(n);
  }

  drawCurves() {
    const colors = colorTable(this.t.get("objects") || []);
    const curves = this.t.get("curves");
    const hv = this.hover;
    const numFrames = this.t.get("num_frames");
    const iouHover = hv?.chart === "iou" ? hv.frame : null;
    const plot = drawIouChart(this.iouCanvas, curves, { numFrames, frame: this.shown, colors, hover: iouHover });
    this.iouCanvas.dataset.plotX0 = String(plot.x0); // the plot's x range in CSS px
    this.iouCanvas.dataset.plotX1 = String(plot.x1);
    drawTrainingChart(this.trainCanvas, curves, { hover: hv?.chart === "training" ? hv : null });
    // the readouts, next to the hovered frame / epoch
    const iouW = this.iouCanvas.clientWidth;
    const iouText = iouHover === null ? "" : iouReadout(curves, iouHover, this.t.get("objects") || []);
    placeReadout(this.iouReadout, iouText, iouHover === null ? 0 : plot.sx(iouHover), iouW);
    const trW = this.trainCanvas.clientWidth;
    const g = trainingLayout(curves, trW || this.trainCanvas.width);
    const tc = this.trainCanvas.dataset; // the plot's x ranges in CSS px (tests hover on them)
    tc.epochX0 = String(g.sx(0));
    tc.epochX1 = String(g.sx(Math.max(1, g.n - 1)));
    tc.runX0 = String(g.sxRuns(0));
    tc.runX1 = String(g.sxRuns(Math.max(1, g.runs.length - 1)));
    const trText = hv?.chart === "training" ? trainingReadout(curves, hv) : "";
    const trX = !trText ? 0 : hv.epoch !== undefined ? g.sx(hv.epoch) : g.sxRuns(hv.run);
    placeReadout(this.trainReadout, trText, trX, trW);
    this.root.dataset.hover = hoverKey(hv);
  }

  // ---- review queue (the ▼ marks on the timeline) -----------------------------------------
  /** The selected object's queued frames (every object's when none is selected). */
  reviewQueue() {
    return reviewFrames(this.t.get("timeline") || {}, this.t.get("selected"));
  }

  updateReviewButton() {
    const n = this.reviewQueue().length;
    this.setDisabled(this.reviewBtn, n === 0);
    this.reviewBtn.title = n
      ? `next frame to review (R; Shift+R: previous): ${n} queued`
      : emptyReviewText(this.t.get("timeline"));
  }

  /** Jump to the next queued frame after the current one (dir 1) or before it (dir -1). */
  jumpToReview(dir = 1) {
    const next = nextReview(this.reviewQueue(), this.shown, dir);
    if (!next) {
      this.showNotice(emptyReviewText(this.t.get("timeline")));
      return;
    }
    this.show(next.frame);
    const rows = this.t.get("timeline")?.rows ?? [];
    const sel = this.t.get("selected");
    const row = rows.find((r) => r.obj_id === sel && r.review?.some((q) => q.frame === next.frame)) ??
      rows.find((r) => r.review?.some((q) => q.frame === next.frame));
    const rank = row.review.findIndex((q) => q.frame === next.frame);
    const name = (this.t.get("objects") || []).find((o) => o.id === row.obj_id)?.name ?? `object ${row.obj_id}`;
    const why = row.review[rank].why ? `: ${row.review[rank].why}` : "";
    const wrapped = next.wrapped ? " (from the start again)" : "";
    this.showNotice(`frame ${next.frame} to review, #${rank + 1} of ${row.review.length} for ${name}${wrapped}${why}`);
  }

  // ---- pointer -----------------------------------------------------------------------------
  addPoint(v, label) {
    const obj_id = this.t.get("selected") || null;
    const ev = { frame: this.shown, obj_id, x: v.x, y: v.y, label };
    if (!this.act(EVENTS.CLICK, ev)) return;
    this.localPrompts.push({ ...ev, kind: "point", pending: true });
    this.drawPoints();
  }

  addBox(box) {
    const obj_id = this.t.get("selected") || null;
    if (!this.act(EVENTS.BOX, { frame: this.shown, obj_id, box })) return;
    this.localPrompts.push({ frame: this.shown, obj_id, kind: "box", box, pending: true });
    this.drawPoints();
  }

  // ---- candidates / keys -------------------------------------------------------------------
  askCandidates() {
    this.act(EVENTS.CANDIDATES, { frame: this.shown, obj_id: this.t.get("selected") || null });
  }

  accept(index) {
    if (index >= this.cands.length) return;
    this.act(EVENTS.ACCEPT, { index, frame: this.t.get("candidates_frame"), obj_id: this.t.get("candidates_obj") });
  }

  reject() {
    this.act(EVENTS.REJECT, { frame: this.t.get("candidates_frame") });
  }

  toggleHelp(open = !this.helpOpen) {
    this.helpOpen = open;
    this.helpEl.hidden = !open;
  }

  onKey(e) {
    if (e.target instanceof HTMLInputElement && e.target.type !== "range" && e.target.type !== "checkbox") return;
    const action = keyAction(e, {
      numFrames: this.t.get("num_frames"),
      helpOpen: this.helpOpen,
      dragging: this.pointer.dragging,
      hasCandidates: this.cands.length > 0,
      numCandidates: this.cands.length,
    });
    if (!action) return;
    e.preventDefault();
    e.stopPropagation();
    switch (action.type) {
      case "seek":
      case "seekTo":
        this.show(applySeek(action, this.shown, this.t.get("num_frames")));
        break;
      case "togglePlay":
        this.togglePlay();
        break;
      case "toggleHelp":
        this.toggleHelp();
        break;
      case "closeHelp":
        this.toggleHelp(false);
        break;
      case "cancelDrag":
        this.pointer.cancel();
        break;
      case "selectObject":
        this.selectObject(action.delta);
        break;
      case "toggleMasks":
        this.toggleMasks();
        break;
      case "accept":
        this.accept(action.index);
        break;
      case "noCandidate": {
        const n = this.cands.length;
        this.showNotice(
          n
            ? `no candidate ${action.index + 1} on frame ${this.shown}: ${n === 1 ? "key 1 accepts" : `keys 1–${n} accept`}`
            : `no candidates on frame ${this.shown}: press C to ask for them`,
          { supersede: false, hint: true, frame: this.shown },
        );
        break;
      }
      case "reject":
        this.reject();
        break;
      case "candidates":
        this.askCandidates();
        break;
      case "propagate":
        this.act(EVENTS.PROPAGATE, { direction: action.direction, frame: this.shown });
        break;
      case "step":
        this.act(EVENTS.STEP, { frame: this.shown });
        break;
      case "review":
        this.jumpToReview(action.dir);
        break;
      default:
        this.act(action.type); // undo, redo
    }
  }

  destroy() {
    if (this.playing) clearInterval(this.playing);
    clearTimeout(this.noticeTimer);
    this.resizeObs?.disconnect();
    globalThis.removeEventListener?.("resize", this.onWindowResize);
    this.t.close();
    this.frames?.clear();
  }
}

/** The chart hover state in words: "iou:12", "training:epoch:3", "training:run:0" or "". */
function hoverKey(v) {
  if (!v) return "";
  if (v.chart === "iou") return `iou:${v.frame}`;
  return v.epoch !== undefined ? `training:epoch:${v.epoch}` : `training:run:${v.run}`;
}

/** Show `text` in a chart's readout (hidden when empty) beside x (CSS px on a chart `width`
 * wide): right of it when it fits, else left of it, always inside the chart. */
function placeReadout(el, text, x, width) {
  el.hidden = !text;
  if (el.textContent !== text) el.textContent = text;
  if (!text) return;
  const w = Math.min(el.offsetWidth, width);
  const left = x + 8 + w <= width ? x + 8 : x - 8 - w;
  el.style.left = `${Math.round(Math.max(0, Math.min(width - w, left)))}px`;
}

function render({ model, el }) {
  const view = new AppView(model, el);
  return () => view.destroy();
}

export default { render };

// LitLoraApp front end (anywidget). One view = stacked canvases (frame, masks, candidates,
// points, cursor) plus controls. All state that matters lives in the kernel's traits; this
// view keeps only caches (decoded frames and masks) and transient UI state (drag, help, play).
// The kernel receives semantic events ({type: "click", frame, obj, x, y, label}, ...), never
// mouse moves.

import { boxFromCorners, clientToVideo, isDrag, pixelAt, videoPxPerCssPx } from "./coords.js";
import { CANDIDATE_COLORS, colorTable, contrastText, rgba, toHex } from "./colors.js";
import { LRUCache, prefetchPlan } from "./cache.js";
import { decodeLabelMap, hitTestMasks, maskAnchor, renderLabelMap } from "./masks.js";
import { HELP, applySeek, keyAction } from "./keys.js";
import { drawIouChart, drawTrainingChart, frameAtX } from "./curves.js";

const LAYERS = ["frame", "mask", "cand", "points", "cursor"];
const FRAME_CACHE_BYTES = 400e6;

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function button(label, title, onclick, cls = "") {
  return h("button", { class: `ll-btn ${cls}`, title, type: "button", onclick }, label);
}

async function decodeJpeg(buf) {
  const blob = new Blob([buf], { type: "image/jpeg" });
  return createImageBitmap(blob);
}

class AppView {
  constructor(model, el) {
    this.model = model;
    this.el = el;
    this.shown = model.get("frame");
    this.pending = new Set();
    this.playing = null;
    this.drag = null;
    this.helpOpen = false;
    this.localPrompts = [];
    this.cands = [];
    this.hoverCand = -1;
    this.listeners = [];
    this.build();
    this.resetCaches();
    this.bindModel();
    this.renderAll();
    this.requestFrames();
  }

  // ---- kernel I/O ------------------------------------------------------------------------
  send(msg) {
    try {
      this.model.send(msg);
    } catch (err) {
      console.warn("litlora: no kernel to send to", msg, err);
    }
  }

  setTrait(name, value) {
    this.model.set(name, value);
    this.model.save_changes();
  }

  on(event, fn) {
    this.model.on(event, fn);
    this.listeners.push([event, fn]);
  }

  bindModel() {
    const m = this.model;
    this.on("msg:custom", (msg, buffers) => this.onMessage(msg, buffers));
    this.on("change:frame", () => {
      const f = m.get("frame");
      if (f !== this.shown) this.show(f, { fromKernel: true });
      this.updateNav();
    });
    this.on("change:num_frames", () => this.updateNav());
    this.on("change:video_width", () => this.resetCaches());
    this.on("change:video_height", () => this.resetCaches());
    this.on("change:mask_epoch", () => {
      this.maskCache.clear();
      this.onMask();
    });
    this.on("change:mask_bytes", () => this.onMask());
    this.on("change:objects", () => {
      this.renderObjects();
      this.drawMask();
      this.drawPoints();
      this.drawCurves();
    });
    this.on("change:selected", () => this.renderObjects());
    this.on("change:prompts", () => {
      this.localPrompts = [];
      this.drawPoints();
    });
    this.on("change:candidates", () => this.onCandidates());
    this.on("change:curves", () => this.drawCurves());
    for (const t of ["busy", "progress", "training", "lit", "can_undo", "can_redo", "status"]) {
      this.on(`change:${t}`, () => this.renderStatus());
    }
    this.on("change:error", () => this.renderError());
    this.on("change:static_frame", () => this.loadStaticFrame());
  }

  onMessage(msg, buffers) {
    if (msg?.type === "frame" && buffers?.length) {
      const f = msg.frame;
      decodeJpeg(buffers[0])
        .then((bmp) => {
          this.pending.delete(f);
          this.frames.set(f, bmp);
          if (f === this.shown) this.drawFrame();
          if (this.cands.length && f === this.model.get("candidates_frame")) this.renderCandStrip();
        })
        .catch((err) => {
          this.pending.delete(f);
          console.error("litlora: bad frame", f, err);
        });
    }
  }

  requestFrames(dir = 1) {
    const n = this.model.get("num_frames");
    const want = prefetchPlan(this.shown, n, (f) => this.frames.has(f) || this.pending.has(f), {
      dir,
      ahead: this.playing ? 16 : 8,
    });
    if (!want.length) return;
    want.forEach((f) => this.pending.add(f));
    this.send({ type: "frames", frames: want });
    // Forget requests that never came back (kernel busy or restarted) so they can be retried.
    setTimeout(() => want.forEach((f) => this.pending.delete(f)), 5000);
  }

  loadStaticFrame() {
    const buf = this.model.get("static_frame");
    if (!buf || !buf.byteLength) return;
    const f = this.model.get("static_frame_index");
    decodeJpeg(buf).then((bmp) => {
      this.frames.set(f, bmp);
      if (f === this.shown) this.drawFrame();
    });
  }

  // ---- DOM -----------------------------------------------------------------------------
  build() {
    const el = this.el;
    // data-lm-suppress-shortcuts: JupyterLab's command-mode keys (c, 1-9, arrows) stay ours
    this.root = h("div", { class: "litlora", tabindex: "0", "data-lm-suppress-shortcuts": "true" });
    this.title = h("span", { class: "ll-title" });
    this.statusEl = h("span", { class: "ll-status", "data-testid": "status" });
    this.header = h("div", { class: "ll-header" }, this.title, this.statusEl);
    this.errorText = h("span", { class: "ll-error-text" });
    this.errorEl = h(
      "div",
      { class: "ll-error", "data-testid": "error", hidden: "" },
      this.errorText,
      button("×", "dismiss", () => {
        this.setTrait("error", "");
      }),
    );
    this.objectsEl = h("div", { class: "ll-objects" });

    this.stage = h("div", { class: "ll-stage" });
    this.canvases = {};
    for (const name of LAYERS) {
      const c = h("canvas", { class: `ll-layer ll-${name}`, "data-layer": name });
      this.canvases[name] = c;
      this.stage.append(c);
    }
    const top = this.canvases.cursor;
    top.addEventListener("contextmenu", (e) => e.preventDefault());
    top.addEventListener("pointerdown", (e) => this.onPointerDown(e));
    top.addEventListener("pointermove", (e) => this.onPointerMove(e));
    top.addEventListener("pointerup", (e) => this.onPointerUp(e));
    top.addEventListener("pointerleave", () => this.clearCursor());

    this.slider = h("input", { type: "range", min: "0", class: "ll-slider", "aria-label": "frame" });
    this.slider.addEventListener("input", () => this.show(Number(this.slider.value)));
    this.frameLabel = h("span", { class: "ll-frame-label", "data-testid": "frame-label" });
    this.playBtn = button("▶", "play / pause (Space)", () => this.togglePlay());
    const nav = h(
      "div",
      { class: "ll-nav" },
      button("⇤", "first frame (Home)", () => this.show(0)),
      button("◁", "previous frame (←)", () => this.show(this.shown - 1)),
      this.playBtn,
      button("▷", "next frame (→)", () => this.show(this.shown + 1)),
      button("⇥", "last frame (End)", () => this.show(this.model.get("num_frames") - 1)),
      this.slider,
      this.frameLabel,
    );

    this.progressBar = h("progress", { class: "ll-progress", max: "1", value: "0" });
    this.progressLabel = h("span", { class: "ll-progress-label" });
    this.litBox = h("input", { type: "checkbox", class: "ll-lit" });
    this.litBox.addEventListener("change", () => this.setTrait("lit", this.litBox.checked));
    this.trainEl = h("span", { class: "ll-training", "data-testid": "training" });
    this.undoBtn = button("↶", "undo (Ctrl+Z)", () => this.send({ type: "undo" }));
    this.redoBtn = button("↷", "redo (Ctrl+Shift+Z)", () => this.send({ type: "redo" }));
    this.stopBtn = button("■ Stop", "stop propagation / training", () => this.stop(), "ll-stop");
    const prop = (direction) => () => this.send({ type: "propagate", direction });
    const actions = h(
      "div",
      { class: "ll-actions" },
      button("◀◀", "propagate backward", prop("backward"), "ll-prop-bwd"),
      button("Propagate ▶▶", "propagate forward (P)", prop("forward"), "ll-prop-fwd"),
      button("◀▶", "propagate both ways", prop("both"), "ll-prop-both"),
      button("Step", "track one frame forward (S)", () => this.send({ type: "step" }), "ll-step"),
      this.stopBtn,
      this.progressBar,
      this.progressLabel,
      h("label", { class: "ll-lit-label", title: "LIT-LoRA: corrections train at once" }, this.litBox, " LIT"),
      this.trainEl,
      button("Candidates", "every expert's mask for this frame (C)", () => this.askCandidates(), "ll-cand-btn"),
      this.undoBtn,
      this.redoBtn,
      button("?", "keyboard help (?)", () => this.toggleHelp()),
    );

    this.candStrip = h("div", { class: "ll-cands", "data-testid": "candidates" });
    this.iouCanvas = h("canvas", { class: "ll-curve ll-curve-iou" });
    this.iouCanvas.addEventListener("click", (e) => {
      const r = this.iouCanvas.getBoundingClientRect();
      this.show(frameAtX(e.clientX - r.left, r.width, this.model.get("num_frames")));
    });
    this.trainCanvas = h("canvas", { class: "ll-curve ll-curve-train" });
    const curves = h("div", { class: "ll-curves" }, this.iouCanvas, this.trainCanvas);

    const exp = (kind) => () => this.send({ type: "export", format: kind });
    this.exportEl = h(
      "div",
      { class: "ll-export" },
      button("COCO JSON", "export masks as COCO RLE JSON", exp("coco")),
      button("DAVIS PNGs", "export masks as DAVIS palette PNGs", exp("davis")),
      button("Save adapters", "save the LoRA experts", exp("save_adapters")),
      button("Load adapters", "load LoRA experts from the export folder", exp("load_adapters")),
    );

    this.helpEl = h("div", { class: "ll-help", hidden: "" });
    const rows = HELP.map(([k, v]) => h("tr", {}, h("td", {}, h("kbd", {}, k)), h("td", {}, v)));
    this.helpEl.append(
      h("div", { class: "ll-help-box" }, h("b", {}, "Keyboard & mouse"), h("table", {}, ...rows)),
    );
    this.helpEl.addEventListener("click", () => this.toggleHelp(false));

    this.root.append(
      this.header, this.errorEl, this.objectsEl, this.stage, nav, actions, this.candStrip,
      curves, this.exportEl, this.helpEl,
    );
    this.root.addEventListener("keydown", (e) => this.onKey(e));
    el.append(this.root);
    this.resizeObs = new ResizeObserver(() => {
      this.drawCurves();
      this.drawPoints();
    });
    this.resizeObs.observe(this.stage);
  }

  resetCaches() {
    const w = this.model.get("video_width") || 1;
    const hgt = this.model.get("video_height") || 1;
    for (const c of Object.values(this.canvases)) {
      c.width = w;
      c.height = hgt;
    }
    this.stage.style.aspectRatio = `${w} / ${hgt}`;
    this.stage.style.maxWidth = `calc(70vh * ${w / hgt})`;
    const cap = Math.max(16, Math.min(400, Math.floor(FRAME_CACHE_BYTES / (w * hgt * 4))));
    this.frames?.clear();
    this.frames = new LRUCache(cap, (bmp) => bmp?.close?.());
    this.maskCache = new LRUCache(cap);
    this.pending.clear();
    this.loadStaticFrame();
  }

  renderAll() {
    this.renderTitle();
    this.renderObjects();
    this.renderStatus();
    this.renderError();
    this.updateNav();
    this.onMask();
    this.onCandidates();
    this.drawPoints();
    this.drawCurves();
  }

  renderTitle() {
    const m = this.model;
    const parts = [m.get("video_name"), `${m.get("video_width")}×${m.get("video_height")}`, m.get("model_name")];
    this.title.textContent = parts.filter(Boolean).join(" · ");
    if (m.get("random_weights")) {
      this.title.append(h("span", { class: "ll-badge", title: "masks are meaningless" }, "random weights"));
    }
  }

  renderObjects() {
    const sel = this.model.get("selected");
    const chips = this.model.get("objects").map((o) => {
      const name = h("span", { class: "ll-obj-name" }, o.name);
      const chip = h(
        "span",
        {
          class: `ll-obj${o.id === sel ? " ll-selected" : ""}`,
          "data-obj": String(o.id),
          title: "click: select · double-click: rename",
        },
        h("span", { class: "ll-swatch", style: `background:${toHex(o.color)}` }),
        name,
        h("span", {
          class: "ll-obj-del",
          title: "delete object",
          onclick: (e) => {
            e.stopPropagation();
            if (confirm(`Delete ${o.name}?`)) this.send({ type: "remove_object", obj: o.id });
          },
        }, "×"),
      );
      chip.addEventListener("click", () => this.setTrait("selected", o.id));
      chip.addEventListener("dblclick", () => this.renameObject(o, name));
      return chip;
    });
    const add = button("+ object", "add an object (next clicks go to it)", () => this.send({ type: "add_object" }));
    this.objectsEl.replaceChildren(...chips, add);
  }

  renameObject(o, nameEl) {
    const input = h("input", { class: "ll-rename", value: o.name });
    const done = (commit) => {
      if (commit && input.value.trim() && input.value !== o.name) {
        this.send({ type: "rename", obj: o.id, name: input.value.trim() });
      }
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

  renderStatus() {
    const m = this.model;
    const busy = m.get("busy");
    const p = m.get("progress") || {};
    this.root.classList.toggle("ll-is-busy", Boolean(busy));
    this.root.dataset.busy = busy || "";
    this.statusEl.textContent = busy ? `⏳ ${busy}` : m.get("status") || "";
    this.progressBar.max = Math.max(1, p.total || 1);
    this.progressBar.value = p.done || 0;
    this.progressLabel.textContent = p.total ? `${p.done ?? 0}/${p.total} ${p.label ?? ""}` : "";
    this.litBox.checked = Boolean(m.get("lit"));
    this.undoBtn.disabled = !m.get("can_undo");
    this.redoBtn.disabled = !m.get("can_redo");
    const t = m.get("training") || {};
    this.trainEl.classList.toggle("ll-active", Boolean(t.active));
    this.trainEl.textContent = t.active
      ? `training expert ${t.expert ?? ""} · epoch ${t.epoch ?? 0} · IoU ${(t.iou ?? 0).toFixed(2)}`
      : "";
  }

  renderError() {
    const err = this.model.get("error");
    this.errorText.textContent = err || "";
    this.errorEl.hidden = !err;
  }

  updateNav() {
    const n = this.model.get("num_frames");
    this.slider.max = String(Math.max(0, n - 1));
    this.slider.value = String(this.shown);
    this.frameLabel.textContent = `${this.shown + 1} / ${n}`;
    this.root.dataset.frame = String(this.shown);
    this.root.dataset.kernelFrame = String(this.model.get("frame"));
  }

  // ---- navigation --------------------------------------------------------------------------
  show(f, { fromKernel = false } = {}) {
    const n = this.model.get("num_frames");
    f = Math.max(0, Math.min(n - 1, Math.round(f)));
    const dir = f >= this.shown ? 1 : -1;
    this.shown = f;
    this.drawFrame();
    this.drawMask();
    this.drawCandidates();
    this.drawPoints();
    this.drawCurves();
    this.updateNav();
    if (!fromKernel && this.model.get("frame") !== f) this.setTrait("frame", f);
    this.requestFrames(dir);
  }

  togglePlay() {
    if (this.playing) {
      clearInterval(this.playing);
      this.playing = null;
      this.playBtn.textContent = "▶";
      return;
    }
    this.playBtn.textContent = "❚❚";
    const fps = this.model.get("fps") || 10;
    this.playing = setInterval(() => {
      const n = this.model.get("num_frames");
      const next = this.shown + 1 >= n ? 0 : this.shown + 1;
      if (!this.frames.has(next)) {
        this.requestFrames(1);
        return; // wait for the frame rather than showing a stale one
      }
      this.show(next);
    }, 1000 / fps);
  }

  stop() {
    if (this.playing) this.togglePlay();
    this.send({ type: "stop" });
  }

  // ---- drawing -----------------------------------------------------------------------------
  drawFrame() {
    const c = this.canvases.frame;
    const ctx = c.getContext("2d");
    const bmp = this.frames.get(this.shown);
    if (bmp) {
      ctx.drawImage(bmp, 0, 0, c.width, c.height);
      this.root.dataset.drawnFrame = String(this.shown);
    }
    // else keep the previous picture until the requested frame arrives
  }

  onMask() {
    const buf = this.model.get("mask_bytes");
    const f = this.model.get("mask_frame");
    if (f >= 0) {
      try {
        const lm = decodeLabelMap(buf);
        this.maskCache.set(f, lm);
      } catch (err) {
        console.error("litlora: bad mask bytes", err);
      }
    }
    if (f === this.shown) this.drawMask();
  }

  drawMask() {
    const c = this.canvases.mask;
    const ctx = c.getContext("2d");
    ctx.clearRect(0, 0, c.width, c.height);
    const lm = this.maskCache.get(this.shown);
    this.root.dataset.maskFrame = lm ? String(this.shown) : "";
    if (!lm) return;
    const rgbaPx = renderLabelMap(lm.labels, lm.width, lm.height, colorTable(this.model.get("objects")));
    putScaled(ctx, rgbaPx, lm.width, lm.height, c.width, c.height);
  }

  onCandidates() {
    const list = this.model.get("candidates") || [];
    this.cands = list.map((cand) => {
      const lm = decodeLabelMap(cand.rle);
      if (!lm) return null;
      const anchor = maskAnchor(lm.labels, lm.width, lm.height, 1);
      return { ...cand, ...lm, area: anchor.area, anchor };
    });
    this.hoverCand = -1;
    this.root.dataset.candidates = String(this.cands.length);
    this.drawCandidates();
    this.renderCandStrip();
  }

  candidatesVisible() {
    return this.cands.length > 0 && this.model.get("candidates_frame") === this.shown;
  }

  drawCandidates() {
    const c = this.canvases.cand;
    const ctx = c.getContext("2d");
    ctx.clearRect(0, 0, c.width, c.height);
    if (!this.candidatesVisible()) return;
    const k = videoPxPerCssPx(c.getBoundingClientRect(), c.width);
    this.cands.forEach((cand, i) => {
      if (!cand) return;
      const col = CANDIDATE_COLORS[i % CANDIDATE_COLORS.length];
      const table = new Map([[1, col]]);
      const px = renderLabelMap(cand.labels, cand.width, cand.height, table, {
        fillAlpha: i === this.hoverCand ? 0.35 : 0,
      });
      const tmp = new OffscreenCanvas(cand.width, cand.height);
      tmp.getContext("2d").putImageData(new ImageData(px, cand.width, cand.height), 0, 0);
      ctx.drawImage(tmp, 0, 0, c.width, c.height);
      const sx = c.width / cand.width;
      const sy = c.height / cand.height;
      const r = 11 * k;
      const x = cand.anchor.x * sx;
      const y = cand.anchor.y * sy;
      ctx.fillStyle = rgba(col, 0.95);
      ctx.beginPath();
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      ctx.fill();
      ctx.fillStyle = contrastText(col);
      ctx.font = `bold ${Math.round(13 * k)}px sans-serif`;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(String(i + 1), x, y);
      ctx.fillStyle = "#fff";
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 3 * k;
      ctx.font = `${Math.round(11 * k)}px sans-serif`;
      const label = `${(cand.score ?? 0).toFixed(2)}`;
      ctx.strokeText(label, x, y + r + 8 * k);
      ctx.fillText(label, x, y + r + 8 * k);
    });
  }

  renderCandStrip() {
    if (!this.cands.length) {
      this.candStrip.replaceChildren();
      return;
    }
    const f = this.model.get("candidates_frame");
    const bmp = this.frames.peek(f);
    const items = this.cands.map((cand, i) => {
      const col = CANDIDATE_COLORS[i % CANDIDATE_COLORS.length];
      const thumb = h("canvas", { class: "ll-thumb" });
      if (cand) {
        const tw = 160;
        const th = Math.max(1, Math.round((tw * cand.height) / cand.width));
        thumb.width = tw;
        thumb.height = th;
        const ctx = thumb.getContext("2d");
        if (bmp) ctx.drawImage(bmp, 0, 0, tw, th);
        const px = renderLabelMap(cand.labels, cand.width, cand.height, new Map([[1, [255, 221, 0]]]), {
          fillAlpha: 0.5,
        });
        const tmp = new OffscreenCanvas(cand.width, cand.height);
        tmp.getContext("2d").putImageData(new ImageData(px, cand.width, cand.height), 0, 0);
        ctx.drawImage(tmp, 0, 0, tw, th);
      }
      const who = cand?.expert === null || cand?.expert === undefined ? "SAM2" : `expert ${cand.expert}`;
      const item = h(
        "div",
        { class: "ll-cand", "data-index": String(i), title: `accept (key ${i + 1})` },
        thumb,
        h("span", { class: "ll-cand-num", style: `background:${toHex(col)};color:${contrastText(col)}` }, String(i + 1)),
        h("span", { class: "ll-cand-info" }, `${who} · ${(cand?.score ?? 0).toFixed(2)}`),
      );
      item.addEventListener("click", () => this.accept(i));
      item.addEventListener("mouseenter", () => {
        this.hoverCand = i;
        this.drawCandidates();
      });
      item.addEventListener("mouseleave", () => {
        this.hoverCand = -1;
        this.drawCandidates();
      });
      return item;
    });
    const reject = button("✕ reject all (Esc)", "reject every candidate", () => this.reject());
    this.candStrip.replaceChildren(h("span", { class: "ll-cands-title" }, `Frame ${f + 1}:`), ...items, reject);
  }

  drawPoints() {
    const c = this.canvases.points;
    const ctx = c.getContext("2d");
    ctx.clearRect(0, 0, c.width, c.height);
    const k = videoPxPerCssPx(c.getBoundingClientRect(), c.width);
    const colors = colorTable(this.model.get("objects"));
    const kernel = this.model.get("prompts_frame") === this.shown ? this.model.get("prompts") : [];
    const local = this.localPrompts.filter((p) => p.frame === this.shown);
    for (const p of [...kernel, ...local]) {
      const col = colors.get(p.obj) ?? [255, 255, 255];
      if (p.kind === "box") {
        const [x0, y0, x1, y1] = p.box;
        ctx.strokeStyle = rgba(col, 1);
        ctx.lineWidth = 2 * k;
        ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
        continue;
      }
      ctx.beginPath();
      ctx.arc(p.x, p.y, 6 * k, 0, 2 * Math.PI);
      ctx.fillStyle = p.label ? "rgb(40,200,70)" : "rgb(230,40,40)";
      ctx.fill();
      ctx.lineWidth = 2 * k;
      ctx.strokeStyle = p.pending ? "rgba(255,255,255,0.5)" : "#fff";
      ctx.stroke();
      ctx.fillStyle = "#fff";
      ctx.fillRect(p.x - 3 * k, p.y - 0.75 * k, 6 * k, 1.5 * k);
      if (p.label) ctx.fillRect(p.x - 0.75 * k, p.y - 3 * k, 1.5 * k, 6 * k);
    }
  }

  clearCursor() {
    const c = this.canvases.cursor;
    c.getContext("2d").clearRect(0, 0, c.width, c.height);
  }

  drawCurves() {
    const colors = colorTable(this.model.get("objects"));
    const curves = this.model.get("curves");
    drawIouChart(this.iouCanvas, curves, { numFrames: this.model.get("num_frames"), frame: this.shown, colors });
    drawTrainingChart(this.trainCanvas, curves);
  }

  // ---- pointer -----------------------------------------------------------------------------
  toVideo(e) {
    const c = this.canvases.cursor;
    return clientToVideo(e.clientX, e.clientY, c.getBoundingClientRect(), c.width, c.height);
  }

  onPointerDown(e) {
    this.root.focus({ preventScroll: true });
    if (e.button !== 0 && e.button !== 2) return;
    e.preventDefault();
    this.canvases.cursor.setPointerCapture?.(e.pointerId);
    this.drag = { client: { x: e.clientX, y: e.clientY }, video: this.toVideo(e), button: e.button };
  }

  onPointerMove(e) {
    const c = this.canvases.cursor;
    const ctx = c.getContext("2d");
    ctx.clearRect(0, 0, c.width, c.height);
    const k = videoPxPerCssPx(c.getBoundingClientRect(), c.width);
    const v = this.toVideo(e);
    const d = this.drag;
    ctx.lineWidth = k;
    if (d && d.button === 0 && isDrag(d.client, { x: e.clientX, y: e.clientY })) {
      const [x0, y0, x1, y1] = boxFromCorners(d.video, v);
      ctx.setLineDash([6 * k, 4 * k]);
      ctx.strokeStyle = "#fff";
      ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
      ctx.setLineDash([]);
      return;
    }
    ctx.strokeStyle = "rgba(255,255,255,0.6)";
    ctx.beginPath();
    ctx.moveTo(v.x - 10 * k, v.y);
    ctx.lineTo(v.x + 10 * k, v.y);
    ctx.moveTo(v.x, v.y - 10 * k);
    ctx.lineTo(v.x, v.y + 10 * k);
    ctx.stroke();
  }

  onPointerUp(e) {
    const d = this.drag;
    this.drag = null;
    this.clearCursor();
    if (!d) return;
    const v = this.toVideo(e);
    const obj = this.model.get("selected") || null;
    if (d.button === 0 && isDrag(d.client, { x: e.clientX, y: e.clientY })) {
      const box = boxFromCorners(d.video, v);
      this.localPrompts.push({ frame: this.shown, obj, kind: "box", box, pending: true });
      this.drawPoints();
      this.send({ type: "box", frame: this.shown, obj, box });
      return;
    }
    const label = d.button === 2 || e.shiftKey ? 0 : 1;
    if (label === 1 && this.candidatesVisible()) {
      const c = this.canvases.cursor;
      const { col, row } = pixelAt(v.x, v.y, c.width, c.height);
      const first = this.cands.find(Boolean);
      const cc = Math.floor((col * first.width) / c.width);
      const rr = Math.floor((row * first.height) / c.height);
      const hit = hitTestMasks(this.cands, cc, rr, first.width);
      if (hit >= 0) {
        this.accept(hit);
        return;
      }
    }
    this.localPrompts.push({ frame: this.shown, obj, kind: "point", x: v.x, y: v.y, label, pending: true });
    this.drawPoints();
    this.send({ type: "click", frame: this.shown, obj, x: v.x, y: v.y, label });
  }

  // ---- candidates / keys -------------------------------------------------------------------
  askCandidates() {
    this.send({ type: "candidates", frame: this.shown, obj: this.model.get("selected") || null });
  }

  accept(index) {
    this.send({ type: "accept", index, frame: this.model.get("candidates_frame") });
  }

  reject() {
    this.send({ type: "reject" });
  }

  toggleHelp(open = !this.helpOpen) {
    this.helpOpen = open;
    this.helpEl.hidden = !open;
  }

  onKey(e) {
    if (e.target instanceof HTMLInputElement && e.target.type !== "range" && e.target.type !== "checkbox") return;
    const action = keyAction(e, {
      numFrames: this.model.get("num_frames"),
      helpOpen: this.helpOpen,
      dragging: Boolean(this.drag),
      hasCandidates: this.candidatesVisible(),
      numCandidates: this.cands.length,
    });
    if (!action) return;
    e.preventDefault();
    e.stopPropagation();
    switch (action.type) {
      case "seek":
      case "seekTo":
        this.show(applySeek(action, this.shown, this.model.get("num_frames")));
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
        this.drag = null;
        this.clearCursor();
        break;
      case "accept":
        this.accept(action.index);
        break;
      case "reject":
        this.reject();
        break;
      case "candidates":
        this.askCandidates();
        break;
      default:
        this.send(action); // undo, redo, propagate, step
    }
  }

  destroy() {
    if (this.playing) clearInterval(this.playing);
    this.resizeObs?.disconnect();
    for (const [ev, fn] of this.listeners) this.model.off(ev, fn);
    this.frames?.clear();
  }
}

/** Put RGBA pixels of size (w, h) on a context of size (cw, ch), scaling when they differ. */
function putScaled(ctx, px, w, h, cw, ch) {
  const img = new ImageData(px, w, h);
  if (w === cw && h === ch) {
    ctx.putImageData(img, 0, 0);
    return;
  }
  const tmp = new OffscreenCanvas(w, h);
  tmp.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, cw, ch);
}

function render({ model, el }) {
  const view = new AppView(model, el);
  return () => view.destroy();
}

export default { render };

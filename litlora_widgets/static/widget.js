// src/coords.js
function clientToVideo(clientX, clientY, rect, videoW, videoH) {
  const x = (clientX - rect.left) / rect.width * videoW;
  const y = (clientY - rect.top) / rect.height * videoH;
  return { x: clamp(x, 0, videoW - 1e-6), y: clamp(y, 0, videoH - 1e-6) };
}
function pixelAt(x, y, videoW, videoH) {
  return {
    col: clamp(Math.floor(x), 0, videoW - 1),
    row: clamp(Math.floor(y), 0, videoH - 1)
  };
}
function videoPxPerCssPx(rect, videoW) {
  return rect.width > 0 ? videoW / rect.width : 1;
}
function boxFromCorners(a, b) {
  return [Math.min(a.x, b.x), Math.min(a.y, b.y), Math.max(a.x, b.x), Math.max(a.y, b.y)];
}
var DRAG_THRESHOLD_CSS_PX = 5;
function isDrag(downClient, upClient, threshold = DRAG_THRESHOLD_CSS_PX) {
  return Math.hypot(upClient.x - downClient.x, upClient.y - downClient.y) >= threshold;
}
function clamp(v, lo, hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

// src/colors.js
var PALETTE = [
  [230, 25, 75],
  [60, 180, 75],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
  [210, 245, 60],
  [250, 190, 212],
  [0, 128, 128]
];
var CANDIDATE_COLORS = [[255, 255, 255], [255, 221, 0], [0, 229, 255], [255, 64, 255]];
function paletteColor(i) {
  const n = PALETTE.length;
  return PALETTE[(i % n + n) % n];
}
function toHex([r, g, b]) {
  return "#" + [r, g, b].map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
}
function rgba([r, g, b], a = 1) {
  return `rgba(${r}, ${g}, ${b}, ${a})`;
}
function contrastText([r, g, b]) {
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#000" : "#fff";
}
function packRGBA([r, g, b], alpha) {
  return (Math.round(alpha * 255) << 24 | b << 16 | g << 8 | r) >>> 0;
}
function colorTable(objects) {
  const table = /* @__PURE__ */ new Map();
  objects.forEach((o, i) => table.set(o.id, o.color || paletteColor(i)));
  return table;
}

// src/cache.js
var LRUCache = class {
  constructor(capacity, onEvict = null) {
    this.capacity = capacity;
    this.onEvict = onEvict;
    this.map = /* @__PURE__ */ new Map();
  }
  get size() {
    return this.map.size;
  }
  has(k) {
    return this.map.has(k);
  }
  get(k) {
    if (!this.map.has(k)) return void 0;
    const v = this.map.get(k);
    this.map.delete(k);
    this.map.set(k, v);
    return v;
  }
  peek(k) {
    return this.map.get(k);
  }
  set(k, v) {
    if (this.map.has(k)) this.map.delete(k);
    this.map.set(k, v);
    while (this.map.size > this.capacity) {
      const [oldK, oldV] = this.map.entries().next().value;
      this.map.delete(oldK);
      if (this.onEvict) this.onEvict(oldV, oldK);
    }
  }
  delete(k) {
    const v = this.map.get(k);
    const had = this.map.delete(k);
    if (had && this.onEvict) this.onEvict(v, k);
    return had;
  }
  clear() {
    if (this.onEvict) for (const [k, v] of this.map) this.onEvict(v, k);
    this.map.clear();
  }
  keys() {
    return [...this.map.keys()];
  }
};
function prefetchPlan(frame, numFrames, isKnown, { ahead = 8, behind = 3, dir = 1 } = {}) {
  const order = [frame];
  const fwd = dir >= 0 ? ahead : behind;
  const back = dir >= 0 ? behind : ahead;
  for (let d = 1; d <= Math.max(fwd, back); d++) {
    if (d <= fwd) order.push(frame + d);
    if (d <= back) order.push(frame - d);
  }
  return order.filter((f) => f >= 0 && f < numFrames && !isKnown(f));
}

// src/masks.js
var MAGIC = "LMR1";
var HEADER = 16;
function asDataView(buf) {
  if (!buf) return null;
  if (buf instanceof DataView) return buf;
  if (buf instanceof ArrayBuffer) return new DataView(buf);
  if (ArrayBuffer.isView(buf)) return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  throw new TypeError("expected bytes (DataView, ArrayBuffer or typed array)");
}
function decodeLabelMap(buf) {
  const dv = asDataView(buf);
  if (!dv || dv.byteLength === 0) return null;
  if (dv.byteLength < HEADER) throw new Error("label map: truncated header");
  const magic = String.fromCharCode(dv.getUint8(0), dv.getUint8(1), dv.getUint8(2), dv.getUint8(3));
  if (magic !== MAGIC) throw new Error(`label map: bad magic ${JSON.stringify(magic)}`);
  const width = dv.getUint32(4, true);
  const height = dv.getUint32(8, true);
  const n = dv.getUint32(12, true);
  if (dv.byteLength < HEADER + 5 * n) throw new Error("label map: truncated runs");
  const labels = new Uint8Array(width * height);
  const labelBase = HEADER + 4 * n;
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const len = dv.getUint32(HEADER + 4 * i, true);
    const lab = dv.getUint8(labelBase + i);
    if (pos + len > labels.length) throw new Error("label map: runs overflow the image");
    if (lab !== 0) labels.fill(lab, pos, pos + len);
    pos += len;
  }
  if (pos !== labels.length) throw new Error(`label map: runs cover ${pos} of ${labels.length} px`);
  return { width, height, labels };
}
function isEdge(labels, w, h2, idx, x, y) {
  const l = labels[idx];
  return x === 0 || y === 0 || x === w - 1 || y === h2 - 1 || labels[idx - 1] !== l || labels[idx + 1] !== l || labels[idx - w] !== l || labels[idx + w] !== l;
}
function renderLabelMap(labels, w, h2, colors, opts = {}) {
  const { fillAlpha = 0.45, outline = true, hidden = null } = opts;
  const out = new Uint8ClampedArray(w * h2 * 4);
  const px = new Uint32Array(out.buffer);
  const fill = new Uint32Array(256);
  const edge = new Uint32Array(256);
  const known = new Uint8Array(256);
  for (const [lab, col] of colors) {
    if (lab <= 0 || lab > 255 || hidden && hidden.has(lab)) continue;
    known[lab] = 1;
    fill[lab] = packRGBA(col, fillAlpha);
    edge[lab] = packRGBA(col, 1);
  }
  for (let y = 0, idx = 0; y < h2; y++) {
    for (let x = 0; x < w; x++, idx++) {
      const l = labels[idx];
      if (l === 0 || !known[l]) continue;
      px[idx] = outline && isEdge(labels, w, h2, idx, x, y) ? edge[l] : fill[l];
    }
  }
  return out;
}
function maskAnchor(labels, w, h2, label = 1) {
  let area = 0;
  let sx = 0;
  let sy = 0;
  for (let y2 = 0, idx = 0; y2 < h2; y2++) {
    for (let x2 = 0; x2 < w; x2++, idx++) {
      if (labels[idx] === label) {
        area++;
        sx += x2;
        sy += y2;
      }
    }
  }
  if (area === 0) return { area: 0, x: w / 2, y: h2 / 2 };
  let x = Math.round(sx / area);
  let y = Math.round(sy / area);
  if (labels[y * w + x] !== label) {
    for (let d = 0; d < h2; d++) {
      for (const r of [y - d, y + d]) {
        if (r < 0 || r >= h2) continue;
        const cols = [];
        for (let c = 0; c < w; c++) if (labels[r * w + c] === label) cols.push(c);
        if (cols.length) return { area, x: cols[cols.length >> 1], y: r };
      }
    }
  }
  return { area, x, y };
}
function hitTestMasks(masks, col, row, w) {
  let best = -1;
  let bestArea = Infinity;
  masks.forEach((m, i) => {
    if (m && m.labels[row * w + col] && m.area < bestArea) {
      best = i;
      bestArea = m.area;
    }
  });
  return best;
}

// src/keys.js
var HELP = [
  ["Left click", "include point (selected object)"],
  ["Right / Shift click", "exclude point"],
  ["Drag", "box prompt"],
  ["\u2190 / \u2192", "previous / next frame"],
  ["Shift + \u2190 / \u2192", "10 frames back / forward"],
  ["Home / End", "first / last frame"],
  ["Space", "play / pause"],
  ["1 \u2013 9", "accept candidate n"],
  ["Esc", "reject candidates / close help / cancel drag"],
  ["C", "show candidates for this frame"],
  ["P", "propagate forward"],
  ["S", "step one frame"],
  ["Ctrl + Z / Ctrl + Shift + Z", "undo / redo"],
  ["?", "this help"]
];
function keyAction(ev, state = {}) {
  const ctrl = ev.ctrlKey || ev.metaKey;
  const key = ev.key;
  if (ctrl && (key === "z" || key === "Z")) return { type: ev.shiftKey ? "redo" : "undo" };
  if (ctrl && (key === "y" || key === "Y")) return { type: "redo" };
  if (ctrl || ev.altKey) return null;
  const step = ev.shiftKey ? 10 : 1;
  switch (key) {
    case "ArrowLeft":
      return { type: "seek", delta: -step };
    case "ArrowRight":
      return { type: "seek", delta: step };
    case "Home":
      return { type: "seekTo", frame: 0 };
    case "End":
      return { type: "seekTo", frame: Math.max(0, (state.numFrames ?? 1) - 1) };
    case " ":
      return { type: "togglePlay" };
    case "Escape":
      if (state.helpOpen) return { type: "closeHelp" };
      if (state.dragging) return { type: "cancelDrag" };
      if (state.hasCandidates) return { type: "reject" };
      return null;
    case "?":
      return { type: "toggleHelp" };
    case "c":
    case "C":
      return { type: "candidates" };
    case "p":
    case "P":
      return { type: "propagate", direction: "forward" };
    case "s":
    case "S":
      return { type: "step" };
    default:
      if (/^[1-9]$/.test(key) && state.hasCandidates) {
        const index = Number(key) - 1;
        if (index < (state.numCandidates ?? 0)) return { type: "accept", index };
      }
      return null;
  }
}
function applySeek(action, frame, numFrames) {
  const last = Math.max(0, numFrames - 1);
  const f = action.type === "seekTo" ? action.frame : frame + action.delta;
  return Math.min(last, Math.max(0, f));
}

// src/curves.js
var MARK_COLORS = { correction: [230, 40, 40], accept: [40, 170, 60], prompt: [120, 120, 120] };
function scale(d0, d1, r0, r1) {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  const f = (v) => r0 + (v - d0) * k;
  f.invert = (p) => k === 0 ? d0 : d0 + (p - r0) / k;
  return f;
}
function frameAtX(px, width, numFrames, pad = 6) {
  const sx = scale(0, Math.max(1, numFrames - 1), pad, width - pad);
  return Math.max(0, Math.min(numFrames - 1, Math.round(sx.invert(px))));
}
function setup(canvas) {
  const dpr = globalThis.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width;
  const h2 = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * dpr)) canvas.width = Math.round(w * dpr);
  if (canvas.height !== Math.round(h2 * dpr)) canvas.height = Math.round(h2 * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h2);
  ctx.font = "10px sans-serif";
  return { ctx, w, h: h2 };
}
function polyline(ctx, pts, sx, sy) {
  ctx.beginPath();
  pts.forEach(([x, y], i) => i ? ctx.lineTo(sx(x), sy(y)) : ctx.moveTo(sx(x), sy(y)));
  ctx.stroke();
}
function drawIouChart(canvas, curves, { numFrames, frame, colors }) {
  const { ctx, w, h: h2 } = setup(canvas);
  const pad = 6;
  const markH = 10;
  const sx = scale(0, Math.max(1, numFrames - 1), pad, w - pad);
  const sy = scale(0, 1, h2 - markH - 4, 12);
  ctx.strokeStyle = "rgba(128,128,128,0.35)";
  ctx.lineWidth = 1;
  for (const v of [0, 0.5, 1]) polyline(ctx, [[0, v], [numFrames - 1, v]], sx, sy);
  ctx.fillStyle = "rgba(128,128,128,0.9)";
  ctx.fillText("IoU per frame", pad, 10);
  for (const series of curves?.iou ?? []) {
    const pts = [...series.points].sort((a, b) => a[0] - b[0]);
    const col = colors.get(series.obj) ?? [80, 80, 80];
    ctx.strokeStyle = rgba(col, 1);
    ctx.fillStyle = rgba(col, 1);
    ctx.lineWidth = 1.5;
    if (pts.length > 1) polyline(ctx, pts, sx, sy);
    for (const [x, y] of pts) ctx.fillRect(sx(x) - 1, sy(y) - 1, 2, 2);
  }
  for (const m of curves?.marks ?? []) {
    ctx.fillStyle = rgba(MARK_COLORS[m.kind] ?? [0, 0, 0], 1);
    const x = sx(m.frame);
    ctx.beginPath();
    ctx.moveTo(x, h2 - markH);
    ctx.lineTo(x - 4, h2 - 1);
    ctx.lineTo(x + 4, h2 - 1);
    ctx.fill();
  }
  ctx.strokeStyle = "rgba(30,120,255,0.9)";
  ctx.lineWidth = 1;
  polyline(ctx, [[frame, 0], [frame, 1]], sx, sy);
}
function drawTrainingChart(canvas, curves) {
  const { ctx, w, h: h2 } = setup(canvas);
  const runs = curves?.training ?? [];
  const live = curves?.live;
  const cur = live ?? runs[runs.length - 1];
  const pad = 6;
  const split = Math.round(w * 0.7);
  ctx.fillStyle = "rgba(128,128,128,0.9)";
  const title = live ? `training expert ${live.expert ?? "?"}\u2026` : cur ? "last correction" : "no training yet";
  ctx.fillText(title, pad, 10);
  ctx.fillText("per correction", split + pad, 10);
  if (cur && cur.ious?.length) {
    const n = Math.max(cur.ious.length, cur.losses?.length ?? 0);
    const sx = scale(0, Math.max(1, n - 1), pad, split - pad);
    const sy = scale(0, 1, h2 - 4, 14);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "rgb(40,170,60)";
    polyline(ctx, cur.ious.map((v, i) => [i, v]), sx, sy);
    const maxLoss = Math.max(1e-9, ...cur.losses ?? [0]);
    ctx.setLineDash([4, 3]);
    ctx.strokeStyle = "rgb(230,120,30)";
    polyline(ctx, (cur.losses ?? []).map((v, i) => [i, v / maxLoss]), sx, sy);
    ctx.setLineDash([]);
    ctx.fillStyle = "rgba(128,128,128,0.9)";
    const lastIou = cur.ious[cur.ious.length - 1];
    ctx.fillText(`IoU ${lastIou.toFixed(2)} \xB7 ${n} ep`, split - 80, h2 - 6);
  }
  const sx2 = scale(0, Math.max(1, runs.length - 1), split + pad + 4, w - pad - 4);
  const sy2 = scale(0, 1, h2 - 4, 14);
  runs.forEach((r, i) => {
    ctx.fillStyle = r.new_expert ? "rgb(145,30,180)" : "rgb(0,130,200)";
    ctx.beginPath();
    ctx.arc(sx2(i), sy2(r.train_iou ?? 0), 3, 0, 2 * Math.PI);
    ctx.fill();
  });
}

// src/widget.js
var LAYERS = ["frame", "mask", "cand", "points", "cursor"];
var FRAME_CACHE_BYTES = 4e8;
function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== void 0 && v !== null) e.setAttribute(k, v);
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
var AppView = class {
  constructor(model, el) {
    this.model = model;
    this.el = el;
    this.shown = model.get("frame");
    this.pending = /* @__PURE__ */ new Set();
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
      decodeJpeg(buffers[0]).then((bmp) => {
        this.pending.delete(f);
        this.frames.set(f, bmp);
        if (f === this.shown) this.drawFrame();
        if (this.cands.length && f === this.model.get("candidates_frame")) this.renderCandStrip();
      }).catch((err) => {
        this.pending.delete(f);
        console.error("litlora: bad frame", f, err);
      });
    }
  }
  requestFrames(dir = 1) {
    const n = this.model.get("num_frames");
    const want = prefetchPlan(this.shown, n, (f) => this.frames.has(f) || this.pending.has(f), {
      dir,
      ahead: this.playing ? 16 : 8
    });
    if (!want.length) return;
    want.forEach((f) => this.pending.add(f));
    this.send({ type: "frames", frames: want });
    setTimeout(() => want.forEach((f) => this.pending.delete(f)), 5e3);
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
    this.root = h("div", { class: "litlora", tabindex: "0", "data-lm-suppress-shortcuts": "true" });
    this.title = h("span", { class: "ll-title" });
    this.statusEl = h("span", { class: "ll-status", "data-testid": "status" });
    this.header = h("div", { class: "ll-header" }, this.title, this.statusEl);
    this.errorText = h("span", { class: "ll-error-text" });
    this.errorEl = h(
      "div",
      { class: "ll-error", "data-testid": "error", hidden: "" },
      this.errorText,
      button("\xD7", "dismiss", () => {
        this.setTrait("error", "");
      })
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
    this.playBtn = button("\u25B6", "play / pause (Space)", () => this.togglePlay());
    const nav = h(
      "div",
      { class: "ll-nav" },
      button("\u21E4", "first frame (Home)", () => this.show(0)),
      button("\u25C1", "previous frame (\u2190)", () => this.show(this.shown - 1)),
      this.playBtn,
      button("\u25B7", "next frame (\u2192)", () => this.show(this.shown + 1)),
      button("\u21E5", "last frame (End)", () => this.show(this.model.get("num_frames") - 1)),
      this.slider,
      this.frameLabel
    );
    this.progressBar = h("progress", { class: "ll-progress", max: "1", value: "0" });
    this.progressLabel = h("span", { class: "ll-progress-label" });
    this.litBox = h("input", { type: "checkbox", class: "ll-lit" });
    this.litBox.addEventListener("change", () => this.setTrait("lit", this.litBox.checked));
    this.trainEl = h("span", { class: "ll-training", "data-testid": "training" });
    this.undoBtn = button("\u21B6", "undo (Ctrl+Z)", () => this.send({ type: "undo" }));
    this.redoBtn = button("\u21B7", "redo (Ctrl+Shift+Z)", () => this.send({ type: "redo" }));
    this.stopBtn = button("\u25A0 Stop", "stop propagation / training", () => this.stop(), "ll-stop");
    const prop = (direction) => () => this.send({ type: "propagate", direction });
    const actions = h(
      "div",
      { class: "ll-actions" },
      button("\u25C0\u25C0", "propagate backward", prop("backward"), "ll-prop-bwd"),
      button("Propagate \u25B6\u25B6", "propagate forward (P)", prop("forward"), "ll-prop-fwd"),
      button("\u25C0\u25B6", "propagate both ways", prop("both"), "ll-prop-both"),
      button("Step", "track one frame forward (S)", () => this.send({ type: "step" }), "ll-step"),
      this.stopBtn,
      this.progressBar,
      this.progressLabel,
      h("label", { class: "ll-lit-label", title: "LIT-LoRA: corrections train at once" }, this.litBox, " LIT"),
      this.trainEl,
      button("Candidates", "every expert's mask for this frame (C)", () => this.askCandidates(), "ll-cand-btn"),
      this.undoBtn,
      this.redoBtn,
      button("?", "keyboard help (?)", () => this.toggleHelp())
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
      button("Load adapters", "load LoRA experts from the export folder", exp("load_adapters"))
    );
    this.helpEl = h("div", { class: "ll-help", hidden: "" });
    const rows = HELP.map(([k, v]) => h("tr", {}, h("td", {}, h("kbd", {}, k)), h("td", {}, v)));
    this.helpEl.append(
      h("div", { class: "ll-help-box" }, h("b", {}, "Keyboard & mouse"), h("table", {}, ...rows))
    );
    this.helpEl.addEventListener("click", () => this.toggleHelp(false));
    this.root.append(
      this.header,
      this.errorEl,
      this.objectsEl,
      this.stage,
      nav,
      actions,
      this.candStrip,
      curves,
      this.exportEl,
      this.helpEl
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
    const parts = [m.get("video_name"), `${m.get("video_width")}\xD7${m.get("video_height")}`, m.get("model_name")];
    this.title.textContent = parts.filter(Boolean).join(" \xB7 ");
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
          title: "click: select \xB7 double-click: rename"
        },
        h("span", { class: "ll-swatch", style: `background:${toHex(o.color)}` }),
        name,
        h("span", {
          class: "ll-obj-del",
          title: "delete object",
          onclick: (e) => {
            e.stopPropagation();
            if (confirm(`Delete ${o.name}?`)) this.send({ type: "remove_object", obj: o.id });
          }
        }, "\xD7")
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
    this.statusEl.textContent = busy ? `\u23F3 ${busy}` : m.get("status") || "";
    this.progressBar.max = Math.max(1, p.total || 1);
    this.progressBar.value = p.done || 0;
    this.progressLabel.textContent = p.total ? `${p.done ?? 0}/${p.total} ${p.label ?? ""}` : "";
    this.litBox.checked = Boolean(m.get("lit"));
    this.undoBtn.disabled = !m.get("can_undo");
    this.redoBtn.disabled = !m.get("can_redo");
    const t = m.get("training") || {};
    this.trainEl.classList.toggle("ll-active", Boolean(t.active));
    this.trainEl.textContent = t.active ? `training expert ${t.expert ?? ""} \xB7 epoch ${t.epoch ?? 0} \xB7 IoU ${(t.iou ?? 0).toFixed(2)}` : "";
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
      this.playBtn.textContent = "\u25B6";
      return;
    }
    this.playBtn.textContent = "\u275A\u275A";
    const fps = this.model.get("fps") || 10;
    this.playing = setInterval(() => {
      const n = this.model.get("num_frames");
      const next = this.shown + 1 >= n ? 0 : this.shown + 1;
      if (!this.frames.has(next)) {
        this.requestFrames(1);
        return;
      }
      this.show(next);
    }, 1e3 / fps);
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
      const table = /* @__PURE__ */ new Map([[1, col]]);
      const px = renderLabelMap(cand.labels, cand.width, cand.height, table, {
        fillAlpha: i === this.hoverCand ? 0.35 : 0
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
        const th = Math.max(1, Math.round(tw * cand.height / cand.width));
        thumb.width = tw;
        thumb.height = th;
        const ctx = thumb.getContext("2d");
        if (bmp) ctx.drawImage(bmp, 0, 0, tw, th);
        const px = renderLabelMap(cand.labels, cand.width, cand.height, /* @__PURE__ */ new Map([[1, [255, 221, 0]]]), {
          fillAlpha: 0.5
        });
        const tmp = new OffscreenCanvas(cand.width, cand.height);
        tmp.getContext("2d").putImageData(new ImageData(px, cand.width, cand.height), 0, 0);
        ctx.drawImage(tmp, 0, 0, tw, th);
      }
      const who = cand?.expert === null || cand?.expert === void 0 ? "SAM2" : `expert ${cand.expert}`;
      const item = h(
        "div",
        { class: "ll-cand", "data-index": String(i), title: `accept (key ${i + 1})` },
        thumb,
        h("span", { class: "ll-cand-num", style: `background:${toHex(col)};color:${contrastText(col)}` }, String(i + 1)),
        h("span", { class: "ll-cand-info" }, `${who} \xB7 ${(cand?.score ?? 0).toFixed(2)}`)
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
    const reject = button("\u2715 reject all (Esc)", "reject every candidate", () => this.reject());
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
      const cc = Math.floor(col * first.width / c.width);
      const rr = Math.floor(row * first.height / c.height);
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
      numCandidates: this.cands.length
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
        this.send(action);
    }
  }
  destroy() {
    if (this.playing) clearInterval(this.playing);
    this.resizeObs?.disconnect();
    for (const [ev, fn] of this.listeners) this.model.off(ev, fn);
    this.frames?.clear();
  }
};
function putScaled(ctx, px, w, h2, cw, ch) {
  const img = new ImageData(px, w, h2);
  if (w === cw && h2 === ch) {
    ctx.putImageData(img, 0, 0);
    return;
  }
  const tmp = new OffscreenCanvas(w, h2);
  tmp.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, cw, ch);
}
function render({ model, el }) {
  const view = new AppView(model, el);
  return () => view.destroy();
}
var widget_default = { render };
export {
  widget_default as default
};

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

// src/keys.js
var HELP = [
  ["Left click", "include point (+) for the selected object"],
  ["Right / Shift click", "exclude point (\u2212)"],
  ["Drag", "box prompt"],
  ["\u2190 / \u2192", "previous / next frame"],
  ["Shift + \u2190 / \u2192", "10 frames back / forward"],
  ["Home / End", "first / last frame"],
  ["Space", "play / pause"],
  ["1 \u2013 9", "accept candidate n"],
  ["Esc", "reject candidates / close help / cancel drag"],
  ["C", "show candidates for this frame"],
  ["P / Shift + P", "propagate forward / backward"],
  ["[ / ]", "previous / next object"],
  ["H", "hide / show masks"],
  ["S", "step one frame"],
  ["R / Shift + R", "next / previous frame to review (\u25BC on the timeline)"],
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
      return { type: "propagate", direction: "forward" };
    case "P":
      return { type: "propagate", direction: ev.shiftKey ? "backward" : "forward" };
    case "[":
      return { type: "selectObject", delta: -1 };
    case "]":
      return { type: "selectObject", delta: 1 };
    case "h":
    case "H":
      return { type: "toggleMasks" };
    case "s":
    case "S":
      return { type: "step" };
    case "r":
      return { type: "review", dir: 1 };
    case "R":
      return { type: "review", dir: ev.shiftKey ? -1 : 1 };
    default:
      if (/^[1-9]$/.test(key)) {
        const index = Number(key) - 1;
        const shown = state.hasCandidates ? state.numCandidates ?? 0 : 0;
        return index < shown ? { type: "accept", index } : { type: "noCandidate", index };
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
var IOU_PAD = 18;
function frameAtX(px, width, numFrames, pad = IOU_PAD) {
  const sx = scale(0, Math.max(1, numFrames - 1), pad, width - pad);
  return Math.max(0, Math.min(numFrames - 1, Math.round(sx.invert(px))));
}
function fixed2(v) {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(2) : "\u2013";
}
function precision3(v) {
  return typeof v === "number" && Number.isFinite(v) ? v.toPrecision(3) : "\u2013";
}
function iouReadout(curves, frame, objects = []) {
  const names = new Map(objects.map((o) => [o.id, o.name]));
  const against = curves?.against ?? "your masks";
  const series = curves?.iou ?? [];
  const parts = series.map((s) => {
    const p = (s.points ?? []).find((q) => q[0] === frame);
    return `${names.get(s.obj_id) ?? `object ${s.obj_id}`}: ${fixed2(p ? p[1] : null)}`;
  });
  return [`frame ${frame}`, `IoU vs ${against}`, ...parts.length ? parts : ["no objects yet"]].join(" \xB7 ");
}
function trainingLayout(curves, w) {
  const runs = curves?.training ?? [];
  const live = curves?.live ?? null;
  const cur = live ?? runs[runs.length - 1] ?? null;
  const pad = 6;
  const split = Math.round(w * 0.7);
  const n = cur ? Math.max(cur.ious?.length ?? 0, cur.losses?.length ?? 0) : 0;
  return {
    runs,
    live,
    cur,
    n,
    pad,
    split,
    sx: scale(0, Math.max(1, n - 1), pad, split - pad),
    sxRuns: scale(0, Math.max(1, runs.length - 1), split + pad + 4, w - pad - 4)
  };
}
function trainingHoverAt(px, width, curves) {
  const g = trainingLayout(curves, width);
  const clamp2 = (v, n) => Math.max(0, Math.min(n - 1, Math.round(v)));
  if (px < g.split) return g.n ? { chart: "training", epoch: clamp2(g.sx.invert(px), g.n) } : null;
  return g.runs.length ? { chart: "training", run: clamp2(g.sxRuns.invert(px), g.runs.length) } : null;
}
function trainingReadout(curves, hover) {
  const g = trainingLayout(curves, 100);
  if (hover?.epoch !== void 0 && g.cur && hover.epoch < g.n) {
    const i = hover.epoch;
    const of = g.live ? `${g.n} so far` : `${g.n}`;
    return `epoch ${i + 1} of ${of} \xB7 loss ${precision3(g.cur.losses?.[i])} \xB7 IoU vs your mask ${fixed2(g.cur.ious?.[i])}`;
  }
  if (hover?.run !== void 0 && hover.run < g.runs.length) {
    const r = g.runs[hover.run];
    const expert = r.expert === null || r.expert === void 0 ? "no expert kept" : `expert ${r.expert}${r.new_expert ? " (new)" : ""}`;
    return `correction ${hover.run + 1} of ${g.runs.length} \xB7 frame ${r.frame} \xB7 ${expert} \xB7 IoU vs your mask ${fixed2(r.train_iou)}`;
  }
  return "";
}
function consecutiveRuns(pts) {
  const runs = [];
  for (const p of pts) {
    const last = runs.at(-1);
    if (last && p[0] === last.at(-1)[0] + 1) last.push(p);
    else runs.push([p]);
  }
  return runs;
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
function hoverLine(ctx, x, sx, sy) {
  ctx.strokeStyle = "rgba(90,90,90,0.8)";
  ctx.setLineDash([2, 2]);
  polyline(ctx, [[x, 0], [x, 1]], sx, sy);
  ctx.setLineDash([]);
}
function drawIouChart(canvas, curves, { numFrames, frame, colors, hover = null }) {
  const { ctx, w, h: h2 } = setup(canvas);
  const pad = IOU_PAD;
  const markH = 10;
  const sx = scale(0, Math.max(1, numFrames - 1), pad, w - pad);
  const sy = scale(0, 1, h2 - markH - 4, 12);
  ctx.strokeStyle = "rgba(128,128,128,0.35)";
  ctx.lineWidth = 1;
  for (const v of [0, 0.5, 1]) polyline(ctx, [[0, v], [numFrames - 1, v]], sx, sy);
  ctx.fillStyle = "rgba(128,128,128,0.9)";
  ctx.fillText(curves?.iou_label ?? "IoU per frame", pad + 14, 10);
  ctx.textAlign = "left";
  for (const v of [0, 0.5, 1]) ctx.fillText(String(v), 1, sy(v) + 3);
  ctx.fillText("0", sx(0), h2 - 1);
  ctx.textAlign = "right";
  ctx.fillText(String(Math.max(0, numFrames - 1)), w - 1, h2 - 1);
  ctx.textAlign = "left";
  for (const series of curves?.iou ?? []) {
    const pts = [...series.points].sort((a, b) => a[0] - b[0]);
    const col = colors.get(series.obj_id) ?? [80, 80, 80];
    ctx.strokeStyle = rgba(col, 1);
    ctx.fillStyle = rgba(col, 1);
    ctx.lineWidth = 1.5;
    for (const run of consecutiveRuns(pts)) if (run.length > 1) polyline(ctx, run, sx, sy);
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
  if (hover !== null && hover !== void 0) {
    hoverLine(ctx, hover, sx, sy);
    for (const series of curves?.iou ?? []) {
      const p = (series.points ?? []).find((q) => q[0] === hover);
      if (!p) continue;
      ctx.strokeStyle = rgba(colors.get(series.obj_id) ?? [80, 80, 80], 1);
      ctx.beginPath();
      ctx.arc(sx(p[0]), sy(p[1]), 3.5, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  return { x0: pad, x1: w - pad, sx };
}
function drawTrainingChart(canvas, curves, { hover = null } = {}) {
  const { ctx, w, h: h2 } = setup(canvas);
  const { runs, live, cur, n, pad, split, sx, sxRuns } = trainingLayout(curves, w);
  ctx.fillStyle = "rgba(128,128,128,0.9)";
  const title = live ? "training\u2026" : cur ? "last correction" : "no training yet";
  ctx.fillText(title, pad, 10);
  if (split + pad + ctx.measureText("per correction").width <= w - 2) ctx.fillText("per correction", split + pad, 10);
  if (cur && cur.ious?.length) {
    const sy = scale(0, 1, h2 - 14, 14);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "rgb(40,170,60)";
    polyline(ctx, cur.ious.map((v, i) => [i, v]), sx, sy);
    const maxLoss = Math.max(1e-9, ...cur.losses ?? [0]);
    ctx.setLineDash([4, 3]);
    ctx.strokeStyle = "rgb(230,120,30)";
    polyline(ctx, (cur.losses ?? []).map((v, i) => [i, v / maxLoss]), sx, sy);
    ctx.setLineDash([]);
    ctx.fillStyle = "rgba(128,128,128,0.9)";
    const lastIou = live ? cur.ious[cur.ious.length - 1] : cur.train_iou ?? cur.ious[cur.ious.length - 1];
    ctx.clearRect(0, h2 - 11, split, 11);
    ctx.fillStyle = "rgb(40,170,60)";
    const iouText = `\u2014 IoU vs your mask ${lastIou === null ? "\u2013" : lastIou.toFixed(2)}`;
    ctx.fillText(iouText, pad, h2 - 2);
    const lossText = `- - loss (top ${maxLoss.toPrecision(2)})`;
    const lossX = pad + ctx.measureText(iouText).width + 8;
    if (lossX + ctx.measureText(lossText).width <= split - 4) {
      ctx.fillStyle = "rgb(230,120,30)";
      ctx.fillText(lossText, lossX, h2 - 2);
    }
    ctx.fillStyle = "rgba(128,128,128,0.9)";
    ctx.fillText(`\xB7 ${n} epoch${n === 1 ? "" : "s"}`, pad + 78, 10);
    if (hover?.epoch !== void 0 && hover.epoch < n) {
      ctx.lineWidth = 1;
      hoverLine(ctx, hover.epoch, sx, sy);
    }
  }
  const sy2 = scale(0, 1, h2 - 4, 14);
  runs.forEach((r, i) => {
    ctx.fillStyle = r.new_expert ? "rgb(145,30,180)" : "rgb(0,130,200)";
    ctx.beginPath();
    ctx.arc(sxRuns(i), sy2(r.train_iou ?? 0), 3, 0, 2 * Math.PI);
    ctx.fill();
    if (hover?.run === i) {
      ctx.strokeStyle = "rgba(60,60,60,0.9)";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.arc(sxRuns(i), sy2(r.train_iou ?? 0), 5.5, 0, 2 * Math.PI);
      ctx.stroke();
    }
  });
}

// src/events.js
var EVENTS = Object.freeze({
  ACCEPT: "accept",
  ADD_OBJECT: "add_object",
  BOX: "box",
  CANDIDATES: "candidates",
  CLEAR_ERROR: "clear_error",
  CLICK: "click",
  EXPORT: "export",
  FRAMES: "frames",
  LIT: "lit",
  LIST_ADAPTERS: "list_adapters",
  PROPAGATE: "propagate",
  REDO: "redo",
  REJECT: "reject",
  REMOVE_OBJECT: "remove_object",
  RENAME: "rename",
  SEEK: "seek",
  STEP: "step",
  STOP: "stop",
  UNDO: "undo"
});
var NAVIGATION = [EVENTS.FRAMES, EVENTS.SEEK, EVENTS.STOP, EVENTS.CLEAR_ERROR];
var WHAT = Object.freeze({
  click: "click",
  box: "box",
  propagate: "propagate",
  step: "step",
  candidates: "candidates",
  accept: "accept",
  reject: "reject",
  undo: "undo",
  redo: "redo",
  add_object: "add object",
  rename: "rename",
  remove_object: "delete object",
  lit: "LIT switch",
  export: "export",
  list_adapters: "load adapters"
});

// src/transport.js
var Transport = class {
  constructor(model) {
    this.model = model;
    this.listeners = [];
  }
  get(name) {
    return this.model.get(name);
  }
  set(name, value) {
    this.model.set(name, value);
    this.model.save_changes();
  }
  on(event, fn) {
    this.model.on(event, fn);
    this.listeners.push([event, fn]);
  }
  send(msg) {
    try {
      this.model.send(msg);
      return true;
    } catch (err) {
      console.warn("litlora: no kernel to send to", msg, err);
      return false;
    }
  }
  close() {
    for (const [ev, fn] of this.listeners) this.model.off(ev, fn);
    this.listeners = [];
  }
};
function refusal(type, busy) {
  if (NAVIGATION.includes(type) || !busy) return "";
  return `busy: ${busy}, ${WHAT[type] ?? type} ignored (\u25A0 Stop cancels)`;
}
function refusedText(whats, busy) {
  const list = whats.length < 2 ? whats.join("") : `${whats.slice(0, -1).join(", ")} and ${whats.at(-1)}`;
  return `${list} ignored while ${busy}: do ${whats.length < 2 ? "it" : "them"} again now`;
}
var Gate = class {
  /** `notify(text, refused)` shows a refusal next to the controls; `refused` names what was
   * refused for the view to restate once the task has ended. */
  constructor(transport, notify) {
    this.t = transport;
    this.notify = notify;
  }
  /**
   * Send `{type, ...payload}` unless the kernel is busy; true when it went out. `shown`: the
   * frame on screen, stated first as a seek. The view moves the kernel's `frame` by a trait
   * update, and ipywidgets sends one update at a time (the next waits for the kernel's reply)
   * while custom messages go at once: without the seek, a click right after the arrow keys
   * reached the kernel before the last seek and was refused as made on another frame.
   */
  send(type, payload = {}, shown = null) {
    const why = refusal(type, this.t.get("busy"));
    if (why) {
      this.notify(why, WHAT[type] ?? type);
      return false;
    }
    if (shown !== null && !NAVIGATION.includes(type)) this.t.send({ type: EVENTS.SEEK, frame: shown });
    return this.t.send({ type, ...payload });
  }
};

// src/layout.js
function fitBox(videoW, videoH, maxW, maxH) {
  if (!(videoW > 0 && videoH > 0 && maxW > 0 && maxH > 0)) return { width: 0, height: 0 };
  const s = Math.min(maxW / videoW, maxH / videoH);
  const width = Math.max(1, Math.floor(videoW * s));
  const height = Math.max(1, Math.round(width * videoH / videoW));
  return height > maxH + 0.5 ? { width: Math.max(1, Math.round(Math.floor(maxH) * videoW / videoH)), height: Math.floor(maxH) } : { width, height };
}
function visibleHeight(el) {
  const win = globalThis.innerHeight || 800;
  const panel = el?.closest?.(".jp-WindowedPanel-outer, .jp-Notebook");
  const h2 = panel?.clientHeight ?? 0;
  return h2 >= 200 ? Math.min(h2, win) : win;
}
function maxFrameHeight(size, visible, others, min = 240) {
  const n = Number(size);
  if (size !== "fit" && Number.isFinite(n) && n > 0) return n;
  return Math.max(min, visible - others - 8);
}
function candidatesBeside(frameW, availW, { minSide = 160, gap = 8 } = {}) {
  return availW - frameW - gap >= minSide;
}
function placeCandidatesPanel(n, videoW, videoH, availW, maxH, maxHBelow, { minSide = 160, gap = 8 } = {}) {
  const fits = (box) => cardsFit(n, availW - box.width - gap, box.height);
  const closed = fitBox(videoW, videoH, availW, maxH);
  if (candidatesBeside(closed.width, availW, { minSide, gap }) && fits(closed)) return { beside: true, box: closed };
  const narrowed = fitBox(videoW, videoH, availW - gap - minSide, maxH);
  const below = fitBox(videoW, videoH, availW, maxHBelow);
  return narrowed.width >= below.width && fits(narrowed) ? { beside: true, box: narrowed } : { beside: false, box: below };
}
function panelBelowHeight(n, availW) {
  const perRow = Math.max(1, Math.floor((availW + 8) / (CROP_SIDE + 16)));
  return 24 + Math.ceil((n + 1) / perRow) * (CROP_SIDE + 72);
}
var CROP_SIDE = 132;
var MIN_CROP_SIDE = 96;
function cropSide(n, width, height) {
  return Math.floor(Math.min(320, Math.max(MIN_CROP_SIDE, largestCrop(n, width, height))));
}
function largestCrop(n, width, height) {
  let best = 0;
  for (let cols = 1; cols <= Math.max(1, n); cols++) {
    const rows = Math.ceil(n / cols);
    const byW = (width - 8 * (cols - 1)) / cols - 8;
    const byH = (height - 54 - 8 * (rows - 1)) / rows - 64;
    best = Math.max(best, Math.min(byW, byH));
  }
  return best;
}
function cardsFit(n, width, height) {
  return largestCrop(n, width, height) >= MIN_CROP_SIDE;
}

// src/draw.js
function clearCanvas(c) {
  const ctx = c.getContext("2d");
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.restore();
}
function videoContext(canvas, videoW, videoH) {
  const r = canvas.getBoundingClientRect();
  const dpr = globalThis.devicePixelRatio || 1;
  const w = Math.max(1, Math.round((r.width || videoW) * dpr));
  const h2 = Math.max(1, Math.round((r.height || videoH) * dpr));
  if (canvas.width !== w || canvas.height !== h2) {
    canvas.width = w;
    canvas.height = h2;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, w, h2);
  ctx.setTransform(w / videoW, 0, 0, h2 / videoH, 0, 0);
  return { ctx, k: videoW / Math.max(1, r.width || videoW) };
}
function drawFrame(canvas, bmp) {
  if (!bmp) return false;
  canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
  return true;
}
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
function drawMaskLayer(canvas, lm, colors) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!lm) return;
  const px = renderLabelMap(lm.labels, lm.width, lm.height, colors);
  putScaled(ctx, px, lm.width, lm.height, canvas.width, canvas.height);
}
function drawSingleMask(canvas, lm, color) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const px = renderLabelMap(lm.labels, lm.width, lm.height, /* @__PURE__ */ new Map([[1, color]]), { fillAlpha: 0.35 });
  putScaled(ctx, px, lm.width, lm.height, canvas.width, canvas.height);
}
function drawPoints(canvas, prompts, colors, videoW, videoH) {
  const { ctx, k } = videoContext(canvas, videoW, videoH);
  for (const p of prompts) {
    const col = colors.get(p.obj_id) ?? [255, 255, 255];
    ctx.globalAlpha = p.pending ? 0.55 : 1;
    if (p.kind === "box") {
      const [x0, y0, x1, y1] = p.box;
      ctx.strokeStyle = rgba(col, 1);
      ctx.lineWidth = 2 * k;
      ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
      continue;
    }
    ctx.beginPath();
    ctx.arc(p.x, p.y, 7 * k, 0, 2 * Math.PI);
    ctx.fillStyle = p.label ? rgba(col, 1) : "rgb(20,20,20)";
    ctx.fill();
    ctx.lineWidth = 2 * k;
    ctx.strokeStyle = p.label ? "#fff" : rgba(col, 1);
    ctx.stroke();
    ctx.fillStyle = "#fff";
    ctx.fillRect(p.x - 4 * k, p.y - 1 * k, 8 * k, 2 * k);
    if (p.label) ctx.fillRect(p.x - 1 * k, p.y - 4 * k, 2 * k, 8 * k);
  }
  ctx.globalAlpha = 1;
}
function drawCursor(canvas, v, box, videoW, videoH) {
  const { ctx, k } = videoContext(canvas, videoW, videoH);
  ctx.lineWidth = k;
  if (box) {
    const [x0, y0, x1, y1] = box;
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

// src/coords.js
function clientToVideo(clientX, clientY, rect, videoW, videoH) {
  const x = (clientX - rect.left) / rect.width * videoW;
  const y = (clientY - rect.top) / rect.height * videoH;
  return { x: clamp(x, 0, videoW - 1e-6), y: clamp(y, 0, videoH - 1e-6) };
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

// src/pointer.js
var Pointer = class {
  /**
   * `stage`: the element holding the canvases; `top`: the canvas that receives the pointer.
   * cb: {isFocused, focus, videoSize, onFocusClick, onPoint(v, label), onBox(box)}
   */
  constructor(stage, top, cb) {
    this.top = top;
    this.cb = cb;
    this.drag = null;
    const stop = (e) => {
      e.preventDefault();
      e.stopPropagation();
    };
    stage.addEventListener("contextmenu", stop);
    top.addEventListener("pointerdown", (e) => this.down(e));
    top.addEventListener("pointermove", (e) => this.move(e));
    top.addEventListener("pointerup", (e) => this.up(e));
    top.addEventListener("pointerleave", () => !this.drag && clearCanvas(this.top));
  }
  get dragging() {
    return Boolean(this.drag);
  }
  toVideo(e) {
    const [w, h2] = this.cb.videoSize();
    return clientToVideo(e.clientX, e.clientY, this.top.getBoundingClientRect(), w, h2);
  }
  down(e) {
    if (e.button !== 0 && e.button !== 2) return;
    const focusOnly = !this.cb.isFocused();
    this.cb.focus();
    e.preventDefault();
    e.stopPropagation();
    this.top.setPointerCapture?.(e.pointerId);
    this.drag = { client: { x: e.clientX, y: e.clientY }, video: this.toVideo(e), button: e.button, focusOnly };
  }
  move(e) {
    const v = this.toVideo(e);
    const d = this.drag;
    const box = d && d.button === 0 && isDrag(d.client, { x: e.clientX, y: e.clientY }) ? boxFromCorners(d.video, v) : null;
    drawCursor(this.top, v, box, ...this.cb.videoSize());
  }
  up(e) {
    const d = this.drag;
    this.drag = null;
    clearCanvas(this.top);
    if (!d) return;
    e.preventDefault();
    e.stopPropagation();
    if (d.focusOnly) {
      this.cb.onFocusClick?.();
      return;
    }
    const v = this.toVideo(e);
    if (d.button === 0 && isDrag(d.client, { x: e.clientX, y: e.clientY })) {
      this.cb.onBox(boxFromCorners(d.video, v));
      return;
    }
    this.cb.onPoint(v, d.button === 2 || e.shiftKey ? 0 : 1);
  }
  cancel() {
    this.drag = null;
    clearCanvas(this.top);
  }
};

// src/dom.js
function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== void 0 && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== void 0) e.append(c);
  return e;
}
function button(label, title, onclick, cls = "") {
  return h("button", { class: `ll-btn ${cls}`.trim(), title, type: "button", onclick }, label);
}

// src/candidates.js
function cropBox(cands, width, height, { margin = 0.35, minSide = 32 } = {}) {
  const boxes = cands.filter((c) => c && c.bbox).map((c) => c.bbox);
  if (!boxes.length) return [0, 0, width, height];
  let x0 = Math.min(...boxes.map((b) => b[0]));
  let y0 = Math.min(...boxes.map((b) => b[1]));
  let x1 = Math.max(...boxes.map((b) => b[2]));
  let y1 = Math.max(...boxes.map((b) => b[3]));
  const side = Math.max(minSide, (x1 - x0) * (1 + 2 * margin), (y1 - y0) * (1 + 2 * margin));
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const half = Math.min(side, Math.max(width, height)) / 2;
  x0 = Math.max(0, Math.round(cx - half));
  y0 = Math.max(0, Math.round(cy - half));
  x1 = Math.min(width, Math.round(cx + half));
  y1 = Math.min(height, Math.round(cy + half));
  return [x0, y0, x1, y1];
}
function candidateName(cand) {
  return cand.expert === null || cand.expert === void 0 ? "SAM2" : `expert ${cand.expert}`;
}
var SCORES_TITLE = "the model's own estimates: the IoU of this mask with the object, and how sure it is that the object is in the frame";
function candidateScores(cand) {
  const p = Number.isFinite(cand.obj_score) ? `${Math.round(100 / (1 + Math.exp(-cand.obj_score)))} %` : "\u2013";
  return [`predicted IoU ${fmt(cand.score)}`, `present ${p}`];
}
function fmt(v, digits = 2) {
  return v === null || v === void 0 || !Number.isFinite(v) ? "\u2013" : v.toFixed(digits);
}
function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
function candidatePanel({ cands, frame, bmp, side = 132, onAccept, onHover, onReject }) {
  const first = cands.find(Boolean);
  const W = first?.width ?? 1;
  const H = first?.height ?? 1;
  const [x0, y0, x1, y1] = cropBox(cands, W, H);
  const cw = x1 - x0;
  const ch = y1 - y0;
  const scale2 = side / Math.max(cw, ch);
  const tw = Math.max(1, Math.round(cw * scale2));
  const th = Math.max(1, Math.round(ch * scale2));
  const items = cands.map((cand, i) => {
    const col = CANDIDATE_COLORS[(i + 1) % CANDIDATE_COLORS.length];
    const crop = h("canvas", { class: "ll-crop", width: String(tw), height: String(th) });
    const ctx = crop.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    if (bmp) ctx.drawImage(bmp, x0, y0, cw, ch, 0, 0, tw, th);
    else {
      ctx.fillStyle = "#222";
      ctx.fillRect(0, 0, tw, th);
    }
    if (cand && !cand.absent) {
      const px = renderLabelMap(cand.labels, cand.width, cand.height, /* @__PURE__ */ new Map([[1, col]]), { fillAlpha: 0.4 });
      const tmp = new OffscreenCanvas(cand.width, cand.height);
      tmp.getContext("2d").putImageData(new ImageData(px, cand.width, cand.height), 0, 0);
      ctx.drawImage(tmp, x0, y0, cw, ch, 0, 0, tw, th);
    }
    const absent = cand?.absent ? h("span", { class: "ll-absent", title: "this candidate says the object is not in this frame" }, "absent") : null;
    const item = h(
      "div",
      {
        class: `ll-cand${cand?.absent ? " ll-cand-absent" : ""}`,
        "data-index": String(i),
        title: `accept ${candidateName(cand ?? {})} (key ${i + 1})`
      },
      h("div", { class: "ll-crop-box" }, crop, absent),
      h(
        "div",
        { class: "ll-cand-info" },
        h("span", { class: "ll-cand-num", style: `background:${toHex(col)};color:${contrastText(col)}` }, String(i + 1)),
        h("span", { class: "ll-cand-name" }, candidateName(cand ?? {}))
      ),
      h("div", { class: "ll-cand-scores", title: SCORES_TITLE }, ...candidateScores(cand ?? {}).map((t) => h("div", {}, t)))
    );
    item.addEventListener("click", () => onAccept?.(i));
    item.addEventListener("mouseenter", () => onHover?.(i));
    item.addEventListener("mouseleave", () => onHover?.(-1));
    return item;
  });
  const n = cands.length;
  const keys = n === 1 ? "key 1" : `keys 1\u2013${n}`;
  const title = h("div", { class: "ll-cands-title" }, `frame ${frame}: ${plural(n, "candidate")} \xB7 ${keys} accept`);
  const reject = h("button", { class: "ll-btn", type: "button", title: "reject every candidate (Esc)", onclick: onReject }, "\u2715 reject (Esc)");
  return [title, h("div", { class: "ll-cand-row" }, ...items, reject)];
}

// src/timeline.js
var REVIEW_COLOR = [20, 20, 20];
var ROW_H = 10;
var GAP = 2;
var LEGEND = [
  ["t", "tracked"],
  ["u", "unsure"],
  ["0", "absent"],
  ["p", "prompt"],
  ["c", "correction"],
  ["a", "accepted"]
];
function cellColor(code, objColor) {
  switch (code) {
    case "t":
      return [...objColor, 0.45];
    case "u":
      return [255, 150, 0, 0.95];
    case "0":
      return [90, 90, 90, 0.6];
    case "p":
      return [...objColor, 1];
    case "c":
      return [230, 30, 200, 1];
    case "a":
      return [40, 190, 70, 1];
    default:
      return null;
  }
}
function cellX(f, numFrames, width) {
  const w = width / Math.max(1, numFrames);
  return [f * w, (f + 1) * w];
}
function frameAtX2(x, width, numFrames) {
  const f = Math.floor(x / Math.max(1, width) * numFrames);
  return Math.max(0, Math.min(numFrames - 1, f));
}
function timelineHeight(rows) {
  return Math.max(1, rows) * (ROW_H + GAP) + GAP;
}
function reviewFrames(timeline, objId) {
  const rows = timeline?.rows ?? [];
  const own = rows.filter((r) => r.obj_id === objId);
  const frames = (own.length ? own : rows).flatMap((r) => (r.review ?? []).map((q) => q.frame));
  return [...new Set(frames)].sort((a, b) => a - b);
}
function emptyReviewText(timeline) {
  const tracked = (timeline?.rows ?? []).some((r) => /[tu0]/.test(r.codes ?? ""));
  return tracked ? "nothing to review: no tracked frame looks likely wrong" : "nothing to review yet: propagate an object first";
}
function nextReview(frames, current, dir = 1) {
  if (!frames.length) return null;
  const f = dir > 0 ? frames.find((x) => x > current) : [...frames].reverse().find((x) => x < current);
  if (f !== void 0) return { frame: f, wrapped: false };
  return { frame: dir > 0 ? frames[0] : frames[frames.length - 1], wrapped: true };
}
function reviewMark(f, r, numFrames, width) {
  const [x0, x1] = cellX(f, numFrames, width);
  const cx = (x0 + x1) / 2;
  const half = Math.max(3.5, Math.min(6, (x1 - x0) / 2));
  const y = GAP + r * (ROW_H + GAP);
  return [
    [cx - half, y],
    [cx + half, y],
    [cx, y + ROW_H - 2]
  ];
}
function drawTimeline(canvas, timeline, { numFrames, frame, colors, width }) {
  const rows = timeline?.rows ?? [];
  const dpr = globalThis.devicePixelRatio || 1;
  const height = timelineHeight(rows.length);
  canvas.style.height = `${height}px`;
  canvas.width = Math.max(1, Math.round(width * dpr));
  canvas.height = Math.round(height * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "rgba(128,128,128,0.15)";
  ctx.fillRect(0, 0, width, height);
  rows.forEach((row, r) => {
    const col = colors.get(row.obj_id) ?? [200, 200, 200];
    const y = GAP + r * (ROW_H + GAP);
    for (let f = 0; f < row.codes.length && f < numFrames; f++) {
      const c = cellColor(row.codes[f], col);
      if (!c) continue;
      const [x02, x12] = cellX(f, numFrames, width);
      ctx.fillStyle = rgba(c.slice(0, 3), c[3]);
      ctx.fillRect(Math.floor(x02), y, Math.max(1, Math.floor(x12) - Math.floor(x02)), ROW_H);
    }
  });
  rows.forEach((row, r) => {
    for (const q of row.review ?? []) {
      if (!(q.frame >= 0 && q.frame < numFrames)) continue;
      const [a, b, c] = reviewMark(q.frame, r, numFrames, width);
      ctx.beginPath();
      ctx.moveTo(...a);
      ctx.lineTo(...b);
      ctx.lineTo(...c);
      ctx.closePath();
      ctx.fillStyle = rgba(REVIEW_COLOR, 1);
      ctx.fill();
      ctx.strokeStyle = "rgba(255,255,255,0.9)";
      ctx.lineWidth = 1;
      ctx.stroke();
    }
  });
  const [x0, x1] = cellX(frame, numFrames, width);
  ctx.fillStyle = "rgba(25,118,210,1)";
  ctx.fillRect(Math.floor((x0 + x1) / 2) - 1, 0, 2, height);
  return rows.length;
}

// src/library.js
function adapterSummary(r) {
  const parts = [
    r.video && `video ${r.video}`,
    r.object && `object ${r.object}`,
    r.model && `model ${r.model}`,
    r.date,
    `${r.num_experts} expert${r.num_experts === 1 ? "" : "s"}`,
    r.strength !== null && r.strength !== void 0 ? `strength ${r.strength}` : ""
  ];
  return parts.filter(Boolean).join(" \xB7 ");
}
function libraryPanel(lib, { onLoad, onClose }) {
  const rows = (lib.rows ?? []).map(
    (r) => h(
      "div",
      { class: `ll-adapter${r.fits ? "" : " ll-adapter-misfit"}`, "data-fits": String(r.fits) },
      h("button", { class: "ll-btn", type: "button", disabled: !r.fits, title: r.fits ? `load ${r.name}` : r.why, onclick: () => onLoad(r.path) }, "Load"),
      h("b", {}, r.name),
      h("span", { class: "ll-adapter-meta" }, adapterSummary(r)),
      h("span", { class: r.fits ? "ll-fit" : "ll-misfit" }, r.fits ? "fits this model" : `does not fit: ${r.why}`)
    )
  );
  return [
    h(
      "div",
      { class: "ll-cands-title" },
      `adapters in ${lib.folder}`,
      h("button", { class: "ll-btn", type: "button", title: "close", onclick: onClose }, "\u2715")
    ),
    ...rows
  ];
}

// src/widget.js
var LAYERS = ["frame", "mask", "hover", "points", "cursor"];
var FRAME_CACHE_BYTES = 4e8;
var NOTICE_MS = 5e3;
var ROOT_GAP = 4;
var VIEW_GAP = 8;
async function decodeJpeg(buf) {
  const blob = new Blob([buf], { type: "image/jpeg" });
  return createImageBitmap(blob);
}
var AppView = class {
  constructor(model, el) {
    this.t = new Transport(model);
    this.gate = new Gate(this.t, (text, refused) => this.showNotice(text, { refused }));
    this.el = el;
    this.shown = model.get("frame");
    this.pending = /* @__PURE__ */ new Set();
    this.playing = null;
    this.helpOpen = false;
    this.masksHidden = false;
    this.localPrompts = [];
    this.cands = [];
    this.hoverCand = -1;
    this.hover = null;
    this.notice = "";
    this.noticeTimer = null;
    this.refused = null;
    this.statusSuperseded = null;
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
      this.localPrompts = [];
      this.drawPoints();
      if (n.text) this.showNotice(n.text, { refused: n.refused });
    });
    t.on("change:status", () => {
      this.statusSuperseded = null;
      if (this.notice && this.noticeIsHint) this.clearNotice();
    });
    t.on("change:busy", () => {
      if (t.get("busy")) return;
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
      decodeJpeg(buffers[0]).then((bmp) => {
        this.pending.delete(f);
        this.frames.set(f, bmp);
        if (f === this.shown) this.drawFrame();
        if (this.cands.length && f === this.t.get("candidates_frame")) this.renderCandidates();
      }).catch((err) => {
        this.pending.delete(f);
        console.error("litlora: bad frame", f, err);
      });
    }
  }
  requestFrames(dir = 1) {
    const n = this.t.get("num_frames");
    const want = prefetchPlan(this.shown, n, (f) => this.frames.has(f) || this.pending.has(f), {
      dir,
      ahead: this.playing ? 16 : 8
    });
    if (!want.length) return;
    want.forEach((f) => this.pending.add(f));
    this.t.send({ type: EVENTS.FRAMES, frames: want });
    setTimeout(() => want.forEach((f) => this.pending.delete(f)), 5e3);
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
    this.root = h("div", { class: "litlora", tabindex: "0", "data-lm-suppress-shortcuts": "true" });
    this.title = h("span", { class: "ll-title" });
    this.objectsEl = h("span", { class: "ll-objects" });
    this.header = h("div", { class: "ll-header" }, this.title, this.objectsEl);
    this.noticeEl = h("div", { class: "ll-model-notice", hidden: true });
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
      onBox: (box) => this.addBox(box)
    });
    this.timeline = h("canvas", { class: "ll-timeline", "data-testid": "timeline" });
    this.timelineWrap = h("div", { class: "ll-timeline-wrap", title: "timeline: click or drag to jump" }, this.timeline);
    this.bindTimeline();
    const legend = LEGEND.map(([code, word]) => {
      const c = cellColor(code, [120, 120, 120]);
      return h("span", { class: "ll-legend-item" }, h("i", { style: `background:rgba(${c.slice(0, 3).join(",")},${c[3]})` }), word);
    });
    legend.push(h("span", { class: "ll-legend-item", title: "the frames most likely wrong: R jumps to the next" }, h("b", { class: "ll-legend-review" }, "\u25BC"), "to review (R)"));
    this.legendEl = h("div", { class: "ll-legend" }, ...legend);
    this.slider = h("input", { type: "range", min: "0", class: "ll-slider", "aria-label": "frame" });
    this.slider.addEventListener("input", () => this.show(Number(this.slider.value)));
    this.frameLabel = h("span", { class: "ll-frame-label", "data-testid": "frame-label" });
    this.playBtn = button("\u25B6", "play / pause (Space)", () => this.togglePlay());
    this.reviewBtn = button("\u25BC review", "next frame to review (R; Shift+R: previous)", () => this.jumpToReview(1), "ll-review-next");
    this.reviewBtn.dataset.testid = "review-next";
    const nav = h(
      "div",
      { class: "ll-nav" },
      button("\u21E4", "first frame (Home)", () => this.show(0)),
      button("\u25C1", "previous frame (\u2190)", () => this.show(this.shown - 1)),
      this.playBtn,
      button("\u25B7", "next frame (\u2192)", () => this.show(this.shown + 1)),
      button("\u21E5", "last frame (End)", () => this.show(this.t.get("num_frames") - 1)),
      this.slider,
      this.frameLabel,
      this.reviewBtn
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
      bwd: button("\u25C0\u25C0", "propagate backward (Shift+P)", prop("backward"), "ll-prop-bwd"),
      fwd: button("Propagate \u25B6\u25B6", "propagate forward (P)", prop("forward"), "ll-prop-fwd"),
      both: button("\u25C0\u25B6", "propagate both ways", prop("both"), "ll-prop-both"),
      step: button("Step", "track one frame forward (S)", () => this.act(EVENTS.STEP, { frame: this.shown }), "ll-step"),
      cands: button("Candidates", "every expert's mask for this frame (C)", () => this.askCandidates(), "ll-cand-btn"),
      undo: button("\u21B6", "undo (Ctrl+Z)", () => this.act(EVENTS.UNDO), "ll-undo"),
      redo: button("\u21B7", "redo (Ctrl+Shift+Z)", () => this.act(EVENTS.REDO), "ll-redo"),
      hide: button("\u25D0", "hide / show masks (H)", () => this.toggleMasks(), "ll-hide"),
      stop: button("\u25A0 Stop", "stop propagation / training", () => this.stop(), "ll-stop")
    };
    const actions = h(
      "div",
      { class: "ll-actions" },
      this.btn.bwd,
      this.btn.fwd,
      this.btn.both,
      this.btn.step,
      this.btn.stop,
      h("label", { class: "ll-lit-label", title: "LIT-LoRA: corrections on tracked frames train an expert at once" }, this.litBox, " LIT"),
      this.btn.cands,
      this.btn.undo,
      this.btn.redo,
      this.btn.hide,
      button("?", "keyboard help (?)", () => this.toggleHelp())
    );
    this.progressBar = h("progress", { class: "ll-progress", max: "1", value: "0" });
    this.progressLabel = h("span", { class: "ll-progress-label", "data-testid": "progress" });
    this.msgEl = h("span", { class: "ll-msg", "data-testid": "status" });
    this.errClose = button("\xD7", "dismiss", () => this.t.set("error", ""), "ll-err-close");
    this.feedback = h(
      "div",
      { class: "ll-feedback", "data-testid": "feedback" },
      this.progressBar,
      this.progressLabel,
      this.msgEl,
      this.errClose
    );
    this.candPanel = h("div", { class: "ll-cands", "data-testid": "candidates", hidden: true });
    this.candsBeside = false;
    this.view = h("div", { class: "ll-view" }, this.stage);
    this.libraryEl = h("div", { class: "ll-library", "data-testid": "adapters", hidden: true });
    this.iouCanvas = h("canvas", { class: "ll-curve ll-curve-iou" });
    this.trainCanvas = h("canvas", { class: "ll-curve ll-curve-train" });
    this.iouReadout = h("div", { class: "ll-readout", "data-testid": "iou-readout", hidden: true });
    this.trainReadout = h("div", { class: "ll-readout", "data-testid": "training-readout", hidden: true });
    const curves = h(
      "div",
      { class: "ll-curves" },
      h("div", { class: "ll-chart ll-chart-iou" }, this.iouCanvas, this.iouReadout),
      h("div", { class: "ll-chart ll-chart-train" }, this.trainCanvas, this.trainReadout)
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
      button("Load adapters", "the adapter files of the export folder, to pick one", () => this.act(EVENTS.LIST_ADAPTERS))
    ];
    this.exportEl = h("div", { class: "ll-export" }, "Export to ", this.exportDir, ...this.exportBtns);
    this.helpEl = h("div", { class: "ll-help", hidden: true });
    const rows = HELP.map(([k, v]) => h("tr", {}, h("td", {}, h("kbd", {}, k)), h("td", {}, v)));
    this.helpEl.append(h("div", { class: "ll-help-box" }, h("b", {}, "Keyboard & mouse"), h("table", {}, ...rows)));
    this.helpEl.addEventListener("click", () => this.toggleHelp(false));
    this.root.append(
      this.header,
      this.noticeEl,
      this.view,
      this.timelineWrap,
      nav,
      actions,
      this.feedback,
      this.candPanel,
      this.legendEl,
      curves,
      this.exportEl,
      this.libraryEl,
      this.helpEl
    );
    this.root.addEventListener("keydown", (e) => this.onKey(e));
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
      this.show(frameAtX2(e.clientX - r.left, r.width, this.t.get("num_frames")));
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
    const at = (canvas, e) => {
      const r = canvas.getBoundingClientRect();
      return [e.clientX - r.left - (canvas.clientLeft || 0), canvas.clientWidth || r.width];
    };
    const iouAt = (e) => frameAtX(...at(this.iouCanvas, e), this.t.get("num_frames"));
    this.iouCanvas.addEventListener("pointermove", (e) => this.setHover({ chart: "iou", frame: iouAt(e) }));
    this.iouCanvas.addEventListener("click", (e) => this.show(this.hover?.chart === "iou" ? this.hover.frame : iouAt(e)));
    this.trainCanvas.addEventListener(
      "pointermove",
      (e) => this.setHover(trainingHoverAt(...at(this.trainCanvas, e), this.t.get("curves")))
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
    const below = () => open && !this.candsBeside ? panel.offsetHeight + ROOT_GAP : 0;
    const others = this.root.offsetHeight - this.view.offsetHeight - below();
    const size = this.t.get("size") || "fit";
    const visible = visibleHeight(this.root);
    const maxH = maxFrameHeight(size, visible, others);
    let box = fitBox(w, hgt, availW, maxH);
    if (open) {
      const key = `${this.cands.length}:${availW}`;
      if (!this.candsBeside && panel.offsetHeight) this.belowMeasured = { key, h: panel.offsetHeight };
      const belowH = this.belowMeasured?.key === key ? this.belowMeasured.h : panelBelowHeight(this.cands.length, availW);
      const place = placeCandidatesPanel(this.cands.length, w, hgt, availW, maxH, maxFrameHeight(size, visible, others + belowH + ROOT_GAP), {
        gap: VIEW_GAP
      });
      box = place.box;
      this.placeCandidates(place.beside, availW - box.width - VIEW_GAP, box.height);
      if (!place.beside) box = fitBox(w, hgt, availW, maxFrameHeight(size, visible, others + below()));
    } else this.placeCandidates(false, availW - box.width - VIEW_GAP, box.height);
    this.root.dataset.fitWidth = String(availW);
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
    this.boxW = this.boxH = void 0;
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
    const parts = [t.get("video_name"), `${t.get("video_width")}\xD7${t.get("video_height")}`, t.get("model_name")];
    this.title.textContent = parts.filter(Boolean).join(" \xB7 ");
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
          title: "click: select ([ / ] keys) \xB7 double-click: rename"
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
            }
          },
          "\xD7"
        )
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
  showNotice(text, { refused = "", supersede = true, hint = false, frame = void 0 } = {}) {
    this.notice = text;
    this.noticeIsHint = hint;
    this.noticeFrame = frame;
    if (refused) {
      const busy = this.t.get("busy") || "busy";
      const whats = this.refused?.busy === busy ? this.refused.whats : [];
      this.refused = { whats: whats.includes(refused) ? whats : [...whats, refused], busy };
    } else this.refused = null;
    if (supersede) this.statusSuperseded = this.t.get("status") || "";
    this.root.dataset.notice = text;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => {
      this.clearNotice();
      this.renderStatus();
    }, NOTICE_MS);
    this.renderStatus();
  }
  clearNotice() {
    clearTimeout(this.noticeTimer);
    this.notice = "";
    this.noticeFrame = void 0;
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
      const left = tr.seconds_left === null || tr.seconds_left === void 0 ? "" : ` \xB7 \u2264 ${Math.ceil(tr.seconds_left)} s left`;
      const iou = Number.isFinite(tr.iou) ? ` \xB7 IoU vs your mask ${tr.iou.toFixed(2)}` : "";
      prog = `training: epoch ${tr.epoch ?? 0} of \u2264 ${tr.max_epochs ?? "?"}${left}${iou}`;
    } else if (p.total) {
      prog = `${busy || ""} ${p.done ?? 0}/${p.total} ${p.label ?? ""}`.trim();
    } else if (busy) {
      prog = `\u23F3 ${busy}`;
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
    if (this.noticeFrame !== void 0 && this.noticeFrame !== f) {
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
      this.playBtn.textContent = "\u25B6";
      this.renderStatus();
      return;
    }
    this.playBtn.textContent = "\u275A\u275A";
    const fps = this.t.get("fps") || 10;
    this.playing = setInterval(() => {
      const n = this.t.get("num_frames");
      const next = this.shown + 1 >= n ? 0 : this.shown + 1;
      if (!this.frames.has(next)) {
        this.requestFrames(1);
        return;
      }
      this.show(next);
    }, 1e3 / fps);
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
    this.cands = onFrame ? list.map((c) => ({ ...c, ...decodeLabelMap(c.rle) ?? {} })) : [];
    const status = this.t.get("status") || "";
    if (onFrame) {
      if (this.statusSuperseded === this.candStatus) this.statusSuperseded = null;
      this.candStatus = status;
    } else if (status === this.candStatus) this.statusSuperseded = status;
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
      this.keepFocus(() => beside ? this.view.append(panel) : this.feedback.after(panel));
    }
    panel.classList.toggle("ll-cands-beside", beside);
    panel.style.width = beside ? `${width}px` : "";
    panel.style.maxHeight = beside ? `${height}px` : "";
    this.root.dataset.candidatesAt = panel.hidden ? "" : beside ? "beside" : "below";
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
      }
    });
    this.keepFocus(() => this.candPanel.replaceChildren(...panel));
  }
  renderLibrary() {
    const lib = this.t.get("adapters") || {};
    const open = Boolean(lib.rows && lib.rows.length);
    const rows = open ? libraryPanel(lib, {
      onLoad: (path) => this.act(EVENTS.EXPORT, { format: "load_adapters", path }),
      onClose: () => this.t.set("adapters", {})
    }) : [];
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
  keepFocus(render2) {
    const had = document.activeElement;
    const inside = had !== this.root && this.root.contains(had);
    render2();
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
    if (!width) return;
    const n = drawTimeline(this.timeline, tl, {
      numFrames: this.t.get("num_frames"),
      frame: this.shown,
      colors: colorTable(this.t.get("objects") || []),
      width
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
    this.iouCanvas.dataset.plotX0 = String(plot.x0);
    this.iouCanvas.dataset.plotX1 = String(plot.x1);
    drawTrainingChart(this.trainCanvas, curves, { hover: hv?.chart === "training" ? hv : null });
    const iouW = this.iouCanvas.clientWidth;
    const iouText = iouHover === null ? "" : iouReadout(curves, iouHover, this.t.get("objects") || []);
    placeReadout(this.iouReadout, iouText, iouHover === null ? 0 : plot.sx(iouHover), iouW);
    const trW = this.trainCanvas.clientWidth;
    const g = trainingLayout(curves, trW || this.trainCanvas.width);
    const tc = this.trainCanvas.dataset;
    tc.epochX0 = String(g.sx(0));
    tc.epochX1 = String(g.sx(Math.max(1, g.n - 1)));
    tc.runX0 = String(g.sxRuns(0));
    tc.runX1 = String(g.sxRuns(Math.max(1, g.runs.length - 1)));
    const trText = hv?.chart === "training" ? trainingReadout(curves, hv) : "";
    const trX = !trText ? 0 : hv.epoch !== void 0 ? g.sx(hv.epoch) : g.sxRuns(hv.run);
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
    this.reviewBtn.title = n ? `next frame to review (R; Shift+R: previous): ${n} queued` : emptyReviewText(this.t.get("timeline"));
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
    const row = rows.find((r) => r.obj_id === sel && r.review?.some((q) => q.frame === next.frame)) ?? rows.find((r) => r.review?.some((q) => q.frame === next.frame));
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
      numCandidates: this.cands.length
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
          n ? `no candidate ${action.index + 1} on frame ${this.shown}: ${n === 1 ? "key 1 accepts" : `keys 1\u2013${n} accept`}` : `no candidates on frame ${this.shown}: press C to ask for them`,
          { supersede: false, hint: true, frame: this.shown }
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
        this.act(action.type);
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
};
function hoverKey(v) {
  if (!v) return "";
  if (v.chart === "iou") return `iou:${v.frame}`;
  return v.epoch !== void 0 ? `training:epoch:${v.epoch}` : `training:run:${v.run}`;
}
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
var widget_default = { render };
export {
  AppView,
  widget_default as default
};

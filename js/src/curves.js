// Live curves drawn on small canvases from the `curves` trait (no plotting library):
//   iou:       [{obj_id, points: [[frame, iou], ...]}]   per-frame IoU against the reference
//   against:   what the IoU compares against: "ground truth" or "your masks"
//   iou_label: the chart's title ("IoU per frame vs ground truth")
//   training:  [{expert, new_expert, frame, obj_id, losses: [...], ious: [...], train_iou}]
//   live:      {losses: [...], ious: [...]} while a correction trains, else null
//   marks:     [{kind: "correction" | "accept" | "prompt", frame, obj_id}]
// Hover values (issue #12, item 7): the view keeps what the pointer is over as state
// ({chart: "iou", frame} or {chart: "training", epoch | run}) and shows the readout text of
// iouReadout / trainingReadout in a DOM element over the chart.

import { rgba } from "./colors.js";

export const MARK_COLORS = { correction: [230, 40, 40], accept: [40, 170, 60], prompt: [120, 120, 120] };

/** Linear map from [d0, d1] to [r0, r1] (a zero-width domain maps to r0). */
export function scale(d0, d1, r0, r1) {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  const f = (v) => r0 + (v - d0) * k;
  f.invert = (p) => (k === 0 ? d0 : d0 + (p - r0) / k);
  return f;
}

/** Left and right margin of the IoU chart's plot (CSS px): frame 0 and the last frame. */
export const IOU_PAD = 18;

/** Frame under a pointer x on the IoU chart (inverse of the chart's x scale), clamped. */
export function frameAtX(px, width, numFrames, pad = IOU_PAD) {
  const sx = scale(0, Math.max(1, numFrames - 1), pad, width - pad);
  return Math.max(0, Math.min(numFrames - 1, Math.round(sx.invert(px))));
}

/** "0.87", or "–" for a value the kernel sent as null (no IoU there). */
export function fixed2(v) {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(2) : "–";
}

function precision3(v) {
  return typeof v === "number" && Number.isFinite(v) ? v.toPrecision(3) : "–";
}

/** The IoU chart's readout at `frame`: each object's IoU there and what it compares against,
 * e.g. "frame 12 · IoU vs ground truth · car: 0.87 · dog: –". */
export function iouReadout(curves, frame, objects = []) {
  const names = new Map(objects.map((o) => [o.id, o.name]));
  const against = curves?.against ?? "your masks";
  const series = curves?.iou ?? [];
  const parts = series.map((s) => {
    const p = (s.points ?? []).find((q) => q[0] === frame);
    return `${names.get(s.obj_id) ?? `object ${s.obj_id}`}: ${fixed2(p ? p[1] : null)}`;
  });
  return [`frame ${frame}`, `IoU vs ${against}`, ...(parts.length ? parts : ["no objects yet"])].join(" · ");
}

/** Geometry of the training chart `w` CSS px wide: the epochs of the current run on the left
 * (until `split`), one dot per correction on the right. */
export function trainingLayout(curves, w) {
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
    sxRuns: scale(0, Math.max(1, runs.length - 1), split + pad + 4, w - pad - 4),
  };
}

/** What the pointer at x (CSS px) is over on the training chart: {epoch} (0-based index of
 * the current run's epochs), {run} (a correction's dot) or null. */
export function trainingHoverAt(px, width, curves) {
  const g = trainingLayout(curves, width);
  const clamp = (v, n) => Math.max(0, Math.min(n - 1, Math.round(v)));
  if (px < g.split) return g.n ? { chart: "training", epoch: clamp(g.sx.invert(px), g.n) } : null;
  return g.runs.length ? { chart: "training", run: clamp(g.sxRuns.invert(px), g.runs.length) } : null;
}

/** The training chart's readout: "epoch 3 of 12 · loss 0.412 · IoU vs your mask 0.63" over
 * the curves, "correction 2 of 3 · frame 5 · expert 1 (new) · IoU vs your mask 0.85" over a
 * correction's dot. */
export function trainingReadout(curves, hover) {
  const g = trainingLayout(curves, 100);
  if (hover?.epoch !== undefined && g.cur && hover.epoch < g.n) {
    const i = hover.epoch;
    const of = g.live ? `${g.n} so far` : `${g.n}`;
    return `epoch ${i + 1} of ${of} · loss ${precision3(g.cur.losses?.[i])} · IoU vs your mask ${fixed2(g.cur.ious?.[i])}`;
  }
  if (hover?.run !== undefined && hover.run < g.runs.length) {
    const r = g.runs[hover.run];
    const expert = r.expert === null || r.expert === undefined ? "no expert kept" : `expert ${r.expert}${r.new_expert ? " (new)" : ""}`;
    return `correction ${hover.run + 1} of ${g.runs.length} · frame ${r.frame} · ${expert} · IoU vs your mask ${fixed2(r.train_iou)}`;
  }
  return "";
}

/** Sorted [frame, iou] points split where frames are missing: the line is drawn within each
 * run only, never across frames that have no value (a prompt on frame 0 and a correction on
 * frame 12 drew a flat 1.0 over frames 1-11 that were never compared). */
export function consecutiveRuns(pts) {
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
  const h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * dpr)) canvas.width = Math.round(w * dpr);
  if (canvas.height !== Math.round(h * dpr)) canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = "10px sans-serif";
  return { ctx, w, h };
}

function polyline(ctx, pts, sx, sy) {
  ctx.beginPath();
  pts.forEach(([x, y], i) => (i ? ctx.lineTo(sx(x), sy(y)) : ctx.moveTo(sx(x), sy(y))));
  ctx.stroke();
}

/** The dashed grey vertical line at the hovered x value (a frame or an epoch). */
function hoverLine(ctx, x, sx, sy) {
  ctx.strokeStyle = "rgba(90,90,90,0.8)";
  ctx.setLineDash([2, 2]);
  polyline(ctx, [[x, 0], [x, 1]], sx, sy);
  ctx.setLineDash([]);
}

/** Per-frame IoU per object, timeline marks below, playhead at `frame`, the hovered frame
 * (`hover`, or null) as a grey line with its points ringed. Returns the plot's x range and
 * its frame -> x scale. */
export function drawIouChart(canvas, curves, { numFrames, frame, colors, hover = null }) {
  const { ctx, w, h } = setup(canvas);
  const pad = IOU_PAD;
  const markH = 10;
  const sx = scale(0, Math.max(1, numFrames - 1), pad, w - pad);
  const sy = scale(0, 1, h - markH - 4, 12);
  ctx.strokeStyle = "rgba(128,128,128,0.35)";
  ctx.lineWidth = 1;
  for (const v of [0, 0.5, 1]) polyline(ctx, [[0, v], [numFrames - 1, v]], sx, sy);
  ctx.fillStyle = "rgba(128,128,128,0.9)";
  ctx.fillText(curves?.iou_label ?? "IoU per frame", pad + 14, 10);
  // axes: IoU 0 / 0.5 / 1 on the left, first and last frame at the bottom
  ctx.textAlign = "left";
  for (const v of [0, 0.5, 1]) ctx.fillText(String(v), 1, sy(v) + 3);
  ctx.fillText("0", sx(0), h - 1);
  ctx.textAlign = "right";
  ctx.fillText(String(Math.max(0, numFrames - 1)), w - 1, h - 1);
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
    ctx.moveTo(x, h - markH);
    ctx.lineTo(x - 4, h - 1);
    ctx.lineTo(x + 4, h - 1);
    ctx.fill();
  }
  ctx.strokeStyle = "rgba(30,120,255,0.9)";
  ctx.lineWidth = 1;
  polyline(ctx, [[frame, 0], [frame, 1]], sx, sy);
  if (hover !== null && hover !== undefined) {
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

/** Training IoU (solid) and loss (dashed, scaled to its max) per epoch; final IoUs as dots;
 * the hovered epoch or correction (`hover`: {epoch} | {run} | null) marked. */
export function drawTrainingChart(canvas, curves, { hover = null } = {}) {
  const { ctx, w, h } = setup(canvas);
  const { runs, live, cur, n, pad, split, sx, sxRuns } = trainingLayout(curves, w);
  ctx.fillStyle = "rgba(128,128,128,0.9)";
  const title = live ? "training…" : cur ? "last correction" : "no training yet";
  ctx.fillText(title, pad, 10);
  // the per-correction title where it fits (a narrow chart cut it to "per correcti")
  if (split + pad + ctx.measureText("per correction").width <= w - 2) ctx.fillText("per correction", split + pad, 10);
  if (cur && cur.ious?.length) {
    const sy = scale(0, 1, h - 14, 14);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "rgb(40,170,60)";
    polyline(ctx, cur.ious.map((v, i) => [i, v]), sx, sy);
    const maxLoss = Math.max(1e-9, ...(cur.losses ?? [0]));
    ctx.setLineDash([4, 3]);
    ctx.strokeStyle = "rgb(230,120,30)";
    polyline(ctx, (cur.losses ?? []).map((v, i) => [i, v / maxLoss]), sx, sy);
    ctx.setLineDash([]);
    ctx.fillStyle = "rgba(128,128,128,0.9)";
    // the IoU the status line reports (train_iou, after training) once the run is done
    const lastIou = live ? cur.ious[cur.ious.length - 1] : (cur.train_iou ?? cur.ious[cur.ious.length - 1]);
    // legend on the bottom line, under the curves
    ctx.clearRect(0, h - 11, split, 11);
    ctx.fillStyle = "rgb(40,170,60)";
    // the expert's IoU with the mask the user gave (not the ground truth): what it learnt
    const iouText = `— IoU vs your mask ${lastIou === null ? "–" : lastIou.toFixed(2)}`;
    ctx.fillText(iouText, pad, h - 2);
    const lossText = `- - loss (top ${maxLoss.toPrecision(2)})`; // drawn scaled to its max
    const lossX = pad + ctx.measureText(iouText).width + 8;
    if (lossX + ctx.measureText(lossText).width <= split - 4) {
      // a narrow panel keeps the IoU's legend only (the hover readout still gives the loss)
      ctx.fillStyle = "rgb(230,120,30)";
      ctx.fillText(lossText, lossX, h - 2);
    }
    ctx.fillStyle = "rgba(128,128,128,0.9)";
    ctx.fillText(`· ${n} epoch${n === 1 ? "" : "s"}`, pad + 78, 10);
    if (hover?.epoch !== undefined && hover.epoch < n) {
      ctx.lineWidth = 1;
      hoverLine(ctx, hover.epoch, sx, sy);
    }
  }
  const sy2 = scale(0, 1, h - 4, 14);
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

// The timeline under the video (issue #12, item 3): one row per object, one cell per frame,
// coded by the kernel (`timeline` trait, litlora_widgets/widget/state.py TIMELINE_CODES):
//   "." nothing · "t" tracked · "u" SAM2 unsure · "0" tracked, object absent ·
//   "p" prompt (keyframe) · "c" correction · "a" accepted candidate
// and each row's review queue (`review`: the tracked frames most likely wrong, most likely
// first, from Session.review_queue; state.py ReviewQueues), drawn as a dark triangle on
// the cell. The current frame is a vertical line; click or drag to jump; R jumps to the next
// frame to review.

import { rgba } from "./colors.js";

// the keys of the kernel's rows (tests/test_widget.py checks state.py sends exactly these)
export const ROW_KEYS = ["obj_id", "codes", "review"];
export const REVIEW_KEYS = ["frame", "score", "why"];
export const REVIEW_COLOR = [20, 20, 20];

export const ROW_H = 10;
export const GAP = 2;
export const LEGEND = [
  ["t", "tracked"],
  ["u", "unsure"],
  ["0", "absent"],
  ["p", "prompt"],
  ["c", "correction"],
  ["a", "accepted"],
];

/** Fill colour of a cell: [r, g, b, a] or null (empty). */
export function cellColor(code, objColor) {
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

/** Cell [x0, x1) in CSS px of frame f on a timeline `width` wide. */
export function cellX(f, numFrames, width) {
  const w = width / Math.max(1, numFrames);
  return [f * w, (f + 1) * w];
}

/** Frame under x (CSS px), clamped to the video. */
export function frameAtX(x, width, numFrames) {
  const f = Math.floor((x / Math.max(1, width)) * numFrames);
  return Math.max(0, Math.min(numFrames - 1, f));
}

export function timelineHeight(rows) {
  return Math.max(1, rows) * (ROW_H + GAP) + GAP;
}

/** The frames to review of object `objId` (every object's when it has no row), ascending. */
export function reviewFrames(timeline, objId) {
  const rows = timeline?.rows ?? [];
  const own = rows.filter((r) => r.obj_id === objId);
  const frames = (own.length ? own : rows).flatMap((r) => (r.review ?? []).map((q) => q.frame));
  return [...new Set(frames)].sort((a, b) => a - b);
}

/** Why nothing is queued, in the user's words: no frame is tracked yet, or the kernel found
 * none of the tracked frames likely wrong (state.py ReviewQueues: LIKELY_WRONG). */
export function emptyReviewText(timeline) {
  const tracked = (timeline?.rows ?? []).some((r) => /[tu0]/.test(r.codes ?? ""));
  return tracked
    ? "nothing to review: no tracked frame looks likely wrong"
    : "nothing to review yet: propagate an object first";
}

/** The queued frame after `current` (dir 1) or before it (dir -1), wrapping around:
 * {frame, wrapped}, or null when nothing is queued. */
export function nextReview(frames, current, dir = 1) {
  if (!frames.length) return null;
  const f = dir > 0 ? frames.find((x) => x > current) : [...frames].reverse().find((x) => x < current);
  if (f !== undefined) return { frame: f, wrapped: false };
  return { frame: dir > 0 ? frames[0] : frames[frames.length - 1], wrapped: true };
}

/** The review mark of frame f in row r: a triangle pointing down, centred on the cell, at
 * least 7 CSS px wide so it shows on long videos. [[x, y], [x, y], [x, y]] in CSS px. */
export function reviewMark(f, r, numFrames, width) {
  const [x0, x1] = cellX(f, numFrames, width);
  const cx = (x0 + x1) / 2;
  const half = Math.max(3.5, Math.min(6, (x1 - x0) / 2));
  const y = GAP + r * (ROW_H + GAP);
  return [
    [cx - half, y],
    [cx + half, y],
    [cx, y + ROW_H - 2],
  ];
}

/** Draw every row at device resolution; returns the rows drawn. */
export function drawTimeline(canvas, timeline, { numFrames, frame, colors, width }) {
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
      const [x0, x1] = cellX(f, numFrames, width);
      ctx.fillStyle = rgba(c.slice(0, 3), c[3]);
      // whole pixels, at least one wide, so every frame stays visible on long videos
      ctx.fillRect(Math.floor(x0), y, Math.max(1, Math.floor(x1) - Math.floor(x0)), ROW_H);
    }
  });
  // review marks on top of every row's cells
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

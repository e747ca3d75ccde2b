// Mask transport and overlays. The kernel sends a frame's masks as one run-length-encoded
// label map ("LMR1"), little endian:
//   0  "LMR1" | 4 width u32 | 8 height u32 | 12 n u32 | 16 n run lengths u32 | n labels u8
// Runs are row-major; label 0 is background, label k is the object with obj_id k (the last
// object drawn wins where masks overlap). Candidates use the same format with label 1.
// Empty bytes mean "no masks". Bytes arrive as DataView (anywidget), ArrayBuffer or Uint8Array.

import { packRGBA } from "./colors.js";

const MAGIC = "LMR1";
const HEADER = 16;

export function asDataView(buf) {
  if (!buf) return null;
  if (buf instanceof DataView) return buf;
  if (buf instanceof ArrayBuffer) return new DataView(buf);
  if (ArrayBuffer.isView(buf)) return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  throw new TypeError("expected bytes (DataView, ArrayBuffer or typed array)");
}

/** Decode LMR1 bytes -> {width, height, labels: Uint8Array(width*height)} or null if empty. */
export function decodeLabelMap(buf) {
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

/** Encode a label array as LMR1 (used by tests and by the static-export fallback). */
export function encodeLabelMap(labels, width, height) {
  const lens = [];
  const labs = [];
  let i = 0;
  while (i < labels.length) {
    let j = i + 1;
    while (j < labels.length && labels[j] === labels[i]) j++;
    lens.push(j - i);
    labs.push(labels[i]);
    i = j;
  }
  const out = new DataView(new ArrayBuffer(HEADER + 5 * lens.length));
  [..."LMR1"].forEach((c, k) => out.setUint8(k, c.charCodeAt(0)));
  out.setUint32(4, width, true);
  out.setUint32(8, height, true);
  out.setUint32(12, lens.length, true);
  lens.forEach((l, k) => out.setUint32(HEADER + 4 * k, l, true));
  labs.forEach((l, k) => out.setUint8(HEADER + 4 * lens.length + k, l));
  return out;
}

/** True where a labelled pixel touches a differently labelled 4-neighbour or the image edge. */
function isEdge(labels, w, h, idx, x, y) {
  const l = labels[idx];
  return (
    x === 0 || y === 0 || x === w - 1 || y === h - 1 ||
    labels[idx - 1] !== l || labels[idx + 1] !== l ||
    labels[idx - w] !== l || labels[idx + w] !== l
  );
}

/**
 * Label map -> RGBA pixels (Uint8ClampedArray w*h*4): translucent fill in each object's
 * colour and an opaque outline. `colors` maps label -> [r, g, b]; unknown labels are skipped.
 * Opts: fillAlpha (0..1), outline (bool), hidden (Set of labels not to draw).
 */
export function renderLabelMap(labels, w, h, colors, opts = {}) {
  const { fillAlpha = 0.45, outline = true, hidden = null } = opts;
  const out = new Uint8ClampedArray(w * h * 4);
  const px = new Uint32Array(out.buffer);
  const fill = new Uint32Array(256);
  const edge = new Uint32Array(256);
  const known = new Uint8Array(256);
  for (const [lab, col] of colors) {
    if (lab <= 0 || lab > 255 || (hidden && hidden.has(lab))) continue;
    known[lab] = 1;
    fill[lab] = packRGBA(col, fillAlpha);
    edge[lab] = packRGBA(col, 1);
  }
  for (let y = 0, idx = 0; y < h; y++) {
    for (let x = 0; x < w; x++, idx++) {
      const l = labels[idx];
      if (l === 0 || !known[l]) continue;
      px[idx] = outline && isEdge(labels, w, h, idx, x, y) ? edge[l] : fill[l];
    }
  }
  return out;
}

/** Pixel count and a representative interior point (for numbering a candidate). */
export function maskAnchor(labels, w, h, label = 1) {
  let area = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0, idx = 0; y < h; y++) {
    for (let x = 0; x < w; x++, idx++) {
      if (labels[idx] === label) {
        area++;
        sx += x;
        sy += y;
      }
    }
  }
  if (area === 0) return { area: 0, x: w / 2, y: h / 2 };
  let x = Math.round(sx / area);
  let y = Math.round(sy / area);
  if (labels[y * w + x] !== label) {
    // Centroid outside a non-convex mask: take the middle of the run on the nearest row.
    for (let d = 0; d < h; d++) {
      for (const r of [y - d, y + d]) {
        if (r < 0 || r >= h) continue;
        const cols = [];
        for (let c = 0; c < w; c++) if (labels[r * w + c] === label) cols.push(c);
        if (cols.length) return { area, x: cols[cols.length >> 1], y: r };
      }
    }
  }
  return { area, x, y };
}

/**
 * Which candidate a click at pixel (col, row) picks: the smallest mask containing it
 * (nested masks stay selectable), or -1. `masks` is an array of {labels, area}.
 */
export function hitTestMasks(masks, col, row, w) {
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

// Colours: objects get theirs from the kernel (the Session is the source of truth); this
// palette is the fallback and the candidates' numbering colours.

export const PALETTE = [
  [230, 25, 75], [60, 180, 75], [0, 130, 200], [245, 130, 48], [145, 30, 180],
  [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128],
];

export const CANDIDATE_COLORS = [[255, 255, 255], [255, 221, 0], [0, 229, 255], [255, 64, 255]];

export function paletteColor(i) {
  const n = PALETTE.length;
  return PALETTE[((i % n) + n) % n];
}

export function toHex([r, g, b]) {
  return "#" + [r, g, b].map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
}

export function fromHex(hex) {
  const h = hex.replace("#", "");
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
}

export function rgba([r, g, b], a = 1) {
  return `rgba(${r}, ${g}, ${b}, ${a})`;
}

/** Black or white, whichever reads better on `rgb` (for numbers drawn on a colour). */
export function contrastText([r, g, b]) {
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#000" : "#fff";
}

/** Pack an opaque-ish colour as a little-endian RGBA uint32 for Uint32Array pixel writes. */
export function packRGBA([r, g, b], alpha) {
  return ((Math.round(alpha * 255) << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/** obj_id -> colour lookup from the kernel's objects list ({id, color}). */
export function colorTable(objects) {
  const table = new Map();
  objects.forEach((o, i) => table.set(o.id, o.color || paletteColor(i)));
  return table;
}

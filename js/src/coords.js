// Coordinate mapping between the page (CSS px), the canvas and video pixels.
// The canvases' intrinsic size is the video size, and CSS scales them to the cell width, so
// one scale factor per axis maps both ways exactly at any zoom or devicePixelRatio.

/** Display size that fits `maxWidth` (and optional `maxHeight`) keeping the aspect ratio. */
export function fitSize(videoW, videoH, maxWidth, maxHeight = Infinity) {
  if (!(videoW > 0 && videoH > 0)) return { width: 0, height: 0 };
  const s = Math.min(maxWidth / videoW, maxHeight / videoH);
  return { width: videoW * s, height: videoH * s };
}

/**
 * Page position -> continuous video coordinates (pixel centres at .5), clamped to the image.
 * `rect` is the canvas's getBoundingClientRect() (left, top, width, height in CSS px).
 */
export function clientToVideo(clientX, clientY, rect, videoW, videoH) {
  const x = ((clientX - rect.left) / rect.width) * videoW;
  const y = ((clientY - rect.top) / rect.height) * videoH;
  return { x: clamp(x, 0, videoW - 1e-6), y: clamp(y, 0, videoH - 1e-6) };
}

/** Video coordinates -> page position (inverse of clientToVideo inside the image). */
export function videoToClient(x, y, rect, videoW, videoH) {
  return {
    x: rect.left + (x / videoW) * rect.width,
    y: rect.top + (y / videoH) * rect.height,
  };
}

/** Integer pixel (column, row) containing a continuous video coordinate. */
export function pixelAt(x, y, videoW, videoH) {
  return {
    col: clamp(Math.floor(x), 0, videoW - 1),
    row: clamp(Math.floor(y), 0, videoH - 1),
  };
}

/** Video px per CSS px: keeps markers a constant on-screen size whatever the zoom. */
export function videoPxPerCssPx(rect, videoW) {
  return rect.width > 0 ? videoW / rect.width : 1;
}

/** Normalised box [x0, y0, x1, y1] from two corners (any drag direction). */
export function boxFromCorners(a, b) {
  return [Math.min(a.x, b.x), Math.min(a.y, b.y), Math.max(a.x, b.x), Math.max(a.y, b.y)];
}

/** A press-release is a drag (box) once the pointer moved this many CSS px. */
export const DRAG_THRESHOLD_CSS_PX = 5;

export function isDrag(downClient, upClient, threshold = DRAG_THRESHOLD_CSS_PX) {
  return Math.hypot(upClient.x - downClient.x, upClient.y - downClient.y) >= threshold;
}

export function clamp(v, lo, hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

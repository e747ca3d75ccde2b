// Sizing: the frame scales so the whole tool fits the visible height (issue #12, item 2), or
// to a fixed height (the `size` trait: "fit" or a number of CSS px). Whole CSS pixels, so the
// stacked canvases and the frame share one box exactly.

/** Integer display size of a video of (videoW, videoH) inside (maxW, maxH), aspect kept. */
export function fitBox(videoW, videoH, maxW, maxH) {
  if (!(videoW > 0 && videoH > 0 && maxW > 0 && maxH > 0)) return { width: 0, height: 0 };
  const s = Math.min(maxW / videoW, maxH / videoH);
  const width = Math.max(1, Math.floor(videoW * s));
  const height = Math.max(1, Math.round((width * videoH) / videoW));
  return height > maxH + 0.5
    ? { width: Math.max(1, Math.round((Math.floor(maxH) * videoW) / videoH)), height: Math.floor(maxH) }
    : { width, height };
}

/** The height the page shows of `el`'s scroll container (JupyterLab's notebook panel). */
export function visibleHeight(el) {
  for (let p = el?.parentElement; p; p = p.parentElement) {
    const oy = getComputedStyle(p).overflowY;
    if ((oy === "auto" || oy === "scroll") && p.clientHeight > 0) return p.clientHeight;
  }
  return globalThis.innerHeight || 800;
}

/** Max frame height: a number of px, or "fit" = visible height minus the rest of the tool. */
export function maxFrameHeight(size, visible, others, min = 120) {
  const n = Number(size);
  if (size !== "fit" && Number.isFinite(n) && n > 0) return n;
  return Math.max(min, visible - others - 8);
}

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

/** The height the page shows of `el`'s scroller: JupyterLab's notebook panel, else the window.
 * (Not just the nearest scrollable ancestor: an output area that scrolls is only as tall as
 * its content, which would shrink the frame a little more on every resize.) */
export function visibleHeight(el) {
  const win = globalThis.innerHeight || 800;
  const panel = el?.closest?.(".jp-WindowedPanel-outer, .jp-Notebook");
  const h = panel?.clientHeight ?? 0;
  return h >= 200 ? Math.min(h, win) : win;
}

/** Max frame height: a number of px, or "fit" = visible height minus the rest of the tool. */
export function maxFrameHeight(size, visible, others, min = 120) {
  const n = Number(size);
  if (size !== "fit" && Number.isFinite(n) && n > 0) return n;
  return Math.max(min, visible - others - 8);
}

/** The candidates panel goes beside the frame when the frame, fitted as if the panel were
 * closed, leaves `minSide` px of the width free: then opening it does not shrink the frame
 * (a square video in a wide notebook went from 628 to 430 px). Else it goes below the
 * controls and the frame makes room. */
export function candidatesBeside(frameW, availW, { minSide = 160, gap = 8 } = {}) {
  return availW - frameW - gap >= minSide;
}

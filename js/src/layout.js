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

/** The crop side (px) for `n` candidate cards in a panel `width` x `height` px beside the
 * frame: the column count that gives the largest crops, within [96, 320] (below the controls
 * the crops stay CROP_SIDE). A card adds 8 px of border and padding and 56 px of caption; the
 * title and the reject button take 54 px; cards are 8 px apart. */
export const CROP_SIDE = 132;
export function cropSide(n, width, height) {
  let best = 0;
  for (let cols = 1; cols <= Math.max(1, n); cols++) {
    const rows = Math.ceil(n / cols);
    const byW = (width - 8 * (cols - 1)) / cols - 8;
    const byH = (height - 54 - 8 * (rows - 1)) / rows - 64;
    best = Math.max(best, Math.min(byW, byH));
  }
  return Math.floor(Math.min(320, Math.max(96, best)));
}

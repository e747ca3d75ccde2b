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

/** Max frame height: a number of px, or "fit" = visible height minus the rest of the tool,
 * but at least `min`: in a small window the tool then scrolls, rather than shrink the frame
 * to a thumbnail no one can judge a mask on (213 x 120 at 900 x 700 with candidates open). */
export function maxFrameHeight(size, visible, others, min = 240) {
  const n = Number(size);
  if (size !== "fit" && Number.isFinite(n) && n > 0) return n;
  return Math.max(min, visible - others - 8);
}

/** The candidates panel goes beside the frame when the frame, fitted as if the panel were
 * closed, leaves `minSide` px of the width free: then opening it does not shrink the frame
 * (a square video in a wide notebook went from 628 to 430 px). */
export function candidatesBeside(frameW, availW, { minSide = 160, gap = 8 } = {}) {
  return availW - frameW - gap >= minSide;
}

/** Where the `n` candidates' panel goes, and the frame box that leaves. Beside the frame
 * when there is room for all `n` cards (candidatesBeside, cardsFit): the frame keeps its
 * size. Else beside a frame narrowed to make `minSide` px of room, when the cards fit there
 * and that frame is at least as wide as the one above the panel below the controls (a 16:9
 * frame 967 px wide in a 1000 px output went to 629 px over the panel, 310 px left empty
 * beside it). Else below. `maxH` / `maxHBelow`: the frame's max height with the panel
 * beside / below (maxFrameHeight). */
export function placeCandidatesPanel(n, videoW, videoH, availW, maxH, maxHBelow, { minSide = 160, gap = 8 } = {}) {
  const fits = (box) => cardsFit(n, availW - box.width - gap, box.height);
  const closed = fitBox(videoW, videoH, availW, maxH);
  if (candidatesBeside(closed.width, availW, { minSide, gap }) && fits(closed)) return { beside: true, box: closed };
  const narrowed = fitBox(videoW, videoH, availW - gap - minSide, maxH);
  const below = fitBox(videoW, videoH, availW, maxHBelow);
  return narrowed.width >= below.width && fits(narrowed) ? { beside: true, box: narrowed } : { beside: false, box: below };
}

/** The height (px) the candidates panel takes below the controls before it is measured
 * there: a 24 px title, then rows of `n` cards (CROP_SIDE + 8 px of border and padding, 8 px
 * apart, a 56 px caption) and the reject button, which takes a card's place. */
export function panelBelowHeight(n, availW) {
  const perRow = Math.max(1, Math.floor((availW + 8) / (CROP_SIDE + 16)));
  return 24 + Math.ceil((n + 1) / perRow) * (CROP_SIDE + 72);
}

/** The crop side (px) for `n` candidate cards in a panel `width` x `height` px beside the
 * frame: the column count that gives the largest crops, within [96, 320] (below the controls
 * the crops stay CROP_SIDE). A card adds 8 px of border and padding and 56 px of caption; the
 * title and the reject button take 54 px; cards are 8 px apart. */
export const CROP_SIDE = 132;
export const MIN_CROP_SIDE = 96;
export function cropSide(n, width, height) {
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

/** Do `n` candidate cards with crops of at least MIN_CROP_SIDE fit in a `width` x `height`
 * panel beside the frame? (Else the last ones were cut off, scrollable without a sign.) */
export function cardsFit(n, width, height) {
  return largestCrop(n, width, height) >= MIN_CROP_SIDE;
}

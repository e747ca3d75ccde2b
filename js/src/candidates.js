// Candidates side by side (issue #12, item 6): plain SAM2 and every expert as crops of the
// frame zoomed on the object, each with its number, the predicted IoU and object presence;
// an "absent" candidate says so. Keys 1–N and Esc act on exactly the candidates shown.

import { CANDIDATE_COLORS, contrastText, rgba, toHex } from "./colors.js";
import { h } from "./dom.js";
import { renderLabelMap } from "./masks.js";

/** The crop shared by all candidates: the union of their boxes with a margin, clamped to the
 * frame, at least `minSide` px; the whole frame when every candidate is empty. */
export function cropBox(cands, width, height, { margin = 0.35, minSide = 32 } = {}) {
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

/** "SAM2" or "expert 2" */
export function candidateName(cand) {
  return cand.expert === null || cand.expert === undefined ? "SAM2" : `expert ${cand.expert}`;
}

const SCORES_TITLE =
  "the model's own estimates: the IoU of this mask with the object, and how sure it is that the object is in the frame";

/** The caption's two lines, in words a user reads: "predicted IoU 0.86", "present 99 %"
 * (the object score logit as a probability; "obj 6.9" meant nothing to a new user). */
export function candidateScores(cand) {
  const p = Number.isFinite(cand.obj_score) ? `${Math.round(100 / (1 + Math.exp(-cand.obj_score)))} %` : "–";
  return [`predicted IoU ${fmt(cand.score)}`, `present ${p}`];
}

export function fmt(v, digits = 2) {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(digits);
}

export function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * Panel DOM: [title, item per candidate, reject]. `cands`: decoded candidates ({labels,
 * width, height, bbox, score, obj_score, expert, absent}); `bmp`: the frame's bitmap or
 * undefined (crops without the picture until it arrives).
 */
export function candidatePanel({ cands, frame, bmp, side = 132, onAccept, onHover, onReject }) {
  const first = cands.find(Boolean);
  const W = first?.width ?? 1;
  const H = first?.height ?? 1;
  const [x0, y0, x1, y1] = cropBox(cands, W, H);
  const cw = x1 - x0;
  const ch = y1 - y0;
  const scale = side / Math.max(cw, ch);
  const tw = Math.max(1, Math.round(cw * scale));
  const th = Math.max(1, Math.round(ch * scale));
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
      const px = renderLabelMap(cand.labels, cand.width, cand.height, new Map([[1, col]]), { fillAlpha: 0.4 });
      const tmp = new OffscreenCanvas(cand.width, cand.height);
      tmp.getContext("2d").putImageData(new ImageData(px, cand.width, cand.height), 0, 0);
      ctx.drawImage(tmp, x0, y0, cw, ch, 0, 0, tw, th);
    }
    const absent = cand?.absent
      ? h("span", { class: "ll-absent", title: "this candidate says the object is not in this frame" }, "absent")
      : null;
    const item = h(
      "div",
      {
        class: `ll-cand${cand?.absent ? " ll-cand-absent" : ""}`,
        "data-index": String(i),
        title: `accept ${candidateName(cand ?? {})} (key ${i + 1})`,
      },
      h("div", { class: "ll-crop-box" }, crop, absent),
      h(
        "div",
        { class: "ll-cand-info" },
        h("span", { class: "ll-cand-num", style: `background:${toHex(col)};color:${contrastText(col)}` }, String(i + 1)),
        h("span", { class: "ll-cand-name" }, candidateName(cand ?? {})),
      ),
      h("div", { class: "ll-cand-scores", title: SCORES_TITLE }, ...candidateScores(cand ?? {}).map((t) => h("div", {}, t))),
    );
    item.addEventListener("click", () => onAccept?.(i));
    item.addEventListener("mouseenter", () => onHover?.(i));
    item.addEventListener("mouseleave", () => onHover?.(-1));
    return item;
  });
  const n = cands.length;
  const keys = n === 1 ? "key 1" : `keys 1–${n}`;
  const title = h("div", { class: "ll-cands-title" }, `frame ${frame}: ${plural(n, "candidate")} · ${keys} accept`);
  const reject = h("button", { class: "ll-btn", type: "button", title: "reject every candidate (Esc)", onclick: onReject }, "✕ reject (Esc)");
  return [title, h("div", { class: "ll-cand-row" }, ...items, reject)];
}

export { rgba };

// Drawing on the stacked canvases. All layers fill the same whole-pixel box (layout.js). The
// frame and mask layers have the video's size as intrinsic size (mask pixels exact, drawn
// pixelated); the points and cursor layers have the box's device-pixel size and draw in video
// coordinates through a transform, so markers stay crisp and a constant on-screen size.

import { rgba } from "./colors.js";
import { renderLabelMap } from "./masks.js";

export function clearCanvas(c) {
  const ctx = c.getContext("2d");
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.restore();
}

/** Size `canvas` to its on-screen box in device px and map video coordinates onto it;
 * returns the cleared context and k = video px per CSS px. */
export function videoContext(canvas, videoW, videoH) {
  const r = canvas.getBoundingClientRect();
  const dpr = globalThis.devicePixelRatio || 1;
  const w = Math.max(1, Math.round((r.width || videoW) * dpr));
  const h = Math.max(1, Math.round((r.height || videoH) * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.setTransform(w / videoW, 0, 0, h / videoH, 0, 0);
  return { ctx, k: videoW / Math.max(1, r.width || videoW) };
}

/** The frame's bitmap, or keep the previous picture until it arrives; true when drawn. */
export function drawFrame(canvas, bmp) {
  if (!bmp) return false;
  canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
  return true;
}

/** Put RGBA pixels of size (w, h) on a context of size (cw, ch), scaling when they differ. */
export function putScaled(ctx, px, w, h, cw, ch) {
  const img = new ImageData(px, w, h);
  if (w === cw && h === ch) {
    ctx.putImageData(img, 0, 0);
    return;
  }
  const tmp = new OffscreenCanvas(w, h);
  tmp.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, cw, ch);
}

/** Every object: translucent fill plus an opaque outline, so one never hides another. */
export function drawMaskLayer(canvas, lm, colors) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!lm) return;
  const px = renderLabelMap(lm.labels, lm.width, lm.height, colors);
  putScaled(ctx, px, lm.width, lm.height, canvas.width, canvas.height);
}

/** One candidate's mask (label 1) in `color`, e.g. the one hovered in the panel. */
export function drawSingleMask(canvas, lm, color) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const px = renderLabelMap(lm.labels, lm.width, lm.height, new Map([[1, color]]), { fillAlpha: 0.35 });
  putScaled(ctx, px, lm.width, lm.height, canvas.width, canvas.height);
}

/**
 * Prompts: points in their object's colour with + (include) or − (exclude, dark centre),
 * boxes as outlines; pending ones (sent, not yet applied) drawn faded.
 */
export function drawPoints(canvas, prompts, colors, videoW, videoH) {
  const { ctx, k } = videoContext(canvas, videoW, videoH);
  for (const p of prompts) {
    const col = colors.get(p.obj_id) ?? [255, 255, 255];
    ctx.globalAlpha = p.pending ? 0.55 : 1;
    if (p.kind === "box") {
      const [x0, y0, x1, y1] = p.box;
      ctx.strokeStyle = rgba(col, 1);
      ctx.lineWidth = 2 * k;
      ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
      continue;
    }
    ctx.beginPath();
    ctx.arc(p.x, p.y, 7 * k, 0, 2 * Math.PI);
    ctx.fillStyle = p.label ? rgba(col, 1) : "rgb(20,20,20)";
    ctx.fill();
    ctx.lineWidth = 2 * k;
    ctx.strokeStyle = p.label ? "#fff" : rgba(col, 1);
    ctx.stroke();
    ctx.fillStyle = "#fff";
    ctx.fillRect(p.x - 4 * k, p.y - 1 * k, 8 * k, 2 * k);
    if (p.label) ctx.fillRect(p.x - 1 * k, p.y - 4 * k, 2 * k, 8 * k);
  }
  ctx.globalAlpha = 1;
}

/** Crosshair (or the dashed box being dragged) on the cursor layer. */
export function drawCursor(canvas, v, box, videoW, videoH) {
  const { ctx, k } = videoContext(canvas, videoW, videoH);
  ctx.lineWidth = k;
  if (box) {
    const [x0, y0, x1, y1] = box;
    ctx.setLineDash([6 * k, 4 * k]);
    ctx.strokeStyle = "#fff";
    ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
    ctx.setLineDash([]);
    return;
  }
  ctx.strokeStyle = "rgba(255,255,255,0.6)";
  ctx.beginPath();
  ctx.moveTo(v.x - 10 * k, v.y);
  ctx.lineTo(v.x + 10 * k, v.y);
  ctx.moveTo(v.x, v.y - 10 * k);
  ctx.lineTo(v.x, v.y + 10 * k);
  ctx.stroke();
}

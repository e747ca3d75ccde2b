// Pointer input on the video: left click = include point, right (or Shift) click = exclude,
// drag = box. Right-click never opens the host's context menu (JupyterLab's cell menu listens
// on the document): the stage stops the contextmenu event and carries
// data-jp-suppress-context-menu. The first click that only focuses the widget adds no point.

import { boxFromCorners, clientToVideo, isDrag } from "./coords.js";
import { clearCanvas, drawCursor } from "./draw.js";

export class Pointer {
  /**
   * `stage`: the element holding the canvases; `top`: the canvas that receives the pointer.
   * cb: {isFocused, focus, videoSize, onFocusClick, onPoint(v, label), onBox(box)}
   */
  constructor(stage, top, cb) {
    this.top = top;
    this.cb = cb;
    this.drag = null;
    const stop = (e) => {
      e.preventDefault();
      e.stopPropagation();
    };
    stage.addEventListener("contextmenu", stop);
    top.addEventListener("pointerdown", (e) => this.down(e));
    top.addEventListener("pointermove", (e) => this.move(e));
    top.addEventListener("pointerup", (e) => this.up(e));
    top.addEventListener("pointerleave", () => !this.drag && clearCanvas(this.top));
  }

  get dragging() {
    return Boolean(this.drag);
  }

  toVideo(e) {
    const [w, h] = this.cb.videoSize();
    return clientToVideo(e.clientX, e.clientY, this.top.getBoundingClientRect(), w, h);
  }

  down(e) {
    if (e.button !== 0 && e.button !== 2) return;
    const focusOnly = !this.cb.isFocused();
    this.cb.focus();
    e.preventDefault();
    e.stopPropagation();
    this.top.setPointerCapture?.(e.pointerId);
    this.drag = { client: { x: e.clientX, y: e.clientY }, video: this.toVideo(e), button: e.button, focusOnly };
  }

  move(e) {
    const v = this.toVideo(e);
    const d = this.drag;
    const box = d && d.button === 0 && isDrag(d.client, { x: e.clientX, y: e.clientY }) ? boxFromCorners(d.video, v) : null;
    drawCursor(this.top, v, box, ...this.cb.videoSize());
  }

  up(e) {
    const d = this.drag;
    this.drag = null;
    clearCanvas(this.top);
    if (!d) return;
    e.preventDefault();
    e.stopPropagation();
    if (d.focusOnly) {
      this.cb.onFocusClick?.();
      return;
    }
    const v = this.toVideo(e);
    if (d.button === 0 && isDrag(d.client, { x: e.clientX, y: e.clientY })) {
      this.cb.onBox(boxFromCorners(d.video, v));
      return;
    }
    this.cb.onPoint(v, d.button === 2 || e.shiftKey ? 0 : 1);
  }

  cancel() {
    this.drag = null;
    clearCanvas(this.top);
  }
}

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeLabelMap, encodeLabelMap, hitTestMasks, maskAnchor, renderLabelMap,
} from "../src/masks.js";

function labelsWithSquare(w, h, x0, y0, s, lab) {
  const a = new Uint8Array(w * h);
  for (let y = y0; y < y0 + s; y++) a.fill(lab, y * w + x0, y * w + x0 + s);
  return a;
}

test("LMR1 round trip, from DataView, ArrayBuffer and Uint8Array", () => {
  const w = 13;
  const h = 7;
  const labels = labelsWithSquare(w, h, 2, 1, 4, 3);
  labels[w * h - 1] = 9;
  const dv = encodeLabelMap(labels, w, h);
  for (const buf of [dv, dv.buffer, new Uint8Array(dv.buffer)]) {
    const out = decodeLabelMap(buf);
    assert.equal(out.width, w);
    assert.equal(out.height, h);
    assert.deepEqual(out.labels, labels);
  }
});

test("decodes a buffer at a non-zero offset (DataView into a larger message)", () => {
  const labels = labelsWithSquare(5, 4, 1, 1, 2, 1);
  const dv = encodeLabelMap(labels, 5, 4);
  const big = new Uint8Array(dv.byteLength + 8);
  big.set(new Uint8Array(dv.buffer), 8);
  const out = decodeLabelMap(new DataView(big.buffer, 8, dv.byteLength));
  assert.deepEqual(out.labels, labels);
});

test("matches the Python encoder's byte layout", () => {
  // 2x2 image, labels [0, 1, 1, 0] -> runs (1,0) (2,1) (1,0)
  const bytes = new Uint8Array([
    76, 77, 82, 49, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0,
    1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0,
  ]);
  assert.deepEqual([...decodeLabelMap(bytes).labels], [0, 1, 1, 0]);
});

test("empty bytes mean no mask; corrupt bytes throw", () => {
  assert.equal(decodeLabelMap(new Uint8Array(0)), null);
  assert.equal(decodeLabelMap(null), null);
  assert.throws(() => decodeLabelMap(new Uint8Array(20)), /magic/);
  const dv = encodeLabelMap(new Uint8Array(6), 3, 2);
  dv.setUint32(4, 4, true); // claims a wider image than its runs cover
  assert.throws(() => decodeLabelMap(dv), /cover/);
});

test("overlay: translucent fill inside, opaque outline at the border, colour per object", () => {
  const w = 10;
  const h = 10;
  const a = labelsWithSquare(w, h, 2, 2, 5, 1); // object 1: a 5x5 square
  a[9 * w + 9] = 2; // object 2: one pixel in the image corner
  const px = renderLabelMap(a, w, h, new Map([[1, [255, 0, 0]], [2, [0, 0, 255]]]), { fillAlpha: 0.5 });
  const at = (x, y) => [...px.subarray((y * w + x) * 4, (y * w + x) * 4 + 4)];
  assert.deepEqual(at(4, 4), [255, 0, 0, 128]); // interior
  assert.deepEqual(at(2, 4), [255, 0, 0, 255]); // outline
  assert.deepEqual(at(0, 0), [0, 0, 0, 0]); // background
  assert.deepEqual(at(9, 9), [0, 0, 255, 255]); // object 2 at the image edge
  const hidden = renderLabelMap(a, w, h, new Map([[1, [255, 0, 0]]]), { hidden: new Set([1]) });
  assert.equal(hidden.reduce((s, v) => s + v, 0), 0);
});

test("anchor lies inside the mask, even for a non-convex one", () => {
  const w = 20;
  const h = 20;
  const ring = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const r = Math.hypot(x - 10, y - 10);
      if (r > 6 && r < 9) ring[y * w + x] = 1;
    }
  }
  const a = maskAnchor(ring, w, h, 1);
  assert.ok(a.area > 0);
  assert.equal(ring[a.y * w + a.x], 1);
  assert.deepEqual(maskAnchor(new Uint8Array(4), 2, 2), { area: 0, x: 1, y: 1 });
});

test("hit test picks the smallest mask containing the click", () => {
  const w = 10;
  const big = { labels: labelsWithSquare(w, 10, 0, 0, 10, 1), area: 100 };
  const small = { labels: labelsWithSquare(w, 10, 3, 3, 3, 1), area: 9 };
  assert.equal(hitTestMasks([big, small], 4, 4, w), 1);
  assert.equal(hitTestMasks([big, small], 8, 8, w), 0);
  assert.equal(hitTestMasks([small, null], 8, 8, w), -1);
});

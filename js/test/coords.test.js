import assert from "node:assert/strict";
import { test } from "node:test";
import {
  boxFromCorners, clientToVideo, fitSize, isDrag, pixelAt, videoPxPerCssPx, videoToClient,
} from "../src/coords.js";

test("fitSize keeps the aspect ratio and fits the width", () => {
  assert.deepEqual(fitSize(1920, 1080, 960), { width: 960, height: 540 });
  assert.deepEqual(fitSize(100, 200, 400, 100), { width: 50, height: 100 });
  assert.deepEqual(fitSize(0, 10, 100), { width: 0, height: 0 });
});

test("clientToVideo maps exactly at any zoom and offset", () => {
  for (const cssWidth of [320, 640, 853.5, 1920, 3840]) {
    const rect = { left: 17.25, top: 40, width: cssWidth, height: (cssWidth * 1080) / 1920 };
    for (const [x, y] of [[0.5, 0.5], [960, 540], [1919.5, 1079.5], [123.25, 777.75]]) {
      const c = videoToClient(x, y, rect, 1920, 1080);
      const v = clientToVideo(c.x, c.y, rect, 1920, 1080);
      assert.ok(Math.abs(v.x - x) < 1e-9 && Math.abs(v.y - y) < 1e-9, `${cssWidth}: ${x},${y}`);
    }
  }
});

test("clientToVideo clamps outside the image and pixelAt floors", () => {
  const rect = { left: 0, top: 0, width: 100, height: 50 };
  const v = clientToVideo(-5, 80, rect, 200, 100);
  assert.equal(v.x, 0);
  assert.ok(v.y < 100 && v.y > 99.9);
  assert.deepEqual(pixelAt(v.x, v.y, 200, 100), { col: 0, row: 99 });
  assert.deepEqual(pixelAt(10.99, 3.01, 200, 100), { col: 10, row: 3 });
});

test("clicking the centre of CSS pixel k hits the right video pixel at 2x zoom-out", () => {
  const rect = { left: 0, top: 0, width: 64, height: 48 }; // video 128x96 shown at half size
  const v = clientToVideo(10.5, 20.5, rect, 128, 96);
  assert.deepEqual(v, { x: 21, y: 41 });
});

test("boxes normalise any drag direction; drags need a threshold", () => {
  assert.deepEqual(boxFromCorners({ x: 50, y: 5 }, { x: 10, y: 40 }), [10, 5, 50, 40]);
  assert.equal(isDrag({ x: 0, y: 0 }, { x: 3, y: 3 }), false);
  assert.equal(isDrag({ x: 0, y: 0 }, { x: 4, y: 4 }), true);
  assert.equal(videoPxPerCssPx({ width: 480 }, 1920), 4);
});

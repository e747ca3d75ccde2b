import assert from "node:assert/strict";
import { test } from "node:test";
import { colorTable, contrastText, fromHex, packRGBA, paletteColor, toHex } from "../src/colors.js";
import { applySeek, keyAction } from "../src/keys.js";
import { LRUCache, prefetchPlan } from "../src/cache.js";
import { frameAtX, scale } from "../src/curves.js";

test("colours: hex round trip, palette wraps, packing is little-endian RGBA", () => {
  assert.equal(toHex([255, 8, 0]), "#ff0800");
  assert.deepEqual(fromHex("#ff0800"), [255, 8, 0]);
  assert.deepEqual(paletteColor(10), paletteColor(0));
  assert.deepEqual(paletteColor(-1), paletteColor(9));
  const px = new Uint8Array(new Uint32Array([packRGBA([1, 2, 3], 1)]).buffer);
  assert.deepEqual([...px], [1, 2, 3, 255]);
  assert.equal(contrastText([255, 255, 0]), "#000");
  assert.equal(contrastText([0, 0, 128]), "#fff");
  const t = colorTable([{ id: 4, color: [1, 2, 3] }, { id: 7 }]);
  assert.deepEqual(t.get(4), [1, 2, 3]);
  assert.deepEqual(t.get(7), paletteColor(1));
});

const k = (key, mods = {}) => keyAction({ key, ...mods }, { numFrames: 50, ...mods.state });

test("keys: navigation", () => {
  assert.deepEqual(k("ArrowRight"), { type: "seek", delta: 1 });
  assert.deepEqual(k("ArrowLeft", { shiftKey: true }), { type: "seek", delta: -10 });
  assert.deepEqual(k("End"), { type: "seekTo", frame: 49 });
  assert.equal(applySeek(k("End"), 3, 50), 49);
  assert.equal(applySeek(k("ArrowLeft", { shiftKey: true }), 3, 50), 0);
  assert.equal(applySeek(k("ArrowRight", { shiftKey: true }), 45, 50), 49);
  assert.deepEqual(k(" "), { type: "togglePlay" });
});

test("keys: undo / redo, with Ctrl or Cmd", () => {
  assert.deepEqual(k("z", { ctrlKey: true }), { type: "undo" });
  assert.deepEqual(k("Z", { ctrlKey: true, shiftKey: true }), { type: "redo" });
  assert.deepEqual(k("z", { metaKey: true }), { type: "undo" });
  assert.equal(k("ArrowRight", { ctrlKey: true }), null);
});

test("keys: candidates accept 1..n only while shown; Esc priorities", () => {
  const state = { hasCandidates: true, numCandidates: 3 };
  assert.deepEqual(k("2", { state }), { type: "accept", index: 1 });
  // a number with no such candidate is answered, not silently dropped
  assert.deepEqual(k("4", { state }), { type: "noCandidate", index: 3 });
  assert.deepEqual(k("1"), { type: "noCandidate", index: 0 });
  assert.deepEqual(k("Escape", { state }), { type: "reject" });
  assert.deepEqual(k("Escape", { state: { ...state, helpOpen: true } }), { type: "closeHelp" });
  assert.equal(k("Escape"), null);
  assert.deepEqual(k("?"), { type: "toggleHelp" });
  assert.deepEqual(k("c"), { type: "candidates" });
});

test("LRU evicts the least recently used and calls onEvict", () => {
  const evicted = [];
  const c = new LRUCache(2, (v, key) => evicted.push(key));
  c.set(1, "a");
  c.set(2, "b");
  c.get(1);
  c.set(3, "c");
  assert.deepEqual(evicted, [2]);
  assert.deepEqual(c.keys(), [1, 3]);
  c.clear();
  assert.deepEqual(evicted, [2, 1, 3]);
});

test("prefetch plan: current frame first, more ahead in the play direction, skips known", () => {
  const known = new Set([6]);
  const plan = prefetchPlan(5, 100, (f) => known.has(f), { ahead: 3, behind: 1 });
  assert.deepEqual(plan, [5, 4, 7, 8]);
  assert.deepEqual(prefetchPlan(0, 3, () => false, { ahead: 5, behind: 2 }), [0, 1, 2]);
  assert.deepEqual(prefetchPlan(10, 20, () => false, { ahead: 2, behind: 1, dir: -1 }), [10, 11, 9, 8]);
});

test("curve scales invert; timeline click maps to the frame", () => {
  const s = scale(0, 10, 100, 200);
  assert.equal(s(5), 150);
  assert.equal(s.invert(150), 5);
  assert.equal(frameAtX(6, 206, 11), 0);
  assert.equal(frameAtX(200, 206, 11), 10);
  assert.equal(frameAtX(106, 206, 11), 5);
});

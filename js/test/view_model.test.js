// The view's kernel side against a fake model (lonboard's pattern, without a DOM): the busy
// gate, the event table, and the pure parts of layout, timeline and candidates.
import test from "node:test";
import assert from "node:assert/strict";

import { EVENTS, NAVIGATION, WHAT } from "../src/events.js";
import { Gate, Transport, refusal } from "../src/transport.js";
import { fitBox, maxFrameHeight } from "../src/layout.js";
import { cellColor, cellX, frameAtX, timelineHeight } from "../src/timeline.js";
import { cropBox, candidateName, plural } from "../src/candidates.js";

class FakeModel {
  constructor(state) {
    this.state = { ...state };
    this.sent = [];
    this.saved = 0;
    this.handlers = new Map();
  }
  get(k) {
    return this.state[k];
  }
  set(k, v) {
    this.state[k] = v;
    for (const fn of this.handlers.get(`change:${k}`) ?? []) fn();
  }
  save_changes() {
    this.saved++;
  }
  send(msg) {
    this.sent.push(msg);
  }
  on(ev, fn) {
    this.handlers.set(ev, [...(this.handlers.get(ev) ?? []), fn]);
  }
  off(ev, fn) {
    this.handlers.set(ev, (this.handlers.get(ev) ?? []).filter((f) => f !== fn));
  }
}

test("idle: actions go out with their frame", () => {
  const m = new FakeModel({ busy: "" });
  const notes = [];
  const gate = new Gate(new Transport(m), (t) => notes.push(t));
  assert.equal(gate.send(EVENTS.CLICK, { frame: 3, obj_id: 1, x: 1, y: 2, label: 0 }), true);
  assert.deepEqual(m.sent, [{ type: "click", frame: 3, obj_id: 1, x: 1, y: 2, label: 0 }]);
  assert.deepEqual(notes, []);
});

test("an action states the frame shown first, in the same ordered channel", () => {
  // the view's seek is a trait update that ipywidgets may hold back (one in flight at a time);
  // custom messages go at once, so the action must not overtake it
  const m = new FakeModel({ busy: "" });
  const gate = new Gate(new Transport(m), () => {});
  assert.equal(gate.send(EVENTS.CLICK, { frame: 3, x: 1, y: 2, label: 1 }, 3), true);
  assert.equal(gate.send(EVENTS.STOP, {}, 3), true); // navigation: no seek before it
  assert.deepEqual(m.sent, [
    { type: "seek", frame: 3 },
    { type: "click", frame: 3, x: 1, y: 2, label: 1 },
    { type: "stop" },
  ]);
  m.state.busy = "training"; // refused: nothing goes out, not even the seek
  assert.equal(gate.send(EVENTS.CLICK, { frame: 3 }, 3), false);
  assert.equal(m.sent.length, 3);
});

test("busy: every action is refused with a message, navigation goes out", () => {
  const m = new FakeModel({ busy: "training" });
  const notes = [];
  const gate = new Gate(new Transport(m), (t) => notes.push(t));
  for (const type of [EVENTS.CLICK, EVENTS.PROPAGATE, EVENTS.CANDIDATES, EVENTS.ACCEPT, EVENTS.UNDO]) {
    assert.equal(gate.send(type, { frame: 0 }), false);
  }
  assert.deepEqual(m.sent, []);
  assert.equal(notes[0], "busy: training, click ignored (■ Stop cancels)");
  assert.equal(notes.length, 5);
  assert.equal(gate.send(EVENTS.SEEK, { frame: 4 }), true);
  assert.equal(gate.send(EVENTS.STOP), true);
  assert.deepEqual(m.sent.map((x) => x.type), ["seek", "stop"]);
});

test("the event table: navigation is a subset, every action has words", () => {
  for (const n of NAVIGATION) assert.ok(Object.values(EVENTS).includes(n));
  for (const e of Object.values(EVENTS)) {
    if (!NAVIGATION.includes(e)) assert.ok(WHAT[e], e);
  }
  assert.equal(refusal(EVENTS.FRAMES, "propagating"), "");
});

test("transport: set saves, close removes listeners", () => {
  const m = new FakeModel({ frame: 0 });
  const t = new Transport(m);
  let seen = 0;
  t.on("change:frame", () => seen++);
  t.set("frame", 5);
  assert.equal(m.saved, 1);
  assert.equal(seen, 1);
  t.close();
  m.set("frame", 6);
  assert.equal(seen, 1);
});

test("fitBox keeps the aspect in whole pixels", () => {
  assert.deepEqual(fitBox(320, 180, 1000, 360), { width: 640, height: 360 });
  assert.deepEqual(fitBox(200, 200, 500, 300), { width: 300, height: 300 });
  const wide = fitBox(480, 90, 700, 500);
  assert.equal(wide.width, 700);
  assert.ok(Math.abs(wide.height - (700 * 90) / 480) <= 0.5);
  assert.equal(maxFrameHeight("fit", 700, 250), 442);
  assert.equal(maxFrameHeight("500", 700, 250), 500);
  assert.equal(maxFrameHeight("fit", 200, 250), 120);
});

test("timeline: cells, frames under x, colours", () => {
  assert.deepEqual(cellX(2, 10, 100), [20, 30]);
  assert.equal(frameAtX(25, 100, 10), 2);
  assert.equal(frameAtX(-5, 100, 10), 0);
  assert.equal(frameAtX(500, 100, 10), 9);
  assert.equal(cellColor(".", [1, 2, 3]), null);
  assert.deepEqual(cellColor("p", [1, 2, 3]), [1, 2, 3, 1]);
  assert.equal(timelineHeight(2), 26);
});

test("candidates: one crop around every box, names, grammar", () => {
  const cands = [{ bbox: [10, 10, 20, 30] }, { bbox: [15, 12, 40, 25] }, { bbox: null }];
  const [x0, y0, x1, y1] = cropBox(cands, 200, 100);
  assert.ok(x0 <= 10 && y0 <= 10 && x1 >= 40 && y1 >= 30);
  assert.ok(x1 - x0 < 200 && y1 - y0 < 100); // zoomed, not the whole frame
  assert.deepEqual(cropBox([{ bbox: null }], 200, 100), [0, 0, 200, 100]);
  assert.equal(candidateName({ expert: null }), "SAM2");
  assert.equal(candidateName({ expert: 2 }), "expert 2");
  assert.equal(plural(1, "candidate"), "1 candidate");
  assert.equal(plural(3, "candidate"), "3 candidates");
});

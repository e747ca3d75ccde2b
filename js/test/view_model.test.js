// The view's kernel side against a fake model (lonboard's pattern, without a DOM): the busy
// gate, the event table, and the pure parts of layout, timeline and candidates.
import test from "node:test";
import assert from "node:assert/strict";

import { EVENTS, NAVIGATION, WHAT } from "../src/events.js";
import { Gate, Transport, refusal } from "../src/transport.js";
import { candidatesBeside, cardsFit, cropSide, fitBox, maxFrameHeight, panelBelowHeight, placeCandidatesPanel } from "../src/layout.js";
import { cellColor, cellX, frameAtX, timelineHeight } from "../src/timeline.js";
import { candidateScores, cropBox, candidateName, plural } from "../src/candidates.js";
import { FakeModel } from "./fake_model.js";

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
  assert.equal(maxFrameHeight("fit", 200, 250), 240); // a small window scrolls instead
  assert.equal(maxFrameHeight("fit", 700, 430), 262);
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

// ---- issue #12, item 7: hover values ----------------------------------------------------------
import { consecutiveRuns, drawTrainingChart, fixed2, frameAtX as iouFrameAt, iouReadout, trainingHoverAt, trainingReadout } from "../src/curves.js";
import { REVIEW_COLOR, drawTimeline, nextReview, reviewFrames, reviewMark } from "../src/timeline.js";

const CURVES = {
  against: "ground truth",
  iou: [
    { obj_id: 1, points: [[0, 1], [1, 0.875], [2, 0.5]] },
    { obj_id: 2, points: [[2, 0.3333]] },
  ],
  training: [
    { expert: 0, new_expert: true, frame: 3, obj_id: 1, losses: [0.9, 0.5], ious: [0.4, 0.6], train_iou: 0.61 },
    { expert: null, new_expert: false, frame: 5, obj_id: 1, losses: [1.2345, 0.04123, 0.0312], ious: [0.5, null, 0.7], train_iou: 0.7 },
  ],
  live: null,
};
const OBJECTS = [{ id: 1, name: "car" }, { id: 2, name: "dog" }];

test("IoU readout: the frame, what it compares against, each object's value or –", () => {
  assert.equal(iouReadout(CURVES, 2, OBJECTS), "frame 2 · IoU vs ground truth · car: 0.50 · dog: 0.33");
  assert.equal(iouReadout(CURVES, 1, OBJECTS), "frame 1 · IoU vs ground truth · car: 0.88 · dog: –");
  assert.equal(iouReadout({ ...CURVES, against: "your masks" }, 0, []), "frame 0 · IoU vs your masks · object 1: 1.00 · object 2: –");
  assert.equal(iouReadout({}, 4, []), "frame 4 · IoU vs your masks · no objects yet");
  assert.equal(fixed2(null), "–");
  // the chart's x scale: frame 0 at the left margin, the last frame at the right one
  assert.equal(iouFrameAt(18, 218, 11), 0);
  assert.equal(iouFrameAt(18 + 7 * 18.2, 218, 11), 7);
  assert.equal(iouFrameAt(200, 218, 11), 10);
});

test("training readout: epochs of the last run on the left, one correction per dot on the right", () => {
  // width 200: epochs over [6, 134] (3 epochs: 6, 70, 134), dots over [150, 190]
  assert.deepEqual(trainingHoverAt(70, 200, CURVES), { chart: "training", epoch: 1 });
  assert.deepEqual(trainingHoverAt(0, 200, CURVES), { chart: "training", epoch: 0 });
  assert.deepEqual(trainingHoverAt(139, 200, CURVES), { chart: "training", epoch: 2 });
  assert.deepEqual(trainingHoverAt(152, 200, CURVES), { chart: "training", run: 0 });
  assert.deepEqual(trainingHoverAt(199, 200, CURVES), { chart: "training", run: 1 });
  assert.equal(trainingReadout(CURVES, { epoch: 0 }), "epoch 1 of 3 · loss 1.23 · IoU vs your mask 0.50");
  assert.equal(trainingReadout(CURVES, { epoch: 1 }), "epoch 2 of 3 · loss 0.0412 · IoU vs your mask –");
  assert.equal(trainingReadout(CURVES, { run: 0 }), "correction 1 of 2 · frame 3 · expert 0 (new) · IoU vs your mask 0.61");
  assert.equal(trainingReadout(CURVES, { run: 1 }), "correction 2 of 2 · frame 5 · no expert kept · IoU vs your mask 0.70");
  assert.equal(trainingReadout(CURVES, { epoch: 3 }), "");
  const live = { ...CURVES, live: { losses: [0.7, 0.6], ious: [0.2, 0.25] } };
  assert.equal(trainingReadout(live, { epoch: 1 }), "epoch 2 of 2 so far · loss 0.600 · IoU vs your mask 0.25");
  assert.equal(trainingHoverAt(50, 200, { training: [] }), null);
});

// ---- the review queue on the timeline ---------------------------------------------------------
const TIMELINE = {
  rows: [
    { obj_id: 1, codes: "ptttttttt.", review: [{ frame: 7, score: 0.9, why: "a" }, { frame: 3, score: 0.5, why: "b" }] },
    { obj_id: 2, codes: "..ptttt...", review: [{ frame: 5, score: 0.4, why: "c" }] },
  ],
};

test("review: the selected object's queued frames, next / previous wrap around", () => {
  assert.deepEqual(reviewFrames(TIMELINE, 1), [3, 7]);
  assert.deepEqual(reviewFrames(TIMELINE, 2), [5]);
  assert.deepEqual(reviewFrames(TIMELINE, 0), [3, 5, 7]); // none selected: every object's
  assert.deepEqual(reviewFrames({}, 1), []);
  assert.deepEqual(nextReview([3, 7], 0), { frame: 3, wrapped: false });
  assert.deepEqual(nextReview([3, 7], 3), { frame: 7, wrapped: false });
  assert.deepEqual(nextReview([3, 7], 7), { frame: 3, wrapped: true });
  assert.deepEqual(nextReview([3, 7], 5, -1), { frame: 3, wrapped: false });
  assert.deepEqual(nextReview([3, 7], 3, -1), { frame: 7, wrapped: true });
  assert.equal(nextReview([], 3), null);
});

test("review marks: one dark triangle on each queued cell, on its object's row", () => {
  const calls = [];
  let path = [];
  const ctx = {
    setTransform() {},
    clearRect() {},
    fillRect() {},
    beginPath: () => (path = []),
    moveTo: (x, y) => path.push([x, y]),
    lineTo: (x, y) => path.push([x, y]),
    closePath() {},
    fill() {
      calls.push({ style: ctx.fillStyle, path: [...path] });
    },
    stroke() {},
  };
  const canvas = { style: {}, width: 0, height: 0, getContext: () => ctx };
  const colors = new Map([[1, [1, 2, 3]], [2, [4, 5, 6]]]);
  drawTimeline(canvas, TIMELINE, { numFrames: 10, frame: 0, colors, width: 100 });
  const marks = calls.filter((c) => c.style === `rgba(${REVIEW_COLOR.join(", ")}, 1)`);
  // cells are 10 px wide: frame 7 spans [70, 80), row 0 starts at y 2, row 1 at y 14
  assert.deepEqual(marks.map((m) => m.path), [
    [[70, 2], [80, 2], [75, 10]],
    [[30, 2], [40, 2], [35, 10]],
    [[50, 14], [60, 14], [55, 22]],
  ]);
  // on a long video the mark stays 7 px wide, centred on the frame's cell
  assert.deepEqual(reviewMark(500, 0, 1000, 1000), [[497, 2], [504, 2], [500.5, 10]]);
});

test("keys: R / Shift+R jump to the next / previous frame to review", async () => {
  const { keyAction } = await import("../src/keys.js");
  assert.deepEqual(keyAction({ key: "r" }), { type: "review", dir: 1 });
  assert.deepEqual(keyAction({ key: "R", shiftKey: true }), { type: "review", dir: -1 });
  assert.deepEqual(keyAction({ key: "R" }), { type: "review", dir: 1 }); // caps lock
  assert.equal(keyAction({ key: "r", ctrlKey: true }), null);
});

test("the IoU line is drawn within runs of consecutive frames only", () => {
  const pts = [[0, 1], [12, 1], [13, 0.8], [14, 0.7], [20, 0.5]];
  assert.deepEqual(consecutiveRuns(pts), [[[0, 1]], [[12, 1], [13, 0.8], [14, 0.7]], [[20, 0.5]]]);
  assert.deepEqual(consecutiveRuns([]), []);
});

test("candidates go beside the frame only where the width leaves room", () => {
  assert.equal(candidatesBeside(628, 968), true); // 332 px free
  assert.equal(candidatesBeside(800, 968), true); // 160 px free, the least
  assert.equal(candidatesBeside(801, 968), false);
  assert.equal(candidatesBeside(968, 968), false); // the frame fills the width
});

test("candidates beside a narrowed frame when that frame is larger than over a panel below", () => {
  // 854x480 in a 1000 px output, 544 px high: the frame (967 px) leaves no room beside it.
  // Below, a 224 px panel left a 320 px frame (569 wide); beside, the frame narrows to 832.
  const place = (availW, maxH, belowH) => placeCandidatesPanel(2, 854, 480, availW, maxH, maxH - belowH, { gap: 8 });
  assert.deepEqual(place(1000, 544, 224), { beside: true, box: { width: 832, height: 468 } });
  // where the frame leaves room it keeps its size
  assert.deepEqual(place(1400, 544, 224), { beside: true, box: { width: 967, height: 544 } });
  // a low panel below costs less than narrowing: the panel goes below
  assert.deepEqual(place(1000, 800, 40), { beside: false, box: { width: 1000, height: 562 } });
  // a fixed size (as high above a panel below) without room beside: the panel goes below
  assert.deepEqual(placeCandidatesPanel(2, 854, 480, 850, 400, 400, { gap: 8 }), { beside: false, box: { width: 711, height: 400 } });
  // room beside a 250 px frame, but 2 cards need 382 px of height: below, all cards shown
  // (at 900x700 the second one was cut off in a panel that scrolled without a sign)
  assert.equal(cardsFit(2, 160, 250), false);
  assert.equal(cardsFit(1, 160, 250), true);
  assert.equal(cardsFit(2, 160, 54 + 8 + 2 * (96 + 64)), true); // the least height for 2
  assert.deepEqual(placeCandidatesPanel(2, 256, 256, 418, 250, 120, { gap: 8 }), { beside: false, box: { width: 120, height: 120 } });
  assert.deepEqual(placeCandidatesPanel(1, 256, 256, 418, 250, 120, { gap: 8 }), { beside: true, box: { width: 250, height: 250 } });
  assert.equal(panelBelowHeight(2, 1000), 24 + 132 + 72); // one row: 2 cards and the reject button
  assert.equal(panelBelowHeight(6, 600), 24 + 2 * (132 + 72)); // rows of 4, the button in the 2nd
});

test("candidate captions in words: predicted IoU and presence as a percentage", () => {
  assert.deepEqual(candidateScores({ score: 0.8612, obj_score: 6.9 }), ["predicted IoU 0.86", "present 100 %"]);
  assert.deepEqual(candidateScores({ score: 0.5, obj_score: -4 }), ["predicted IoU 0.50", "present 2 %"]);
  assert.deepEqual(candidateScores({ score: null, obj_score: null }), ["predicted IoU –", "present –"]);
});

test("crops beside the frame grow into the room, in the best number of columns", () => {
  assert.equal(cropSide(2, 332, 628), 219); // one column: (628 - 54 - 8) / 2 - 64
  assert.equal(cropSide(4, 332, 628), 154); // two columns: (332 - 8) / 2 - 8
  assert.equal(cropSide(1, 1000, 1000), 320); // at most 320
  assert.equal(cropSide(6, 170, 300), 96); // at least 96 (the panel scrolls)
});

test("the training chart's 'per correction' title only where it fits", () => {
  // a canvas whose context records the texts drawn; 10 px sans-serif ≈ 6 px a character
  const chart = (width) => {
    const texts = [];
    const ctx = new Proxy(
      { fillText: (t) => texts.push(t), measureText: (t) => ({ width: 6 * t.length }) },
      { get: (o, k) => (k in o ? o[k] : () => {}), set: () => true },
    );
    drawTrainingChart({ clientWidth: width, clientHeight: 80, width, height: 80, getContext: () => ctx }, {});
    return texts;
  };
  assert.deepEqual(chart(400), ["no training yet", "per correction"]); // 120 px beside: 6 + 84 fit
  assert.deepEqual(chart(250), ["no training yet"]); // 75 px: cut before, now left out
});

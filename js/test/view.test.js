// The whole view (AppView) against a fake model in jsdom — lonboard's pattern: no kernel, no
// browser. Canvas drawing is stubbed (jsdom has no 2D context); what is checked is the DOM,
// the messages the view sends and the trait changes it makes.
import test from "node:test";
import assert from "node:assert/strict";
import { JSDOM } from "jsdom";
import { FakeModel } from "./fake_model.js";

const dom = new JSDOM("<!doctype html><body></body>", { pretendToBeVisual: true });
const g = globalThis;
for (const k of ["window", "document", "HTMLElement", "HTMLInputElement", "KeyboardEvent", "MouseEvent", "Event", "getComputedStyle"]) {
  g[k] = k === "getComputedStyle" ? dom.window.getComputedStyle.bind(dom.window) : dom.window[k];
}
g.ResizeObserver = class {
  observe() {}
  disconnect() {}
};
g.ImageData = class {
  constructor(data, w, h) {
    Object.assign(this, { data, width: w, height: h });
  }
};
const ctx2d = new Proxy({}, { get: (t, k) => (k in t ? t[k] : () => ({ width: 0 })), set: (t, k, v) => ((t[k] = v), true) });
dom.window.HTMLCanvasElement.prototype.getContext = () => ctx2d;
g.OffscreenCanvas = class {
  getContext() {
    return ctx2d;
  }
};
g.createImageBitmap = async () => ({ close() {} });

const { AppView } = await import("../src/widget.js");
const { refusedText } = await import("../src/transport.js");
const { encodeLabelMap } = await import("../src/masks.js");

function model(extra = {}) {
  return new FakeModel({
    frame: 0, num_frames: 10, video_width: 32, video_height: 24, video_name: "v", model_name: "m",
    random_weights: false, model_notice: "", fps: 10, objects: [{ id: 1, name: "object 1", color: [230, 25, 75] }],
    selected: 1, prompts: [], prompts_frame: -1, mask_bytes: new DataView(new ArrayBuffer(0)), mask_frame: -1,
    mask_epoch: 0, candidates: [], candidates_frame: -1, candidates_obj: 0, curves: {}, timeline: {},
    lit: true, busy: "", progress: {}, training: {}, notice: {}, can_undo: false, can_redo: false,
    status: "", error: "", error_detail: "", export_dir: "out", size: "fit", adapters: {},
    static_frame: new DataView(new ArrayBuffer(0)), static_frame_index: -1, ...extra,
  }); // prettier-ignore
}

function view(m) {
  const el = document.createElement("div");
  document.body.append(el);
  const v = new AppView(m, el);
  return { v, root: el.querySelector(".litlora") };
}

const key = (root, k) => root.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true }));
const actions = (m) => m.sent.filter((x) => x.type !== "frames" && x.type !== "seek");

test("keys send events with their frame and object", () => {
  const m = model();
  const { v, root } = view(m);
  key(root, "p");
  key(root, "c");
  assert.deepEqual(actions(m), [
    { type: "propagate", direction: "forward", frame: 0 },
    { type: "candidates", frame: 0, obj_id: 1 },
  ]);
  v.destroy();
});

test("keys right after a seek: the kernel hears the seek before the action", () => {
  const m = model();
  const { v, root } = view(m);
  key(root, "ArrowRight");
  key(root, "ArrowRight");
  key(root, "p");
  assert.equal(m.get("frame"), 2);
  assert.deepEqual(
    m.sent.filter((x) => x.type !== "frames"),
    [
      { type: "seek", frame: 2 },
      { type: "propagate", direction: "forward", frame: 2 },
    ],
  );
  v.destroy();
});

test("a control a re-render takes away hands the focus to the widget: keys stay ours", () => {
  const m = model();
  const { v, root } = view(m);
  const add = [...root.querySelectorAll(".ll-objects button")].find((b) => b.textContent === "+ object");
  add.focus();
  assert.equal(document.activeElement, add);
  m.set("objects", [...m.get("objects"), { id: 2, name: "object 2", color: [60, 180, 75] }]);
  assert.ok(!add.isConnected); // the chips and their button were re-rendered
  assert.equal(document.activeElement, root);
  m.set("error", "no adapter files");
  root.querySelector(".ll-err-close").focus();
  m.set("error", ""); // dismissed: its close button is hidden
  assert.equal(document.activeElement, root);
  root.querySelector(".ll-hide").focus(); // a control that stays keeps the focus
  m.set("objects", m.get("objects").slice(0, 1));
  assert.equal(document.activeElement, root.querySelector(".ll-hide"));
  v.destroy();
});

test("busy: presses are refused with a message, navigation stays live", () => {
  const m = model({ busy: "training" });
  const { v, root } = view(m);
  key(root, "p");
  key(root, "c");
  assert.deepEqual(actions(m), []);
  assert.match(root.querySelector(".ll-feedback").textContent, /busy: training, candidates ignored/);
  assert.equal(root.dataset.notice, "busy: training, candidates ignored (■ Stop cancels)");
  key(root, "ArrowRight");
  assert.equal(m.get("frame"), 1);
  assert.equal(root.querySelector(".ll-prop-fwd").disabled, true);
  assert.equal(root.querySelector(".ll-stop").disabled, false);
  m.set("busy", ""); // the task ended: its refusals are restated, in the past
  assert.equal(root.dataset.notice, "propagate and candidates ignored while training: do them again now");
  v.destroy();
});

test("a refusal during a short task is still readable after it ends", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const m = model({ busy: "propagating forward", can_undo: true, status: "propagating forward" });
  const { v, root } = view(m);
  const line = () => root.querySelector("[data-testid=status]").textContent;
  root.dispatchEvent(new KeyboardEvent("keydown", { key: "z", ctrlKey: true, bubbles: true, cancelable: true }));
  m.set("status", "propagating forward: done"); // the task's end, 0.1 s later
  m.set("busy", "");
  assert.equal(line(), "undo ignored while propagating forward: do it again now");
  assert.equal(root.querySelector(".ll-undo").disabled, false);
  t.mock.timers.tick(5000); // then the task's outcome
  assert.equal(line(), "propagating forward: done");
  m.set("status", "undone"); // a task that ends without a refusal leaves no notice
  m.set("busy", "undo");
  m.set("busy", "");
  assert.equal(root.dataset.notice, "");
  v.destroy();
});

test("every refusal of a task is restated after it, in the past tense", () => {
  const m = model({ busy: "training" });
  const { v, root } = view(m);
  key(root, "p");
  key(root, "c");
  key(root, "p"); // the same press twice is named once
  m.set("busy", "");
  assert.equal(root.dataset.notice, "propagate and candidates ignored while training: do them again now");
  assert.equal(refusedText(["click", "propagate", "undo"], "training"), "click, propagate and undo ignored while training: do them again now");
  v.destroy();
});

test("the LIT switch while busy is refused like a press, and restated after the task", () => {
  const m = model({ busy: "training", lit: true });
  const { v, root } = view(m);
  const box = root.querySelector(".ll-lit");
  box.checked = false;
  box.dispatchEvent(new Event("change"));
  assert.equal(box.checked, true);
  assert.equal(m.get("lit"), true);
  assert.equal(root.dataset.notice, "busy: training, LIT switch ignored (■ Stop cancels)");
  m.set("busy", "");
  assert.equal(root.dataset.notice, "LIT switch ignored while training: do it again now");
  v.destroy();
});

test("a notice supersedes the status: once it expires the line does not go back", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const m = model({ num_frames: 12, status: "propagating forward: done" });
  const { v, root } = view(m);
  const line = () => root.querySelector("[data-testid=status]").textContent;
  m.set("timeline", { rows: [{ obj_id: 1, codes: "pttttttttttt", review: [{ frame: 7, score: 0.9, why: "" }] }] });
  key(root, "r");
  assert.match(line(), /^frame 7 to review/);
  t.mock.timers.tick(5000);
  assert.equal(line(), "");
  m.set("status", "click on frame 7"); // news again
  assert.equal(line(), "click on frame 7");
  v.destroy();
});

test("the click that focuses the widget keeps the opening hint after its notice", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const m = model({ status: "click an object to track it" });
  const { v, root } = view(m);
  const line = () => root.querySelector("[data-testid=status]").textContent;
  v.showNotice("widget focused: click again to add a point", { supersede: false });
  assert.equal(line(), "widget focused: click again to add a point");
  t.mock.timers.tick(5000);
  assert.equal(line(), "click an object to track it");
  // news from the kernel ends a hint at once: the focus hint stayed over the point just added
  v.showNotice("widget focused: click again to add a point", { supersede: false, hint: true });
  m.set("status", "points on frame 0");
  assert.equal(line(), "points on frame 0");
  // ...but not a refusal, nor its restatement, which comes with the task's own status
  m.set("busy", "propagating forward");
  v.showNotice("busy: propagating forward, undo ignored (■ Stop cancels)", { refused: "undo" });
  m.set("status", "propagating forward 3/10");
  assert.equal(line(), "busy: propagating forward, undo ignored (■ Stop cancels)");
  m.set("busy", "");
  m.set("status", "propagating forward: stopped after 4 frames");
  assert.equal(line(), "undo ignored while propagating forward: do it again now");
  v.destroy();
});

test("candidates: one card each, keys act on them, the panel closes on another frame", () => {
  const m = model();
  const { v, root } = view(m);
  const lab = new Uint8Array(32 * 24);
  lab.fill(1, 32 * 5, 32 * 8);
  const rle = encodeLabelMap(lab, 32, 24);
  m.state.candidates_frame = 0;
  m.state.candidates_obj = 1;
  m.set("candidates", [
    { index: 0, score: 0.8, obj_score: 3.1, expert: null, area: 96, bbox: [0, 5, 32, 8], absent: false, rle },
  ]);
  assert.equal(root.querySelectorAll(".ll-cands .ll-cand").length, 1);
  assert.match(root.querySelector(".ll-cands-title").textContent, /1 candidate · key 1 accept/);
  assert.equal(root.querySelector(".ll-cand-scores").textContent, "predicted IoU 0.80present 96 %");
  key(root, "2"); // only one shown: nothing
  key(root, "1");
  assert.deepEqual(actions(m), [{ type: "accept", index: 0, frame: 0, obj_id: 1 }]);
  key(root, "ArrowRight");
  assert.equal(root.querySelectorAll(".ll-cands .ll-cand").length, 0);
  key(root, "1");
  assert.equal(actions(m).length, 1);
  v.destroy();
});

test("away from the candidates' frame their status line goes, and a number key says why nothing happens", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const m = model({ num_frames: 10 });
  const { v, root } = view(m);
  const line = () => root.querySelector("[data-testid=status]").textContent;
  const lab = new Uint8Array(32 * 24);
  lab.fill(1, 32 * 5, 32 * 8);
  const rle = encodeLabelMap(lab, 32, 24);
  m.state.candidates_frame = 0;
  m.state.candidates_obj = 1;
  m.state.status = "1 candidate on frame 0: key 1 accepts, Esc rejects";
  m.set("candidates", [{ index: 0, score: 0.8, obj_score: 3.1, expert: null, area: 96, bbox: [0, 5, 32, 8], absent: false, rle }]);
  assert.equal(line(), "1 candidate on frame 0: key 1 accepts, Esc rejects");
  key(root, "ArrowRight");
  assert.equal(line(), ""); // it said "key 1 accepts" over a frame where 1 did nothing
  key(root, "1");
  assert.equal(line(), "no candidates on frame 1: press C to ask for them");
  assert.deepEqual(actions(m), []);
  key(root, "ArrowRight"); // a notice about frame 1 goes with it (it stayed, naming frame 1)
  assert.equal(line(), "");
  key(root, "1");
  assert.equal(line(), "no candidates on frame 2: press C to ask for them");
  key(root, "ArrowLeft");
  key(root, "ArrowLeft");
  assert.equal(root.querySelectorAll(".ll-cands .ll-cand").length, 1);
  assert.equal(line(), "1 candidate on frame 0: key 1 accepts, Esc rejects");
  key(root, "2");
  assert.equal(line(), "no candidate 2 on frame 0: key 1 accepts");
  t.mock.timers.tick(5000); // the notice expires: the candidates' status again
  assert.equal(line(), "1 candidate on frame 0: key 1 accepts, Esc rejects");
  // the kernel clears candidates of another frame when the playhead moves: the line goes too
  key(root, "ArrowRight");
  m.set("candidates", []);
  m.set("candidates_frame", -1);
  assert.equal(line(), "");
  v.destroy();
});

test("an absent candidate says so", () => {
  const m = model({ candidates_frame: 0, candidates_obj: 1 });
  const { v, root } = view(m);
  const rle = encodeLabelMap(new Uint8Array(32 * 24), 32, 24);
  m.set("candidates", [
    { index: 0, score: 0.5, obj_score: -4, expert: 0, area: 0, bbox: null, absent: true, rle },
    { index: 1, score: 0.5, obj_score: 2, expert: 1, area: 0, bbox: null, absent: false, rle },
  ]);
  const cards = root.querySelectorAll(".ll-cands .ll-cand");
  assert.equal(cards.length, 2);
  assert.equal(cards[0].querySelector(".ll-absent").textContent, "absent");
  assert.equal(cards[1].querySelector(".ll-absent"), null);
  assert.match(root.querySelector(".ll-cands-title").textContent, /2 candidates · keys 1–2 accept/);
  v.destroy();
});

test("right-click on the video never reaches the host's menu", () => {
  const m = model();
  const { v, root } = view(m);
  const stage = root.querySelector(".ll-stage");
  let reached = false;
  document.addEventListener("contextmenu", () => (reached = true));
  const ev = new MouseEvent("contextmenu", { bubbles: true, cancelable: true });
  stage.querySelector("canvas.ll-layer-cursor").dispatchEvent(ev);
  assert.equal(ev.defaultPrevented, true);
  assert.equal(reached, false);
  assert.equal(stage.getAttribute("data-jp-suppress-context-menu"), "true");
  v.destroy();
});

test("timeline rows, training progress and 0-based frames in the DOM", () => {
  const m = model();
  const { v, root } = view(m);
  m.set("timeline", { rows: [{ obj_id: 1, codes: "ptt.c....." }] });
  assert.equal(root.dataset.timeline, "1:ptt.c.....");
  m.set("training", { active: true, epoch: 12, max_epochs: 100, seconds_left: 3.2, iou: 0.5 });
  assert.equal(root.querySelector("[data-testid=progress]").textContent, "training: epoch 12 of ≤ 100 · ≤ 4 s left · IoU vs your mask 0.50");
  assert.equal(root.querySelector("[data-testid=frame-label]").textContent, "frame 0 / 9");
  v.destroy();
});

test("no layer canvas matches the candidate card class", () => {
  const m = model();
  const { v, root } = view(m);
  assert.equal(root.querySelectorAll(".ll-cand").length, 0);
  assert.equal(root.querySelectorAll("canvas.ll-layer").length, 5);
  v.destroy();
});

// ---- issue #12, item 7: hover values; the review queue on the timeline ---------------------
const rect = (el, width, height = 80) => {
  el.getBoundingClientRect = () => ({ left: 0, top: 0, x: 0, y: 0, width, height, right: width, bottom: height });
};
const pointer = (el, type, clientX) => el.dispatchEvent(new MouseEvent(type, { clientX, clientY: 40, bubbles: true }));

test("hover over the IoU chart: a readout with the frame and each object's IoU vs the reference", () => {
  const m = model({
    objects: [{ id: 1, name: "car", color: [230, 25, 75] }, { id: 2, name: "dog", color: [60, 180, 75] }],
    curves: {
      against: "ground truth",
      iou_label: "IoU per frame vs ground truth",
      iou: [{ obj_id: 1, points: [[3, 0.8125], [4, 0.9]] }, { obj_id: 2, points: [[4, 0.25]] }],
      training: [],
      live: null,
      marks: [],
    },
  });
  const { v, root } = view(m);
  const canvas = root.querySelector("canvas.ll-curve-iou");
  const readout = root.querySelector("[data-testid=iou-readout]");
  assert.equal(readout.hidden, true);
  rect(canvas, 218); // 10 frames over [18, 200]: frame f at 18 + f * 182 / 9
  pointer(canvas, "pointermove", 18 + (4 * 182) / 9 + 3);
  assert.equal(root.dataset.hover, "iou:4");
  assert.equal(readout.hidden, false);
  assert.equal(readout.textContent, "frame 4 · IoU vs ground truth · car: 0.90 · dog: 0.25");
  pointer(canvas, "pointermove", 18 + (3 * 182) / 9);
  assert.equal(readout.textContent, "frame 3 · IoU vs ground truth · car: 0.81 · dog: –");
  // the readout follows the kernel: new values while hovering are shown at once
  m.set("curves", { ...m.get("curves"), iou: [{ obj_id: 1, points: [[3, 0.5]] }] });
  assert.equal(readout.textContent, "frame 3 · IoU vs ground truth · car: 0.50");
  assert.equal(m.get("frame"), 0); // hovering never moves the playhead...
  canvas.dispatchEvent(new MouseEvent("click", { clientX: 18 + (3 * 182) / 9, bubbles: true }));
  assert.equal(m.get("frame"), 3); // ...a click does
  // Chromium's pointer events have fractional x, its click's is whole: a click between two
  // frames went to the one before the readout's (frame 3 | 4 at x = 88.78)
  pointer(canvas, "pointermove", 88.9);
  assert.equal(root.dataset.hover, "iou:4");
  canvas.dispatchEvent(new MouseEvent("click", { clientX: 88, bubbles: true }));
  assert.equal(m.get("frame"), 4);
  pointer(canvas, "pointerleave", 0);
  assert.equal(readout.hidden, true);
  assert.equal(root.dataset.hover, "");
  v.destroy();
});

test("hover over the training chart: epoch with loss and IoU, then a correction's dot", () => {
  const m = model({
    curves: {
      iou: [],
      training: [{ expert: 0, new_expert: true, frame: 6, obj_id: 1, losses: [0.8, 0.41234, 0.3], ious: [0.2, 0.625, 0.7], train_iou: 0.7 }],
      live: null,
      marks: [],
    },
  });
  const { v, root } = view(m);
  const canvas = root.querySelector("canvas.ll-curve-train");
  const readout = root.querySelector("[data-testid=training-readout]");
  rect(canvas, 200); // 3 epochs at x 6, 70, 134; the dots on the right from x 140
  pointer(canvas, "pointermove", 72);
  assert.equal(readout.textContent, "epoch 2 of 3 · loss 0.412 · IoU vs your mask 0.63");
  assert.equal(root.dataset.hover, "training:epoch:1");
  pointer(canvas, "pointermove", 170);
  assert.equal(readout.textContent, "correction 1 of 1 · frame 6 · expert 0 (new) · IoU vs your mask 0.70");
  pointer(canvas, "pointerleave", 0);
  assert.equal(readout.hidden, true);
  v.destroy();
});

test("review queue: marks listed, R and the button jump to the next queued frame, Shift+R back", () => {
  const m = model({ num_frames: 12 });
  const { v, root } = view(m);
  const btn = root.querySelector("[data-testid=review-next]");
  assert.equal(btn.disabled, true); // nothing queued yet
  key(root, "r");
  assert.equal(m.get("frame"), 0);
  assert.equal(root.dataset.notice, "nothing to review yet: propagate an object first");
  m.set("timeline", {
    rows: [
      {
        obj_id: 1,
        codes: "pttttttttttt",
        review: [
          { frame: 9, score: 0.8, why: "SAM2 predicted IoU 0.20" },
          { frame: 4, score: 0.6, why: "area ×2.00 vs frame 3" },
        ],
      },
    ],
  });
  assert.equal(root.dataset.review, "1:9,4");
  assert.equal(btn.disabled, false);
  key(root, "r");
  assert.equal(m.get("frame"), 4);
  assert.equal(root.dataset.frame, "4");
  assert.equal(root.dataset.notice, "frame 4 to review, #2 of 2 for object 1: area ×2.00 vs frame 3");
  btn.click();
  assert.equal(m.get("frame"), 9);
  assert.equal(root.dataset.notice, "frame 9 to review, #1 of 2 for object 1: SAM2 predicted IoU 0.20");
  key(root, "r"); // past the last: from the start again
  assert.equal(m.get("frame"), 4);
  assert.match(root.dataset.notice, /^frame 4 to review, #2 of 2 for object 1 \(from the start again\)/);
  root.dispatchEvent(new KeyboardEvent("keydown", { key: "R", shiftKey: true, bubbles: true, cancelable: true }));
  assert.equal(m.get("frame"), 9);
  // navigation: it also works while the kernel is busy, and sends no action
  m.set("busy", "training");
  key(root, "r");
  assert.equal(m.get("frame"), 4);
  assert.deepEqual(actions(m), []);
  v.destroy();
});

test("review queue: tracked frames but none likely wrong says so, not 'propagate first'", () => {
  const m = model({ num_frames: 12 });
  const { v, root } = view(m);
  const btn = root.querySelector("[data-testid=review-next]");
  m.set("timeline", { rows: [{ obj_id: 1, codes: "pttttttttttt", review: [] }] });
  assert.equal(root.dataset.review, "1:");
  assert.equal(btn.disabled, true);
  assert.equal(btn.title, "nothing to review: no tracked frame looks likely wrong");
  key(root, "r");
  assert.equal(m.get("frame"), 0);
  assert.equal(root.dataset.notice, "nothing to review: no tracked frame looks likely wrong");
  v.destroy();
});

test("Ctrl+Z while the kernel is busy says it is ignored, like a click", () => {
  const m = model({ busy: "propagating forward", can_undo: true });
  const { v, root } = view(m);
  root.dispatchEvent(new KeyboardEvent("keydown", { key: "z", ctrlKey: true, bubbles: true, cancelable: true }));
  assert.deepEqual(actions(m), []);
  assert.equal(root.dataset.notice, "busy: propagating forward, undo ignored (■ Stop cancels)");
  v.destroy();
});

test("rename: Enter sends one rename, Esc cancels, a blur keeps what was typed", (t) => {
  // Chromium blurs a focused input that leaves the page (jsdom does not): emulate it
  const proto = dom.window.Element.prototype;
  const replace = proto.replaceChildren;
  proto.replaceChildren = function (...nodes) {
    const focused = document.activeElement;
    if (focused && focused !== document.body && this.contains(focused)) focused.dispatchEvent(new Event("blur"));
    return replace.apply(this, nodes);
  };
  t.after(() => (proto.replaceChildren = replace));
  const m = model();
  const { root } = view(m);
  const renames = () => actions(m).filter((x) => x.type === "rename");
  const edit = (text) => {
    root.querySelector('.ll-obj[data-obj="1"]').dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
    const input = root.querySelector(".ll-rename");
    input.value = text;
    return input;
  };
  // Enter: one event (removing the input blurs it, which used to send it again)
  edit("car").dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
  assert.deepEqual(renames().map((x) => x.name), ["car"]);
  assert.equal(root.querySelector(".ll-rename"), null);
  // Esc: nothing sent, the old name back (it used to save the typed name through the blur)
  edit("car ph").dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
  assert.deepEqual(renames().map((x) => x.name), ["car"]);
  assert.equal(root.querySelector('.ll-obj[data-obj="1"] .ll-obj-name').textContent, "object 1");
  // clicking elsewhere keeps the typed name, once
  edit(" bus ").dispatchEvent(new Event("blur"));
  assert.deepEqual(renames().map((x) => x.name), ["car", "bus"]);
});

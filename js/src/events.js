// The events the front end sends to the kernel: the same names as
// litlora_widgets/widget/events.py (tests/test_widget.py checks the two tables agree).
// Every event about an object says obj_id; events about what is on screen carry the frame they
// were made on, so the kernel can refuse one that would otherwise land on another frame.

export const EVENTS = Object.freeze({
  ACCEPT: "accept",
  ADD_OBJECT: "add_object",
  BOX: "box",
  CANDIDATES: "candidates",
  CLEAR_ERROR: "clear_error",
  CLICK: "click",
  EXPORT: "export",
  FRAMES: "frames",
  LIT: "lit",
  LIST_ADAPTERS: "list_adapters",
  PROPAGATE: "propagate",
  REDO: "redo",
  REJECT: "reject",
  REMOVE_OBJECT: "remove_object",
  RENAME: "rename",
  SEEK: "seek",
  STEP: "step",
  STOP: "stop",
  UNDO: "undo",
});

// Handled at once, even while the kernel is busy: they never change the session.
export const NAVIGATION = [EVENTS.FRAMES, EVENTS.SEEK, EVENTS.STOP, EVENTS.CLEAR_ERROR];

// What the user did, for "busy: training, click ignored".
export const WHAT = Object.freeze({
  click: "click",
  box: "box",
  propagate: "propagate",
  step: "step",
  candidates: "candidates",
  accept: "accept",
  reject: "reject",
  undo: "undo",
  redo: "redo",
  add_object: "add object",
  rename: "rename",
  remove_object: "delete object",
  lit: "LIT switch",
  export: "export",
  list_adapters: "load adapters",
});

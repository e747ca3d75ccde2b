// Talking to the kernel: the model wrapper and the busy gate.
//
// The gate is the front end's half of the busy rule (issue #12, item 4): navigation events go
// out at once; any other event is refused here, with a message, while the kernel says it is
// busy (the kernel refuses too, for presses that cross its busy flag in flight). Events about
// what is on screen carry the frame they were made on, so the kernel drops one that would
// land on another frame instead of replaying it there later.

import { EVENTS, NAVIGATION, WHAT } from "./events.js";

export class Transport {
  constructor(model) {
    this.model = model;
    this.listeners = [];
  }

  get(name) {
    return this.model.get(name);
  }

  set(name, value) {
    this.model.set(name, value);
    this.model.save_changes();
  }

  on(event, fn) {
    this.model.on(event, fn);
    this.listeners.push([event, fn]);
  }

  send(msg) {
    try {
      this.model.send(msg);
      return true;
    } catch (err) {
      console.warn("litlora: no kernel to send to", msg, err);
      return false;
    }
  }

  close() {
    for (const [ev, fn] of this.listeners) this.model.off(ev, fn);
    this.listeners = [];
  }
}

/** Why an event cannot be sent now ("" when it can): the front end's busy rule. */
export function refusal(type, busy) {
  if (NAVIGATION.includes(type) || !busy) return "";
  return `busy: ${busy}, ${WHAT[type] ?? type} ignored (■ Stop cancels)`;
}

/** The refusals of a task that has ended, in the past: "click and propagate ignored while
 * training: do them again now" (`whats`: WHAT's words, `busy`: the task). */
export function refusedText(whats, busy) {
  const list = whats.length < 2 ? whats.join("") : `${whats.slice(0, -1).join(", ")} and ${whats.at(-1)}`;
  return `${list} ignored while ${busy}: do ${whats.length < 2 ? "it" : "them"} again now`;
}

export class Gate {
  /** `notify(text, refused)` shows a refusal next to the controls; `refused` names what was
   * refused for the view to restate once the task has ended. */
  constructor(transport, notify) {
    this.t = transport;
    this.notify = notify;
  }

  /**
   * Send `{type, ...payload}` unless the kernel is busy; true when it went out. `shown`: the
   * frame on screen, stated first as a seek. The view moves the kernel's `frame` by a trait
   * update, and ipywidgets sends one update at a time (the next waits for the kernel's reply)
   * while custom messages go at once: without the seek, a click right after the arrow keys
   * reached the kernel before the last seek and was refused as made on another frame.
   */
  send(type, payload = {}, shown = null) {
    const why = refusal(type, this.t.get("busy"));
    if (why) {
      this.notify(why, WHAT[type] ?? type);
      return false;
    }
    if (shown !== null && !NAVIGATION.includes(type)) this.t.send({ type: EVENTS.SEEK, frame: shown });
    return this.t.send({ type, ...payload });
  }
}

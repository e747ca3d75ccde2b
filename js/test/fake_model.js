// A fake anywidget model for the view tests (lonboard's pattern): traits in a plain object,
// change handlers called on set, messages and saves recorded for the tests to read.
export class FakeModel {
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

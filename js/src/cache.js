// Browser-side frame cache: LRU of decoded frames plus the prefetch plan, so scrubbing reads
// from memory and only the frames around the playhead travel over the comm.

export class LRUCache {
  constructor(capacity, onEvict = null) {
    this.capacity = capacity;
    this.onEvict = onEvict;
    this.map = new Map();
  }
  get size() {
    return this.map.size;
  }
  has(k) {
    return this.map.has(k);
  }
  get(k) {
    if (!this.map.has(k)) return undefined;
    const v = this.map.get(k);
    this.map.delete(k);
    this.map.set(k, v);
    return v;
  }
  peek(k) {
    return this.map.get(k);
  }
  set(k, v) {
    if (this.map.has(k)) this.map.delete(k);
    this.map.set(k, v);
    while (this.map.size > this.capacity) {
      const [oldK, oldV] = this.map.entries().next().value;
      this.map.delete(oldK);
      if (this.onEvict) this.onEvict(oldV, oldK);
    }
  }
  delete(k) {
    const v = this.map.get(k);
    const had = this.map.delete(k);
    if (had && this.onEvict) this.onEvict(v, k);
    return had;
  }
  clear() {
    if (this.onEvict) for (const [k, v] of this.map) this.onEvict(v, k);
    this.map.clear();
  }
  keys() {
    return [...this.map.keys()];
  }
}

/**
 * Frames to request around `frame`: the frame itself, then alternating ahead/behind
 * (more ahead in the playing direction), skipping frames cached or already in flight.
 */
export function prefetchPlan(frame, numFrames, isKnown, { ahead = 8, behind = 3, dir = 1 } = {}) {
  const order = [frame];
  const fwd = dir >= 0 ? ahead : behind;
  const back = dir >= 0 ? behind : ahead;
  for (let d = 1; d <= Math.max(fwd, back); d++) {
    if (d <= fwd) order.push(frame + d);
    if (d <= back) order.push(frame - d);
  }
  return order.filter((f) => f >= 0 && f < numFrames && !isKnown(f));
}

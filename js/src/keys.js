// Keyboard bindings as a pure function: event-like {key, shiftKey, ctrlKey, metaKey} ->
// action {type, ...} or null. The widget maps actions to UI changes and kernel events.

export const HELP = [
  ["Left click", "include point (+) for the selected object"],
  ["Right / Shift click", "exclude point (−)"],
  ["Drag", "box prompt"],
  ["← / →", "previous / next frame"],
  ["Shift + ← / →", "10 frames back / forward"],
  ["Home / End", "first / last frame"],
  ["Space", "play / pause"],
  ["1 – 9", "accept candidate n"],
  ["Esc", "reject candidates / close help / cancel drag"],
  ["C", "show candidates for this frame"],
  ["P / Shift + P", "propagate forward / backward"],
  ["[ / ]", "previous / next object"],
  ["H", "hide / show masks"],
  ["S", "step one frame"],
  ["R / Shift + R", "next / previous frame to review (▼ on the timeline)"],
  ["Ctrl + Z / Ctrl + Shift + Z", "undo / redo"],
  ["?", "this help"],
];

export function keyAction(ev, state = {}) {
  const ctrl = ev.ctrlKey || ev.metaKey;
  const key = ev.key;
  if (ctrl && (key === "z" || key === "Z")) return { type: ev.shiftKey ? "redo" : "undo" };
  if (ctrl && (key === "y" || key === "Y")) return { type: "redo" };
  if (ctrl || ev.altKey) return null;
  const step = ev.shiftKey ? 10 : 1;
  switch (key) {
    case "ArrowLeft":
      return { type: "seek", delta: -step };
    case "ArrowRight":
      return { type: "seek", delta: step };
    case "Home":
      return { type: "seekTo", frame: 0 };
    case "End":
      return { type: "seekTo", frame: Math.max(0, (state.numFrames ?? 1) - 1) };
    case " ":
      return { type: "togglePlay" };
    case "Escape":
      if (state.helpOpen) return { type: "closeHelp" };
      if (state.dragging) return { type: "cancelDrag" };
      if (state.hasCandidates) return { type: "reject" };
      return null;
    case "?":
      return { type: "toggleHelp" };
    case "c":
    case "C":
      return { type: "candidates" };
    case "p":
      return { type: "propagate", direction: "forward" };
    case "P":
      return { type: "propagate", direction: ev.shiftKey ? "backward" : "forward" };
    case "[":
      return { type: "selectObject", delta: -1 };
    case "]":
      return { type: "selectObject", delta: 1 };
    case "h":
    case "H":
      return { type: "toggleMasks" };
    case "s":
    case "S":
      return { type: "step" };
    case "r":
      return { type: "review", dir: 1 };
    case "R":
      return { type: "review", dir: ev.shiftKey ? -1 : 1 };
    default:
      if (/^[1-9]$/.test(key)) {
        const index = Number(key) - 1;
        const shown = state.hasCandidates ? (state.numCandidates ?? 0) : 0;
        return index < shown ? { type: "accept", index } : { type: "noCandidate", index };
      }
      return null;
  }
}

/** Frame index after a seek action, clamped to the video. */
export function applySeek(action, frame, numFrames) {
  const last = Math.max(0, numFrames - 1);
  const f = action.type === "seekTo" ? action.frame : frame + action.delta;
  return Math.min(last, Math.max(0, f));
}

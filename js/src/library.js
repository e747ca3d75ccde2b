// The adapter library panel (issue #12, item 10): the adapter files of the export folder with
// what their metadata says; the ones that do not fit this model say why and cannot be loaded.

import { h } from "./dom.js";

export function adapterSummary(r) {
  const parts = [
    r.video && `video ${r.video}`,
    r.object && `object ${r.object}`,
    r.model && `model ${r.model}`,
    r.date,
    `${r.num_experts} expert${r.num_experts === 1 ? "" : "s"}`,
    r.strength !== null && r.strength !== undefined ? `strength ${r.strength}` : "",
  ];
  return parts.filter(Boolean).join(" · ");
}

/** Panel DOM for the `adapters` trait ({folder, rows}); onLoad(path), onClose(). */
export function libraryPanel(lib, { onLoad, onClose }) {
  const rows = (lib.rows ?? []).map((r) =>
    h(
      "div",
      { class: `ll-adapter${r.fits ? "" : " ll-adapter-misfit"}`, "data-fits": String(r.fits) },
      h("button", { class: "ll-btn", type: "button", disabled: !r.fits, title: r.fits ? `load ${r.name}` : r.why, onclick: () => onLoad(r.path) }, "Load"),
      h("b", {}, r.name),
      h("span", { class: "ll-adapter-meta" }, adapterSummary(r)),
      h("span", { class: r.fits ? "ll-fit" : "ll-misfit" }, r.fits ? "fits this model" : `does not fit: ${r.why}`),
    ),
  );
  return [
    h(
      "div",
      { class: "ll-cands-title" },
      `adapters in ${lib.folder}`,
      h("button", { class: "ll-btn", type: "button", title: "close", onclick: onClose }, "✕"),
    ),
    ...rows,
  ];
}

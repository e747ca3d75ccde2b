// Tiny DOM helpers (no framework): elements with attributes, listeners and children.

/** h("div", {class: "x", onclick: fn, "data-a": "1"}, child, "text") */
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

export function button(label, title, onclick, cls = "") {
  return h("button", { class: `ll-btn ${cls}`.trim(), title, type: "button", onclick }, label);
}

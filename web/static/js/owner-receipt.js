/* The receipt of a secret ballot, on the phone that cast it: the choices it encrypted,
 * which only this phone knows (owner-ballot.js kept them with the receipt, in this
 * browser's storage).  The server never has them. */
(function () {
  "use strict";

  const root = document.getElementById("receipt");
  const box = document.querySelector("[data-own-choices]");
  if (!root || !box) return;
  let kept = null;
  try {
    kept = JSON.parse(localStorage.getItem("ov-receipt:" + root.dataset.assembly + ":" +
                                           root.dataset.tracker) || "null");
  } catch (e) { return; }
  if (!kept || !kept.choices) return;
  const d = box.dataset;
  const titles = JSON.parse(d.titles);
  const list = box.querySelector("dl");
  const keys = Object.keys(kept.choices).sort((a, b) => Number(a) - Number(b));
  for (const key of keys) {
    const v = kept.choices[key];
    const dt = document.createElement("dt");
    dt.textContent = d.item.replace("{n}", key) + " · " + (titles[key] || "");
    const dd = document.createElement("dd");
    const strong = document.createElement("strong");
    strong.textContent = Array.isArray(v) ? (v.length ? v.join("、") : d.blank) : (d[v] || v);
    dd.appendChild(strong);
    list.append(dt, dd);
  }
  box.hidden = false;
})();

/* The public auditor page for a challenged secret ballot (docs/secret-ballots.md §9.3).
 *
 * The owner's phone hands over {v, assembly, origin, head, seq, key, items, choices,
 * fingerprint, encrypted, reveal}: pasted here, or in the page's fragment (#…, base64url
 * of the JSON: a fragment never reaches the server).  ovsecret.auditBallot verifies the
 * ballot's proofs as the server would, opens every option with the revealed randomness and
 * compares with the choices the phone showed; the page then shows those choices.
 */
(function () {
  "use strict";

  const root = document.getElementById("audit-challenge");
  if (!root) return;
  const d = root.dataset;
  const form = document.getElementById("form-challenge");
  const input = document.getElementById("challenge-input");
  const error = form.querySelector("[data-error]");
  const result = document.getElementById("challenge-result");

  function say(el, text) { el.textContent = text || ""; el.hidden = !text; }
  const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (m, k) => String(values[k]));

  function choiceText(item, value) {
    if (item.kind === "motion") return d["msg" + value.charAt(0).toUpperCase() + value.slice(1)] || value;
    if (value === "invalid") return d.msgInvalid;
    if (!value.length) return d.msgBlank;
    return value.map((i) => (Array.isArray(item.candidates) ? item.candidates[i] : String(i))).join("、");
  }

  function parse(text) {
    let data;
    try { data = JSON.parse(text); } catch (e) { return null; }
    const ok = data && typeof data === "object" && data.v === 1 && typeof data.key === "string" &&
      typeof data.origin === "string" && typeof data.head === "string" &&
      Number.isSafeInteger(data.seq) && Array.isArray(data.items) && data.encrypted && data.reveal;
    return ok ? data : null;
  }

  function show(data, outcome, good, choices) {
    const out = result.querySelector("[data-outcome]");
    out.textContent = outcome;
    out.className = good ? "check-ok" : "check-bad";
    result.dataset.result = good ? "ok" : "bad";
    result.querySelector("[data-fp]").textContent =
      ovsecret.fingerprint(data.encrypted).slice(0, 16).match(/.{4}/g).join(" ");
    result.querySelector("[data-head]").textContent = data.head;
    result.querySelector("[data-seq]").textContent = String(data.seq);
    const list = result.querySelector("[data-choices]");
    list.textContent = "";
    const byKey = new Map(data.items.map((it) => [it.key, it]));
    for (const key of Object.keys(choices || {}).sort(ovsecret.itemOrder)) {
      const dt = document.createElement("dt");
      dt.textContent = d.msgItem.replace("{n}", key);
      const dd = document.createElement("dd");
      const strong = document.createElement("strong");
      strong.textContent = choiceText(byKey.get(key), choices[key]);
      dd.dataset.item = key;
      dd.appendChild(strong);
      list.append(dt, dd);
    }
    result.hidden = false;
    document.getElementById("result-h").focus();
  }

  function check(text) {
    say(error, "");
    result.hidden = true;
    if (!text.trim()) { say(error, d.msgEmpty); return; }
    const data = parse(text.trim());
    if (!data) { say(error, d.msgNotJson); return; }
    let prepared;
    try {
      prepared = ovsecret.prepare(data.key, { origin: data.origin, head: data.head,
                                              seq: data.seq, items: data.items });
    } catch (e) {
      say(error, d.msgNotJson);
      return;
    }
    // first open without the shown choices (what the ballot holds), then compare
    const opened = ovsecret.auditBallot(prepared, data.encrypted, data.reveal);
    if (!opened.ok) {
      const why = opened.code ? fmt(d.msgRefused, { code: opened.code, where: opened.where })
        : fmt(d.msgBadOpen, { where: opened.where });
      show(data, why, false, null);
      compareKey(data);
      return;
    }
    const same = data.choices ? ovsecret.auditBallot(prepared, data.encrypted, data.reveal,
                                                     data.choices) : opened;
    show(data, same.ok ? d.msgOk : d.msgDiffers, same.ok, opened.choices);
    compareKey(data);
  }

  /* Is the key the one the assembly published?  (Only the assembly's public record is
   * fetched; nothing of the ballot is sent.) */
  async function compareKey(data) {
    const out = result.querySelector("[data-key-check]");
    out.textContent = "";
    delete result.dataset.key;
    let published = null;
    if (Number.isSafeInteger(data.assembly) && data.assembly > 0) {
      try {
        const url = d.assemblyUrl.replace(/\/0$/, "/" + data.assembly);
        const res = await fetch(url, { headers: { Accept: "application/json" } });
        if (res.ok) published = (await res.json()).election_key || null;
      } catch (e) { published = null; }
    }
    const state = published === null ? "unknown" : (published === data.key ? "ok" : "bad");
    out.textContent = { ok: d.msgKeyOk, bad: d.msgKeyBad, unknown: d.msgKeyUnknown }[state];
    out.className = state === "ok" ? "check-ok" : (state === "bad" ? "check-bad" : "");
    result.dataset.key = state;
    if (state === "bad") result.dataset.result = "bad";
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    check(input.value);
  });

  // handed over in the fragment by the phone's "open the auditor page" link
  if (window.location.hash.length > 1) {
    try {
      const b64 = window.location.hash.slice(1).replace(/-/g, "+").replace(/_/g, "/");
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      input.value = new TextDecoder().decode(bytes);
      check(input.value);
    } catch (e) { /* not ours: leave the form empty */ }
  }
})();

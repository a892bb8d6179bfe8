/* A paper ballot of a secret assembly, encrypted in the committee member's browser
 * (docs/secret-ballots.md §8, §10.1: a paper election has the `invalid` option last).
 *
 * The form's choices never leave this browser in clear: prepare is asked first for the
 * head of the typed unit and its next ballot number (the proofs are bound to them), the
 * sheet's choices are encrypted with ovsecret.encryptBallot, and prepare is asked again
 * with only `encrypted` and `seq` (the item_* fields removed).  The summary the member
 * signs adds, from this browser, what the sheet says.
 */
(function () {
  "use strict";

  const form = document.querySelector("form[data-sign][data-secret='1']");
  if (!form) return;
  const d = form.dataset;
  const items = JSON.parse(d.items);

  function motionWord(value) {
    return d["msg" + value.charAt(0).toUpperCase() + value.slice(1)] || value;
  }

  /* The sheet as the server's _choices reads it: item key -> word, [names] or "invalid". */
  function sheet(fd) {
    const choices = {};
    for (const it of items) {
      const name = "item_" + it.key;
      if (it.kind === "election") {
        const picked = fd.getAll(name).filter((c) => it.candidates.includes(c)).sort();
        if (fd.get(name + "_invalid") === "on") choices[it.key] = "invalid";
        else if (picked.length || fd.get(name + "_blank") === "on") choices[it.key] = picked;
      } else {
        const value = fd.get(name) || "";
        if (["agree", "oppose", "abstain"].includes(value)) choices[it.key] = value;
      }
    }
    return choices;
  }

  function lines(choices) {
    const titles = {};
    for (const fs of form.querySelectorAll("fieldset")) {
      const input = fs.querySelector("input[name^='item_']");
      if (input) titles[input.name.split("_")[1]] = fs.querySelector("legend").textContent.trim();
    }
    return Object.keys(choices).sort(ovsecret.itemOrder).map((key) => {
      const v = choices[key];
      const vote = v === "invalid" ? d.msgInvalid
        : Array.isArray(v) ? (v.length ? v.join("、") : d.msgBlank) : motionWord(v);
      return (titles[key] || key) + d.colon + vote;
    });
  }

  form.ovPrepare = async (fd, send) => {
    if (!d.key) return { ok: false, error: d.msgNoKey };
    const choices = sheet(fd);
    if (!Object.keys(choices).length) return { ok: false, error: d.msgNone };
    for (const it of items) {
      const v = choices[it.key];
      if (it.kind === "election" && Array.isArray(v) && v.length > it.seats) {
        return { ok: false, error: d.msgTooMany.replace("{n}", it.key) };
      }
    }
    for (const name of Array.from(fd.keys())) if (name.startsWith("item_")) fd.delete(name);
    const step = await send(fd);  // the head and its next ballot number
    if (!step.ok || !step.encrypt) return step;
    const prepared = ovsecret.prepare(d.key, { origin: d.origin, head: step.encrypt.head,
                                               seq: step.encrypt.seq, items });
    const ballot = ovsecret.encryptBallot(prepared, choices);  // its randomness is dropped
    fd.set("encrypted", JSON.stringify(ballot.encrypted));
    fd.set("seq", String(step.encrypt.seq));
    const answer = await send(fd);
    if (answer.ok && Array.isArray(answer.summary)) {
      const extra = lines(choices);
      const at = Math.max(answer.summary.length - 1, 0);  // before the scan's line
      answer.summary.splice(at, 0, ...extra);
    }
    return answer;
  };
})();

/* Steps 2 and 3: choose, confirm, sign on this phone, cast, go to the receipt.
 *
 * The ballot signed is exactly docs/audit-bundle.md section 6:
 *   "ownervote/ballot/v1\n" + canonical JSON of {choices, head, key, nonce, origin, seq}
 * with the ballot key (ECDSA P-256, P1363 r||s), posted as {payload, signature}.
 *
 * In a secret assembly (data-secret="1", ovsecret.js loaded) the payload holds `encrypted`
 * (docs/secret-ballots.md §10.1) in place of `choices`: the phone encrypts the choices to
 * the election key before anything leaves it.  Cast as intended (§9, Benaloh): the summary
 * shows the encrypted ballot's fingerprint before asking "cast or check?"; a checked
 * ballot reveals its randomness (for another device or the public auditor page), is never
 * cast, and the phone builds a fresh one.
 */
(function () {
  "use strict";

  const root = document.getElementById("ballot");
  if (!root) return;
  const d = root.dataset;
  const $ = (sel, el) => (el || root).querySelector(sel);
  const $$ = (sel, el) => Array.from((el || root).querySelectorAll(sel));
  const form = $("#form-ballot");
  const confirmBox = $("#confirm");
  const status = $("[data-status]", confirmBox);
  const error = $("[data-error]", confirmBox);
  let choices = null;
  const secret = d.secret === "1";
  // the encrypted ballot built for `choices` (secret mode): {encrypted, randomness,
  // fingerprint, seq, prepared, template}; dropped once cast or challenged
  let built = null;

  /* -- choosing ---------------------------------------------------------------------- */

  function candidates(fs) {
    return $$("input[type=checkbox]:not([data-abstain])", fs);
  }

  function updateCounter(fs, message) {
    const counter = $("[data-counter]", fs);
    if (!counter) return;
    const n = candidates(fs).filter((c) => c.checked).length;
    counter.textContent = message ||
      d.msgSelected.replace("{n}", n).replace("{seats}", fs.dataset.seats);
    counter.classList.toggle("warn", !!message);
  }

  for (const fs of $$("fieldset.ballot-item[data-kind=election]")) {
    const seats = Number(fs.dataset.seats);
    for (const box of candidates(fs)) {
      box.addEventListener("change", () => {
        const n = candidates(fs).filter((c) => c.checked).length;
        if (n > seats) {
          box.checked = false;
          updateCounter(fs, d.msgTooMany.replace("{seats}", seats));
          return;
        }
        updateCounter(fs);
      });
    }
    const abstain = $("[data-abstain]", fs);
    if (abstain) {
      abstain.addEventListener("change", () => {
        for (const box of candidates(fs)) {
          if (abstain.checked) box.checked = false;
          box.disabled = abstain.checked;
        }
        updateCounter(fs);
      });
    }
  }

  for (const clear of $$("[data-clear]")) {
    clear.addEventListener("click", () => {
      const fs = clear.closest("fieldset");
      for (const input of $$("input", fs)) { input.checked = false; input.disabled = false; }
      updateCounter(fs);
    });
  }

  /* What the owner chose: item id -> "agree"|"oppose"|"abstain" or [candidates]. */
  function collect() {
    const out = {};
    for (const fs of $$("fieldset.ballot-item")) {
      const item = fs.dataset.item;
      if (fs.dataset.kind === "election") {
        const abstain = $("[data-abstain]", fs);
        const chosen = candidates(fs).filter((c) => c.checked).map((c) => c.value).sort();
        if (abstain && abstain.checked) out[item] = [];
        else if (chosen.length) out[item] = chosen;
      } else {
        const picked = $("input[type=radio]:checked", fs);
        if (picked) out[item] = picked.value;
      }
    }
    return out;
  }

  function labelOf(fs, value) {
    if (Array.isArray(value)) {
      if (!value.length) return $("[data-abstain]", fs).closest("label").textContent.trim();
      return value.join("、");
    }
    return $('input[value="' + value + '"]', fs).closest("label").textContent.trim();
  }

  function setStep(n) {
    for (const li of document.querySelectorAll("#steps li")) {
      const step = Number(li.dataset.step);
      li.classList.toggle("done", step < n);
      li.classList.toggle("current", step === n);
      if (step === n) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const formError = $("[data-error]", form);
    choices = collect();
    if (!Object.keys(choices).length) {
      ovapi.say(formError, d.msgNone);
      return;
    }
    ovapi.say(formError, "");
    const summary = $("[data-summary]", confirmBox);
    summary.textContent = "";
    for (const fs of $$("fieldset.ballot-item")) {
      const dt = document.createElement("dt");
      dt.textContent = $("legend", fs).textContent.trim();
      const dd = document.createElement("dd");
      const item = fs.dataset.item;
      if (item in choices) {
        const strong = document.createElement("strong");
        strong.textContent = labelOf(fs, choices[item]);
        dd.appendChild(strong);
        dd.className = "chosen chosen-" + (Array.isArray(choices[item]) ? "election" : choices[item]);
      } else {
        dd.textContent = d.msgSkip;
        dd.className = "skipped";
      }
      summary.append(dt, dd);
    }
    $("#choose").hidden = true;
    confirmBox.hidden = false;
    ovapi.say(error, "");
    setStep(3);
    window.scrollTo(0, 0);
    $("#confirm-h").focus();
    if (secret) buildSecret();
  });

  $("#back").addEventListener("click", () => {
    built = null;
    confirmBox.hidden = true;
    $("#choose").hidden = false;
    setStep(2);
    const first = $("fieldset.ballot-item input:not(:disabled)");
    if (first) first.focus();
  });

  /* -- signing and casting ------------------------------------------------------------- */

  /* -- secret mode: encrypt, fingerprint, cast or check (docs/secret-ballots.md §9) ----- */

  /* The template's items as ovsecret.prepare takes them (candidates by name). */
  function secretItems(template) {
    return template.items.map((it) => (it.kind === "election"
      ? { key: it.id, kind: "election", seats: it.seats, candidates: it.candidates }
      : { key: it.id, kind: "motion" }));
  }

  /* Encrypt `choices` for ballot number `seq`: a fresh ballot with fresh randomness. */
  function encryptFor(template, seq) {
    const prepared = ovsecret.prepare(template.election_key, {
      origin: template.origin, head: template.head.id, seq, items: secretItems(template) });
    const out = ovsecret.encryptBallot(prepared, choices);
    return { encrypted: out.encrypted, randomness: out.randomness, seq, template,
             fingerprint: ovsecret.fingerprint(out.encrypted) };
  }

  function showFingerprint() {
    const fp = $("[data-fingerprint]", confirmBox);
    fp.textContent = built ? built.fingerprint.slice(0, 16).match(/.{4}/g).join(" ") : "…";
    fp.title = built ? built.fingerprint : "";
  }

  /* Build the ballot before asking "cast or check?", so its fingerprint is shown (the
   * phone is committed to it) before it can know which the owner will choose. */
  async function buildSecret() {
    const sign = $("#sign"), check = $("#challenge");
    sign.disabled = true;
    check.disabled = true;
    built = null;
    showFingerprint();
    status.textContent = d.msgEncrypting;
    try {
      const template = await ovapi.get(d.templateUrl);
      if (!template.election_key) throw new ovapi.ApiError(0, "no_key", d.msgNoKey);
      built = encryptFor(template, template.next_seq);
      showFingerprint();
      status.textContent = "";
      sign.disabled = false;
      check.disabled = false;
    } catch (err) {
      status.textContent = "";
      ovapi.say(error, ovapi.messageOf(err, root));
    }
  }

  /* Check this ballot (never cast): reveal its randomness with everything needed to check
   * it elsewhere, forget it, and offer a fresh one. */
  function challenge() {
    if (!built) return;
    const t = built.template;
    const data = {
      v: 1, assembly: Number(d.assembly), origin: t.origin, head: t.head.id, seq: built.seq,
      key: t.election_key, items: secretItems(t), choices, fingerprint: built.fingerprint,
      encrypted: built.encrypted, reveal: built.randomness,
    };
    built = null;  // revealed: this ballot can never be cast
    const text = JSON.stringify(data);
    const box = $("#challenged");
    $("[data-challenge-text]", box).value = text;
    $("[data-challenge-fp]", box).textContent = data.fingerprint.slice(0, 16).match(/.{4}/g).join(" ");
    // the auditor page in this browser: the fragment never reaches the server
    const link = $("#audit-here", box);
    link.href = link.href.split("#")[0] + "#" + ovcrypto.toB64url(ovcrypto.utf8(text));
    confirmBox.hidden = true;
    box.hidden = false;
    window.scrollTo(0, 0);
    $("#challenged-h").focus();
  }

  if (secret) {
    $("#challenge").addEventListener("click", challenge);
    $("#fresh").addEventListener("click", () => {
      $("#challenged").hidden = true;
      confirmBox.hidden = false;
      ovapi.say(error, "");
      window.scrollTo(0, 0);
      $("#confirm-h").focus();
      buildSecret();
    });
    $("#copy-challenge").addEventListener("click", async () => {
      const area = $("[data-challenge-text]", $("#challenged"));
      area.select();
      try { await navigator.clipboard.writeText(area.value); } catch (e) { /* selected */ }
      $("[data-copied]", $("#challenged")).hidden = false;
    });
  }

  async function sign(record, template, seq) {
    const content = {};
    if (secret) {
      // The proofs are bound to the seq: a ballot built for another number (another
      // ballot of this home got in first) is built again, and the owner sees its new
      // fingerprint and chooses again (cast or check): the phone never casts a ballot
      // whose fingerprint it did not show before the choice (§9.1).
      if (!built || built.seq !== seq) {
        built = encryptFor(template, seq);
        showFingerprint();
        throw new ovapi.ApiError(0, "renumbered", d.msgRenumbered);
      }
      content.encrypted = built.encrypted;
    } else {
      content.choices = choices;
    }
    const payload = {
      ...content,
      head: template.head.id,
      key: record.keyId,
      nonce: ovcrypto.toB64url(crypto.getRandomValues(new Uint8Array(16))),
      origin: template.origin,
      seq,
    };
    const message = ovcrypto.utf8(template.prefix + ovcrypto.canonicalJSON(payload));
    const signature = ovcrypto.toB64url(await ovcrypto.signMessage(record, message));
    return { payload, signature };
  }

  async function castBallot() {
    if (!ovapi.cryptoAvailable()) throw new ovapi.ApiError(0, "no_crypto", ovapi.noCryptoMessage(root));
    status.textContent = d.msgEnrolling;
    const session = await ovapi.get(d.sessionUrl);
    const account = session.account;
    const device = account && await ovkeys.ensureDevice(account, d.deviceUrl);
    if (!device) {
      $("[data-reverify]", confirmBox).hidden = false;
      throw new ovapi.ApiError(0, "no_device", d.msgNoDevice);
    }
    const template = await ovapi.get(d.templateUrl);
    const record = await ovkeys.ensureBallotKey(account, device, template.origin,
                                                template.head.id, template.ballot_key,
                                                d.ballotKeyUrl);
    status.textContent = d.msgSigning;
    let ballot = await sign(record, template, template.next_seq);
    status.textContent = d.msgSending;
    let result;
    try {
      result = await ovapi.post(d.castUrl, ballot);
    } catch (err) {
      // Another ballot of this home got in first: sign again with the next number, once.
      if (err.code !== "seq_conflict" || !err.data.next_seq) throw err;
      ballot = await sign(record, template, err.data.next_seq);
      result = await ovapi.post(d.castUrl, ballot);
    }
    const kept = { receipt: result.receipt, payload: ballot.payload,
                   signature: ballot.signature, log_key: template.log_key };
    if (secret) kept.choices = choices;  // only this phone knows them
    built = null;
    ovkeys.saveReceipt(d.assembly, result.tracker, kept);
    window.location.assign(d.receiptUrl.replace("TRACKER", result.tracker));
  }

  $("#sign").addEventListener("click", async () => {
    const button = $("#sign");
    if (secret && !built) return;
    button.disabled = true;
    $("#back").disabled = true;
    if (secret) $("#challenge").disabled = true;
    ovapi.say(error, "");
    try {
      await castBallot();
    } catch (err) {
      status.textContent = "";
      ovapi.say(error, ovapi.messageOf(err, root));
      button.disabled = false;
      $("#back").disabled = false;
      if (secret) $("#challenge").disabled = false;
    }
  });
})();

/* Steps 2 and 3: choose, confirm, sign on this phone, cast, go to the receipt.
 *
 * The ballot signed is exactly docs/audit-bundle.md section 6:
 *   "ownervote/ballot/v1\n" + canonical JSON of {choices, head, key, nonce, origin, seq}
 * with the ballot key (ECDSA P-256, P1363 r||s), posted as {payload, signature}.
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
  });

  $("#back").addEventListener("click", () => {
    confirmBox.hidden = true;
    $("#choose").hidden = false;
    setStep(2);
    const first = $("fieldset.ballot-item input:not(:disabled)");
    if (first) first.focus();
  });

  /* -- signing and casting ------------------------------------------------------------- */

  async function sign(record, template, seq) {
    const payload = {
      choices,
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
    if (!ovapi.cryptoAvailable()) throw new ovapi.ApiError(0, "no_crypto", d.msgNoCrypto);
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
    ovkeys.saveReceipt(d.assembly, result.tracker, {
      receipt: result.receipt, payload: ballot.payload, signature: ballot.signature,
      log_key: template.log_key,
    });
    window.location.assign(d.receiptUrl.replace("TRACKER", result.tracker));
  }

  $("#sign").addEventListener("click", async () => {
    const button = $("#sign");
    button.disabled = true;
    $("#back").disabled = true;
    ovapi.say(error, "");
    try {
      await castBallot();
    } catch (err) {
      status.textContent = "";
      ovapi.say(error, ovapi.messageOf(err, root));
      button.disabled = false;
      $("#back").disabled = false;
    }
  });
})();

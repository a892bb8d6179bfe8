/* Step 1: verify the owner's identity, one screen at a time, then set up this phone.
 *
 * details → POST /verification/match → phone → POST /verification/code → code →
 * POST /verification/confirm (signs in) → the device key is made and enrolled
 * (POST /devices) → the ballot page.
 */
(function () {
  "use strict";

  const root = document.getElementById("verify");
  if (!root || !document.getElementById("form-details")) return;
  const d = root.dataset;
  const $ = (sel, el) => (el || root).querySelector(sel);
  const sections = ["v-details", "v-phone", "v-code", "v-device"].map((id) => $("#" + id));
  let token = null;
  let resendTimer = null;

  function show(id) {
    for (const s of sections) s.hidden = s.id !== id;
    const first = $("#" + id + " input:not([type=hidden])");
    if (first) first.focus();
  }

  function value(name) {
    const el = root.querySelector('[name="' + name + '"]');
    return el ? el.value.trim() : "";
  }

  /* The field a refusal is about: named by the server (a malformed field) or by its code. */
  const FIELD_OF = { invalid_id_number: "id_number", invalid_phone: "phone",
                     code_invalid: "code", verification_failed: "certificate_no" };

  function clearInvalid(form) {
    for (const el of form.querySelectorAll("[aria-invalid]")) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    }
    for (const p of form.querySelectorAll("[data-field-error]")) p.remove();
  }

  /* Mark the field as wrong and put the message right under it; false if not in the form. */
  function markInvalid(form, name, message) {
    const input = form.querySelector('[name="' + name + '"]');
    if (!input) return false;
    const p = document.createElement("p");
    p.className = "field-error";
    p.id = name + "-error";
    p.dataset.fieldError = "";
    p.setAttribute("role", "alert");
    p.textContent = message;
    input.insertAdjacentElement("afterend", p);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", p.id);
    input.focus();
    return true;
  }

  /* Fields left empty, before asking the server: [name, message] or null. */
  function missing(form) {
    for (const el of form.querySelectorAll("input[required]")) {
      if (!el.value.trim()) return [el.name, d.msgRequired];
    }
    if (form.id === "form-details" && !value("certificate_no")
        && !(value("building") && value("unit"))) {
      return ["certificate_no", d.msgHome];
    }
    return null;
  }

  async function submit(form, action) {
    const button = form.querySelector("button[type=submit]");
    const error = form.querySelector("[data-error]");
    ovapi.say(error, "");
    clearInvalid(form);
    const empty = missing(form);
    if (empty) {
      markInvalid(form, empty[0], empty[1]);
      return;
    }
    button.disabled = true;
    try {
      await action();
    } catch (err) {
      const field = (err.data && err.data.field) || FIELD_OF[err.code];
      if (!(field && markInvalid(form, field, ovapi.messageOf(err, root)))) {
        ovapi.say(error, ovapi.messageOf(err, root));
      }
      if (err.code === "expired" || (err.code === "code_invalid" && err.data.attempts_left === 0)) {
        token = null;
        setTimeout(() => { show("v-details"); ovapi.say($("#form-details [data-error]"),
                                                        ovapi.messageOf(err, root)); }, 1500);
      }
    } finally {
      button.disabled = false;
    }
  }

  $("#form-details").addEventListener("submit", (event) => {
    event.preventDefault();
    submit(event.target, async () => {
      const body = { assembly_id: Number(d.assembly), name: value("name"),
                     id_type: value("id_type"), id_number: value("id_number") };
      for (const f of ["certificate_no", "building", "unit"]) if (value(f)) body[f] = value(f);
      const found = await ovapi.post(d.matchUrl, body);
      token = found.token;
      $("[data-owner]").textContent = found.owner_name_masked;
      $("[data-holder]").textContent = found.holder_kind === "self" ? "" : "(" + found.holder_label + ")";
      $("[data-units]").textContent = found.units.join("、");
      show("v-phone");
    });
  });

  function countdown(resendAt) {
    const button = $("#resend");
    clearInterval(resendTimer);
    const tick = () => {
      const left = Math.ceil((Date.parse(resendAt) - Date.now()) / 1000);
      button.disabled = left > 0;
      button.textContent = left > 0 ? d.msgResendWait.replace("{n}", left) : d.msgResend;
      if (left <= 0) clearInterval(resendTimer);
    };
    tick();
    resendTimer = setInterval(tick, 1000);
  }

  async function sendCode() {
    const sent = await ovapi.post(d.codeUrl, { token, phone: value("phone") });
    $("[data-phone]").textContent = sent.phone_masked;
    const demo = $("[data-demo-sms]");
    if (demo && sent.demo_sms) {
      $("[data-sms-body]").textContent = sent.demo_sms.body;
      demo.hidden = false;
    }
    countdown(sent.resend_at);
    show("v-code");
  }

  $("#form-phone").addEventListener("submit", (event) => {
    event.preventDefault();
    submit(event.target, sendCode);
  });

  $("#resend").addEventListener("click", () => {
    const error = $("#form-code [data-error]");
    ovapi.say(error, "");
    sendCode().catch((err) => ovapi.say(error, ovapi.messageOf(err, root)));
  });

  /* The device key is made and enrolled now (it needs the fresh verification); ballot keys
   * are made by the ballot page just before the first ballot in each assembly. */
  async function setUpPhone(account) {
    if (!ovapi.cryptoAvailable()) throw new ovapi.ApiError(0, "no_crypto", ovapi.noCryptoMessage(root));
    const device = await ovkeys.ensureDevice(account, d.deviceUrl);
    if (!device) throw new ovapi.ApiError(0, "no_crypto", ovapi.noCryptoMessage(root));
    window.location.assign(d.nextUrl);
  }

  $("#form-code").addEventListener("submit", (event) => {
    event.preventDefault();
    submit(event.target, async () => {
      const done = await ovapi.post(d.confirmUrl, { token, code: value("code") });
      clearInterval(resendTimer);
      show("v-device");
      try {
        await setUpPhone(done.account);
      } catch (err) {
        ovapi.say($("#v-device [data-error]"), ovapi.messageOf(err, root));
      }
    });
  });
})();

/* Committee console: review an entry, sign it with the member's own key, enter it.
 *
 * Forms marked data-sign (paper ballots, proxies, voids) are sent to
 * data-prepare, which checks them and answers with the exact payload to sign
 * and a summary; the member reads the summary and confirms; the browser signs
 * prefix + canonical JSON of the payload with its non-extractable P-256 key
 * (ovcrypto.js, kept in IndexedDB under data-slot) and posts {payload, sig}
 * to data-submit (a form with `ovPrepare` prepares in its own way: a secret paper ballot
 * is encrypted in this browser first).  The key is enrolled in the assembly's ledger first
 * (data-enroll; the server answers at once if it already is).
 */
(function () {
  "use strict";

  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : "";

  function text(form, key) {
    return (form.dataset[key] || "").trim();
  }

  async function postJSON(url, body) {
    const res = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    });
    return res.json();
  }

  async function ensureKey(form) {
    if (!window.crypto || !window.crypto.subtle || !window.indexedDB) {
      throw new Error(form.dataset.noCrypto || "This browser cannot keep a signing key (WebCrypto over HTTPS is needed).");
    }
    const slot = text(form, "slot");
    let record = await ovcrypto.loadDeviceKey(slot);
    if (!record) record = await ovcrypto.createDeviceKey(slot);
    const answer = await postJSON(text(form, "enroll"), { spki: ovcrypto.toB64url(record.spki) });
    if (!answer.ok) throw new Error(answer.error);
    return record;
  }

  function setup(form) {
    const panel = form.querySelector("[data-sign-panel]");
    const list = form.querySelector("[data-sign-summary]");
    const result = form.querySelector("[data-sign-result]");
    const start = form.querySelector("[data-sign-start]");
    const confirm = form.querySelector("[data-sign-confirm]");
    const cancel = form.querySelector("[data-sign-cancel]");
    let pending = null;
    let key = null;

    function say(message, ok) {
      result.textContent = message || "";
      result.className = "sign-result " + (message ? (ok ? "flash flash-ok" : "flash flash-error") : "");
    }
    function reviewing(on) {
      panel.hidden = !on;
      start.hidden = on;
      form.querySelectorAll("input, select, textarea").forEach((el) => {
        if (el.type !== "hidden") el.disabled = on;
      });
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      say("");
      start.disabled = true;
      try {
        key = await ensureKey(form);
        form.elements.official.value = key.keyId;
        const send = async (body) => {
          const res = await fetch(text(form, "prepare"), {
            method: "POST", credentials: "same-origin", body,
            headers: { "Accept": "application/json", "X-CSRFToken": csrf },
          });
          return res.json();
        };
        // a form may prepare in its own way (a secret paper ballot encrypts first:
        // committee-paper-secret.js); else its fields are sent as they are
        const answer = form.ovPrepare ? await form.ovPrepare(new FormData(form), send)
          : await send(new FormData(form));
        if (!answer.ok) { say(answer.error, false); return; }
        pending = answer;
        list.replaceChildren(...answer.summary.map((line) => {
          const li = document.createElement("li");
          li.textContent = line;
          return li;
        }));
        reviewing(true);
        confirm.focus();
      } catch (err) {
        say(err.message || String(err), false);
      } finally {
        start.disabled = false;
      }
    });

    cancel.addEventListener("click", () => { pending = null; reviewing(false); start.focus(); });

    confirm.addEventListener("click", async () => {
      if (!pending) return;
      confirm.disabled = true;
      try {
        const message = ovcrypto.utf8(pending.prefix + ovcrypto.canonicalJSON(pending.payload));
        const sig = await ovcrypto.signMessage(key, message);
        const body = { payload: pending.payload, sig: ovcrypto.toB64url(sig) };
        text(form, "extra").split(",").filter(Boolean).forEach((name) => {
          body[name] = form.elements[name].value;
        });
        const answer = await postJSON(text(form, "submit"), body);
        reviewing(false);
        pending = null;
        if (answer.ok) {
          window.location.assign(answer.redirect);
        } else {
          say(answer.error, false);
        }
      } catch (err) {
        reviewing(false);
        say(err.message || String(err), false);
      } finally {
        confirm.disabled = false;
      }
    });
  }

  document.querySelectorAll("form[data-sign]").forEach(setup);
})();

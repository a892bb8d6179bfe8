/* ownervote JSON API client for the owner pages, and the phone's keys.
 *
 * ovapi.get/post call /api/v1 with the CSRF token (from the page's meta tag, renewed
 * from any answer that carries one) and turn an error answer into an ApiError with the
 * server's code and plain-words message.
 *
 * ovkeys keeps two kinds of non-extractable P-256 keys in IndexedDB (ovcrypto):
 *   "device:<slot>"                    the phone's device key for one verified account
 *   "ballot:<slot>:<origin>:<head>"    a ballot key for one head in one assembly's ledger,
 *                                      enrolled by a request the device key signs
 */
(function (global) {
  "use strict";

  const meta = document.querySelector('meta[name="csrf-token"]');
  let csrf = meta ? meta.getAttribute("content") : "";

  class ApiError extends Error {
    constructor(status, code, message, data) {
      super(message || code);
      this.status = status;
      this.code = code;
      this.data = data || {};
    }
  }

  async function call(method, url, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && csrf) headers["X-CSRFToken"] = csrf;
    let response;
    try {
      response = await fetch(url, {
        method, headers, credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, "network", "");
    }
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      throw new ApiError(response.status, (data && data.error) || "http_" + response.status,
                         (data && data.message) || "", data);
    }
    if (data && typeof data.csrf_token === "string") csrf = data.csrf_token;
    return data;
  }

  /* Show a message in an element with the `hidden` attribute; empty text hides it. */
  function say(el, text) {
    if (!el) return;
    el.textContent = text || "";
    el.hidden = !text;
  }

  /* The message to show for an error: the server's, else the page's network message. */
  function messageOf(err, root) {
    if (err instanceof ApiError && err.message && err.code !== "network") return err.message;
    return root.dataset.msgNetwork || String(err);
  }

  /* Why this page cannot make keys: over plain http (not a secure context: the address is
   * the problem, not the browser) or a browser without WebCrypto / IndexedDB. */
  function noCryptoMessage(root) {
    const d = root.dataset;
    return global.isSecureContext === false ? (d.msgInsecure || d.msgNoCrypto) : d.msgNoCrypto;
  }

  /* Say so as soon as the page opens, before the owner types anything. */
  function warnIfInsecure() {
    if (global.isSecureContext !== false) return;
    for (const el of document.querySelectorAll("[data-insecure-warning]")) {
      el.textContent = noCryptoMessage(el.closest("[data-msg-insecure]") || el);
      el.hidden = false;
    }
  }

  function cryptoAvailable() {
    return !!(global.crypto && crypto.subtle && global.indexedDB && global.TextEncoder);
  }

  const oc = global.ovcrypto;

  /* The device key of `account` (from /session or /verification/confirm) on this phone;
   * made and enrolled now if missing and the account was just verified, else null. */
  async function ensureDevice(account, deviceUrl) {
    const slot = "device:" + account.slot;
    let record = await oc.loadDeviceKey(slot);
    if (record && record.keyId === account.device_key) return record;
    if (!account.may_enrol_device) return null;
    record = await oc.createDeviceKey(slot);
    await call("POST", deviceUrl, { spki: oc.toB64url(record.spki) });
    account.device_key = record.keyId;
    return record;
  }

  /* The ballot key for `head` in the ledger `origin`; made and enrolled if this phone has
   * none or the server knows another (`enrolledKeyId`, from the ballot template). */
  async function ensureBallotKey(account, device, origin, head, enrolledKeyId, enrolUrl) {
    const slot = "ballot:" + account.slot + ":" + origin + ":" + head;
    let record = await oc.loadDeviceKey(slot);
    if (record && record.keyId === enrolledKeyId) return record;
    record = await oc.createDeviceKey(slot);
    const spki = oc.toB64url(record.spki);
    const request = oc.utf8("ownervote/ballot-key-request/v1\n" +
                            oc.canonicalJSON({ device: device.keyId, head, origin, spki }));
    const signature = oc.toB64url(await oc.signMessage(device, request));
    await call("POST", enrolUrl, { head, spki, signature });
    return record;
  }

  /* Receipts the phone keeps, to check them later against the ballot it signed. */
  function saveReceipt(assemblyId, tracker, value) {
    try {
      localStorage.setItem("ov-receipt:" + assemblyId + ":" + tracker, JSON.stringify(value));
    } catch (e) { /* private mode: the receipt page still shows the tracker code */ }
  }

  function loadReceipt(assemblyId, tracker) {
    try {
      const raw = localStorage.getItem("ov-receipt:" + assemblyId + ":" + tracker);
      return raw ? JSON.parse(raw) : null;
    } catch (e) {
      return null;
    }
  }

  global.ovapi = {
    ApiError, say, messageOf, cryptoAvailable, noCryptoMessage,
    get: (url) => call("GET", url),
    post: (url, body) => call("POST", url, body || {}),
  };
  global.ovkeys = { ensureDevice, ensureBallotKey, saveReceipt, loadReceipt };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", warnIfInsecure);
  } else {
    warnIfInsecure();
  }
})(window);

/* ownervote browser cryptography: device key, ballot signing, proof checking.
 *
 * Everything here uses the browser's own WebCrypto (SubtleCrypto); nothing is
 * hand-rolled.  The device key is an ECDSA P-256 key pair generated with
 * extractable=false and kept in IndexedDB, so the private key never leaves
 * the phone (not even to this page's own JavaScript).
 */
(function (global) {
  "use strict";

  const enc = new TextEncoder();

  /* RFC 8785 canonical JSON for the subset ownervote uses: objects with ASCII
   * keys, arrays, strings, safe integers, booleans and null. */
  function canonicalJSON(value) {
    if (value === null || typeof value === "boolean") return JSON.stringify(value);
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value)) throw new Error("only safe integers may be signed");
      return String(value);
    }
    if (typeof value === "string") return JSON.stringify(value);
    if (Array.isArray(value)) return "[" + value.map(canonicalJSON).join(",") + "]";
    if (typeof value === "object") {
      const keys = Object.keys(value).sort();
      return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJSON(value[k])).join(",") + "}";
    }
    throw new Error("cannot encode " + typeof value);
  }

  function toHex(bytes) {
    return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function fromHex(hex) {
    if (hex.length % 2) throw new Error("odd hex length");
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }
  function toB64url(bytes) {
    let s = "";
    new Uint8Array(bytes).forEach((b) => { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function fromB64(text) {
    const s = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
  }
  function concat(...parts) {
    const total = parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }
  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }
  function equalBytes(a, b) {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  }

  /* RFC 6962 hashes and the RFC 9162 section 2.1.3.2 inclusion check. */
  async function leafHash(data) { return sha256(concat(Uint8Array.of(0), data)); }
  async function nodeHash(left, right) { return sha256(concat(Uint8Array.of(1), left, right)); }

  async function verifyInclusion(leaf, index, size, proof, root) {
    if (index < 0 || index >= size) return false;
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 && equalBytes(r, root);
  }

  /* The device key, in IndexedDB. */
  const DB_NAME = "ownervote", STORE = "keys";
  function openDb() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  async function idb(mode, fn) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req && req.result);
      tx.onerror = () => reject(tx.error);
    });
  }
  async function loadDeviceKey(slot) {
    return idb("readonly", (s) => s.get(slot));
  }
  async function createDeviceKey(slot) {
    const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false,
                                                 ["sign", "verify"]);
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
    const record = { privateKey: pair.privateKey, publicKey: pair.publicKey, spki: spki,
                     keyId: toHex(await sha256(spki)), created: Date.now() };
    await idb("readwrite", (s) => s.put(record, slot));
    return record;
  }
  /* IEEE P1363 r||s, 64 bytes: what WebCrypto produces for ECDSA. */
  async function signMessage(record, message) {
    return new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" },
                                                   record.privateKey, message));
  }

  global.ovcrypto = {
    canonicalJSON, toHex, fromHex, toB64url, fromB64, concat, sha256, equalBytes,
    leafHash, nodeHash, verifyInclusion, loadDeviceKey, createDeviceKey, signMessage,
    utf8: (s) => enc.encode(s),
  };
})(window);

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
  /* The order n of P-256.  For a valid signature (r, s), (r, n - s) is valid too; the
   * ledger accepts only the low-S one (s <= n/2), so that nobody relaying a ballot can
   * make a second entry (another tracker code) from it.  WebCrypto does not normalise. */
  const P256_N = BigInt("0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
  function lowS(sig) {
    const s = BigInt("0x" + toHex(sig.subarray(32)));
    if (s <= P256_N >> 1n) return sig;
    const out = new Uint8Array(64);
    out.set(sig.subarray(0, 32));
    out.set(fromHex((P256_N - s).toString(16).padStart(64, "0")), 32);
    return out;
  }
  /* IEEE P1363 r||s, 64 bytes (what WebCrypto produces for ECDSA), in its low-S form. */
  async function signMessage(record, message) {
    return lowS(new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" },
                                                        record.privateKey, message)));
  }

  global.ovcrypto = {
    canonicalJSON, toHex, fromHex, toB64url, fromB64, concat, sha256, equalBytes,
    leafHash, nodeHash, verifyInclusion, loadDeviceKey, createDeviceKey, signMessage, lowS,
    utf8: (s) => enc.encode(s),
  };
})(window);

/* Additions for checking receipts in the browser: RFC 9162 consistency proofs, C2SP signed
 * notes and checkpoints with the log's Ed25519 key, and tracker codes.  They extend
 * window.ovcrypto and leave the functions above as they are. */
(function (global) {
  "use strict";

  const oc = global.ovcrypto;
  const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

  /* RFC 4648 base32 without padding. */
  function base32(bytes) {
    let out = "", bits = 0, value = 0;
    for (const b of new Uint8Array(bytes)) {
      value = (value << 8) | b; bits += 8;
      while (bits >= 5) { out += B32[(value >>> (bits - 5)) & 31]; bits -= 5; }
      value &= (1 << bits) - 1;
    }
    if (bits > 0) out += B32[(value << (5 - bits)) & 31];
    return out;
  }

  /* The tracker code of an entry hash: first 20 base32 characters in groups of four. */
  function trackerCode(entryHash) {
    return base32(entryHash).slice(0, 20).match(/.{4}/g).join("-");
  }

  const half = (n) => Math.floor(n / 2);
  const odd = (n) => n % 2 === 1;
  function isPowerOfTwo(n) {
    while (n > 1 && n % 2 === 0) n /= 2;
    return n === 1;
  }

  /* RFC 9162 section 2.1.4.2: does `proof` show the tree of `second` leaves (root
   * secondHash) extends the tree of `first` leaves (root firstHash)? */
  async function verifyConsistency(first, second, firstHash, secondHash, proof) {
    if (!(Number.isSafeInteger(first) && Number.isSafeInteger(second))) return false;
    if (first < 1 || first > second) return false;
    if (first === second) return proof.length === 0 && oc.equalBytes(firstHash, secondHash);
    let path = proof.slice();
    if (isPowerOfTwo(first)) path = [firstHash].concat(path);
    if (path.length === 0) return false;
    let fn = first - 1, sn = second - 1;
    while (odd(fn)) { fn = half(fn); sn = half(sn); }
    let fr = path[0], sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0) return false;
      if (odd(fn) || fn === sn) {
        fr = await oc.nodeHash(c, fr);
        sr = await oc.nodeHash(c, sr);
        if (!odd(fn)) {
          while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
        }
      } else {
        sr = await oc.nodeHash(sr, c);
      }
      fn = half(fn); sn = half(sn);
    }
    return sn === 0 && oc.equalBytes(fr, firstHash) && oc.equalBytes(sr, secondHash);
  }

  function stdB64(text) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
      throw new Error("not base64");
    }
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  }

  /* A C2SP verifier key "name+hexid+base64(alg || key)". */
  function parseVkey(vkey) {
    const m = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(String(vkey));
    const parts = m ? m.slice(1) : [];
    if (parts.length !== 3) {
      throw new Error("malformed verifier key");
    }
    const raw = stdB64(parts[2]);
    if (raw.length !== 33) throw new Error("malformed verifier key");
    return { name: parts[0], keyId: oc.fromHex(parts[1]), alg: raw[0], publicKey: raw.slice(1) };
  }

  async function noteKeyId(name, alg, publicKey) {
    const digest = await oc.sha256(oc.concat(oc.utf8(name + "\n"), Uint8Array.of(alg), publicKey));
    return digest.slice(0, 4);
  }

  /* A signed note: text (ending in "\n"), a blank line, then "— name base64" lines. */
  function parseNote(data) {
    const sep = data.lastIndexOf("\n\n");
    if (sep < 0 || !data.endsWith("\n")) throw new Error("malformed note");
    const text = data.slice(0, sep + 1);
    const signatures = data.slice(sep + 2, -1).split("\n").map((line) => {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m) throw new Error("malformed signature line");
      const raw = stdB64(m[2]);
      if (raw.length < 5) throw new Error("malformed signature line");
      return { name: m[1], keyId: raw.slice(0, 4), signature: raw.slice(4) };
    });
    return { text, signatures };
  }

  /* Checkpoint text: origin, size, base64 root. */
  function parseCheckpoint(text) {
    const lines = text.split("\n");
    if (lines.length !== 4 || lines[3] !== "" || !/^(0|[1-9][0-9]*)$/.test(lines[1])) {
      throw new Error("malformed checkpoint");
    }
    const root = stdB64(lines[2]);
    if (root.length !== 32) throw new Error("malformed checkpoint");
    return { origin: lines[0], size: Number(lines[1]), root };
  }

  let ed25519 = null;
  /* Can this browser verify Ed25519 (WebCrypto, Chromium 137+, Safari 17+, Firefox 129+)? */
  async function ed25519Supported() {
    if (ed25519 === null) {
      try {
        await crypto.subtle.importKey("raw", new Uint8Array(32).fill(1), { name: "Ed25519" },
                                      false, ["verify"]);
        ed25519 = true;
      } catch (e) {
        ed25519 = false;
      }
    }
    return ed25519;
  }

  /* Is `note` signed by the Ed25519 note key `vkey`?  Checks the key id of the vkey, finds
   * the signature line of that key and verifies it over the note's text. */
  async function verifyNote(note, vkey) {
    const key = parseVkey(vkey);
    if (key.alg !== 1) return false;
    const kid = await noteKeyId(key.name, key.alg, key.publicKey);
    if (!oc.equalBytes(kid, key.keyId)) return false;
    const line = note.signatures.find((s) => s.name === key.name && oc.equalBytes(s.keyId, kid));
    if (!line || line.signature.length !== 64) return false;
    const pub = await crypto.subtle.importKey("raw", key.publicKey, { name: "Ed25519" }, false,
                                              ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, pub, line.signature, oc.utf8(note.text));
  }

  Object.assign(oc, {
    base32, trackerCode, verifyConsistency, parseVkey, noteKeyId, parseNote, parseCheckpoint,
    ed25519Supported, verifyNote,
  });
})(window);

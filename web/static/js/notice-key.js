/* The trust anchors of the printed notice, pinned on this phone.
 *
 * The notice's QR code leads to /a/<id>#log-key=<vkey>&quorum=<k>&witness=<vkey>…
 * (ledger/trustanchors.py).  The fragment never reaches the server: this script reads
 * it on any owner page of that assembly and keeps it in localStorage
 * ("ov-notice:<id>"), so the receipt check (owner-check.js) can compare the ledger key
 * the server uses with the one printed on the notice.  A later, different key from a
 * scanned notice replaces it (the owner scanned it; the check then shows what differs).
 *
 *   window.ovnotice.pinned(assemblyId)  -> {log_key, quorum, witnesses} or null
 *   window.ovnotice.cosignedBy(note, witnessKeys) -> names whose cosignature verifies
 */
(function (global) {
  "use strict";

  const VKEY = /^[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]{43}[A-Za-z0-9+/=]$/;
  const storageKey = (id) => "ov-notice:" + id;

  function fromFragment(hash) {
    if (!hash || hash.length < 2) return null;
    const params = new URLSearchParams(hash.slice(1));
    const logKey = params.get("log-key");
    if (!logKey || !VKEY.test(logKey)) return null;
    const witnesses = params.getAll("witness").filter((w) => VKEY.test(w));
    const quorum = params.has("quorum") ? parseInt(params.get("quorum"), 10) : null;
    return { log_key: logKey, quorum: Number.isFinite(quorum) ? quorum : null, witnesses };
  }

  function assemblyOfPage() {
    const m = /^\/a\/(\d+)(\/|$)/.exec(global.location.pathname);
    return m ? m[1] : null;
  }

  function pinned(assemblyId) {
    try {
      const raw = global.localStorage.getItem(storageKey(assemblyId));
      const value = raw && JSON.parse(raw);
      return value && typeof value.log_key === "string" ? value : null;
    } catch (e) {
      return null; // storage switched off, or a damaged record: nothing pinned
    }
  }

  /* The names of the notice's witnesses (cosignature/v1 verifier keys) whose cosignature of
   * `note` (ovcrypto.parseNote) verifies: Ed25519 over "cosignature/v1\ntime <t>\n" and
   * the note's text, the line's bytes being key id (4), time (8, big-endian), signature. */
  async function cosignedBy(note, witnessKeys) {
    const oc = global.ovcrypto;
    const names = [];
    for (const vkey of witnessKeys || []) {
      let key;
      try {
        key = oc.parseVkey(vkey);
      } catch (e) {
        continue;
      }
      if (key.alg !== 4) continue;
      const kid = await oc.noteKeyId(key.name, key.alg, key.publicKey);
      if (!oc.equalBytes(kid, key.keyId)) continue;
      const line = note.signatures.find((s) => s.name === key.name && oc.equalBytes(s.keyId, kid));
      if (!line || line.signature.length !== 72) continue;
      const sig = line.signature;
      const time = new DataView(sig.buffer, sig.byteOffset, 8).getBigUint64(0);
      if (time >= 2n ** 63n) continue;
      const message = oc.concat(oc.utf8("cosignature/v1\ntime " + time + "\n"),
                                oc.utf8(note.text));
      const pub = await crypto.subtle.importKey("raw", key.publicKey, { name: "Ed25519" },
                                                false, ["verify"]);
      if (await crypto.subtle.verify({ name: "Ed25519" }, pub, sig.slice(8), message)) {
        names.push(key.name);
      }
    }
    return names;
  }

  const here = assemblyOfPage();
  const scanned = fromFragment(global.location.hash);
  if (here && scanned) {
    try {
      global.localStorage.setItem(storageKey(here), JSON.stringify(scanned));
    } catch (e) {
      /* private mode: the key cannot be kept; the check says it is not pinned */
    }
  }

  global.ovnotice = { pinned, fromFragment, cosignedBy };
})(window);

/* "Check my ballot": verify, in this browser, that the ballot is in the signed ledger.
 *
 * The server's answer (GET /assemblies/<id>/receipts/<tracker>) is not trusted: every
 * step below is recomputed here with SubtleCrypto and shown as passed or FAILED.
 *   found        the ledger has a ballot entry for this tracker code
 *   hash         the entry hash gives the tracker code (and, when the server sends the
 *                entry's bytes, SHA-256(0x00 || entry bytes) is that entry hash)
 *   mine         the entry carries exactly the payload and signature this phone made:
 *                the entry's bytes come only to the owner who votes for its head, signed
 *                in; anyone else (a vote buyer shown the code) learns only that a ballot
 *                with this code is in the log, never its choices or whether it counts
 *   notice       the ledger key is the one on the printed notice, when this phone pinned
 *                it from the notice's QR code (notice-key.js); else "not checked"
 *   signature    the newest checkpoint note is signed by the ledger's Ed25519 key
 *   witnesses    at least the notice's quorum of its witnesses cosigned that checkpoint
 *                (cosignature/v1), when the notice has a witness policy; fewer so far is
 *                "not checked" (the log asks them within a minute of a new checkpoint)
 *   inclusion    RFC 9162 inclusion proof of the entry into that checkpoint's root
 *   receipt      the receipt this phone kept: its checkpoint is signed and contains it
 *   consistency  RFC 9162 consistency proof from the receipt's checkpoint to the newest
 * Roots and sizes come from the signed note texts, never from unsigned JSON fields.
 */
(function () {
  "use strict";

  const root = document.getElementById("check");
  if (!root) return;
  const d = root.dataset;
  const oc = window.ovcrypto;
  const rows = {};
  for (const li of root.querySelectorAll("[data-check]")) rows[li.dataset.check] = li;
  let failed = false;

  function mark(name, outcome, detail) {
    const li = rows[name];
    const labels = { ok: d.msgOk, fail: d.msgFail, skip: d.msgSkip, run: d.msgRunning };
    li.className = "check-" + outcome;
    li.querySelector("[data-res]").textContent = labels[outcome];
    li.querySelector("[data-detail]").textContent = detail || "";
    if (outcome === "fail") failed = true;
  }

  const hex = (bytes) => oc.toHex(bytes);
  const unhex = (list) => list.map((h) => oc.fromHex(h));

  async function signedCheckpoint(noteText, vkey, name) {
    const note = oc.parseNote(noteText);
    const cp = oc.parseCheckpoint(note.text);
    if (!(await oc.ed25519Supported())) {
      if (name) mark(name, "skip", d.msgNoEd25519);
      return cp;
    }
    const ok = await oc.verifyNote(note, vkey);
    if (name) {
      mark(name, ok ? "ok" : "fail",
           d.msgSigned.replace("{name}", oc.parseVkey(vkey).name).replace("{size}", cp.size));
    }
    if (!ok) throw new Error("checkpoint signature");
    return cp;
  }

  // The notice's witness policy: at least `quorum` of its witnesses cosigned the checkpoint.
  // Fewer is "not checked", not a failure: a checkpoint just signed is cosigned within a
  // minute or so, and a check later shows it.
  async function witnessed(noteText, pinned) {
    if (!pinned || !pinned.witnesses || !pinned.witnesses.length || !pinned.quorum) {
      mark("witnesses", "skip", pinned ? d.msgNoPolicy : d.msgNotPinned);
      return;
    }
    if (!(await oc.ed25519Supported())) {
      mark("witnesses", "skip", d.msgNoEd25519);
      return;
    }
    const names = await window.ovnotice.cosignedBy(oc.parseNote(noteText), pinned.witnesses);
    const detail = (names.length >= pinned.quorum ? d.msgCosigned : d.msgNotYetCosigned)
      .replace("{k}", names.length).replace("{quorum}", pinned.quorum)
      .replace("{n}", pinned.witnesses.length).replace("{names}", names.join("、"));
    mark("witnesses", names.length >= pinned.quorum ? "ok" : "skip", detail);
  }

  async function run() {
    for (const name of Object.keys(rows)) mark(name, "run");
    const local = ovkeys.loadReceipt(d.assembly, d.tracker);
    let url = d.lookupUrl;
    if (local && local.receipt) {
      const size = oc.parseCheckpoint(oc.parseNote(local.receipt.checkpoint).text).size;
      url += "?from=" + size;
    }
    const data = await ovapi.get(url);
    mark("found", "ok", "#" + data.index);

    // The entry hash gives the tracker code; the entry's bytes (its voter only) give the hash.
    const leaf = data.entry ? await oc.leafHash(oc.utf8(data.entry)) : oc.fromHex(data.entry_hash);
    const hashOk = hex(leaf) === data.entry_hash && oc.trackerCode(leaf) === d.tracker;
    mark("hash", hashOk ? "ok" : "fail", hex(leaf).slice(0, 16) + "…");
    root.querySelector('[data-tech="hash"]').textContent = hex(leaf);

    // The ballot this phone signed, if it was cast here (and its owner is signed in).
    if (local && data.entry) {
      const entry = JSON.parse(data.entry);
      const same = oc.canonicalJSON(entry.body.payload) === oc.canonicalJSON(local.payload) &&
                   entry.body.sig === local.signature;
      mark("mine", same ? "ok" : "fail");
    } else {
      mark("mine", "skip", local ? d.msgSignIn : d.msgNotHere);
    }

    // The log key: the one printed on the notice (pinned from its QR code by notice-key.js),
    // the one this page was served with, and the one seen when voting.
    const vkey = data.checkpoint.log_key;
    const keyId = (k) => String(k).split("+")[1] || "";
    const pinned = window.ovnotice ? window.ovnotice.pinned(d.assembly) : null;
    if (!pinned) {
      mark("notice", "skip", d.msgNotPinned);
    } else if (pinned.log_key !== vkey) {
      mark("notice", "fail", d.msgKeyDiffers.replace("{served}", keyId(vkey))
                                            .replace("{pinned}", keyId(pinned.log_key)));
      root.querySelector("[data-key-warning]").hidden = false;
      throw new Error("log key differs from the notice");
    } else {
      mark("notice", "ok", d.msgPinned.replace("{id}", keyId(vkey)));
    }
    if (vkey !== d.logKey || (local && local.log_key && local.log_key !== vkey)) {
      mark("signature", "fail", vkey);
      throw new Error("log key changed");
    }
    const newest = await signedCheckpoint(data.checkpoint.note, vkey, "signature");
    await witnessed(data.checkpoint.note, pinned);
    root.querySelector('[data-tech="size"]').textContent = newest.size;
    root.querySelector('[data-tech="root"]').textContent = hex(newest.root);

    const included = await oc.verifyInclusion(leaf, data.index, newest.size,
                                              unhex(data.inclusion), newest.root);
    mark("inclusion", included ? "ok" : "fail",
         d.msgProof.replace("{n}", data.inclusion.length).replace("{size}", newest.size));

    if (!local || !local.receipt) {
      mark("receipt", "skip", d.msgNotHere);
      mark("consistency", "skip", d.msgNotHere);
    } else {
      const r = local.receipt;
      const old = await signedCheckpoint(r.checkpoint, vkey, null);
      const inReceipt = r.entry_hash === hex(leaf) && r.index === data.index &&
        await oc.verifyInclusion(leaf, r.index, old.size, unhex(r.proof), old.root);
      mark("receipt", inReceipt ? "ok" : "fail",
           d.msgProof.replace("{n}", r.proof.length).replace("{size}", old.size));
      const c = data.consistency;
      const grown = old.origin === newest.origin && c && c.from === old.size &&
        c.to === newest.size &&
        await oc.verifyConsistency(old.size, newest.size, old.root, newest.root, unhex(c.proof));
      mark("consistency", grown ? "ok" : "fail",
           d.msgGrew.replace("{old}", old.size).replace("{new}", newest.size));
    }
    return data;
  }

  function finish(data) {
    root.querySelector('[data-outcome="ok"]').hidden = failed;
    root.querySelector('[data-outcome="fail"]').hidden = !failed;
    if (failed || !data) return;
    const texts = root.querySelector("[data-counts-text]").dataset;
    const parts = [];
    if (!data.mine) {
      root.querySelector("[data-result]").textContent = texts.notMine;
      return;
    }
    if (data.voided) parts.push(texts.voided);
    if (data.counts_for.length) parts.push(texts.counts.replace("{items}", data.counts_for.join("、")));
    const replaced = Object.keys(data.replaced);
    if (replaced.length) parts.push(texts.replaced.replace("{items}", replaced.join("、")));
    root.querySelector("[data-result]").textContent = parts.join(" ");
  }

  run().then(finish, (err) => {
    // Whatever could not be checked because of the error counts as failed, visibly.
    let message = err instanceof ovapi.ApiError ? ovapi.messageOf(err, root) : "";
    for (const [name, li] of Object.entries(rows)) {
      if (li.className === "check-run") { mark(name, "fail", message); message = ""; }
    }
    failed = true;
    finish(null);
  });
})();

/* ownervote secret ballots in the browser (docs/secret-ballots.md §2–§6, §8, §11).
 *
 * Exponential ElGamal on secp256k1 (a group of prime order L), its disjunctive
 * Chaum–Pedersen proofs, and the encrypted ballot: built, verified and audited (Benaloh)
 * exactly as ledger/secret/ does on the server.  Every curve operation and the hash are
 * @noble's (the vendored web/static/vendor/noble/noble.js, global `ovnoble`, loaded first
 * with its SRI hash); this file only composes them as the spec says.
 *
 * Scalars are BigInts in [0, L); points are noble Points.  Randomness comes from
 * crypto.getRandomValues: 64 bytes read little-endian and reduced mod L (the bias is below
 * 2^-259), redrawn if zero.  A test may pass its own scalar source (`draw`) instead, to
 * reproduce the server's seeded vectors; a real ballot never does.
 */
(function (global) {
  "use strict";

  const nb = global.ovnoble;
  if (!nb) throw new Error("ovsecret.js needs vendor/noble/noble.js, loaded before it");
  const Point = nb.Point;
  const L = nb.CURVE_ORDER;
  const G = Point.BASE;
  const O = Point.ZERO;
  const enc = new TextEncoder();
  const DOMAIN = enc.encode("ownervote/secret-ballot/v2/");
  const HEX64 = /^[0-9a-f]{64}$/;
  const HEX66 = /^[0-9a-f]{66}$/;
  /* The identity's encoding (§2.1): 33 zero bytes; noble refuses to encode Point.ZERO. */
  const ZERO_BYTES = new Uint8Array(33);

  /* A refusal: `code` is one of the server's BallotRefusal codes (ledger/secret/errors.py):
   * malformed, unknown_item, wrong_option_count, bad_point, bad_scalar, bad_option_proof,
   * bad_sum_proof; `where` the JSON path; `item`, `option`, `proof` as the server names them. */
  class SecretError extends Error {
    constructor(code, where, detail, extra) {
      super(code + " at " + where + ": " + detail);
      this.name = "SecretError";
      this.code = code;
      this.where = where;
      this.detail = detail;
      this.item = (extra && extra.item !== undefined) ? extra.item : null;
      this.option = (extra && extra.option !== undefined) ? extra.option : null;
      this.proof = (extra && extra.proof !== undefined) ? extra.proof : null;
    }
    asDict() {
      return { code: this.code, where: this.where, item: this.item, option: this.option,
               proof: this.proof };
    }
  }

  /* ---- §2 the group --------------------------------------------------------------- */

  function mod(k) {
    const r = k % L;
    return r < 0n ? r + L : r;
  }

  /* k·P for any integer k (reduced mod L); 0 and the identity give the identity (§2.4).
   * Constant-time (noble's `multiply`) unless `pub` says the scalar and point are public. */
  function mul(k, P, pub) {
    k = mod(k);
    if (k === 0n || P.is0()) return O;
    return pub ? P.multiplyUnsafe(k) : P.multiply(k);
  }

  function pointBytes(P) { return P.is0() ? ZERO_BYTES : P.toBytes(true); }
  function pointHex(P) { return nb.bytesToHex(pointBytes(P)); }
  function scalarHex(k) { return nb.bytesToHex(nb.numberToBytesLE(mod(k), 32)); }

  /* A received point (§2.3): 66 lowercase hex digits, a SEC 1 compressed encoding (prefix
   * 02 or 03, x < p) of a point of the curve — of the group, secp256k1 having cofactor 1 —
   * and so never the identity: what libsecp256k1's secp256k1_ec_pubkey_parse accepts on
   * 33 bytes. */
  function decodePoint(text, where, extra) {
    if (typeof text !== "string" || !HEX66.test(text)) {
      throw new SecretError("bad_point", where, "expected 66 lowercase hex digits", extra);
    }
    let P;
    try {
      if (text.slice(0, 2) !== "02" && text.slice(0, 2) !== "03") throw new Error("prefix");
      P = Point.fromHex(text);  // refuses x >= p and an x with no point of the curve
      P.assertValidity();
    } catch (e) {
      throw new SecretError("bad_point", where,
                            "not a compressed point of secp256k1 (or the identity)", extra);
    }
    return P;
  }

  /* A received scalar (§2.2): 64 lowercase hex digits, little-endian, below L (0 allowed). */
  function decodeScalar(text, where, extra) {
    if (typeof text !== "string" || !HEX64.test(text)) {
      throw new SecretError("bad_scalar", where, "expected 64 lowercase hex digits", extra);
    }
    const k = nb.bytesToNumberLE(nb.hexToBytes(text));
    if (k >= L) {
      throw new SecretError("bad_scalar", where, "scalar is not reduced below L", extra);
    }
    return k;
  }

  /* A source of random bytes: `random(n)` returns n bytes (default: the browser's CSPRNG). */
  function cryptoRandom(n) {
    const out = new Uint8Array(n);
    global.crypto.getRandomValues(out);
    return out;
  }

  /* A uniformly random scalar in [1, L): 64 bytes, little-endian, mod L, redrawn if 0. */
  function randomScalar(random) {
    const source = random || cryptoRandom;
    for (;;) {
      const bytes = source(64);
      if (!(bytes instanceof Uint8Array) || bytes.length !== 64) {
        throw new Error("the random source must return 64 bytes");
      }
      const k = nb.bytesToNumberLE(bytes) % L;
      if (k !== 0n) return k;
    }
  }

  /* ---- §3 hashing to a challenge --------------------------------------------------- */

  function u32be(n) {
    return new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  }

  /* H(tag, part_1 … part_n) = int_le(SHA-512(DOMAIN ‖ tag ‖ 0x00 ‖ (len32be ‖ part)…)) mod L */
  function hashToScalar(tag, parts) {
    if (!/^[\x20-\x7e]+$/.test(tag)) throw new Error("the tag is ASCII");
    const chunks = [DOMAIN, enc.encode(tag), new Uint8Array([0])];
    for (const part of parts) {
      if (!(part instanceof Uint8Array)) throw new Error("hash parts are bytes");
      chunks.push(u32be(part.length), part);
    }
    return mod(nb.bytesToNumberLE(nb.sha512(nb.concatBytes(...chunks))));
  }

  /* Parts (§3): a string is its UTF-8, an integer its ASCII decimal digits, a point its
   * 33-byte encoding (§2.2; the identity: 33 zero bytes), a scalar its 32-byte
   * little-endian encoding. */
  const part = {
    text: (s) => enc.encode(String(s)),
    decimal: (n) => {
      const b = BigInt(n);
      if (b < 0n) throw new Error("context integers are non-negative");
      return enc.encode(b.toString(10));
    },
    point: (P) => pointBytes(P),
    scalar: (k) => nb.numberToBytesLE(mod(k), 32),
  };

  /* ---- §6 contexts ----------------------------------------------------------------- */

  const contexts = {
    option: (origin, head, item, seq, option) => [part.text(origin), part.text(head),
      part.text(item), part.decimal(seq), part.text("option"), part.decimal(option)],
    sum: (origin, head, item, seq) => [part.text(origin), part.text(head), part.text(item),
      part.decimal(seq), part.text("sum")],
    coefficient: (origin, trustee, coefficient) => [part.text(origin), part.text("coefficient"),
      part.decimal(trustee), part.decimal(coefficient)],
    share: (origin, item, option, kind, trustee) => [part.text(origin), part.text(item),
      part.decimal(option), part.text(kind), part.decimal(trustee)],
  };

  /* ---- §4 exponential ElGamal ------------------------------------------------------ */

  /* Enc(m; r) = (r·G, r·Hk + m·G) */
  function encrypt(Hk, m, r) {
    return { A: mul(r, G), B: mul(r, Hk).add(mul(BigInt(m), G)) };
  }

  function addCiphertexts(x, y) { return { A: x.A.add(y.A), B: x.B.add(y.B) }; }
  function scaleCiphertext(w, x) {
    return { A: mul(BigInt(w), x.A, true), B: mul(BigInt(w), x.B, true) };
  }

  /* ---- §5.1 disjunctive Chaum–Pedersen --------------------------------------------- */

  function rangeChallenge(ctx, Hk, A, B, lo, hi, commitments) {
    const parts = [...ctx, part.point(Hk), part.point(A), part.point(B), part.decimal(lo),
                   part.decimal(hi)];
    for (const [T1, T2] of commitments) parts.push(part.point(T1), part.point(T2));
    return hashToScalar("range", parts);
  }

  /* The production source of the provers' scalars: uniform in [1, L) from the CSPRNG.
   * A test passes its own `draw` (a function returning such a scalar, like the server's
   * ScalarSource) to reproduce a seeded vector; a real ballot never does. */
  function systemScalars() { return randomScalar(cryptoRandom); }

  /* Prove that (A, B) = Enc(v; r) with v in lo…hi.  Draws, for v = lo … hi in order:
   * (c_v, z_v) for every v ≠ v*, w for v* (as ledger/secret/disjunctive.py). */
  function proveRange(Hk, A, B, lo, hi, v, r, ctx, draw) {
    const next = draw || systemScalars;
    if (!(0 <= lo && lo <= v && v <= hi)) throw new Error("the value is outside the proof's range");
    const c = [], z = [], commitments = [];
    let w = 0n;
    for (let u = lo; u <= hi; u++) {
      if (u === v) {
        w = next();
        commitments.push([mul(w, G), mul(w, Hk)]);
        c.push(0n); z.push(0n);
      } else {
        const cu = next(), zu = next();
        const Bu = B.subtract(mul(BigInt(u), G));
        commitments.push([mul(zu, G).subtract(mul(cu, A)), mul(zu, Hk).subtract(mul(cu, Bu))]);
        c.push(cu); z.push(zu);
      }
    }
    const challenge = rangeChallenge(ctx, Hk, A, B, lo, hi, commitments);
    const at = v - lo;
    const others = c.reduce((s, x, i) => (i === at ? s : s + x), 0n);
    c[at] = mod(challenge - others);
    z[at] = mod(w + c[at] * r);
    return { c: c.map(scalarHex), z: z.map(scalarHex) };
  }

  /* A received proof of `length` branches (RangeProof.from_json): exactly c and z, lists of
   * `length` scalars below L; c is read before z.  Throws malformed / bad_scalar. */
  function parseRange(obj, where, length, extra) {
    if (!isObject(obj) || !sameKeys(obj, ["c", "z"])) {
      throw new SecretError("malformed", where, "a proof is an object with exactly c and z", extra);
    }
    const out = {};
    for (const key of ["c", "z"]) {
      const items = obj[key];
      if (!Array.isArray(items) || items.length !== length) {
        throw new SecretError("malformed", where + "." + key, "a list of " + length + " scalars", extra);
      }
      out[key] = items.map((x, i) => decodeScalar(x, where + "." + key + "[" + i + "]", extra));
    }
    return out;
  }

  /* §5.1's verifier on a parsed proof ({c: [BigInt], z: [BigInt]}); (A, B) already
   * validated.  Public data only, so noble's faster variable-time multiplication. */
  function verifyRange(Hk, A, B, lo, hi, proof, ctx) {
    const n = hi - lo + 1;
    if (proof.c.length !== n || proof.z.length !== n) return false;
    const commitments = [];
    let sum = 0n;
    for (let i = 0; i < n; i++) {
      const Bu = B.subtract(mul(BigInt(lo + i), G, true));
      commitments.push([mul(proof.z[i], G, true).subtract(mul(proof.c[i], A, true)),
                        mul(proof.z[i], Hk, true).subtract(mul(proof.c[i], Bu, true))]);
      sum += proof.c[i];
    }
    return mod(sum) === rangeChallenge(ctx, Hk, A, B, lo, hi, commitments);
  }

  /* ---- §8 the ballot (wire form: docs/secret-ballots.md §10.1) --------------------- */

  function isObject(x) { return x !== null && typeof x === "object" && !Array.isArray(x); }
  function sameKeys(obj, keys) {
    const have = Object.keys(obj).sort();
    const want = keys.slice().sort();
    return have.length === want.length && have.every((k, i) => k === want[i]);
  }

  /* The order items are built and checked in (ledger/secret/ballot.py's _item_order):
   * numeric keys ascending, anything else (always refused) first. */
  function itemOrder(a, b) {
    const ka = /^[0-9]+$/.test(a) ? [Number(a), a] : [-1, a];
    const kb = /^[0-9]+$/.test(b) ? [Number(b), b] : [-1, b];
    if (ka[0] !== kb[0]) return ka[0] - kb[0];
    return ka[1] < kb[1] ? -1 : (ka[1] > kb[1] ? 1 : 0);
  }

  const MOTION_OPTIONS = ["agree", "oppose", "abstain"];

  /* An item of the notice as the ballot needs it (ledger/secret/ballot.py's ItemShape):
   *   {key: "1", kind: "motion"}
   *   {key: "2", kind: "election", seats: 2, candidates: ["…", "…"] or 2, paper: false}
   * Options: a motion's agree, oppose, abstain; an election's candidates in the notice's
   * order, then blank, then (a paper ballot only) invalid.  The item sum weighs blank and
   * invalid by `seats` and is proved in 1…1 (motion) or 1…seats (election). */
  function itemShape(item, where) {
    if (!isObject(item) || typeof item.key !== "string" || !/^[1-9][0-9]*$/.test(item.key)) {
      throw new Error(where + ": an item needs its key (\"1\", \"2\", …)");
    }
    if (item.kind === "motion") {
      return { key: item.key, kind: "motion", options: 3, candidates: 0, names: null,
               seats: 0, paper: false, lo: 1, hi: 1, weight: () => 1 };
    }
    if (item.kind === "election") {
      const seats = item.seats;
      const names = Array.isArray(item.candidates) ? item.candidates.slice() : null;
      const count = names ? names.length : item.candidates;
      if (!Number.isSafeInteger(seats) || seats < 1 || !Number.isSafeInteger(count) || count < 1 ||
          (names && new Set(names).size !== names.length)) {
        throw new Error(where + ": an election needs seats ≥ 1 and distinct candidates");
      }
      const paper = item.paper === true;
      return { key: item.key, kind: "election", options: count + 1 + (paper ? 1 : 0),
               candidates: count, names, seats, paper, lo: 1, hi: seats,
               weight: (i) => (i >= count ? seats : 1) };
    }
    throw new Error(where + ": an item is a motion or an election");
  }

  /* The 0/1 plaintexts of a choice (ItemShape.vector): a motion's "agree" / "oppose" /
   * "abstain"; for an election the approved candidates (0-based indices as the server
   * takes them, or their names), [] or "abstain" for a blank vote, "invalid" (paper only). */
  function optionValues(shape, choice) {
    const out = new Array(shape.options).fill(0);
    const bad = (why) => new Error("item " + shape.key + ": " + why);
    if (shape.kind === "motion") {
      const at = MOTION_OPTIONS.indexOf(choice);
      if (at < 0) throw bad("a motion's choice is agree, oppose or abstain");
      out[at] = 1;
    } else if (choice === "invalid") {
      if (!shape.paper) throw bad("only a paper election ballot may be invalid");
      out[shape.options - 1] = 1;
    } else if (choice === "abstain" || (Array.isArray(choice) && choice.length === 0)) {
      out[shape.candidates] = 1;
    } else if (Array.isArray(choice)) {
      const idx = choice.map((c) => (typeof c === "string" && shape.names ? shape.names.indexOf(c) : c));
      if (new Set(idx).size !== idx.length || idx.length > shape.seats ||
          !idx.every((i) => Number.isSafeInteger(i) && i >= 0 && i < shape.candidates)) {
        throw bad("1…" + shape.seats + " distinct candidates");
      }
      for (const i of idx) out[i] = 1;
    } else {
      throw bad("an election's choice is a list of candidates");
    }
    return out;
  }

  /* Everything a ballot is built and checked against:
   *   publicKey: the assembly's election key Hk (hex; validated as a received point);
   *   context: {origin, head, seq, items: [item, …]}: the log's origin line, the head id
   *   and seq of the signed payload, the notice's items (as for itemShape); or, instead of
   *   `items`, `layout`: {item key: {kind, candidates, seats, paper}} as the test vectors
   *   and the server's layout give them. */
  const keyCache = new Map();  // public key hex -> decoded point with its wNAF table

  function electionKey(publicKey) {
    let Hk = keyCache.get(publicKey);
    if (!Hk) {
      Hk = decodePoint(publicKey, "public_key");
      // a wNAF table for Hk (noble keeps one for G): a ballot multiplies Hk about as often
      Hk.precompute(8, false);
      if (keyCache.size >= 8) keyCache.clear();
      keyCache.set(publicKey, Hk);
    }
    return Hk;
  }

  function prepare(publicKey, context) {
    const Hk = electionKey(publicKey);
    if (!isObject(context) || typeof context.origin !== "string" ||
        typeof context.head !== "string" || !Number.isSafeInteger(context.seq) ||
        context.seq < 0 || !(Array.isArray(context.items) || isObject(context.layout))) {
      throw new Error("the context is {origin, head, seq, items or layout}");
    }
    const items = Array.isArray(context.items) ? context.items
      : Object.keys(context.layout).map((key) => Object.assign({ key }, context.layout[key]));
    const shapes = items.map((item, i) => itemShape(item, "items[" + i + "]"));
    const byKey = new Map(shapes.map((s) => [s.key, s]));
    if (byKey.size !== shapes.length) throw new Error("duplicate item keys");
    return Object.freeze({ Hk, publicKey, origin: context.origin, head: context.head,
                           seq: context.seq, byKey });
  }

  function asPrepared(p, context) {
    return (typeof p === "string") ? prepare(p, context) : p;
  }

  /* The sum ciphertext of an item (§8): Σ weight_i · (A_i, B_i). */
  function itemSum(shape, cts) {
    let sum = { A: O, B: O };
    cts.forEach((ct, i) => {
      const w = shape.weight(i);
      sum = addCiphertexts(sum, w === 1 ? ct : scaleCiphertext(w, ct));
    });
    return sum;
  }

  /* Encrypt `choices` ({item key: choice}, as for optionValues) into the `encrypted` member
   * of the signed payload: {item key: {options: [{a, b, proof}, …], sum: proof}}.  Returns
   * {encrypted, randomness}; `randomness` ({item key: [hex r_i, …]}) is what a Benaloh
   * challenge reveals — keep it only until the ballot is cast or challenged.
   * Draws (as ledger/secret/ballot.py, so a seeded `draw` reproduces its vectors): items in
   * ascending key order; in each, every option's r_i, then each option's proof, then the
   * sum proof. */
  function encryptBallot(prepared, choices, options) {
    const p = prepared;
    const draw = (options && options.draw) || systemScalars;
    if (!isObject(choices)) throw new Error("choices are {item key: choice}");
    const keys = Object.keys(choices).sort(itemOrder);
    if (keys.length === 0) throw new Error("a ballot votes on at least one item");
    const encrypted = {}, randomness = {};
    for (const key of keys) {
      const shape = p.byKey.get(key);
      if (!shape) throw new Error("no item " + key);
      const values = optionValues(shape, choices[key]);
      const total = values.reduce((s, m, i) => s + m * shape.weight(i), 0);
      const rs = values.map(() => draw());
      const cts = values.map((m, i) => encrypt(p.Hk, m, rs[i]));
      const out = cts.map((ct, i) => ({
        a: pointHex(ct.A), b: pointHex(ct.B),
        proof: proveRange(p.Hk, ct.A, ct.B, 0, 1, values[i], rs[i],
                          contexts.option(p.origin, p.head, key, p.seq, i), draw),
      }));
      const R = mod(rs.reduce((s, r, i) => s + r * BigInt(shape.weight(i)), 0n));
      const sum = itemSum(shape, cts);
      encrypted[key] = {
        options: out,
        sum: proveRange(p.Hk, sum.A, sum.B, shape.lo, shape.hi, total, R,
                        contexts.sum(p.origin, p.head, key, p.seq), draw),
      };
      randomness[key] = rs.map(scalarHex);
    }
    return { encrypted, randomness };
  }

  /* The shape of §10.1, every point and scalar decoded and validated, no proof checked
   * (ledger/secret/ballot.py's parse_ballot: same order, same refusals). */
  function parseBallot(p, encrypted, where) {
    where = where || "encrypted";
    if (!isObject(encrypted) || Object.keys(encrypted).length === 0) {
      throw new SecretError("malformed", where, "a non-empty object of items");
    }
    const items = [];
    for (const key of Object.keys(encrypted).sort(itemOrder)) {
      const at = where + "." + key;
      const shape = p.byKey.get(key);
      if (!shape) throw new SecretError("unknown_item", at, "not an item of this assembly", { item: key });
      items.push([key, parseItem(encrypted[key], shape, at, key)]);
    }
    return items;
  }

  function parseItem(obj, shape, where, key) {
    if (!isObject(obj) || !sameKeys(obj, ["options", "sum"])) {
      throw new SecretError("malformed", where, "an item is an object with exactly options and sum",
                            { item: key });
    }
    const options = obj.options;
    if (!Array.isArray(options)) {
      throw new SecretError("malformed", where + ".options", "a list", { item: key });
    }
    if (options.length !== shape.options) {
      throw new SecretError("wrong_option_count", where + ".options",
                            options.length + " options, the item has " + shape.options, { item: key });
    }
    const parsed = options.map((o, i) => {
      const at = where + ".options[" + i + "]";
      if (!isObject(o) || !sameKeys(o, ["a", "b", "proof"])) {
        throw new SecretError("malformed", at, "an option is an object with exactly a, b and proof",
                              { item: key, option: i });
      }
      const extra = { item: key, option: i, proof: null };
      const A = decodePoint(o.a, at + ".a", extra);
      const B = decodePoint(o.b, at + ".b", extra);
      const proof = parseRange(o.proof, at + ".proof", 2, { item: key, option: i, proof: "option" });
      return { A, B, proof };
    });
    const sum = parseRange(obj.sum, where + ".sum", shape.hi - shape.lo + 1,
                           { item: key, option: null, proof: "sum" });
    return { options: parsed, sum };
  }

  /* Parse and verify every proof of a received ballot (verify_ballot): items in ascending
   * order, options in order, each option's proof before the item's sum proof; throws the
   * first failure as a SecretError.  Returns the parsed items. */
  function checkBallot(prepared, encrypted) {
    const p = prepared;
    const items = parseBallot(p, encrypted);
    for (const [key, item] of items) {
      const shape = p.byKey.get(key);
      item.options.forEach((o, i) => {
        if (!verifyRange(p.Hk, o.A, o.B, 0, 1, o.proof, contexts.option(p.origin, p.head, key, p.seq, i))) {
          throw new SecretError("bad_option_proof", "encrypted." + key + ".options[" + i + "].proof",
                                "the option is not proved to encrypt 0 or 1",
                                { item: key, option: i, proof: "option" });
        }
      });
      const sum = itemSum(shape, item.options);
      if (!verifyRange(p.Hk, sum.A, sum.B, shape.lo, shape.hi, item.sum,
                       contexts.sum(p.origin, p.head, key, p.seq))) {
        const what = shape.kind === "motion" ? "exactly one option"
          : "a blank vote or 1…" + shape.seats + " candidates";
        throw new SecretError("bad_sum_proof", "encrypted." + key + ".sum",
                              "the item is not proved to hold " + what, { item: key, proof: "sum" });
      }
    }
    return items;
  }

  /* {ok: true} or {ok: false, code, where, item, option, proof, detail} (the server's
   * BallotRefused.as_dict() and its detail); a bad ballot never throws.  `prepared` may
   * also be the public key's hex with the context as third argument. */
  function verifyBallot(prepared, encrypted, context) {
    try {
      checkBallot(asPrepared(prepared, context), encrypted);
      return { ok: true };
    } catch (e) {
      if (e instanceof SecretError) return Object.assign({ ok: false, detail: e.detail }, e.asDict());
      throw e;
    }
  }

  /* ---- Benaloh's challenge (cast as intended; ledger/secret/audit.py) ---------------- */

  /* What the phone shows before "cast or challenge?" (§9.1): the lowercase hex SHA-256 of
   * the canonical JSON of the `encrypted` object. */
  function fingerprint(encrypted) {
    return nb.bytesToHex(nb.sha256(enc.encode(canonical(encrypted))));
  }

  /* The choice a 0/1 vector stands for (ItemShape.describe): a motion's word; an election's
   * approved candidate indices ([] for a blank vote) or "invalid". */
  function describe(shape, vector) {
    if (shape.kind === "motion") return MOTION_OPTIONS[vector.indexOf(1)];
    if (shape.paper && vector[vector.length - 1]) return "invalid";
    const out = [];
    for (let i = 0; i < shape.candidates; i++) if (vector[i]) out.push(i);
    return out;
  }

  class AuditMismatch extends Error {
    constructor(where, detail, item, option) {
      super(where + ": " + detail);
      this.name = "AuditMismatch";
      this.where = where;
      this.detail = detail;
      this.item = item === undefined ? null : item;
      this.option = option === undefined ? null : option;
    }
  }

  /* Open a challenged ballot with its revealed randomness (`reveal`: {item key: [hex r_i,
   * …]}, exactly the ballot's items, one non-zero r per option) after checking its proofs as
   * the server would: for every option A = r·G, and B − r·Hk is O (0) or G (1).  With
   * `shown` ({item key: choice} as for optionValues), those choices must be exactly the
   * ones opened.  Returns {ok: true, choices: {item key: describe(…)}}; else
   * {ok: false, where, detail, item, option} (the server's AuditMismatch) or, when a proof
   * fails, the ballot's refusal ({ok: false, code, …} as verifyBallot).  A challenged
   * ballot is never cast: the phone builds a fresh one. */
  function auditBallot(prepared, encrypted, reveal, shown, context) {
    const p = asPrepared(prepared, context);
    let items;
    try {
      items = checkBallot(p, encrypted);
    } catch (e) {
      if (e instanceof SecretError) return Object.assign({ ok: false, detail: e.detail }, e.asDict());
      throw e;
    }
    try {
      return { ok: true, choices: openBallot(p, items, reveal, shown) };
    } catch (e) {
      if (e instanceof AuditMismatch) {
        return { ok: false, where: e.where, detail: e.detail, item: e.item, option: e.option };
      }
      throw e;
    }
  }

  function openBallot(p, items, reveal, shown) {
    const keys = items.map(([key]) => key);
    if (!isObject(reveal) || !sameKeys(reveal, keys)) {
      throw new AuditMismatch("reveal", "the reveal must name exactly the ballot's items");
    }
    const scalars = new Map();
    for (const [key, item] of items) {
      const rs = reveal[key];
      if (!Array.isArray(rs) || rs.length !== item.options.length) {
        throw new AuditMismatch("reveal." + key, "one r per option", key);
      }
      scalars.set(key, rs.map((r, i) => {
        try {
          return decodeScalar(r, "reveal." + key + "[" + i + "]");
        } catch (e) {
          throw new AuditMismatch(e.where, e.detail, key);
        }
      }));
    }
    const opened = {};
    for (const [key, item] of items) {
      const rs = scalars.get(key);
      opened[key] = item.options.map((o, i) => {
        const where = "encrypted." + key + ".options[" + i + "]";
        const r = rs[i];
        if (r === 0n || !mul(r, G, true).equals(o.A)) {
          throw new AuditMismatch(where + ".a", "A is not r·G for the revealed r", key, i);
        }
        const M = o.B.subtract(mul(r, p.Hk, true));
        if (M.is0()) return 0;
        if (M.equals(G)) return 1;
        throw new AuditMismatch(where + ".b", "B − r·Hk is neither O nor G", key, i);
      });
    }
    if (shown !== undefined && shown !== null) {
      if (!isObject(shown) || !sameKeys(shown, keys)) {
        throw new AuditMismatch("encrypted", "the ballot does not hold the items shown");
      }
      for (const key of keys) {
        let vector;
        try {
          vector = optionValues(p.byKey.get(key), shown[key]);
        } catch (e) {
          throw new AuditMismatch("encrypted." + key, "the ballot does not encrypt the choice shown", key);
        }
        if (vector.some((m, i) => m !== opened[key][i])) {
          throw new AuditMismatch("encrypted." + key, "the ballot does not encrypt the choice shown", key);
        }
      }
    }
    const choices = {};
    for (const key of keys) choices[key] = describe(p.byKey.get(key), opened[key]);
    return choices;
  }

  /* RFC 8785 canonical JSON of what a ballot holds (objects, arrays, strings, safe integers):
   * the bytes the device key signs and the server re-serialises. */
  function canonical(value) {
    if (typeof value === "string") return JSON.stringify(value);
    if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    if (isObject(value)) {
      return "{" + Object.keys(value).sort().map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
    }
    throw new Error("cannot encode " + typeof value);
  }

  global.ovsecret = Object.freeze({
    L, G, identity: O, SecretError, AuditMismatch,
    mul, pointHex, scalarHex, decodePoint, decodeScalar, randomScalar, hashToScalar, part,
    contexts, encrypt, addCiphertexts, scaleCiphertext, proveRange, parseRange, verifyRange,
    systemScalars, itemOrder, itemShape, optionValues, prepare, encryptBallot, parseBallot,
    checkBallot, verifyBallot, auditBallot, openBallot, describe, fingerprint, canonical,
  });
})(window);

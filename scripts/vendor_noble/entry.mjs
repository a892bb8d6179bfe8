// The one entry point of web/static/vendor/noble/noble.js (built by scripts/vendor_noble.sh).
// It exposes only what web/static/js/ovsecret.js needs, as the global `ovnoble`:
// secp256k1's point type and scalar field, SHA-512 and SHA-256, byte/number conversions.
// Nothing here is ownervote code: every function is @noble's own.
import { secp256k1 } from "@noble/curves/secp256k1.js";
import {
  bytesToNumberLE,
  numberToBytesLE,
  bytesToHex,
  hexToBytes,
  concatBytes,
  equalBytes,
} from "@noble/curves/utils.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";

export const Point = secp256k1.Point;
export const Fn = secp256k1.Point.Fn;
export const CURVE_ORDER = secp256k1.Point.Fn.ORDER;
export { sha256, sha512, bytesToNumberLE, numberToBytesLE, bytesToHex, hexToBytes, concatBytes, equalBytes };

import { generateKeyPair } from "node:crypto";

/** An RSA key pair in PEM: PKCS#8 private key, SPKI public key. */
export interface RsaKeyPairPem {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** Smallest RSA modulus the emulator accepts: OpenSSL 3's default security level refuses smaller keys for TLS. */
export const MIN_KEY_BITS = 1024;
/** Largest RSA modulus the emulator accepts: beyond it one key takes many seconds to generate. */
export const MAX_KEY_BITS = 8192;

/** Throws a RangeError unless `bits` is an integer modulus size the emulator supports. */
export function assertKeyBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < MIN_KEY_BITS || bits > MAX_KEY_BITS) {
    throw new RangeError(`keyBits must be an integer from ${MIN_KEY_BITS} to ${MAX_KEY_BITS}, got ${bits}`);
  }
}

/**
 * Generate a fresh RSA key pair with Node's native crypto. It runs in libuv's thread pool, so several
 * generations proceed in parallel; node-forge's pure-JS generation is ten times slower and blocks the loop.
 */
export function generateRsaKeyPair(bits: number): Promise<RsaKeyPairPem> {
  assertKeyBits(bits);
  return new Promise((resolve, reject) => {
    generateKeyPair(
      "rsa",
      {
        modulusLength: bits,
        publicExponent: 0x10001,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
      },
      (error, publicKeyPem, privateKeyPem) => {
        if (error) {
          reject(new Error(`RSA-${bits} key generation failed: ${error.message}`));
        } else {
          resolve({ privateKeyPem, publicKeyPem });
        }
      },
    );
  });
}

/**
 * Process-wide pool of key pairs generated ahead of need (only when someone calls prewarmKeyPool: nothing
 * runs in the background on its own). Each pooled key is handed out exactly once, so no key pair ever backs
 * two certificates. Keys live only in this process's memory.
 */
const pooledKeys = new Map<number, RsaKeyPairPem[]>();

/** Upper bound of pooled keys per modulus size, so a careless prewarm cannot hold unbounded memory. */
export const KEY_POOL_LIMIT = 256;

/**
 * Generate `count` key pairs of `bits` into the pool (capped at KEY_POOL_LIMIT pooled keys per size).
 * Call it during idle time (before a test suite, while servers start) so later issuance finds keys ready:
 * an RSA-2048 generation costs about 0.1 s of CPU on a small machine, which dominates certificate issuance.
 */
export async function prewarmKeyPool(bits: number, count: number): Promise<void> {
  assertKeyBits(bits);
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`prewarmKeyPool: count must be a non-negative integer, got ${count}`);
  }
  const room = Math.max(0, KEY_POOL_LIMIT - keyPoolSize(bits));
  const generated = await Promise.all(Array.from({ length: Math.min(count, room) }, () => generateRsaKeyPair(bits)));
  const pool = pooledKeys.get(bits) ?? [];
  pool.push(...generated.slice(0, Math.max(0, KEY_POOL_LIMIT - pool.length)));
  pooledKeys.set(bits, pool);
}

/** How many pooled key pairs of `bits` are ready. */
export function keyPoolSize(bits: number): number {
  return pooledKeys.get(bits)?.length ?? 0;
}

/** Drop every pooled key (e.g. at the end of a test run). */
export function clearKeyPool(): void {
  pooledKeys.clear();
}

/** A key pair for one new certificate: a pooled one when ready (removed from the pool), else a fresh one. */
export function takeRsaKeyPair(bits: number): Promise<RsaKeyPairPem> {
  const pooled = pooledKeys.get(bits)?.shift();
  return pooled ? Promise.resolve(pooled) : generateRsaKeyPair(bits);
}

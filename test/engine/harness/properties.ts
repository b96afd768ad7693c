// Property bags as the engine and the provider host exchange them: plain JSON (google.protobuf.Struct), with the
// engine's special encodings for unknown values and secrets. Pure functions only.

/** What the engine sends in place of a value that is not known yet (preview). Kept as this exact string. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The key and signatures Pulumi uses to tag special objects inside a property bag (runtime/rpc). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
export const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
export const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";

export type PropertyValue = null | boolean | number | string | PropertyValue[] | PropertyMap;
export interface PropertyMap {
  [key: string]: PropertyValue;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return false;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Copies a JS value into a JSON-shaped property value the way a Struct would carry it: object keys whose value is
 * undefined are dropped and undefined array items become null. Anything a Struct cannot carry is rejected with
 * the path to it, so a provider returning a class instance or a function fails here and not deep inside protobuf.
 */
export function toPropertyValue(value: unknown, where: string): PropertyValue {
  if (value === null || typeof value === "boolean" || typeof value === "string") {
    return value;
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new Error(`${where} is ${value}, which a google.protobuf.Struct cannot carry; use a finite number`);
    }
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => (item === undefined ? null : toPropertyValue(item, `${where}[${index}]`)));
  }
  if (isPlainObject(value)) {
    return toPropertyMap(value, where);
  }
  const kind = value === undefined ? "undefined" : typeof value === "object" ? value.constructor?.name : typeof value;
  throw new Error(`${where} is a ${kind}, which a google.protobuf.Struct cannot carry; pass plain JSON values`);
}

/** `toPropertyValue` for a whole bag; the top level must be a plain object. */
export function toPropertyMap(value: unknown, where: string): PropertyMap {
  if (!isPlainObject(value)) {
    const kind = Array.isArray(value) ? "an array" : typeof value;
    throw new Error(`${where} must be a plain object of properties, got ${kind}`);
  }
  const result: PropertyMap = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) {
      result[key] = toPropertyValue(item, `${where}.${key}`);
    }
  }
  return result;
}

function signatureOf(value: PropertyValue): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return undefined;
  }
  const sig = value[SIG_KEY];
  return typeof sig === "string" ? sig : undefined;
}

export function isSecretValue(value: PropertyValue): value is PropertyMap {
  return signatureOf(value) === SECRET_SIG;
}

/** Wraps a value the way the SDK and engine tag a secret. */
export function makeSecret(value: PropertyValue): PropertyMap {
  return { [SIG_KEY]: SECRET_SIG, value };
}

interface Unwrapped {
  value: PropertyValue;
  containsSecret: boolean;
}

function unwrapValue(value: PropertyValue, where: string): Unwrapped {
  if (value === null || typeof value !== "object") {
    return { value, containsSecret: false };
  }
  if (Array.isArray(value)) {
    let containsSecret = false;
    const items = value.map((item, index) => {
      const unwrapped = unwrapValue(item, `${where}[${index}]`);
      containsSecret ||= unwrapped.containsSecret;
      return unwrapped.value;
    });
    return { value: items, containsSecret };
  }
  const sig = signatureOf(value);
  if (sig === SECRET_SIG) {
    const inner = unwrapValue(value.value ?? null, where);
    return { value: inner.value, containsSecret: true };
  }
  if (sig === RESOURCE_SIG) {
    // A provider that does not accept resource references gets the referenced resource's id (its URN for a
    // component), as the engine's marshalling does.
    const id = value.id;
    const replacement = typeof id === "string" && id !== "" ? id : (value.urn ?? null);
    return { value: replacement, containsSecret: false };
  }
  if (sig === ASSET_SIG || sig === ARCHIVE_SIG) {
    throw new Error(`${where} is an asset or archive; the harness does not emulate assets for dynamic providers`);
  }
  if (sig !== undefined) {
    throw new Error(`${where} carries an unknown Pulumi signature ${sig}; the harness cannot translate it`);
  }
  let containsSecret = false;
  const result: PropertyMap = {};
  for (const [key, item] of Object.entries(value)) {
    const unwrapped = unwrapValue(item, `${where}.${key}`);
    containsSecret ||= unwrapped.containsSecret;
    result[key] = unwrapped.value;
  }
  return { value: result, containsSecret };
}

/**
 * Removes secret wrappers, as the engine does before calling a provider that answered Configure with
 * acceptSecrets=false, and reports which top-level keys held a secret anywhere inside them (those are the keys the
 * engine re-marks on the provider's answer).
 */
export function stripSecrets(bag: PropertyMap, where: string): { plain: PropertyMap; secretKeys: string[] } {
  const plain: PropertyMap = {};
  const secretKeys: string[] = [];
  for (const [key, item] of Object.entries(bag)) {
    const unwrapped = unwrapValue(item, `${where}.${key}`);
    plain[key] = unwrapped.value;
    if (unwrapped.containsSecret) {
      secretKeys.push(key);
    }
  }
  return { plain, secretKeys };
}

/** Wraps the listed top-level keys as secrets (keys absent from the bag are ignored). */
export function markSecrets(bag: PropertyMap, secretKeys: readonly string[]): PropertyMap {
  const result: PropertyMap = { ...bag };
  for (const key of secretKeys) {
    const item = result[key];
    if (item !== undefined && !isSecretValue(item)) {
      result[key] = makeSecret(item);
    }
  }
  return result;
}

/** Structural equality of two property values (object key order does not matter). */
export function propertyValuesEqual(left: PropertyValue | undefined, right: PropertyValue | undefined): boolean {
  if (left === right) {
    return true;
  }
  if (left === undefined || right === undefined || left === null || right === null) {
    return false;
  }
  if (typeof left !== "object" || typeof right !== "object") {
    return false;
  }
  if (Array.isArray(left) || Array.isArray(right)) {
    return (
      Array.isArray(left) &&
      Array.isArray(right) &&
      left.length === right.length &&
      left.every((item, index) => propertyValuesEqual(item, right[index]))
    );
  }
  const leftKeys = Object.keys(left);
  return (
    leftKeys.length === Object.keys(right).length &&
    leftKeys.every(
      (key) => Object.prototype.hasOwnProperty.call(right, key) && propertyValuesEqual(left[key], right[key]),
    )
  );
}

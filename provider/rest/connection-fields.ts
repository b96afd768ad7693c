// The `connection` object, validated in one place. The REST client refuses a bad connection with the first
// problem (a TypeError naming the field), and the providers' check reports every problem as a check failure;
// both read the same rules below, so a value check accepts is a value the client accepts (a `url` with a query
// string used to pass check and then throw at create). The field list is written here once too: stack config,
// check and the error texts all read CONNECTION_FIELDS.
import { isUnknown } from "../core/unknown";
import { normalizeFingerprint } from "./tls";

/** Every field of a connection, in the order problems are reported. */
export const CONNECTION_FIELDS = ["url", "username", "password", "caCertPem", "caFingerprintSha256", "insecureSkipVerify"] as const;
export type ConnectionField = (typeof CONNECTION_FIELDS)[number];

/** The shape, for messages: "{ url, username, password, caCertPem?, caFingerprintSha256?, insecureSkipVerify? }". */
export const CONNECTION_SHAPE = `{ ${CONNECTION_FIELDS.map((name) => (name === "url" || name === "username" || name === "password" ? name : `${name}?`)).join(", ")} }`;

/** One problem with one field; `reason` is a full sentence that starts with "<name>.<field>". */
export interface ConnectionFieldProblem {
  readonly field: ConnectionField | string;
  readonly reason: string;
}

/**
 * Every problem with a connection object, in field order. A field holding the preview unknown is skipped (it is
 * checked again once known). `name` is how the object is called in the sentences ("connection").
 */
export function connectionFieldProblems(value: Readonly<Record<string, unknown>>, name = "connection"): ConnectionFieldProblem[] {
  const problems: ConnectionFieldProblem[] = [];
  const at = (field: string, reason: string) => problems.push({ field, reason: `${name}.${field} ${reason}` });
  const url = value.url;
  if (!isUnknown(url)) {
    if (typeof url !== "string" || url === "") at("url", "is required: the cluster's REST API, e.g. https://node1.example.com:9443");
    else {
      let parsed: URL | undefined;
      try {
        parsed = new URL(url);
      } catch {
        // The text is not echoed: a malformed URL may embed credentials.
        at("url", "is not a valid URL; expected e.g. https://node1.example.com:9443");
      }
      if (parsed) {
        if (parsed.protocol !== "https:" && parsed.protocol !== "http:") at("url", `must start with https:// (or http://); its scheme is "${parsed.protocol}"`);
        // Credentials belong in username/password, where they are handled as secrets; a URL is printed in errors.
        else if (parsed.username !== "" || parsed.password !== "") at("url", `must not embed credentials; set ${name}.username and ${name}.password`);
        else if (parsed.search !== "" || parsed.hash !== "") at("url", `must not have a query or fragment; got ${parsed.origin}${parsed.pathname}...`);
      }
    }
  }
  for (const field of ["username", "password"] as const) {
    if (isUnknown(value[field])) continue;
    if (typeof value[field] !== "string" || value[field] === "") at(field, "is required (a non-empty string)");
  }
  const pin = value.caFingerprintSha256;
  if (pin !== undefined && !isUnknown(pin) && (typeof pin !== "string" || normalizeFingerprint(pin) === undefined)) {
    at("caFingerprintSha256", "must be a SHA-256 fingerprint: 64 hex digits, colons optional");
  }
  const pem = value.caCertPem;
  if (pem !== undefined && !isUnknown(pem) && (typeof pem !== "string" || !pem.includes("-----BEGIN CERTIFICATE-----"))) {
    at("caCertPem", "must be PEM (-----BEGIN CERTIFICATE-----): the CA of the cluster's API certificate");
  }
  const insecure = value.insecureSkipVerify;
  if (insecure !== undefined && !isUnknown(insecure) && typeof insecure !== "boolean") at("insecureSkipVerify", "must be true or false");
  for (const field of Object.keys(value)) {
    if (!(CONNECTION_FIELDS as readonly string[]).includes(field)) {
      problems.push({ field, reason: `${name} has an unknown field "${field}"; expected one of ${CONNECTION_FIELDS.join(", ")}` });
    }
  }
  return problems;
}

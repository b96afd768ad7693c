// The CertificateRotation provider: rotates the cluster's internal certificates on create and whenever
// `triggers` or `certificates` change, or a selected certificate is within `rotateWhenExpiringWithinDays` of
// expiry (found by a refresh); reports each certificate parsed from its PEM. Private keys from
// GET /v1/cluster/certificates are dropped the moment the answer arrives (provider/certificates.ts).
import { randomUUID } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { guardedCheck } from "../framework/guard";
import { connectionProblems, resolveConnection } from "../connection";
import { printLine } from "../output";
import { RsClient, isRsConnectionError, isRsApiError, type Connection } from "../rest";
import type { StackSettings } from "../settings";
import { timeoutFor, type TimeoutsInput } from "../timeouts";
import type { CertificateInfo } from "../certificates";
import {
  checkRotation,
  describeSelected,
  diffRotation,
  inputsFromOutputs,
  rotationOutputs,
  selectedNames,
  selectedPems,
  thresholdOf,
  verifyRotation,
} from "./logic";

type Props = Record<string, unknown>;

const LABEL = "CertificateRotation";

interface PartialFailure extends Error {
  id: string;
  properties: Props;
  reasons: string[];
}

/** Rotation is synchronous and can take minutes on a real cluster (x-timeout-seconds 900): at least that long. */
const MIN_ROTATE_TIMEOUT_MS = 900_000;

interface Snapshot {
  /** The cluster's clock (its Date header), else ours. */
  nowMs: number;
  certificates: CertificateInfo[];
  pems: Map<string, string>;
  names: string[];
}

/**
 * Reads the certificates. The answer holds private keys: it is reduced to certificates inside describeSelected
 * and selectedPems and never stored, printed or put into an error.
 */
async function snapshot(client: RsClient, declared: readonly string[] | undefined): Promise<Snapshot> {
  const answer = await client.request<unknown>("GET", "/v1/cluster/certificates");
  const date = Date.parse(answer.headers.date ?? "");
  const nowMs = Number.isFinite(date) ? date : Date.now();
  const certificates = describeSelected(answer.body, declared, nowMs);
  const names = certificates.map((certificate) => certificate.name);
  return { nowMs, certificates, pems: selectedPems(answer.body, names), names };
}

function declaredOf(props: Props): string[] | undefined {
  return Array.isArray(props.certificates) && props.certificates.every((name) => typeof name === "string") ? (props.certificates as string[]) : undefined;
}

async function rotate(client: RsClient, declared: readonly string[] | undefined, deadline: number): Promise<void> {
  const timeoutMs = Math.max(MIN_ROTATE_TIMEOUT_MS, deadline - Date.now());
  // Never retried: a rotation that may have happened is not sent again (a second one would replace the
  // certificates the first just installed, for nothing).
  const once = { retry: false as const, timeoutMs, expectEmpty: true };
  try {
    if (declared) {
      for (const name of declared) {
        printLine(`${LABEL}: rotating ${name}`);
        await client.post("/v1/cluster/certificates/rotate", { name }, once);
      }
    } else {
      printLine(`${LABEL}: rotating all internal certificates`);
      await client.post("/v1/cluster/certificates/rotate", undefined, once);
    }
  } catch (error) {
    if ((isRsConnectionError(error) && error.mayHaveReachedServer) || (isRsApiError(error) && error.status >= 500)) {
      throw new Error(
        `${LABEL}: the rotation request got no clear answer (${(error as Error).message}); it may have happened and is not sent again. ` +
          "Run pulumi refresh to read the certificates' dates, then pulumi up if a rotation is still needed",
      );
    }
    throw error;
  }
}

/** Rotate, then re-read and verify; returns the new certificates. */
async function rotateAndVerify(client: RsClient, declared: readonly string[] | undefined, connection: Connection, deadline: number): Promise<Snapshot> {
  const before = await snapshot(client, declared);
  if (declared) {
    const missing = declared.filter((name) => !before.names.includes(name));
    if (missing.length > 0) throw new Error(`${LABEL}: the cluster has no ${missing.join(", ")} certificate to rotate; choose from ${selectedNames(undefined, before.names).join(", ")}`);
  }
  await rotate(client, declared, deadline);
  const after = await snapshot(client, declared);
  const verdict = verifyRotation({
    names: before.names,
    before: before.certificates,
    after: after.certificates,
    beforePems: before.pems,
    afterPems: after.pems,
    ...(connection.caCertPem !== undefined ? { caPem: connection.caCertPem } : {}),
  });
  if (verdict.unchecked.length > 0) {
    printLine(
      `${LABEL}: ${verdict.unchecked.join(", ")}: the signature was not checked against the cluster CA ` +
        "(set connection.caCertPem to the CA that signs the internal certificates); the issuer name is unchanged",
    );
  }
  if (verdict.problems.length > 0) throw new Error(`${LABEL}: the rotation was accepted but ${verdict.problems.join("; ")}`);
  return after;
}

function withClient<T>(connection: Connection, work: (client: RsClient) => Promise<T>): Promise<T> {
  const client = new RsClient(connection, { onEvent: (line) => printLine(`${LABEL}: ${line}`) });
  return work(client).finally(() => client.close());
}

/** The CertificateRotation provider; `getSettings` returns what configure() read from stack config. */
export function certificateRotationProvider(getSettings: () => StackSettings): pulumi.dynamic.ResourceProvider {
  const connectionFor = (props: Props): Connection => resolveConnection(props.connection, getSettings(), LABEL);

  return {
    check: (olds: Props, news: Props) =>
      guardedCheck("CertificateRotation", olds, news, (_olds, news) => {
        const { inputs, failures } = checkRotation(news);
        failures.push(...connectionProblems(news.connection));
        return { inputs, failures };
      }),

    async diff(_id: string, olds: Props, news: Props) {
      const diff = diffRotation(olds, news);
      if (diff.rotate) printLine(`${LABEL}: the update rotates the certificates: ${diff.reasons.join("; ")}`);
      return { changes: diff.changes, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs: Props) {
      const connection = connectionFor(inputs);
      const deadline = Date.now() + timeoutFor("create", inputs.timeouts as TimeoutsInput);
      const id = randomUUID();
      return withClient(connection, async (client) => {
        const declared = declaredOf(inputs);
        let after: Snapshot;
        try {
          after = await rotateAndVerify(client, declared, connection, deadline);
        } catch (error) {
          throw await recordAfterFailure(client, id, inputs, declared, error);
        }
        return { id, outs: rotationOutputs(inputs, after.certificates, new Date(after.nowMs).toISOString()) };
      });
    },

    async read(id: string, props: Props) {
      const inputs = inputsFromOutputs(props);
      return withClient(connectionFor(inputs), async (client) => {
        const now = await snapshot(client, declaredOf(inputs));
        return { id, props: rotationOutputs(inputs, now.certificates, props.lastRotatedAt) };
      });
    },

    async update(id: string, olds: Props, news: Props) {
      const connection = connectionFor(news);
      const deadline = Date.now() + timeoutFor("update", news.timeouts as TimeoutsInput);
      const diff = diffRotation(olds, news);
      const declared = declaredOf(news);
      return withClient(connection, async (client) => {
        let reasons = diff.reasons.filter((reason) => !reason.includes("days left"));
        if (reasons.length === 0) {
          // Expiry is judged again now, with the declared threshold: the cluster may have rotated by itself since
          // the refresh, and then nothing is due.
          const current = await snapshot(client, declared);
          const due = rotationOutputs(news, current.certificates, olds.lastRotatedAt);
          if (due.rotationDue !== true) return { outs: due };
          reasons = [`${(due.expiringCertificates as string[]).join(", ")} within ${thresholdOf(news)} days of expiry`];
        }
        printLine(`${LABEL}: rotating because ${reasons.join("; ")}`);
        let after: Snapshot;
        try {
          after = await rotateAndVerify(client, declared, connection, deadline);
        } catch (error) {
          throw await recordAfterFailure(client, id, news, declared, error);
        }
        return { outs: rotationOutputs(news, after.certificates, new Date(after.nowMs).toISOString()) };
      });
    },

    async delete() {
      printLine(`${LABEL}: forgotten; nothing changes on the cluster (its certificates stay as they are)`);
    },
  };
}

/**
 * A failure after the rotation request may have been applied: record what the cluster holds now under the id,
 * so the stack knows the certificates' real state. The error message comes from our own code or the REST
 * client, neither of which ever holds a key.
 */
async function recordAfterFailure(client: RsClient, id: string, inputs: Props, declared: readonly string[] | undefined, cause: unknown): Promise<PartialFailure | unknown> {
  // A refused request (4xx) changed nothing: a plain error, nothing to record.
  if (isRsApiError(cause) && cause.status < 500) return cause;
  let properties: Props | undefined;
  try {
    const now = await snapshot(client, declared);
    properties = rotationOutputs(inputs, now.certificates, null);
  } catch {
    return cause;
  }
  const reason = cause instanceof Error ? cause.message : String(cause);
  const error = new Error(`${reason}. The certificates as they are now are recorded in the stack; run pulumi up again to retry`) as PartialFailure;
  error.id = id;
  error.properties = { ...properties, __provider: inputs.__provider };
  error.reasons = [reason];
  return error;
}

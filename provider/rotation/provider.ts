// The CertificateRotation provider: the hooks the framework's life cycle (provider/framework/lifecycle.ts) calls.
// The create rotates (it is the resource's whole point); an update rotates when an action row asks for it
// (`triggers` or `certificates` changed, or a refresh found a selected certificate within
// `rotateWhenExpiringWithinDays` of expiry); reads report each certificate parsed from its PEM. Private keys
// from GET /v1/cluster/certificates are dropped the moment the answer arrives (provider/certificates.ts).
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type * as pulumi from "@pulumi/pulumi";
import { expiringCertificates, type CertificateInfo } from "../certificates";
import type { PropertyChange } from "../core";
import { type LifecycleHooks, type OperationContext, type Session, appliedBeforeFailing, isAppliedBeforeFailing, labelled, labelledMessage, resourceProvider } from "../framework/lifecycle";
import { RestSession, restSessionHooks } from "../framework/rest-session";
import { DEFAULT_RETRY_POLICY, RsClient, backoffDelayMs, isRsApiError, isRsConnectionError } from "../rest";
import type { StackSettings } from "../settings";
import {
  ROTATION_PENDING,
  ROTATION_RESOURCE,
  checkRotation,
  describeSelected,
  diffRotation,
  pendingRotationOf,
  pendingRotationOutcome,
  rotatedSince,
  rotationLabel,
  selectedNames,
  selectedPems,
  selectionOf,
  thresholdOf,
  verifyRotation,
} from "./logic";
import type { PendingRotation, RotationLive } from "./types";


const LABEL = rotationLabel();

/** Rotation is synchronous and can take minutes on a real cluster (x-timeout-seconds 900): at least that long. */
export const MIN_ROTATE_TIMEOUT_MS = 900_000;

interface Snapshot {
  /** The cluster's clock (its Date header), else ours. */
  nowMs: number;
  certificates: CertificateInfo[];
  pems: Map<string, string>;
  names: string[];
}

/** A rotation's session: the REST session, the selection and what this resource last did. */
export class RotationSession implements Session {
  readonly rest: RestSession;
  readonly selection: string[] | undefined;
  /** rotateWhenExpiringWithinDays as declared (or recorded), else the default. */
  readonly threshold: number;
  /** When this resource last rotated (verified); null when none did yet. */
  lastRotatedAt: string | null;
  /** The rotation sent and not yet verified: recorded, and set again before each rotate request. */
  pendingRotation: PendingRotation | null;
  /** Whether the program asks for a new rotation (triggers or the selection changed), not only to finish one. */
  readonly rotationRequested: boolean;

  constructor(rest: RestSession, selection: string[] | undefined, threshold: number, recorded: { lastRotatedAt?: unknown; pendingRotation?: PendingRotation; rotationRequested?: boolean } = {}) {
    this.rest = rest;
    this.selection = selection;
    this.threshold = threshold;
    this.lastRotatedAt = typeof recorded.lastRotatedAt === "string" ? recorded.lastRotatedAt : null;
    this.pendingRotation = recorded.pendingRotation ?? null;
    this.rotationRequested = recorded.rotationRequested ?? true;
  }

  /**
   * Reads the certificates. The answer holds private keys: it is reduced to certificates inside describeSelected
   * and selectedPems and never stored, printed or put into an error.
   */
  async snapshot(): Promise<Snapshot> {
    const answer = await this.rest.client.request<unknown>("GET", "/v1/cluster/certificates");
    const date = Date.parse(answer.headers.date ?? "");
    const nowMs = Number.isFinite(date) ? date : Date.now();
    const certificates = describeSelected(answer.body, this.selection, nowMs);
    const names = certificates.map((certificate) => certificate.name);
    return { nowMs, certificates, pems: selectedPems(answer.body, names), names };
  }

  live(snapshot: Snapshot): RotationLive {
    return {
      nowMs: snapshot.nowMs,
      certificates: snapshot.certificates,
      ...(this.selection ? { selection: this.selection } : {}),
      rotatedAt: this.lastRotatedAt,
      pendingRotation: this.pendingRotation,
    };
  }

  close(): Promise<void> {
    return this.rest.close();
  }
}

/** What sendRotation needs from the world: the provider passes REST calls and the clock, a test passes fakes. */
export interface RotationSender {
  /** Sends the rotate request exactly once (no retry of its own); resolves when the cluster answered 2xx. */
  post(): Promise<void>;
  /** Reads the certificates again: the names whose certificate is no longer the one read before the rotation. */
  rotated(): Promise<string[]>;
  sleep(ms: number): Promise<void>;
  /** Milliseconds left until the operation's deadline (0 or less when it has passed). */
  remainingMs(): number;
  /** The wait before resend number `resend` (1 for the first). */
  backoffMs(resend: number): number;
  print(line: string): void;
}

/** How a rotate request ended: answered 2xx, or found applied by reading the certificates. */
export type RotationSent = "answered" | "applied";

/** A 409 busy: the cluster says it did not start the rotation; sendRotation looks before believing it. */
function isBusy(error: unknown): boolean {
  return isRsApiError(error) && error.status === 409 && error.errorCode === "busy";
}

/**
 * Sends one rotation so that the cluster applies it at most once. A 2xx is done. A refusal (a 4xx other than
 * 409 busy, a TLS failure) changed nothing and is thrown as is. A connection never made cannot have been applied:
 * it is sent again within the deadline. Every other answer does not prove that nothing happened, not even 409
 * busy (a cluster or a proxy may apply it and still answer busy): the certificates are read again and compared
 * with the snapshot taken before. Changed means applied: it is never sent again, and the caller verifies it as
 * after a 2xx. Unchanged after 409 busy means not applied: it is sent again, and the certificates are read again
 * right before each resend (after the backoff, not before it), so a rotation the cluster applied a moment after
 * answering busy is seen and not repeated. Unchanged after a 5xx or a lost answer proves nothing (the cluster may
 * still be rotating): RotationOutcomeUnknown, never a resend.
 */
export async function sendRotation(what: string, io: RotationSender): Promise<RotationSent> {
  const applied = (answer: string, names: readonly string[]): RotationSent => {
    io.print(`${what} was answered ${answer}, but ${names.join(", ")} changed: the cluster applied the rotation, which is not sent again`);
    return "applied";
  };
  for (let resend = 1; ; resend++) {
    try {
      await io.post();
      return "answered";
    } catch (error) {
      if (isRsConnectionError(error) && !error.mayHaveReachedServer) {
        if (io.remainingMs() <= 0) throw error;
        await io.sleep(Math.min(io.backoffMs(resend), io.remainingMs()));
        continue;
      }
      const busy = isBusy(error);
      if (!busy && !isRsConnectionError(error) && !(isRsApiError(error) && error.status >= 500)) throw error;
      const answer = isRsApiError(error) ? `${error.status}${error.errorCode ? ` ${error.errorCode}` : ""}` : `with no answer (${(error as Error).message})`;
      // Busy: wait first, then look, so the look is as late as possible before the resend.
      if (busy && io.remainingMs() > 0) await io.sleep(Math.min(io.backoffMs(resend), io.remainingMs()));
      let changed: string[];
      try {
        changed = await io.rotated();
      } catch (readError) {
        throw new RotationOutcomeUnknown(
          `${LABEL}: ${what} was answered ${answer}, and reading the certificates to see whether it was applied failed ` +
            `(${(readError as Error).message}); it may have happened and is not sent again`,
        );
      }
      if (changed.length > 0) return applied(answer, changed);
      if (!busy) {
        throw new RotationOutcomeUnknown(
          `${LABEL}: ${what} got no clear answer (${(error as Error).message}) and the certificates have not changed yet; ` +
            "it may still happen and is not sent again",
        );
      }
      // 409 busy and unchanged: not applied. Past the deadline, that is the error (nothing happened).
      if (io.remainingMs() <= 0) throw error;
    }
  }
}

/**
 * POST /v1/cluster/certificates/rotate, for all certificates or each one named, each sent by sendRotation (so a
 * rotation that may have been applied is never sent again). The call gets at least MIN_ROTATE_TIMEOUT_MS whatever
 * the operation's deadline, on a client of its own (the session's client ends every request at the operation's
 * deadline); the comparisons read through the session's client, within the deadline.
 */
async function rotate(session: RotationSession, before: Snapshot, ctx: OperationContext, only?: { names: readonly string[]; pending: PendingRotation }): Promise<void> {
  const timeoutMs = Math.max(MIN_ROTATE_TIMEOUT_MS, ctx.deadline.remainingMs());
  const client = new RsClient(session.rest.connection, { onEvent: ctx.print, onWarning: ctx.print });
  const once = { retry: false as const, timeoutMs, expectEmpty: true };
  const send = (what: string, body: unknown, names: readonly string[]) =>
    sendRotation(what, {
      post: async () => {
        await client.post("/v1/cluster/certificates/rotate", body, once);
      },
      rotated: async () => rotatedSince(before.certificates, (await session.snapshot()).certificates, names),
      sleep: (ms) => sleep(ms),
      remainingMs: () => ctx.deadline.remainingMs(0),
      backoffMs: (resend) => backoffDelayMs(resend, DEFAULT_RETRY_POLICY, Math.random),
      print: ctx.print,
    });
  const names = only?.names ?? session.selection;
  // From the first request on, the rotation is pending until it is verified (a partial failure records it), so
  // that whatever happens to its answer, the next up looks at the certificates before rotating again.
  const previous = session.pendingRotation;
  session.pendingRotation = only?.pending ?? pendingOf(names ?? before.names, before.certificates);
  let sent = 0;
  try {
    if (names) {
      for (const name of names) {
        ctx.print(`rotating ${name}`);
        await send(`the rotation of ${name}`, { name }, [name]);
        sent++;
      }
    } else {
      ctx.print("rotating all internal certificates");
      await send("the rotation of all internal certificates", undefined, before.names);
    }
  } catch (error) {
    // Refused before anything was applied: nothing is pending that was not pending before.
    if (sent === 0 && !(error instanceof RotationOutcomeUnknown)) {
      session.pendingRotation = previous;
      throw error;
    }
    throw appliedBeforeFailing(error);
  } finally {
    await client.close();
  }
}

/** A rotation of `names` pending, compared against the certificates of `before` (those of these names). */
function pendingOf(names: readonly string[], before: readonly CertificateInfo[]): PendingRotation {
  return { names: [...names], before: before.filter((info) => names.includes(info.name)) };
}

/**
 * Finishes a rotation the last up sent and could not verify (recorded as pendingRotation), when the program asks
 * for nothing new: the certificates that changed since were rotated by it and are verified against the ones it
 * recorded, never rotated again; the ones that did not change are rotated now.
 */
async function finishPending(session: RotationSession, pending: PendingRotation, now: Snapshot, ctx: OperationContext): Promise<void> {
  const { applied, rotate: rest } = pendingRotationOutcome(pending, now.certificates);
  if (applied.length > 0) {
    ctx.print(`${applied.join(", ")} changed since the rotation the last up sent: it was applied, and it is verified now rather than sent again`);
  }
  // Each name compared with what it was before the rotation that changes it: the recorded certificate for those
  // the last up rotated, the one read now for those rotated now.
  const before: Snapshot = {
    nowMs: now.nowMs,
    names: pending.names,
    certificates: [...pending.before.filter((info) => applied.includes(info.name)), ...now.certificates.filter((info) => rest.includes(info.name))],
    pems: new Map([...now.pems].filter(([name]) => rest.includes(name))),
  };
  if (rest.length > 0) {
    ctx.print(`rotating ${rest.join(", ")}: the rotation the last up sent did not change ${rest.length === 1 ? "it" : "them"}`);
    const all = !session.selection && rest.length === pending.names.length;
    await rotate(session, now, ctx, all ? undefined : { names: rest, pending: { names: pending.names, before: before.certificates } });
  }
  await verifyAfter(session, before, ctx);
}

/** A rotation that may have happened: recorded (after a create, as a partial failure), never retried. */
class RotationOutcomeUnknown extends Error {}

/** The selected certificates exist on the cluster (a name it does not hold cannot be rotated). */
function requireSelected(session: RotationSession, before: Snapshot): void {
  if (!session.selection) return;
  const missing = session.selection.filter((name) => !before.names.includes(name));
  if (missing.length > 0) throw new Error(`${LABEL}: the cluster has no ${missing.join(", ")} certificate to rotate; choose from ${selectedNames(undefined, before.names).join(", ")}`);
}

/** Re-reads and verifies a rotation: each selected certificate is new, its validity moved, it chains to the CA. */
async function verifyAfter(session: RotationSession, before: Snapshot, ctx: OperationContext): Promise<Snapshot> {
  let after: Snapshot;
  try {
    after = await session.snapshot();
  } catch (error) {
    // The REST error itself (its class and fields kept), saying which resource and that the rotation happened.
    throw appliedBeforeFailing(labelled(error, `${ctx.label}: the rotation was applied, but reading the certificates to verify it failed`));
  }
  const caPem = session.rest.connection.caCertPem;
  const verdict = verifyRotation({
    names: before.names,
    before: before.certificates,
    after: after.certificates,
    beforePems: before.pems,
    afterPems: after.pems,
    ...(caPem !== undefined ? { caPem } : {}),
  });
  if (verdict.unchecked.length > 0) {
    ctx.print(
      `${verdict.unchecked.join(", ")}: the signature was not checked against the cluster CA ` +
        "(set connection.caCertPem to the CA that signs the internal certificates); the issuer name is unchanged",
    );
  }
  if (verdict.problems.length > 0) throw appliedBeforeFailing(new Error(`${LABEL}: the rotation was accepted but ${verdict.problems.join("; ")}`));
  session.lastRotatedAt = new Date(after.nowMs).toISOString();
  session.pendingRotation = null;
  return after;
}

/** Why the changes that asked for the rotation ask for it, for the progress line. */
function reasonsOf(all: readonly PropertyChange[], expiring: readonly string[], threshold: number): string[] {
  return [
    ...new Set(
      all.map((change) =>
        change.property === "triggers"
          ? "triggers changed"
          : change.property === "certificates"
            ? "the selected certificates changed"
            : change.property === "expiresWithinThreshold"
              ? `${expiring.join(", ")} within ${threshold} days of expiry`
              : (change.reason ?? change.property),
      ),
    ),
  ];
}

/** The preview's note of an update that rotates, or that only finishes a pending rotation (verify, then the rest). */
function rotationNote(reasons: readonly string[]): string {
  if (reasons.length === 1 && reasons[0] === ROTATION_PENDING) {
    return `${LABEL}: the update finishes the last rotation, which was sent but not verified: it verifies the certificates that rotation changed and rotates only those it did not`;
  }
  return `${LABEL}: the update rotates the certificates: ${reasons.join("; ")}`;
}

/** A create's or an update's partial failure: the reason names the resource once whichever step failed. */
function pendingRotationFailure(reason: string, ctx: OperationContext): string {
  return (
    `${labelledMessage(reason, ctx.label)}. The certificates as they could be read are recorded in the stack, ` +
    "with the rotation as pending: the next pulumi up compares the certificates with those before it, verifies what it changed, and rotates only what it did not"
  );
}

/** The CertificateRotation's hooks. */
export function rotationHooks(getSettings: () => StackSettings): LifecycleHooks<RotationLive, RotationSession> {
  const rest = restSessionHooks(getSettings);
  return {
    session: {
      ...rest,
      open: (inputs, label, deadlineAt, recorded) => {
        const pendingRotation = pendingRotationOf(recorded);
        return new RotationSession(rest.open(inputs, label, deadlineAt), selectionOf(inputs), thresholdOf(inputs), {
          lastRotatedAt: recorded?.lastRotatedAt,
          ...(pendingRotation ? { pendingRotation } : {}),
          // Only an update has a record; there a new rotation is asked when the triggers or the selection changed.
          rotationRequested: recorded === undefined || diffRotation(recorded, inputs).requested,
        });
      },
    },
    // The resource's own check keeps its messages (each certificate name, each duplicate); the table's schemas
    // accept the same values (test/unit/rotation-rows.test.ts holds them together).
    check: (_olds, news) => checkRotation(news),

    // What the table cannot see: the selection to or from "all", triggers removed, a rotation that did not
    // complete, old state without the computed row. The note words every reason, as the review report does.
    changesBeyondTable: (olds, news, tableChanges) => {
      const diff = diffRotation(olds, news);
      const tableRotates = tableChanges.some((change) => change.action === "rotate");
      return {
        changes: diff.changes,
        notes: diff.rotate ? [rotationNote(diff.reasons)] : [],
        actions: diff.rotate && !tableRotates ? [{ property: "(rotation)", mode: "action", impact: "none", action: "rotate", reason: diff.reasons.join("; ") }] : [],
      };
    },

    async startCreate(session, _inputs, ctx) {
      const id = randomUUID();
      const before = await session.snapshot();
      requireSelected(session, before);
      try {
        await rotate(session, before, ctx);
      } catch (error) {
        // Refused (4xx) before anything was applied: nothing changed, a plain error. Applied or maybe applied:
        // recorded under the id with the rotation pending (completeCreate throws it), never sent again.
        if (isAppliedBeforeFailing(error)) return { id, pending: { before, error } };
        throw error;
      }
      return { id, pending: { before } };
    },

    async completeCreate(session, _id, pending, ctx) {
      const { before, error } = pending as { before: Snapshot; error?: Error };
      if (error) throw error;
      return session.live(await verifyAfter(session, before, ctx));
    },

    describePartialFailure: (_id, _pending, reason, ctx) => pendingRotationFailure(reason, ctx),

    describeUpdatePartialFailure: (reason, ctx) => pendingRotationFailure(reason, ctx),

    read: async (session) => session.live(await session.snapshot()),

    minimalRecord: (id, inputs, session) => {
      const selection = selectionOf(inputs);
      return { ...inputs, id, certificates: [], requestedCertificates: selection ?? null, lastRotatedAt: session?.lastRotatedAt ?? null, pendingRotation: session?.pendingRotation ?? null };
    },

    // Nothing is ever sent as a value: every row is an action or computed.
    startUpdate: async () => undefined,
    completeUpdate: async (session) => session.live(await session.snapshot()),

    async delete(_session, _id, ctx) {
      ctx.print("forgotten; nothing changes on the cluster (its certificates stay as they are)");
    },

    actions: {
      async rotate(session, _id, _change, ctx, all) {
        const before = await session.snapshot();
        const pending = session.pendingRotation;
        if (pending && !session.rotationRequested) {
          await finishPending(session, pending, before, ctx);
          return;
        }
        const { threshold } = session;
        const expiring = expiringCertificates(before.certificates, threshold);
        // Expiry alone is judged again now: the cluster may have rotated by itself since the refresh.
        if (all.every((change) => change.property === "expiresWithinThreshold") && expiring.length === 0) return;
        requireSelected(session, before);
        ctx.print(`rotating because ${reasonsOf(all, expiring, threshold).join("; ")}`);
        await rotate(session, before, ctx);
        await verifyAfter(session, before, ctx);
      },
    },
  };
}

/** The CertificateRotation provider; `getSettings` returns what configure() read from stack config. */
export function certificateRotationProvider(getSettings: () => StackSettings): pulumi.dynamic.ResourceProvider {
  return resourceProvider(ROTATION_RESOURCE, rotationHooks(getSettings), getSettings);
}

// Fault injection rules (POST /__emulator/faults): errors, latency, dropped connections, busy windows and
// failed actions, matched against the method and URL path of REST requests. The store is pure logic; the
// server applies the decision it returns.
import { randomUUID } from "node:crypto";
import { ApiError, schemaError } from "./errors";
import { isJsonObject, type JsonObject, type JsonValue } from "./json";

export type FaultPhase = "before" | "after";

/** A rule as a client sends it. */
export interface FaultRuleInput {
  /** HTTP method to match (any when absent), case-insensitive. */
  method?: string;
  /** Regular expression matched against the URL path (without the query string). */
  path: string;
  /** Answer with this status instead of the real answer. */
  status?: number;
  errorCode?: string;
  description?: string;
  /** Wait this long before handling (phase before) or before answering (phase after). */
  latencyMs?: number;
  /** Destroy the socket without answering. */
  drop?: boolean;
  /** before (default): fail without applying; after: apply the request, then fail the answer. */
  phase?: FaultPhase;
  /** For this long after the rule is added, every matching request gets 409 busy. */
  busyMs?: number;
  /** The next async action a matching request starts fails (creation-failed, or a failed update/delete). */
  failAction?: boolean;
  /** How many matches before the rule expires (unlimited when absent). */
  count?: number;
  /** Chance that a match applies, 0..1 (always when absent). */
  probability?: number;
}

/** A stored rule (GET /__emulator/faults). */
export interface FaultRule extends FaultRuleInput {
  id: string;
  /** Matches applied so far. */
  hits: number;
  /** Real-time epoch ms until which a busy rule answers 409. */
  busyUntilMs?: number;
}

/** What the server must do with one request. */
export interface FaultDecision {
  /** Rules that applied, in order (for the `fault` event). */
  ruleIds: string[];
  latencyBeforeMs: number;
  latencyAfterMs: number;
  failAction: boolean;
  /** The first terminal effect among the applied rules. */
  effect?:
    | { kind: "busy"; description: string }
    | { kind: "status"; phase: FaultPhase; status: number; errorCode: string; description: string }
    | { kind: "drop"; phase: FaultPhase };
}

const DEFAULT_ERROR_CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  406: "invalid_configuration",
  409: "busy",
  500: "internal_error",
  502: "bad_gateway",
  503: "service_unavailable",
  504: "gateway_timeout",
};

const RULE_KEYS = new Set([
  "method",
  "path",
  "status",
  "errorCode",
  "description",
  "latencyMs",
  "drop",
  "phase",
  "busyMs",
  "failAction",
  "count",
  "probability",
]);

function nonNegative(body: JsonObject, key: string): number | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw schemaError(`fault rule: ${key} must be a non-negative number`);
  return value;
}

/** Check a rule sent by a client; 400 with the reason when it is malformed. */
export function parseFaultRule(body: JsonValue | undefined): FaultRuleInput {
  if (!isJsonObject(body)) throw schemaError("fault rule: the body must be a JSON object with at least 'path'");
  for (const key of Object.keys(body)) {
    if (!RULE_KEYS.has(key)) throw schemaError(`fault rule: unknown key '${key}'; known keys: ${[...RULE_KEYS].join(", ")}`);
  }
  if (typeof body.path !== "string" || body.path === "") throw schemaError("fault rule: 'path' (a regular expression) is required");
  try {
    new RegExp(body.path);
  } catch {
    throw schemaError(`fault rule: 'path' is not a valid regular expression: ${body.path}`);
  }
  const rule: FaultRuleInput = { path: body.path };
  if (body.method !== undefined) {
    if (typeof body.method !== "string" || !/^[A-Za-z]+$/.test(body.method)) throw schemaError("fault rule: 'method' must be an HTTP method name");
    rule.method = body.method.toUpperCase();
  }
  if (body.status !== undefined) {
    if (typeof body.status !== "number" || !Number.isInteger(body.status) || body.status < 200 || body.status > 599) {
      throw schemaError("fault rule: 'status' must be an HTTP status between 200 and 599");
    }
    rule.status = body.status;
  }
  for (const key of ["errorCode", "description"] as const) {
    const value = body[key];
    if (value !== undefined) {
      if (typeof value !== "string") throw schemaError(`fault rule: '${key}' must be a string`);
      rule[key] = value;
    }
  }
  for (const key of ["drop", "failAction"] as const) {
    const value = body[key];
    if (value !== undefined) {
      if (typeof value !== "boolean") throw schemaError(`fault rule: '${key}' must be a boolean`);
      rule[key] = value;
    }
  }
  if (body.phase !== undefined) {
    if (body.phase !== "before" && body.phase !== "after") throw schemaError("fault rule: 'phase' must be 'before' or 'after'");
    rule.phase = body.phase;
  }
  const latencyMs = nonNegative(body, "latencyMs");
  if (latencyMs !== undefined) rule.latencyMs = latencyMs;
  const busyMs = nonNegative(body, "busyMs");
  if (busyMs !== undefined) rule.busyMs = busyMs;
  const count = nonNegative(body, "count");
  if (count !== undefined) {
    if (!Number.isInteger(count) || count < 1) throw schemaError("fault rule: 'count' must be a positive integer");
    rule.count = count;
  }
  const probability = nonNegative(body, "probability");
  if (probability !== undefined) {
    if (probability > 1) throw schemaError("fault rule: 'probability' must be between 0 and 1");
    rule.probability = probability;
  }
  if (rule.status !== undefined && rule.drop) throw schemaError("fault rule: give either 'status' or 'drop', not both");
  if (rule.busyMs !== undefined && (rule.status !== undefined || rule.drop)) {
    throw schemaError("fault rule: 'busyMs' answers 409 busy by itself; do not combine it with 'status' or 'drop'");
  }
  const hasEffect =
    rule.status !== undefined || rule.drop === true || rule.busyMs !== undefined || rule.failAction === true || rule.latencyMs !== undefined;
  if (!hasEffect) throw schemaError("fault rule: give at least one effect: status, drop, latencyMs, busyMs or failAction");
  return rule;
}

export class FaultStore {
  private rules: FaultRule[] = [];
  private readonly compiled = new Map<string, RegExp>();

  /** Add a rule; busy windows start now (real time). */
  add(input: FaultRuleInput, nowMs: number): FaultRule {
    const rule: FaultRule = { ...input, id: randomUUID(), hits: 0 };
    if (input.busyMs !== undefined) rule.busyUntilMs = nowMs + input.busyMs;
    this.rules.push(rule);
    this.compiled.set(rule.id, new RegExp(input.path));
    return { ...rule };
  }

  list(nowMs: number): FaultRule[] {
    this.expire(nowMs);
    return this.rules.map((rule) => ({ ...rule }));
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((rule) => rule.id !== id);
    this.compiled.delete(id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
    this.compiled.clear();
  }

  private expire(nowMs: number): void {
    for (const rule of this.rules) {
      const exhausted = rule.count !== undefined && rule.hits >= rule.count;
      const windowOver = rule.busyUntilMs !== undefined && nowMs >= rule.busyUntilMs;
      if (exhausted || windowOver) this.remove(rule.id);
    }
  }

  /**
   * Decide what happens to one request. Every matching rule that fires (probability) counts one hit;
   * latencies add up, failAction accumulates, and the first terminal effect in rule order wins.
   */
  decide(method: string, path: string, nowMs: number, random: () => number = Math.random): FaultDecision | undefined {
    this.expire(nowMs);
    const decision: FaultDecision = { ruleIds: [], latencyBeforeMs: 0, latencyAfterMs: 0, failAction: false };
    for (const rule of [...this.rules]) {
      if (rule.method !== undefined && rule.method !== method.toUpperCase()) continue;
      if (!this.compiled.get(rule.id)?.test(path)) continue;
      if (rule.probability !== undefined && !(random() < rule.probability)) continue;
      rule.hits += 1;
      decision.ruleIds.push(rule.id);
      const phase: FaultPhase = rule.phase ?? "before";
      if (rule.latencyMs !== undefined) {
        if (phase === "after") decision.latencyAfterMs += rule.latencyMs;
        else decision.latencyBeforeMs += rule.latencyMs;
      }
      if (rule.failAction) decision.failAction = true;
      if (decision.effect === undefined) {
        if (rule.busyMs !== undefined) {
          decision.effect = {
            kind: "busy",
            description: rule.description ?? "the cluster is busy with another operation (injected fault); retry later",
          };
        } else if (rule.drop) {
          decision.effect = { kind: "drop", phase };
        } else if (rule.status !== undefined) {
          decision.effect = {
            kind: "status",
            phase,
            status: rule.status,
            errorCode: rule.errorCode ?? DEFAULT_ERROR_CODES[rule.status] ?? "injected_fault",
            description: rule.description ?? `injected fault: ${rule.status} for ${method} ${path}`,
          };
        }
      }
      if (rule.count !== undefined && rule.hits >= rule.count) this.remove(rule.id);
    }
    return decision.ruleIds.length > 0 ? decision : undefined;
  }
}

/** The error a status effect answers with. */
export function faultError(effect: { status: number; errorCode: string; description: string }): ApiError {
  return new ApiError(effect.status, effect.errorCode, effect.description);
}

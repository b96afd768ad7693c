// Issue 11, "check accepts what later crashes": every resource's check turns hostile inputs into check failures
// that name the property, never a throw, never an accepted value that fails after the object exists, and never
// a message that echoes a huge value in full. Then fuzzing: random inputs (fast-check, fixed seed, bounded
// runs) to the check of every resource give only check failures.
import assert from "node:assert/strict";
import fc from "fast-check";
import { configure, providers } from "../../provider";
import { MAX_TIMEOUT_MS, parseDuration, timeoutFor } from "../../provider/timeouts";
import { MAX_INPUT_DEPTH, MAX_REASON_LENGTH, nestsDeeperThan } from "../../provider/framework/guard";
import { captureStderr } from "../provider/support/stderr";

type Props = Record<string, unknown>;
type Check = (olds: Props, news: Props) => Promise<{ inputs?: Props; failures?: Array<{ property: string; reason: string }> }>;

// A connection on loopback that nothing listens on: check opens no connection unless a precondition needs facts.
const connection = { url: "https://127.0.0.1:9", username: "admin@example.com", password: "Zebra-Quartz-7731" };
const BASES: Record<keyof typeof providers, Props> = {
  Database: { name: "db1", memorySize: "100MB", connection },
  Cluster: { name: "cluster.example.com", nodes: [{ url: "https://127.0.0.1:9" }], username: "admin@example.com", password: "Zebra-Quartz-7731" },
  CertificateRotation: { connection },
  // Documentation addresses (RFC 5737); check never reaches a node.
  InternodeFirewall: { nodes: [{ address: "192.0.2.1", transport: { type: "local" } }] },
};
/** The resources that take a `timeouts` input. */
const WITH_TIMEOUTS = new Set<string>(["Database", "Cluster", "CertificateRotation"]);
const KINDS = Object.keys(providers) as Array<keyof typeof providers>;
const checkOf = (kind: keyof typeof providers): Check => providers[kind].check!.bind(providers[kind]) as Check;

function nestedObject(depth: number): unknown {
  let value: unknown = "x";
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/**
 * Random JSON-like values, nested up to 4 levels: `constants` (the edge cases worth naming), strings, numbers, lists,
 * and objects whose keys are random or one of `keyNames`.
 */
function jsonLike(constants: unknown[], keyNames: string[]): fc.Arbitrary<unknown> {
  return fc.letrec((tie) => ({
    any: fc.oneof(
      { depthSize: "small", maxDepth: 4 },
      fc.constantFrom(...constants),
      fc.string({ maxLength: 30 }),
      fc.double(),
      fc.integer(),
      fc.array(tie("any"), { maxLength: 3 }),
      fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...keyNames)), tie("any"), { maxKeys: 3 }),
    ),
  })).any;
}

describe("reliability: check robustness of every resource", function () {
  this.timeout(60_000);
  before(() => configure({ config: { get: () => undefined, require: () => "" } }));

  for (const kind of KINDS) {
    describe(kind, () => {
      const check = checkOf(kind);
      const base = BASES[kind];
      const failing = async (news: unknown, property: RegExp, reason: RegExp): Promise<void> => {
        const result = await check({}, news as Props);
        const match = result.failures?.find((failure) => property.test(failure.property));
        assert.ok(match, `no failure on ${String(property)}: ${JSON.stringify(result.failures)}`);
        assert.match(match.reason, reason);
      };

      if (WITH_TIMEOUTS.has(kind)) it("refuses timeouts beyond 7 days (1e308 seconds) for create and update", async () => {
        await failing({ ...base, timeouts: { create: 1e308 } }, /^timeouts\.create$/, /at most 7 days; got 1e\+308/);
        await failing({ ...base, timeouts: { update: 1e308 } }, /^timeouts\.update$/, /at most 7 days/);
        await failing({ ...base, timeouts: { delete: "99999999999h" } }, /^timeouts\.delete$/, /at most 7 days/);
      });

      if (WITH_TIMEOUTS.has(kind)) it("refuses inherited names as timeouts keys (toString, __proto__)", async () => {
        await failing({ ...base, timeouts: { toString: 5 } }, /^timeouts\.toString$/, /unknown operation "toString"/);
        await failing({ ...base, timeouts: JSON.parse('{"__proto__": 5}') }, /^timeouts\.__proto__$/, /unknown operation "__proto__"/);
      });

      it("answers null, undefined and non-object inputs with a failure, not a TypeError", async () => {
        for (const news of [null, undefined, 5, "text", []]) {
          await failing(news, /^inputs$/, new RegExp(`the inputs of a ${kind} must be an object`));
        }
        // olds null (a first check) is no problem either.
        await check(null as unknown as Props, base);
      });

      it("refuses a value nested 2,700 (and 20,000) levels deep, naming the property, without overflowing the stack", async () => {
        for (const depth of [2_700, 20_000]) {
          await failing({ ...base, tags: nestedObject(depth) }, /^tags$/, new RegExp(`nests deeper than ${MAX_INPUT_DEPTH} levels`));
        }
      });

      it("cuts failure messages that would echo a 1 MiB value", async () => {
        const huge = "x".repeat(1 << 20);
        for (const key of ["name", "memorySize", "timeouts", huge]) {
          const result = await check({}, { ...base, [key]: huge });
          assert.ok((result.failures ?? []).length > 0, `${key.slice(0, 20)}: a 1 MiB value must not pass`);
          for (const failure of result.failures!) {
            assert.ok(failure.reason.length <= MAX_REASON_LENGTH + 60, `reason of ${failure.reason.length} characters`);
            assert.ok(failure.property.length <= 260, `property of ${failure.property.length} characters`);
          }
        }
      });

      it("fuzzing: random inputs give check failures, never a throw (fast-check, fixed seed, 300 runs)", async () => {
        const value = jsonLike([null, undefined, true, 0, -1, 1e308, -1e308, Number.NaN, "", "toString", "__proto__", "1e308", "99999999999h"], ["toString", "__proto__", "constructor", "url", "create"]);
        const keys = fc.constantFrom(...Object.keys(base), "timeouts", "tags", "modules", "adopt", "disruptionPolicy", "connection", "port", "replication", "toString", "__proto__");
        const inputs = fc.oneof(
          value,
          fc.dictionary(keys, value, { maxKeys: 6 }).map((random) => ({ ...base, ...random })),
        );
        await fc.assert(
          fc.asyncProperty(inputs, async (news) => {
            const result = await check({}, news as Props);
            assert.ok(Array.isArray(result.failures ?? []));
          }),
          { seed: 20261202, numRuns: 300, endOnFailure: true },
        );
      });

      it("fuzzing: diff of random olds and news never throws and never prints the password (refresh calls diff; fast-check, fixed seed, 300 runs)", async () => {
        const diff = providers[kind].diff!.bind(providers[kind]) as (id: string, olds: unknown, news: unknown) => Promise<{ changes?: boolean; replaces?: string[] }>;
        // Values a stored state may hold, including what earlier versions wrote and what a hand edit leaves.
        const value = jsonLike([null, undefined, true, false, 0, -1, 1e308, Number.NaN, "", "toString", "__proto__", "100MB", "1h", "active", "unconfirmed", "api"], ["toString", "__proto__", "name", "uid", "status", "url"]);
        const keys = fc.constantFrom(
          ...Object.keys(base),
          ...["timeouts", "tags", "adopt", "disruptionPolicy", "connection", "uid", "status", "managedProperties", "lastUpdateImpacts", "__drifted", "pendingRotation", "triggers", "certificates", "rules", "toString"],
        );
        const bagOf = fc.oneof(
          { weight: 1, arbitrary: value },
          { weight: 4, arbitrary: fc.dictionary(keys, value, { maxKeys: 8 }).map((random) => ({ ...base, ...random })) },
        );
        const id = fc.constantFrom("1", "7", `pending-create:${String(base.name ?? "x")}`, "", "not-a-uid");
        // Everything diff prints is captured (and kept out of the test output) to look for the password in it.
        const capture = captureStderr();
        try {
          await fc.assert(
            fc.asyncProperty(id, bagOf, bagOf, async (uid, olds, news) => {
              const result = await diff(uid, olds, news);
              assert.equal(typeof result, "object");
              assert.ok(Array.isArray(result.replaces ?? []));
            }),
            { seed: 20261203, numRuns: 300, endOnFailure: true },
          );
        } finally {
          capture.stop();
        }
        const printed = capture.take();
        assert.ok(!printed.includes(connection.password), `diff printed the password:\n${printed.slice(0, 2000)}`);
      });
    });
  }

  it("timeouts never turn into a deadline past what a timer can hold", () => {
    assert.equal(parseDuration(1e308), undefined);
    assert.equal(parseDuration(7 * 24 * 3600), MAX_TIMEOUT_MS);
    assert.equal(parseDuration(7 * 24 * 3600 + 1), undefined);
    assert.equal(timeoutFor("update", { update: 1e308 }), 30 * 60_000, "an unchecked huge value falls back to the default");
    assert.equal(timeoutFor("create", JSON.parse('{"__proto__": {"create": 1}}')), 30 * 60_000);
  });

  it("measures nesting without recursion, exactly at the limit", () => {
    assert.equal(nestsDeeperThan(nestedObject(MAX_INPUT_DEPTH), MAX_INPUT_DEPTH), false);
    assert.equal(nestsDeeperThan(nestedObject(MAX_INPUT_DEPTH + 1), MAX_INPUT_DEPTH), true);
    assert.equal(nestsDeeperThan(nestedObject(100_000), MAX_INPUT_DEPTH), true);
  });
});

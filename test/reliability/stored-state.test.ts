// Issue 11, "never loses a database": update and delete run on the state the engine stored, which an earlier
// version wrote, a hand edit changed (`pulumi stack export`/`import`) or a failed operation left half-filled. Whatever
// that state says, the engine's id names the database: a stored `uid`, `name` or `status` that points at another
// database (or at nothing) must never make an update or a delete touch that other database, and must never end in
// a TypeError instead of an error that says what happened. Fast-check, fixed seed, bounded runs, on the emulator.
import assert from "node:assert/strict";
import fc from "fast-check";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { configure, providers } from "../../provider";
import type { Connection } from "../../provider/rest";
import { captureStderr } from "../provider/support/stderr";

type Props = Record<string, unknown>;
const db = providers.Database;

/** The stored outputs the fuzzing overwrites: what a Database records, bookkeeping included. */
const STORED_KEYS = ["uid", "name", "status", "memorySize", "endpoint", "port", "replication", "tags", "managedProperties", "lastUpdateImpacts", "__drifted", "adopt", "timeouts", "dataInternodeEncryption"] as const;

describe("reliability: update and delete on a random stored state never touch another database", function () {
  this.timeout(120_000);
  let cluster: EmulatedCluster;
  let connection: Connection;

  before(async () => {
    cluster = await startCluster({ nodes: 1, operationDelayMs: 0, keyBits: 1024 });
    connection = { url: cluster.nodes[0]!.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
    await configure({ config: { get: () => undefined, require: () => "" } });
  });
  after(async () => {
    await cluster?.stop();
  });

  function live(): Props[] {
    return (cluster.admin.state() as { bdbs: Array<{ object: Props }> }).bdbs.map((entry) => entry.object);
  }

  async function create(name: string): Promise<{ id: string; outs: Props }> {
    const { inputs, failures } = await db.check!({}, { name, memorySize: "100MB", connection });
    assert.deepEqual(failures, []);
    const { id, outs } = await db.create(inputs as Props);
    return { id, outs: outs as Props };
  }

  it("fast-check, seed 20261203, 40 runs: the bystander keeps its uid, name, size and status; errors are never a TypeError", async () => {
    const capture = captureStderr();
    try {
      const bystander = await create("bystander");
      const bystanderBefore = live().find((b) => String(b.uid) === bystander.id)!;
      // Values aimed at the bystander (its uid as a number and a string, its name) among arbitrary ones.
      const value = fc.oneof(
        fc.constantFrom<unknown>(null, true, 0, -1, Number(bystander.id), bystander.id, "bystander", "active", "creation-failed", "unconfirmed", "", 1e308, Number.NaN),
        fc.string({ maxLength: 12 }),
        fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.integer()), { maxLength: 2 }),
        fc.dictionary(fc.constantFrom("uid", "name", "host", "port"), fc.oneof(fc.integer(), fc.string({ maxLength: 6 })), { maxKeys: 2 }),
      );
      let run = 0;
      // The fields that name a database are aimed at the bystander half the time each; others get arbitrary values.
      const aimed = <T>(target: fc.Arbitrary<T>) => fc.oneof(target, value);
      const stored = fc
        .tuple(
          fc.record(
            {
              uid: aimed(fc.constantFrom<unknown>(Number(bystander.id), bystander.id)),
              name: aimed(fc.constant<unknown>("bystander")),
              status: value,
            },
            { requiredKeys: [] },
          ),
          fc.dictionary(fc.constantFrom(...STORED_KEYS), value, { maxKeys: 2 }),
        )
        .map(([naming, others]) => ({ ...others, ...naming }) as Props)
        .filter((record) => Object.keys(record).length > 0);
      await fc.assert(
        fc.asyncProperty(stored, fc.boolean(), async (overwritten, deleting) => {
          run += 1;
          const name = `subject-${run}`;
          const subject = await create(name);
          const olds = { ...subject.outs, ...overwritten };
          try {
            if (deleting) {
              await db.delete!(subject.id, olds);
            } else {
              const { inputs } = await db.check!(olds, { name, memorySize: "200MB", connection });
              const planned = await db.diff!(subject.id, olds, inputs as Props);
              // A replacement is the engine's create then delete; only an in-place update runs update.
              if (planned.changes && (planned.replaces ?? []).length === 0) await db.update!(subject.id, olds, inputs as Props);
            }
          } catch (error) {
            assert.ok(!(error instanceof TypeError) && !(error instanceof RangeError), `${deleting ? "delete" : "update"} with ${JSON.stringify(overwritten)} threw ${String(error)}`);
          }
          const after = live().find((b) => String(b.uid) === bystander.id);
          assert.ok(after, `the bystander was deleted by a ${deleting ? "delete" : "update"} of ${subject.id} with stored ${JSON.stringify(overwritten)}`);
          for (const field of ["name", "memory_size", "status"]) {
            assert.deepEqual(after[field], bystanderBefore[field], `the bystander's ${field} changed after a ${deleting ? "delete" : "update"} of ${subject.id} with stored ${JSON.stringify(overwritten)}`);
          }
          // The subject itself: a delete removed it or failed leaving it; clean up what is left for the next run.
          if (live().some((b) => String(b.uid) === subject.id)) await db.delete!(subject.id, subject.outs);
        }),
        { seed: 20261203, numRuns: 40, endOnFailure: true },
      );
      assert.equal(run, 40);
    } finally {
      capture.stop();
    }
    assert.ok(!capture.take().includes(cluster.password), "the admin password was printed");
  });
});

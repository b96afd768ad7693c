// The fast subset of the fault matrix (test/reliability/matrix.ts): one representative cell per fault kind,
// spread over the three REST resources, each run through the provider objects against an emulated cluster and
// judged as in the full matrix (`npm run reliability`, results in docs/reliability.md). Also: the matrix covers
// every fault kind on every sub-request it should, and the judge rejects what it must.
import assert from "node:assert/strict";
import { configure } from "../../provider";
import { captureStderr, type StderrCapture } from "../provider/support/stderr";
import { FAST_CELLS, OPERATIONS, errorProblems, matrixCells, runCell, startLane, type Cell, type FaultKind, type LaneEnvironment } from "./matrix";

const ALL_KINDS: FaultKind[] = ["status", "status-after", "latency-before", "latency-after", "drop-before", "drop-after", "busy", "fail-action", "node-down"];

describe("reliability: the fault matrix", function () {
  const cells = matrixCells();

  describe("generator", () => {
    it("gives every sub-request of every operation each fault kind that applies to it, under unique ids", () => {
      assert.equal(new Set(cells.map((cell) => cell.id)).size, cells.length);
      for (const op of OPERATIONS) {
        for (const sub of op.subRequests) {
          const kinds = new Set(cells.filter((cell) => cell.resource === op.resource && cell.operation === op.operation && cell.sub === sub).map((cell) => cell.fault.kind));
          const expected = ALL_KINDS.filter((kind) => (kind === "status-after" || kind === "drop-after" ? sub.write === true : kind === "fail-action" ? sub.action === true : true));
          // Latency after the answer applies to every request that is answered: writes and GETs.
          assert.deepEqual([...kinds].sort(), expected.sort(), `${op.resource} ${op.operation} / ${sub.name}`);
          for (const [, code] of sub.codes ?? []) {
            assert.ok(cells.some((cell) => cell.sub === sub && cell.fault.code === code && cell.fault.kind === "status"), `${sub.name}: ${code}`);
          }
        }
      }
    });

    it("has a fast subset with one cell of each fault kind, each of them in the matrix", () => {
      const fast = FAST_CELLS.map(([id]) => cells.find((cell) => cell.id === id));
      assert.deepEqual(fast.filter((cell) => cell === undefined), []);
      assert.deepEqual([...new Set(fast.map((cell) => cell!.fault.kind))].sort(), [...ALL_KINDS].sort());
      assert.deepEqual([...new Set(fast.map((cell) => cell!.resource))].sort(), ["CertificateRotation", "Cluster", "Database"]);
    });

    it("judges an error by the operation, the object and the RS error code it names", () => {
      const cell = cells.find((c) => c.id === "Database update / PUT bdb / 406 invalid_replication")!;
      const scenario = { objectPattern: /Database "m-update"|\/v1\/bdbs\/\d+/ } as Parameters<typeof errorProblems>[1];
      assert.deepEqual(errorProblems(cell, scenario, 'Database "m-update": PUT /v1/bdbs/1: 406 invalid_replication: not enough nodes'), []);
      assert.deepEqual(errorProblems(cell, scenario, "406 invalid_replication: not enough nodes"), ["the error does not name the operation", "the error does not name the object"]);
      assert.deepEqual(errorProblems(cell, scenario, 'Database "m-update": the update failed'), ["the error does not name the RS error code invalid_replication"]);
      const drop = cells.find((c) => c.id === "Database delete / DELETE bdb / drop before, always")!;
      assert.deepEqual(errorProblems(drop, scenario, 'Database "m-update": the delete failed'), ["the error does not say what happened on the connection"]);
    });
  });

  describe("fast subset, against an emulated cluster (the full matrix: npm run reliability)", function () {
    this.timeout(40_000);
    let env: LaneEnvironment;
    let stderr: StderrCapture;

    before(async function () {
      this.timeout(60_000);
      env = await startLane();
      await configure({ config: { get: () => undefined, require: () => "" } });
    });
    after(async () => {
      await env?.cluster.stop();
    });
    beforeEach(() => {
      stderr = captureStderr();
    });
    afterEach(() => stderr.stop());

    for (const [id, expected] of FAST_CELLS) {
      it(`${id}: ${expected}`, async () => {
        const cell = cells.find((c) => c.id === id) as Cell;
        const result = await runCell(env, cell);
        assert.equal(result.fired, true, "the fault fired");
        assert.deepEqual(result.problems, [], result.message);
        assert.equal(result.outcome, expected);
      });
    }
  });
});

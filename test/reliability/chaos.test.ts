// A small chaos run in npm test (the full one, 100 databases at 10%, is `npm run reliability -- --chaos`): a few
// databases through the real provider host with a quarter of the cluster's requests faulted by a seeded PRNG;
// repeated ups must converge on exactly the declared set, and a further up must change nothing.
import assert from "node:assert/strict";
import { countRetries, runChaos } from "./chaos";

describe("reliability: chaos (small; the full run is npm run reliability -- --chaos)", function () {
  this.timeout(120_000);

  it("counts the provider's retry lines, collapsed ones by their count", () => {
    const text = [
      'Database "a": retrying GET /v1/bdbs/3 after 503 service_unavailable (attempt 2, next in 0.4 s)',
      'Database "a": retried GET /v1/bdbs/3 12 more times after 503 service_unavailable (attempts 4 to 15)',
      'Database "b": the create was answered 500; no database named "b" exists, so it is sent again (attempt 2)',
      'Database "c": waiting for database 1 to become active: status active (0.2 s)',
    ].join("\n");
    assert.equal(countRetries(text), 1 + 12 + 1);
  });

  it("8 databases, 25% of requests faulted (seed 7): repeated ups converge on exactly the declared set", async () => {
    const report = await runChaos({ databases: 8, seed: 7, rate: 0.25, maxAttempts: 20 });
    assert.ok(report.faults > 0, "faults were injected");
    assert.ok(report.requests > report.faults);
    assert.equal(report.converged, true, report.failedUps.join("\n"));
    assert.deepEqual(report.problems, []);
    assert.equal(report.changesAfter, 0);
    assert.ok(report.attempts <= 20);
  });
});

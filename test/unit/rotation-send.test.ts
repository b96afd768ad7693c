// sendRotation, the rule that a rotation is applied at most once (finding F7 of docs/reliability.md): a scripted
// cluster answers each rotate request and each re-read of the certificates, and the clock is a counter, so each
// case says exactly how many requests were sent, how many reads were made and in which order.
import assert from "node:assert/strict";
import { RsApiError, RsConnectionError } from "../../provider/rest";
import { rotatedSince } from "../../provider/rotation/logic";
import { sendRotation, type RotationSender } from "../../provider/rotation/provider";

const PATH = "/v1/cluster/certificates/rotate";
const busy = () => new RsApiError({ method: "POST", path: PATH, status: 409, errorCode: "busy", description: "cluster is busy" });
const internal = () => new RsApiError({ method: "POST", path: PATH, status: 500, errorCode: "internal_error", description: "internal error" });
const refused = () => new RsApiError({ method: "POST", path: PATH, status: 403, errorCode: "forbidden", description: "Unsupported internal certificate rotation" });
const lost = (mayHaveReachedServer: boolean) =>
  new RsConnectionError({ method: "POST", path: PATH, origin: "https://127.0.0.1:9443", causeCode: mayHaveReachedServer ? "UND_ERR_SOCKET" : "ECONNREFUSED", causeMessage: "closed", mayHaveReachedServer });

/**
 * A cluster that answers rotate requests from a script: each entry is what one request does: "ok" (applies and
 * answers 200), or an error to answer, applying first when `applies` is set. `applyWhileWaiting` applies the
 * rotation during the next sleep (the cluster applied it a moment after answering busy).
 */
function scriptedCluster(script: Array<"ok" | { error: Error; applies?: boolean }>, options: { remainingMs?: () => number; readFails?: boolean } = {}) {
  const log: string[] = [];
  let rotated = false;
  let applyWhileWaiting = false;
  const io: RotationSender = {
    async post() {
      const step = script.shift();
      assert.ok(step !== undefined, "a request beyond the script was sent");
      log.push("post");
      if (step === "ok") {
        rotated = true;
        return;
      }
      if (step.applies) rotated = true;
      throw step.error;
    },
    async rotated() {
      log.push("read");
      if (options.readFails) throw new Error("GET /v1/cluster/certificates: 503 service_unavailable");
      return rotated ? ["proxy"] : [];
    },
    async sleep() {
      log.push("sleep");
      if (applyWhileWaiting) rotated = true;
    },
    remainingMs: options.remainingMs ?? (() => 60_000),
    backoffMs: () => 10,
    print: (line) => log.push(`print: ${line}`),
  };
  return { io, log, applyDuringNextWait: () => (applyWhileWaiting = true) };
}

describe("sendRotation: a rotation is applied at most once", () => {
  it("a 409 busy answered after the cluster applied it is not sent again, and one line says so", async () => {
    const { io, log } = scriptedCluster([{ error: busy(), applies: true }]);
    assert.equal(await sendRotation("the rotation of proxy", io), "applied");
    assert.deepEqual(log.filter((entry) => entry === "post"), ["post"]);
    const lines = log.filter((entry) => entry.startsWith("print: "));
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /the rotation of proxy was answered 409 busy, but proxy changed: the cluster applied the rotation, which is not sent again/);
  });

  it("a rotation the cluster applies while the provider waits to resend after 409 busy is seen before the resend", async () => {
    const cluster = scriptedCluster([{ error: busy() }, "ok"]);
    cluster.applyDuringNextWait();
    assert.equal(await sendRotation("the rotation of proxy", cluster.io), "applied");
    // The look comes after the wait: looking first and then waiting would resend a rotation already applied.
    assert.deepEqual(cluster.log.filter((entry) => !entry.startsWith("print")), ["post", "sleep", "read"]);
  });

  it("409 busy with the certificates unchanged is sent again, with a look before each resend, until answered", async () => {
    const { io, log } = scriptedCluster([{ error: busy() }, { error: busy() }, "ok"]);
    assert.equal(await sendRotation("the rotation of proxy", io), "answered");
    assert.deepEqual(log, ["post", "sleep", "read", "post", "sleep", "read", "post"]);
  });

  it("409 busy at the deadline with nothing changed is the error itself, after one look and no resend", async () => {
    const { io, log } = scriptedCluster([{ error: busy() }], { remainingMs: () => 0 });
    await assert.rejects(sendRotation("the rotation of proxy", io), (error: Error) => error instanceof RsApiError && error.status === 409);
    assert.deepEqual(log, ["post", "read"]);
  });

  it("a 500 or a lost answer after applying counts as applied; with nothing changed it is never sent again", async () => {
    for (const error of [internal(), lost(true)]) {
      const applied = scriptedCluster([{ error, applies: true }]);
      assert.equal(await sendRotation("the rotation of proxy", applied.io), "applied");
      assert.deepEqual(applied.log.filter((entry) => !entry.startsWith("print")), ["post", "read"]);

      const unknown = scriptedCluster([{ error }]);
      await assert.rejects(sendRotation("the rotation of proxy", unknown.io), /CertificateRotation: the rotation of proxy got no clear answer .*not sent again/);
      assert.deepEqual(unknown.log, ["post", "read"]);
    }
  });

  it("a failed look after an unclear answer is reported as a rotation that may have happened, not resent", async () => {
    const { io, log } = scriptedCluster([{ error: busy() }], { readFails: true });
    await assert.rejects(sendRotation("the rotation of proxy", io), /CertificateRotation: the rotation of proxy was answered 409 busy, and reading the certificates .*failed \(GET \/v1\/cluster\/certificates: 503 service_unavailable\); it may have happened and is not sent again/);
    assert.deepEqual(log.filter((entry) => entry === "post"), ["post"]);
  });

  it("a refusal is thrown as is without a look; a connection never made is sent again without one", async () => {
    const refusal = refused();
    const denied = scriptedCluster([{ error: refusal }]);
    await assert.rejects(sendRotation("the rotation of proxy", denied.io), (error) => error === refusal);
    assert.deepEqual(denied.log, ["post"]);

    const notSent = scriptedCluster([{ error: lost(false) }, "ok"]);
    assert.equal(await sendRotation("the rotation of proxy", notSent.io), "answered");
    assert.deepEqual(notSent.log, ["post", "sleep", "post"]);
  });
});

describe("rotatedSince", () => {
  const info = (name: string, serial: string, node?: number) => ({
    name,
    ...(node !== undefined ? { node } : {}),
    subject: `CN=${name}`,
    issuer: "CN=ca",
    serial,
    notBefore: "2026-12-01T00:00:00.000Z",
    notAfter: "2027-03-01T00:00:00.000Z",
    fingerprintSha256: `f${serial}`,
    daysRemaining: 89,
  });

  it("names the selected certificates that changed (per node), or disappeared, and nothing else", async () => {
    const before = [info("proxy", "01", 1), info("proxy", "02", 2), info("cm", "03"), info("syncer", "04")];
    assert.deepEqual(rotatedSince(before, before, ["proxy", "cm"]), []);
    assert.deepEqual(rotatedSince(before, [info("proxy", "01", 1), info("proxy", "09", 2), info("cm", "03"), info("syncer", "05")], ["proxy", "cm"]), ["proxy"]);
    assert.deepEqual(rotatedSince(before, [info("proxy", "01", 1), info("proxy", "02", 2)], ["proxy", "cm"]), ["cm"]);
    const moved = { ...info("cm", "03"), notBefore: "2026-12-02T00:00:00.000Z" };
    assert.deepEqual(rotatedSince(before, [...before.filter((c) => c.name !== "cm"), moved], ["cm"]), ["cm"]);
  });
});

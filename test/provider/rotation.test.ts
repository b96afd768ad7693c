// The CertificateRotation provider called directly against an emulated cluster: a rotation that changes serials
// and validity, expiry found on the cluster's (virtual) clock as drift, the cluster's own rotation causing none,
// and private keys kept out of every output, error and note.
import assert from "node:assert/strict";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { configure, providers } from "../../provider";
import { READ_500_RETRIES, isRsApiError, type Connection } from "../../provider/rest";
import { tapRequests } from "../reliability/tap";
import { captureStderr, type StderrCapture } from "./support/stderr";

type Props = Record<string, unknown>;
type Info = { name: string; serial: string; notAfter: string; daysRemaining: number; issuer: string };
const provider = providers.CertificateRotation;

/** Every private key the cluster holds now, read the way an admin would. */
async function privateKeys(cluster: EmulatedCluster): Promise<string[]> {
  const answer = await fetch(`${cluster.nodes[0]!.httpUrl}/v1/cluster/certificates`, {
    headers: { authorization: `Basic ${Buffer.from(`${cluster.username}:${cluster.password}`).toString("base64")}` },
  });
  const body = (await answer.json()) as Record<string, string>;
  const keys = Object.entries(body).filter(([name]) => name.endsWith("_key")).map(([, pem]) => pem);
  assert.ok(keys.length >= 7, "the emulator answers the private keys, as a real cluster does");
  return keys;
}

/** The base64 body lines of each key: any one of them in a text means key material leaked. */
function keyMaterial(keys: readonly string[]): string[] {
  return keys.flatMap((pem) => pem.split("\n").filter((line) => line.length > 40 && !line.startsWith("-----")));
}

describe("CertificateRotation provider against the emulator", function () {
  this.timeout(60_000);
  let cluster: EmulatedCluster;
  let connection: Connection;
  let stderr: StderrCapture;

  before(async () => {
    cluster = await startCluster({ nodes: 2, operationDelayMs: 20, keyBits: 1024 });
    connection = { url: cluster.nodes[0]!.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
    await configure({ config: { get: () => undefined, require: () => undefined as unknown as string } });
  });
  after(async () => cluster?.stop());
  beforeEach(() => {
    stderr = captureStderr();
  });
  afterEach(() => stderr.stop());

  it("rotates on create, verifies the new certificates, rotates again on a trigger, and reports drift near expiry", async () => {
    const keysBefore = await privateKeys(cluster);
    const inputs = { connection, certificates: ["ccs_internode_encryption", "data_internode_encryption"], triggers: ["one"] };
    const checked = await provider.check!({}, inputs);
    assert.deepEqual(checked.failures, []);
    const serialsBefore = await describe();
    const created = await provider.create(checked.inputs as Props);
    const outs = created.outs as Props;
    const certificates = outs.certificates as Info[];
    assert.deepEqual(certificates.map((c) => c.name), ["ccs_internode_encryption", "data_internode_encryption"]);
    for (const certificate of certificates) {
      const old = serialsBefore.get(certificate.name)!;
      assert.notEqual(certificate.serial, old.serial, `${certificate.name}: the serial changed`);
      assert.ok(Date.parse(certificate.notAfter) >= Date.parse(old.notAfter), `${certificate.name}: validity did not go back`);
      // 90-day certificates; the HTTP Date has one-second resolution, so a read in the issuing second sees 90.
      assert.ok([89, 90].includes(certificate.daysRemaining), `${certificate.name}: ${certificate.daysRemaining} days left`);
    }
    const rotations = cluster.admin.events({ type: "certificate_rotation" });
    assert.deepEqual(rotations.map((event) => event.names), [["ccs_internode_encryption"], ["data_internode_encryption"]]);
    assert.equal(outs.rotationDue, false);
    assert.ok(typeof outs.lastRotatedAt === "string");

    // Same inputs: nothing to do. A new trigger: rotate.
    assert.equal((await provider.diff!(created.id, outs, checked.inputs as Props)).changes, false);
    const triggered = { ...(checked.inputs as Props), triggers: ["two"] };
    assert.equal((await provider.diff!(created.id, outs, triggered)).changes, true);
    const afterTrigger = (await provider.update!(created.id, outs, triggered)).outs as Props;
    assert.equal(cluster.admin.events({ type: "certificate_rotation" }).length, 4);

    // The cluster's own job rotates at 60 days left (with 90-day certificates, after 31 days): no drift.
    const auto = await cluster.admin.advanceClock({ days: 31 });
    assert.ok(auto.rotated.names.includes("ccs_internode_encryption"));
    const afterAuto = (await provider.read!(created.id, afterTrigger)).props as Props;
    assert.equal(afterAuto.rotationDue, false);
    assert.equal((await provider.diff!(created.id, afterAuto, triggered)).changes, false);

    // With the cluster's job off and the clock past the threshold, a read reports drift and an update rotates.
    await fetch(`${cluster.nodes[0]!.httpUrl}/v1/job_scheduler`, {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${cluster.username}:${cluster.password}`).toString("base64")}` },
      body: JSON.stringify({ cert_rotation_job_settings: { enabled: false } }),
    });
    await cluster.admin.advanceClock({ days: 50 });
    const drifted = (await provider.read!(created.id, afterAuto)).props as Props;
    assert.equal(drifted.rotationDue, true);
    assert.deepEqual(drifted.expiringCertificates, ["ccs_internode_encryption", "data_internode_encryption"]);
    assert.ok((drifted.certificates as Info[]).every((c) => [39, 40].includes(c.daysRemaining)));
    assert.equal((await provider.diff!(created.id, drifted, triggered)).changes, true);
    assert.match(stderr.take(), /the update rotates the certificates: ccs_internode_encryption, data_internode_encryption have fewer than 45 days left/);
    const rotated = (await provider.update!(created.id, drifted, triggered)).outs as Props;
    assert.equal(rotated.rotationDue, false);
    assert.ok((rotated.certificates as Info[]).every((c) => [89, 90].includes(c.daysRemaining)));
    assert.equal(cluster.admin.events({ type: "certificate_rotation" }).filter((e) => e.automatic === false).length, 6);

    // Deleting forgets the resource and changes nothing.
    const before = cluster.admin.events({ type: "certificate_rotation" }).length;
    await provider.delete!(created.id, rotated);
    assert.equal(cluster.admin.events({ type: "certificate_rotation" }).length, before);

    const material = keyMaterial([...keysBefore, ...(await privateKeys(cluster))]);
    const everything = JSON.stringify([outs, afterTrigger, afterAuto, drifted, rotated]) + stderr.take();
    for (const line of material) assert.ok(!everything.includes(line), "private key material appeared in an output or a note");
  });

  it("triggers and certificates changed together rotate once; a refresh returns the inputs as declared; notes carry the URN; diff never throws", async () => {
    const urn = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/redisenterprise:CertificateRotation::ine";
    const checked = await provider.check!({}, { connection, certificates: ["proxy"], triggers: [1], __urn: urn });
    assert.deepEqual(checked.failures, []);
    const created = await provider.create(checked.inputs as Props);
    const outs = created.outs as Props;
    assert.deepEqual(outs.requestedCertificates, ["proxy"]);
    assert.deepEqual((outs.certificates as Info[]).map((c) => c.name), ["proxy"]);
    const read = await provider.read!(created.id, outs);
    assert.deepEqual(read.inputs, { triggers: [1], certificates: ["proxy"], connection, __urn: urn });

    const news = (await provider.check!(read.inputs as Props, { connection, certificates: ["proxy", "cm"], triggers: [2], __urn: urn })).inputs as Props;
    stderr.take();
    assert.equal((await provider.diff!(created.id, read.props as Props, news)).changes, true);
    assert.match(stderr.take(), /CertificateRotation: the update rotates the certificates: triggers changed; the selected certificates changed \[urn:pulumi:dev::proj::pulumi-nodejs:dynamic\/redisenterprise:CertificateRotation::ine\]/);
    const before = cluster.admin.events({ type: "certificate_rotation" }).length;
    const updated = (await provider.update!(created.id, read.props as Props, news)).outs as Props;
    // One rotation (one call per named certificate), however many rows asked for it.
    assert.deepEqual(cluster.admin.events({ type: "certificate_rotation" }).slice(before).map((event) => event.names), [["proxy"], ["cm"]]);
    assert.deepEqual(updated.requestedCertificates, ["proxy", "cm"]);
    assert.deepEqual((updated.lastUpdateImpacts as Array<{ property: string }>).map((c) => c.property), ["triggers", "certificates"]);

    // Back to all certificates (the table cannot see a row left out): still a rotation, of all of them at once.
    const all = (await provider.check!(news, { connection, triggers: [2], __urn: urn })).inputs as Props;
    const toAll = (await provider.update!(created.id, updated, all)).outs as Props;
    assert.ok((cluster.admin.events({ type: "certificate_rotation" }).at(-1)!.names as string[]).length > 2, "all certificates rotated in one call");
    assert.equal(toAll.requestedCertificates, null);
    for (const olds of [{}, { certificates: "x", requestedCertificates: 5, expiresWithinThreshold: "no" }, { lastRotatedAt: null, expiringCertificates: [] }]) {
      assert.equal(typeof (await provider.diff!(created.id, olds, all)).changes, "boolean");
    }
  });

  it("a rotation answered 409 busy (not applied) is sent again within the deadline, and happens once", async () => {
    const before = cluster.admin.events({ type: "certificate_rotation" }).length;
    cluster.admin.addFault({ method: "POST", path: "^/v1/cluster/certificates/rotate$", busyMs: 600 });
    const created = await provider.create({ connection, certificates: ["syncer"] });
    assert.deepEqual(cluster.admin.events({ type: "certificate_rotation" }).slice(before).map((event) => event.names), [["syncer"]]);
    assert.equal(typeof (created.outs as Props).lastRotatedAt, "string");
  });

  it("a rotation applied and then answered 409 busy or 500 is not sent again: verified as applied, one line says so", async () => {
    for (const [status, errorCode] of [[409, "busy"], [500, "internal_error"]] as const) {
      const before = cluster.admin.events({ type: "certificate_rotation" }).length;
      cluster.admin.addFault({ method: "POST", path: "^/v1/cluster/certificates/rotate$", status, errorCode, phase: "after", count: 1 });
      stderr.take();
      const created = await provider.create({ connection, certificates: ["syncer"] });
      assert.deepEqual(cluster.admin.events({ type: "certificate_rotation" }).slice(before).map((event) => event.names), [["syncer"]], `${status}: rotated once`);
      assert.equal(typeof (created.outs as Props).lastRotatedAt, "string", `${status}: verified and recorded as rotated`);
      const lines = stderr.take().split("\n").filter((line) => /the cluster applied the rotation, which is not sent again/.test(line));
      assert.equal(lines.length, 1, `${status}: one line says the rotation was applied`);
      assert.match(lines[0]!, new RegExp(`the rotation of syncer was answered ${status} ${errorCode}, but syncer changed`));
    }
  });

  it("a failed read after the rotation names the resource once, keeps the REST error, and records the rotation as pending (create and update alike)", async () => {
    // The first requests after each rotate request are the verification's read: answered 500 more times than the
    // client rides out by itself (READ_500_RETRIES), so the read fails.
    const failNextRead = () =>
      tapRequests(cluster, (method, path) => {
        if (method === "POST" && path === "/v1/cluster/certificates/rotate") {
          cluster.admin.addFault({ method: "GET", path: "^/v1/cluster/certificates$", status: 500, errorCode: "internal_error", count: READ_500_RETRIES + 1 });
        }
      });
    const label = /^CertificateRotation: the rotation was applied, but reading the certificates to verify it failed: GET \/v1\/cluster\/certificates: 500 internal_error/;
    const rotations = () => cluster.admin.events({ type: "certificate_rotation" }).length;
    const serialOf = async (name: string) => (await describe()).get(name)!.serial;
    const cmBefore = await serialOf("cm");
    let untap = failNextRead();
    const failure = await provider.create({ connection, certificates: ["cm"], triggers: [1] }).catch((error: unknown) => error) as Error & { id?: string; properties?: Props };
    untap();
    assert.match(failure.message, label);
    assert.equal(failure.message.match(/CertificateRotation/g)!.length, 1, failure.message);
    assert.equal(typeof failure.id, "string", "recorded under an id: a partial failure");
    assert.ok(isRsApiError(failure.cause) && failure.cause.status === 500, "the REST error stays reachable as the cause");
    const recorded = failure.properties!;
    assert.deepEqual((recorded.certificates as Info[]).map((c) => c.name), ["cm"]);
    assert.equal(recorded.lastRotatedAt, null, "not verified");
    const pending = recorded.pendingRotation as { names: string[]; before: Info[] };
    assert.deepEqual(pending.names, ["cm"]);
    assert.equal(pending.before[0]!.serial, cmBefore, "the certificate before the rotation, to compare with");
    // A refresh in between keeps it: the certificates read then are the rotated ones, not those to compare with.
    const refreshed = (await provider.read!(failure.id!, recorded)).props as Props;
    assert.deepEqual(refreshed.pendingRotation, recorded.pendingRotation);
    assert.equal(refreshed.lastRotatedAt, null);

    // The next up (the engine updates an object recorded with a partial failure) finishes it: cm changed, so it
    // was rotated; it is verified, never rotated a second time.
    let before = rotations();
    stderr.take();
    const finished = (await provider.update!(failure.id!, refreshed, { connection, certificates: ["cm"], triggers: [1] })).outs as Props;
    assert.equal(rotations(), before, "not rotated again");
    assert.equal(typeof finished.lastRotatedAt, "string", "verified");
    assert.equal(finished.pendingRotation, null);
    assert.match(stderr.take(), /cm changed since the rotation the last up sent: it was applied, and it is verified now rather than sent again/);
    assert.equal((await provider.diff!(failure.id!, finished, { connection, certificates: ["cm"], triggers: [1] })).changes, false, "nothing left to do");

    // An update that rotates (a trigger changed) and then cannot read: a partial failure too, so the engine keeps
    // the new triggers and the next up does not rotate a second time for them.
    const news = { connection, certificates: ["cm"], triggers: [2] };
    before = rotations();
    const cmAfterFirst = await serialOf("cm");
    untap = failNextRead();
    const error = await provider.update!(failure.id!, finished, news).catch((e: unknown) => e) as Error & { id?: string; properties?: Props };
    untap();
    assert.equal(rotations(), before + 1);
    assert.match(error.message, label);
    assert.equal(error.message.match(/CertificateRotation/g)!.length, 1, error.message);
    assert.match(error.message, /with the rotation as pending: the next pulumi up compares the certificates with those before it/);
    assert.ok(isRsApiError(error.cause) && error.cause.status === 500, "the REST error stays reachable as the cause");
    assert.equal(error.id, failure.id, "recorded: a partial failure of the update");
    const afterUpdate = error.properties!;
    assert.deepEqual(afterUpdate.triggers, [2], "the new triggers are recorded");
    assert.equal(afterUpdate.lastRotatedAt, finished.lastRotatedAt, "the last verified rotation stays");
    assert.equal((afterUpdate.pendingRotation as { before: Info[] }).before[0]!.serial, cmAfterFirst);
    const diff = await provider.diff!(failure.id!, afterUpdate, news);
    assert.equal(diff.changes, true, "the next up finishes it");
    before = rotations();
    const done = (await provider.update!(failure.id!, afterUpdate, news)).outs as Props;
    assert.equal(rotations(), before, "finished without a second rotation");
    assert.equal(done.pendingRotation, null);
    assert.equal(typeof done.lastRotatedAt, "string", "verified");
    assert.notEqual((await describe()).get("cm")!.serial, cmAfterFirst, "the update's rotation is the one verified");
  });

  it("a pending rotation the cluster did not apply is rotated by the next up; one cut short rotates only the rest", async () => {
    const rotations = () => cluster.admin.events({ type: "certificate_rotation" });
    const created = (await provider.create({ connection, certificates: ["cm", "syncer"], triggers: ["p"] })).outs as Props;
    const now = await describe();
    const info = (name: string) => (created.certificates as Info[]).find((c) => c.name === name)!;
    assert.equal(info("cm").serial, now.get("cm")!.serial);
    // As recorded after an answer that was lost: neither certificate changed since, so both are rotated.
    const notApplied = { ...created, lastRotatedAt: null, pendingRotation: { names: ["cm", "syncer"], before: [info("cm"), info("syncer")] } };
    let before = rotations().length;
    const rotated = (await provider.update!("r1", notApplied, { connection, certificates: ["cm", "syncer"], triggers: ["p"] })).outs as Props;
    assert.deepEqual(rotations().slice(before).map((event) => event.names), [["cm"], ["syncer"]]);
    assert.equal(rotated.pendingRotation, null);
    assert.equal(typeof rotated.lastRotatedAt, "string");
    // As recorded when a rotation of two names, one at a time, was cut short after the first: only the second.
    const cutShort = { ...rotated, lastRotatedAt: null, pendingRotation: { names: ["cm", "syncer"], before: (created.certificates as Info[]).map((c) => (c.name === "cm" ? c : (rotated.certificates as Info[]).find((r) => r.name === "syncer")!)) } };
    before = rotations().length;
    stderr.take();
    const finished = (await provider.update!("r1", cutShort, { connection, certificates: ["cm", "syncer"], triggers: ["p"] })).outs as Props;
    assert.deepEqual(rotations().slice(before).map((event) => event.names), [["syncer"]]);
    assert.equal(finished.pendingRotation, null);
    const printed = stderr.take();
    assert.match(printed, /cm changed since the rotation the last up sent/);
    assert.match(printed, /rotating syncer: the rotation the last up sent did not change it/);
  });

  it("a rotation the cluster refuses is a plain error without key material", async () => {
    cluster.admin.addFault({ method: "POST", path: "^/v1/cluster/certificates/rotate$", status: 400, errorCode: "not_all_nodes_updated", description: "not all nodes have been updated", count: 1 });
    const keys = keyMaterial(await privateKeys(cluster));
    await assert.rejects(provider.create({ connection }), (error: Error & { id?: string }) => {
      assert.match(error.message, /POST \/v1\/cluster\/certificates\/rotate: 400 not_all_nodes_updated/);
      assert.equal(error.id, undefined);
      for (const line of keys) assert.ok(!error.message.includes(line));
      return true;
    });
  });

  async function describe(): Promise<Map<string, { serial: string; notAfter: string }>> {
    const read = (await provider.read!("probe", { connection })).props as Props;
    return new Map((read.certificates as Info[]).map((c) => [c.name, c]));
  }
});

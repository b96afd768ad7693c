// CertificateRotation through the real Pulumi engine (the CLI built by scripts/pulumi-cli.sh), with an Automation
// API inline program against an emulated cluster and its virtual clock: up rotates; the cluster's own automatic
// rotation is no drift; certificates past the threshold are drift that `preview --refresh` shows and `up --refresh`
// (a scheduled job's command) rotates; a rotation whose verification cannot read is recorded as pending and the
// next up finishes it without rotating again; no private key in anything the CLI prints or stores; destroy forgets.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { describeCertificate, INTERNAL_CERTIFICATE_NAMES } from "../../provider/certificates";
import { READ_500_RETRIES } from "../../provider/rest";
import { CertificateRotation } from "../../sdk";
import { clientFor, type TestClient } from "../emulator/support/client";
import { tapRequests } from "../reliability/tap";
import { repositoryRoot } from "../engine/harness";
import { exportedState, inlineStack, makeSandbox, requireCli, type PulumiSandbox } from "./support/pulumi";
import { assertNoSecrets, privateKeyLines } from "./support/secrets";
import { transcript } from "./support/watch";

const PROJECT = "rs-e2e-rotation";
const STACK = "dev";
const ROTATION_URN = `urn:pulumi:${STACK}::${PROJECT}::pulumi-nodejs:dynamic/redisenterprise:CertificateRotation::internal`;

interface Certificate {
  name: string;
  node?: number;
  serial: string;
  notAfter: string;
  daysRemaining: number;
}

describe("e2e: CertificateRotation through the real Pulumi CLI", function () {
  this.timeout(180_000);
  let sandbox: PulumiSandbox | undefined;
  let emulator: EmulatedCluster;
  let api: TestClient;
  let stack: Stack;
  /** Every private key the cluster held at some point of the test (each rotation makes new ones). */
  const keyLines = new Set<string>();
  /** The program's triggers: a test changes them to ask for a rotation. */
  let triggers = ["2026-q4"];

  const program = async () => {
    const rotation = new CertificateRotation("internal", {
      connection: pulumi.secret({ url: emulator.nodes[0]!.url, username: emulator.username, password: emulator.password, caCertPem: emulator.caCertPem }),
      triggers,
    });
    return { certificates: rotation.certificates, lastRotatedAt: rotation.lastRotatedAt };
  };

  const run = transcript();
  const watch = () => run.watch();


  /** The internal certificates as the cluster holds them now (names and serials, parsed from the PEMs). */
  async function liveSerials(): Promise<Map<string, string>> {
    const answer = (await api.get("/v1/cluster/certificates")).body as Record<string, string>;
    for (const line of await privateKeyLines(emulator, { username: emulator.username, password: emulator.password })) keyLines.add(line);
    return new Map(
      INTERNAL_CERTIFICATE_NAMES.filter((name) => answer[`${name}_cert`] !== undefined).map((name) => [name, describeCertificate(name, answer[`${name}_cert`]!, Date.now()).serial]),
    );
  }
  const rotations = () => emulator.admin.events({ type: "certificate_rotation" }) as unknown as Array<{ automatic: boolean; names: string[] }>;
  /** The rotation as the state records it now (a refresh updates it; it never reruns the program's exports). */
  async function recorded(): Promise<{ inputs: Record<string, unknown>; outputs: { certificates: Certificate[]; lastRotatedAt: string | null; pendingRotation: unknown } }> {
    const deployment = (await stack.exportStack()).deployment as { resources: Array<{ urn: string; inputs: Record<string, unknown>; outputs: { certificates: Certificate[]; lastRotatedAt: string | null; pendingRotation: unknown } }> };
    return deployment.resources.find((resource) => resource.urn === ROTATION_URN)!;
  }
  const recordedCertificates = async () => (await recorded()).outputs.certificates;
  const serialsOf = (certificates: Certificate[]) => new Map(certificates.map((certificate) => [certificate.name, certificate.serial]));

  before(async function () {
    const cliFolder = requireCli(this);
    sandbox = makeSandbox(cliFolder);
    emulator = await startCluster({ nodes: 3, operationDelayMs: 20, keyBits: 1024 });
    api = clientFor(emulator);
    stack = await inlineStack(sandbox, PROJECT, STACK, program);
  });

  after(async () => {
    await api?.close();
    await emulator?.stop();
    sandbox?.dispose();
  });

  it("up rotates every internal certificate: new serials, validity moved forward; a second preview has no changes", async () => {
    const before = await liveSerials();
    assert.ok(before.size >= 2, `the cluster holds ${before.size} internal certificates`);
    const up = await stack.up({ onOutput: watch().onOutput });
    assert.deepEqual(up.summary.resourceChanges, { create: 2 });
    assert.deepEqual(rotations().map((event) => event.automatic), [false]);
    const certificates = up.outputs.certificates!.value as Certificate[];
    assert.deepEqual([...new Set(certificates.map((certificate) => certificate.name))].sort(), [...before.keys()].sort());
    const after = await liveSerials();
    for (const [name, serial] of before) {
      assert.notEqual(after.get(name), serial, `${name} kept its serial`);
      assert.equal(serialsOf(certificates).get(name), after.get(name), `the output's ${name} is not the cluster's`);
    }
    for (const certificate of certificates) assert.ok(certificate.daysRemaining >= 89, `${certificate.name} has ${certificate.daysRemaining} days left`);
    assert.ok(typeof up.outputs.lastRotatedAt!.value === "string");
    assert.deepEqual((await stack.preview({ onOutput: watch().onOutput })).changeSummary, { same: 2 });
  });

  it("the cluster's own automatic rotation is no drift: preview --refresh shows no changes, and nothing is rotated", async () => {
    const recorded = serialsOf(await recordedCertificates());
    // 31 days on: the cluster's rotation job (on by default, 60 days before expiry) renews the 90-day certificates.
    const advanced = await emulator.admin.advanceClock({ days: 31 });
    assert.ok(advanced.rotated.names.length >= 2, `the cluster rotated ${JSON.stringify(advanced.rotated)}`);
    const live = await liveSerials();
    assert.ok([...live].every(([name, serial]) => recorded.get(name) !== serial), "the automatic rotation left a certificate as it was");
    const count = rotations().length;

    const w = watch();
    const preview = await stack.preview({ refresh: true, onOutput: w.onOutput, onEvent: w.onEvent });
    assert.deepEqual(preview.changeSummary, { same: 2 });
    assert.equal(w.seen.ops.internal, "same");
    // A plain refresh records the new serials, and the next preview still has nothing to do.
    await stack.refresh({ onOutput: watch().onOutput });
    assert.deepEqual(serialsOf(await recordedCertificates()), live);
    assert.deepEqual((await stack.preview({ onOutput: watch().onOutput })).changeSummary, { same: 2 });
    assert.equal(rotations().length, count, "a preview or refresh rotated certificates");
  });

  it("past the threshold (the cluster's job off): preview --refresh shows an update that says why, up --refresh rotates", async () => {
    // An operator turned the cluster's own rotation off; 50 days later the certificates have 40 days left (< 45).
    const off = await api.put("/v1/job_scheduler", { cert_rotation_job_settings: { enabled: false } });
    assert.equal(off.status, 200, off.text);
    const advanced = await emulator.admin.advanceClock({ days: 50 });
    assert.deepEqual(advanced.rotated.names, []);
    const count = rotations().length;
    const stale = await liveSerials();

    const w = watch();
    const preview = await stack.preview({ refresh: true, onOutput: w.onOutput, onEvent: w.onEvent });
    assert.deepEqual(preview.changeSummary, { same: 1, update: 1 });
    assert.equal(w.seen.ops.internal, "update");
    const note = w.seen.diagnostics.find((d) => /the update rotates the certificates: .+ fewer than 45 days left/.test(d.message));
    assert.ok(note, `no rotation note among ${JSON.stringify(w.seen.diagnostics)}`);
    assert.equal(rotations().length, count, "the preview rotated certificates");

    const up = await stack.up({ refresh: true, onOutput: watch().onOutput });
    assert.deepEqual(up.summary.resourceChanges, { same: 1, update: 1 });
    assert.deepEqual(rotations().slice(count).map((event) => event.automatic), [false]);
    const renewed = await liveSerials();
    for (const [name, serial] of stale) assert.notEqual(renewed.get(name), serial, `${name} was not rotated`);
    const certificates = up.outputs.certificates!.value as Certificate[];
    for (const certificate of certificates) assert.ok(certificate.daysRemaining >= 89, `${certificate.name} has ${certificate.daysRemaining} days left after the rotation`);
    assert.deepEqual((await stack.preview({ refresh: true, onOutput: watch().onOutput })).changeSummary, { same: 2 });
  });

  it("a rotation whose verification cannot read is recorded as pending with the new triggers; the next up verifies it and does not rotate again", async () => {
    const stale = await liveSerials();
    const lastVerified = (await recorded()).outputs.lastRotatedAt;
    triggers = ["2027-q1"];
    // The read that verifies the rotation is answered 500 more often than the client rides out.
    const untap = tapRequests(emulator, (method, path) => {
      if (method === "POST" && path === "/v1/cluster/certificates/rotate") {
        emulator.admin.addFault({ method: "GET", path: "^/v1/cluster/certificates$", status: 500, errorCode: "internal_error", count: READ_500_RETRIES + 1 });
      }
    });
    const count = rotations().length;
    let failure: Error | undefined;
    try {
      await stack.up({ onOutput: watch().onOutput });
    } catch (error) {
      failure = error as Error;
    } finally {
      untap();
    }
    assert.ok(failure, "the up succeeded although the rotation could not be verified");
    assert.match(failure.message, /the rotation was applied, but reading the certificates to verify it failed/);
    assert.equal(rotations().length, count + 1);
    const afterFailure = await recorded();
    // The engine records a failed update's outputs with the old inputs (pulumi/pulumi#2011); a dynamic provider
    // diffs against the outputs, so the new triggers there are what keeps the next up from rotating again.
    assert.deepEqual(afterFailure.inputs.triggers, ["2026-q4"]);
    assert.deepEqual((afterFailure.outputs as unknown as Record<string, unknown>).triggers, ["2027-q1"], "the outputs do not hold the new triggers: the next up would rotate again");
    assert.equal(afterFailure.outputs.lastRotatedAt, lastVerified);
    assert.notEqual(afterFailure.outputs.pendingRotation, null);

    const w = watch();
    const preview = await stack.preview({ onOutput: w.onOutput, onEvent: w.onEvent });
    assert.deepEqual(preview.changeSummary, { same: 1, update: 1 });
    assert.ok(w.seen.diagnostics.some((d) => /the update finishes the last rotation, which was sent but not verified: it verifies the certificates that rotation changed and rotates only those it did not/.test(d.message)), JSON.stringify(w.seen.diagnostics));
    const up = await stack.up({ onOutput: watch().onOutput });
    assert.deepEqual(up.summary.resourceChanges, { same: 1, update: 1 });
    assert.equal(rotations().length, count + 1, "rotated a second time");
    const done = await recorded();
    assert.equal(done.outputs.pendingRotation, null);
    assert.equal(typeof done.outputs.lastRotatedAt, "string");
    const live = await liveSerials();
    for (const [name, serial] of stale) assert.notEqual(live.get(name), serial, `${name} was not rotated`);
    assert.deepEqual(serialsOf(done.outputs.certificates), live);
    assert.deepEqual((await stack.preview({ refresh: true, onOutput: watch().onOutput })).changeSummary, { same: 2 });
  });

  it("no private key or admin password in the exported state or anything the CLI printed, and no checkout path in the state", async () => {
    await liveSerials();
    const state = await exportedState(sandbox!, STACK, sandbox!.workDir);
    assert.ok(state.includes(ROTATION_URN), "the export holds no rotation");
    const secrets = { passwords: [emulator.password], keyLines: [...keyLines] };
    assertNoSecrets("the exported state", state, secrets);
    assertNoSecrets("the CLI's output", run.text, secrets);
    assert.ok(!state.includes(repositoryRoot()), `the state holds the checkout's path ${repositoryRoot()}`);
  });

  it("destroy forgets the rotation and changes nothing on the cluster", async () => {
    const before = await liveSerials();
    const count = rotations().length;
    const destroyed = await stack.destroy({ onOutput: watch().onOutput });
    assert.deepEqual(destroyed.summary.resourceChanges, { delete: 2 });
    assert.deepEqual(await liveSerials(), before);
    assert.equal(rotations().length, count);
  });
});

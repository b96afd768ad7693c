// Preview at stack scale: the Check and Diff the engine sends for every resource of a preview, through the real
// @pulumi/pulumi provider host, for 100 existing databases with a change each (memory), 8 at a time (the engine's
// default --parallel on the bench machine), and the REST calls that preview makes (counted at the emulator: none
// is expected; test/engine/preview.test.ts holds that for Cluster, Database and CertificateRotation). For scale,
// the same databases read one GET /v1/bdbs/{uid} each (raw), which is what a preview that asked the cluster
// would cost at the least. With validation at preview (redisenterprise:validateAtPreview, a host of its own) the
// same preview sends one PUT /v1/bdbs/{uid}?dry_run each; and the Check of as many new databases, without and
// with that setting (one POST /v1/bdbs?dry_run each). Each against the same dry runs sent raw.
// Run: `npm run bench -- preview` or `node dist/bench/preview.js [databases]`.
import { startCluster } from "../emulator";
import { providerShim } from "../sdk/shim";
import { startProviderHost, serializeProvider, type PropertyMap, type ProviderHost } from "../test/engine/harness";
import { EmulatorMeter, RawRest, inParallel, machineLine } from "./support";

export interface PreviewBenchResult {
  machine: string;
  databases: number;
  parallel: number;
  previewMs: number;
  previewCalls: number;
  rawReadMs: number;
  rawReadCalls: number;
  /** The same preview with redisenterprise:validateAtPreview (a PUT ?dry_run of each update), and those raw. */
  validatedPreviewMs: number;
  validatedPreviewCalls: number;
  rawUpdateDryRunMs: number;
  rawUpdateDryRunCalls: number;
  /** Check of as many new databases (a preview of their creation), by default. */
  newCheckMs: number;
  newCheckCalls: number;
  /** The same with redisenterprise:validateAtPreview (a dry run each), in a host configured so. */
  validatedCheckMs: number;
  validatedCheckCalls: number;
  /** POST /v1/bdbs?dry_run of the same bodies, raw. */
  rawDryRunMs: number;
  rawDryRunCalls: number;
}

const URN = (name: string) => `urn:pulumi:bench::bench::pulumi-nodejs:dynamic/redisenterprise:Database::${name}`;

export async function runPreviewBench(options: { databases?: number; parallel?: number } = {}): Promise<PreviewBenchResult> {
  const databases = options.databases ?? 100;
  const parallel = options.parallel ?? 8;
  const machine = machineLine();
  const cluster = await startCluster({ nodes: 3, operationDelayMs: 0, keyBits: 1024 });
  const meter = await new EmulatorMeter(cluster).start();
  const raw = new RawRest(meter.url, cluster);
  let host: ProviderHost | undefined;
  let validatingHost: ProviderHost | undefined;
  try {
    const connection = { url: meter.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
    const shim = await serializeProvider(providerShim("Database"));
    host = await startProviderHost({ project: "bench", config: {} });
    await host.configure({});
    // The stack: databases created through the host (so outputs and inputs are what a stack records).
    const stack = await inParallel(
      Array.from({ length: databases }, (_, i) => `preview-${i + 1}`),
      parallel,
      async (name) => {
        const urn = URN(name);
        const { inputs } = await host!.check(urn, {}, { name, memorySize: "100MB", connection, __provider: shim });
        const { id, properties } = await host!.create(urn, inputs);
        return { urn, id, inputs, outputs: properties as PropertyMap };
      },
    );
    const previewOnce = (on: ProviderHost) => () =>
      inParallel(stack, parallel, async (resource) => {
        const news = { ...resource.inputs, memorySize: "200MB" };
        const { inputs } = await on.check(resource.urn, resource.inputs, news);
        const diff = await on.diff(resource.id, resource.urn, resource.outputs, inputs, resource.inputs);
        if (diff.changes !== "DIFF_SOME") throw new Error(`expected a change, diff said ${diff.changes}`);
      });
    await previewOnce(host)(); // warm-up
    const preview = await meter.count(previewOnce(host));
    await inParallel(stack, parallel, (r) => raw.call("GET", `/v1/bdbs/${r.id}`)); // warm-up
    const rawRead = await meter.count(() => inParallel(stack, parallel, (r) => raw.call("GET", `/v1/bdbs/${r.id}`)));

    // New databases: what a preview of their creation sends, by default and when validation is asked for.
    const validating = { "redisenterprise:validateAtPreview": "true" };
    validatingHost = await startProviderHost({ project: "bench", config: validating });
    await validatingHost.configure(validating);
    await previewOnce(validatingHost)(); // warm-up
    const validatedPreview = await meter.count(previewOnce(validatingHost));
    const updateDryRuns = () =>
      inParallel(stack, parallel, async (resource) => {
        const answer = await raw.call("PUT", `/v1/bdbs/${resource.id}?dry_run`, { memory_size: 200 * 1024 * 1024 });
        if (answer.status !== 200) throw new Error(`dry run of ${resource.id} answered ${answer.status}`);
      });
    await updateDryRuns(); // warm-up
    const rawUpdateDryRun = await meter.count(updateDryRuns);
    const fresh = Array.from({ length: databases }, (_, i) => `new-${i + 1}`);
    const checkNew = (on: ProviderHost) =>
      inParallel(fresh, parallel, async (name) => {
        const { failures } = await on.check(URN(name), {}, { name, memorySize: "100MB", connection, __provider: shim });
        if (failures.length > 0) throw new Error(`check of ${name} failed: ${JSON.stringify(failures)}`);
      });
    const dryRuns = () =>
      inParallel(fresh, parallel, async (name) => {
        const answer = await raw.call("POST", "/v1/bdbs?dry_run", { type: "redis", name, memory_size: 100 * 1024 * 1024 });
        if (answer.status !== 200) throw new Error(`dry run of ${name} answered ${answer.status}`);
      });
    await checkNew(host); // warm-up
    await checkNew(validatingHost);
    await dryRuns();
    const newCheck = await meter.count(() => checkNew(host!));
    const validatedCheck = await meter.count(() => checkNew(validatingHost!));
    const rawDryRun = await meter.count(dryRuns);
    return {
      machine,
      databases,
      parallel,
      previewMs: preview.ms,
      previewCalls: preview.counts.calls,
      rawReadMs: rawRead.ms,
      rawReadCalls: rawRead.counts.calls,
      validatedPreviewMs: validatedPreview.ms,
      validatedPreviewCalls: validatedPreview.counts.calls,
      rawUpdateDryRunMs: rawUpdateDryRun.ms,
      rawUpdateDryRunCalls: rawUpdateDryRun.counts.calls,
      newCheckMs: newCheck.ms,
      newCheckCalls: newCheck.counts.calls,
      validatedCheckMs: validatedCheck.ms,
      validatedCheckCalls: validatedCheck.counts.calls,
      rawDryRunMs: rawDryRun.ms,
      rawDryRunCalls: rawDryRun.counts.calls,
    };
  } finally {
    await validatingHost?.stop();
    await host?.stop();
    await raw.close();
    await meter.stop();
    await cluster.stop();
  }
}

export function formatPreviewBench(result: PreviewBenchResult): string {
  const per = (ms: number) => (ms / result.databases).toFixed(2);
  return [
    result.machine,
    "",
    `Preview of a change to each of ${result.databases} databases, ${result.parallel} at a time (calls counted at the emulator):`,
    "",
    "| variant | total ms | ms per resource | REST calls |",
    "| --- | ---: | ---: | ---: |",
    `| host Check + Diff (the preview) | ${result.previewMs.toFixed(0)} | ${per(result.previewMs)} | ${result.previewCalls} |`,
    `| raw GET /v1/bdbs/{uid} each (for scale) | ${result.rawReadMs.toFixed(0)} | ${per(result.rawReadMs)} | ${result.rawReadCalls} |`,
    `| host Check + Diff, validateAtPreview (a dry run each) | ${result.validatedPreviewMs.toFixed(0)} | ${per(result.validatedPreviewMs)} | ${result.validatedPreviewCalls} |`,
    `| raw PUT /v1/bdbs/{uid}?dry_run each | ${result.rawUpdateDryRunMs.toFixed(0)} | ${per(result.rawUpdateDryRunMs)} | ${result.rawUpdateDryRunCalls} |`,
    "",
    `What validation adds to the preview of the changes, against the raw dry runs alone: ${((result.validatedPreviewMs - result.previewMs) / result.rawUpdateDryRunMs).toFixed(2)}.`,
    "",
    `Preview of the creation of ${result.databases} new databases (host Check), ${result.parallel} at a time:`,
    "",
    "| variant | total ms | ms per resource | REST calls | ratio to raw dry runs |",
    "| --- | ---: | ---: | ---: | ---: |",
    `| host Check (the preview, by default) | ${result.newCheckMs.toFixed(0)} | ${per(result.newCheckMs)} | ${result.newCheckCalls} | ${(result.newCheckMs / result.rawDryRunMs).toFixed(2)} |`,
    `| host Check, validateAtPreview (a dry run each) | ${result.validatedCheckMs.toFixed(0)} | ${per(result.validatedCheckMs)} | ${result.validatedCheckCalls} | ${(result.validatedCheckMs / result.rawDryRunMs).toFixed(2)} |`,
    `| raw POST /v1/bdbs?dry_run each | ${result.rawDryRunMs.toFixed(0)} | ${per(result.rawDryRunMs)} | ${result.rawDryRunCalls} | 1.00 |`,
    "",
    `What validation adds to the preview, against the raw dry runs alone: ${((result.validatedCheckMs - result.newCheckMs) / result.rawDryRunMs).toFixed(2)}.`,
  ].join("\n");
}

if (require.main === module) {
  const databases = Number(process.argv[2]);
  runPreviewBench(Number.isInteger(databases) && databases > 0 ? { databases } : {}).then(
    (result) => console.log(formatPreviewBench(result)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}

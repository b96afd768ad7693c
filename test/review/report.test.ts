// The review report: exact Markdown for small hand-made previews (ordering, masking, refusals, drift, escaping),
// then the answers the real Pulumi CLI gave for every resource type (fixtures/README.md says how they were made).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "mocha";
import { UNKNOWN_VALUE } from "../../provider/core";
import { renderReview, reviewPreview, ReviewInputError } from "../../review/report";

const FIXTURES = path.resolve(__dirname, "..", "..", "..", "test", "review", "fixtures");
const TYPE = (kind: string) => `pulumi-nodejs:dynamic/redisenterprise:${kind}`;
const URN = (kind: string, name: string) => `urn:pulumi:dev::shop::${TYPE(kind)}::${name}`;

function fixture(name: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8"));
}

function step(op: string, kind: string, name: string, olds: Record<string, unknown> | undefined, news: Record<string, unknown> | undefined) {
  return {
    op,
    urn: URN(kind, name),
    ...(olds ? { oldState: { type: TYPE(kind), inputs: olds, outputs: olds } } : {}),
    ...(news ? { newState: { type: TYPE(kind), inputs: news, outputs: news } } : {}),
    detailedDiff: null,
  };
}

const ORDERS = { name: "orders", memorySize: 268435456, dataInternodeEncryption: false, password: "old-plain-password", managedProperties: ["name", "memorySize", "dataInternodeEncryption", "password"] };

describe("review report", () => {
  it("prints every change with old and new values, most disruptive first, secrets masked even when shown in clear", () => {
    const preview = {
      steps: [
        { op: "same", urn: "urn:pulumi:dev::shop::pulumi:pulumi:Stack::shop-dev", oldState: { type: "pulumi:pulumi:Stack" }, newState: { type: "pulumi:pulumi:Stack" } },
        // `--show-secrets` puts the password in clear: the report must not.
        step("update", "Database", "orders", ORDERS, { ...ORDERS, memorySize: 536870912, dataInternodeEncryption: true, password: "new-plain-password" }),
        step("delete", "Database", "legacy", { name: "legacy", memorySize: 1 }, undefined),
        step("create", "Database", "reports", undefined, { name: "reports", memorySize: 67108864 }),
      ],
      changeSummary: { same: 1, update: 1, delete: 1, create: 1 },
    };
    const markdown = renderReview(reviewPreview(preview));
    assert.equal(
      markdown,
      [
        "## Redis Enterprise: review of `pulumi preview`",
        "",
        "4 property changes (2 disruptive), 1 resource to create, 0 refusals, 0 drifted properties.",
        "",
        "### Changes, most disruptive first",
        "",
        "| Impact | Resource | Property | Old | New | What happens |",
        "|---|---|---|---|---|---|",
        "| **deletes the resource** | Database `legacy` (delete) | `(resource)` | `exists` | `(deleted)` | deletes the database: all its data is lost and every client is disconnected |",
        "| **disconnects all clients** | Database `orders` | `dataInternodeEncryption` | `false` | `true` | restarts the database proxy and disconnects all connected clients |",
        "| none | Database `orders` | `memorySize` | `268435456` | `536870912` | does not affect connected clients |",
        "| none | Database `orders` | `password` | `[secret]` | `[secret]` | does not affect connected clients |",
        "",
        "### To create",
        "",
        "- Database `reports`",
        "",
      ].join("\n"),
    );
    assert.doesNotMatch(markdown, /plain-password/);
  });

  it("lists deny refusals from the engine's diagnostics in the provider's words, and ignores other resources' errors", () => {
    const sentence = 'Database "sessions": resp3 true -> false disconnects clients connected with RESP3, and disruptionPolicy is "deny". Set disruptionPolicy: "allow" on this resource for this change, or revert the property.';
    const review = reviewPreview({
      steps: [],
      diagnostics: [
        { urn: URN("Database", "sessions"), severity: "error", message: `error: ${TYPE("Database")} resource 'sessions': property resp3 value {false} has a problem: ${sentence}\n` },
        { urn: "urn:pulumi:dev::shop::aws:s3/bucket:Bucket::logs", severity: "error", message: "error: something else entirely" },
        { urn: URN("Database", "orders"), severity: "info#err", message: "a preview note, not a refusal" },
      ],
    });
    assert.deepEqual(review.refusals, [sentence]);
    assert.match(renderReview(review), new RegExp(`### Refused\\n\\nThe provider will not apply these; the preview fails until they are resolved\\.\\n\\n- ${sentence.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\n`));
  });

  it("reports a refused change the table itself refuses (sharding off) from the step", () => {
    const olds = { name: "big", sharding: true, shardsCount: 2, managedProperties: ["name", "sharding", "shardsCount"] };
    const review = reviewPreview({ steps: [step("update", "Database", "big", olds, { ...olds, sharding: false })] });
    assert.equal(review.refusals.length, 1);
    assert.match(review.refusals[0]!, /^Database "big": sharding true -> false cannot be applied: sharding cannot be turned off once enabled/);
  });

  it("explains an update with no visible change: an input unknown until apply, or a secret masked on both sides", () => {
    const olds = { name: "cache", memorySize: 67108864, connection: "[secret]", password: "[secret]" };
    const unknown = reviewPreview({ steps: [step("update", "Database", "cache", olds, { ...olds, connection: UNKNOWN_VALUE })] });
    assert.deepEqual(
      unknown.resources[0]!.changes.map((change) => [change.property, change.old, change.new, change.impact]),
      [["connection", "[secret]", "(unknown)", "none"]],
    );
    const masked = reviewPreview({ steps: [step("update", "Database", "cache", olds, olds)] });
    assert.deepEqual(
      masked.resources[0]!.changes.map((change) => [change.property, change.consequence]),
      [
        ["connection", "may have changed (the preview masks secrets); if it did, it changes how the provider reaches the cluster; nothing changes on the cluster"],
        ["password", "may have changed (the preview masks secrets); if it did, it does not affect connected clients"],
      ],
    );
  });

  it("shows a kind it has no table for at the top as not classified, masking credential-like keys", () => {
    const review = reviewPreview({ steps: [step("update", "Newcomer", "x", { rules: 1, apiToken: "t1" }, { rules: 2, apiToken: "t2" })] });
    const markdown = renderReview(review);
    assert.match(markdown, /\| \*\*not classified\*\* \| Newcomer `x` \| `apiToken` \| `\[secret\]` \| `\[secret\]` \|/);
    assert.match(markdown, /\| \*\*not classified\*\* \| Newcomer `x` \| `rules` \| `1` \| `2` \| has no impact known to this report \(no property table for Newcomer\); review it by hand \|/);
    assert.doesNotMatch(markdown, /t1|t2/);
  });

  it("InternodeFirewall: its table's wording, nodes by address and transport, a drifted node, never a private key", () => {
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-key-material\n-----END OPENSSH PRIVATE KEY-----\n";
    const ssh = { type: "ssh", host: "10.0.0.3", user: "root", privateKey: key };
    const declared = [{ address: "10.0.0.1", transport: { type: "netns", namespace: "n1" } }, { address: "10.0.0.2", transport: { type: "netns", namespace: "n2" } }];
    const olds = {
      declaredNodes: declared,
      ports: [3342],
      nodes: [
        { address: "10.0.0.1", transport: "netns", tableInPlace: true, drift: [] },
        { address: "10.0.0.2", transport: "netns", tableInPlace: false, drift: ["rule 2 removed"] },
      ],
    };
    const news = { nodes: [...declared, { address: "10.0.0.3", transport: ssh }], ports: [3342] };
    const review = reviewPreview({ steps: [step("update", "InternodeFirewall", "fw", olds, news)] });
    const markdown = renderReview(review);
    assert.doesNotMatch(markdown, /secret-key-material|PRIVATE KEY/);
    assert.deepEqual(
      review.resources[0]!.changes.map((change) => [change.property, change.impact]),
      [
        ["nodes", "none"],
        ["nodes[10.0.0.2]", "none"],
      ],
    );
    assert.match(markdown, /\| InternodeFirewall `fw` \| `nodes` \| .*10\.0\.0\.1 .*\| .*10\.0\.0\.3 .*\| writes the table on each added node/);
    assert.match(markdown, /\| InternodeFirewall `fw` \| `nodes\[10\.0\.0\.2\]` \| `rule 2 removed` \| `\(declared table\)` \| differs from the declaration; the update rewrites its table \|/);
  });

  it("escapes table cells: a pipe in a value does not break the row", () => {
    const olds = { name: "orders", tags: { team: "a" }, managedProperties: ["name", "tags"] };
    const markdown = renderReview(reviewPreview({ steps: [step("update", "Database", "orders", olds, { ...olds, tags: { team: "a|b" } })] }));
    assert.match(markdown, /\| none \| Database `orders` \| `tags` \| `\{"team":"a"\}` \| `\{"team":"a\\\|b"\}` \| does not affect connected clients \|/);
  });

  it("finds drift in a --refresh answer: managed properties only, recorded against what the refresh read", () => {
    const recorded = { ...ORDERS, evictionPolicy: "volatile-lru" };
    const live = { ...recorded, memorySize: 536870912, evictionPolicy: "allkeys-lru" };
    const review = reviewPreview({
      steps: [step("refresh", "Database", "orders", recorded, recorded), step("update", "Database", "orders", live, ORDERS)],
    });
    assert.deepEqual(review.drift, [{ kind: "Database", name: "orders", property: "memorySize", recorded: "268435456", live: "536870912" }]);
  });

  it("says so when nothing changes, and refuses input that is not a preview answer with a clear error", () => {
    assert.match(renderReview(reviewPreview({ steps: [] })), /No change to Redis Enterprise resources\./);
    assert.throws(() => reviewPreview([1, 2]), (error: unknown) => error instanceof ReviewInputError && /expected an object with a "steps" list/.test(error.message));
    assert.throws(() => reviewPreview({ steps: [{ urn: "x" }] }), (error: unknown) => error instanceof ReviewInputError && /a step needs "op" and "urn"/.test(error.message));
  });
});

describe("review report on the real CLI's answers", () => {
  const rowsOf = (markdown: string) => markdown.split("\n").filter((line) => line.startsWith("| ") && !line.startsWith("| Impact") && !line.startsWith("| Resource"));

  it("Database: a replacement, an encryption flip, then in-place changes and a masked password change by resource name, and a creation", () => {
    const markdown = renderReview(reviewPreview(fixture("preview-databases.json")));
    assert.deepEqual(rowsOf(markdown), [
      "| **replaces the resource** | Database `cache` (replace) | `port` | `12000` | `12001` | deletes the database and creates a new one: all data is lost and every client is disconnected |",
      "| **disconnects all clients** | Database `orders` | `dataInternodeEncryption` | `false` | `true` | restarts the database proxy and disconnects all connected clients |",
      "| none | Database `orders` | `memorySize` | `268435456` | `536870912` | does not affect connected clients |",
      '| none | Database `orders` | `tags` | `{"team":"checkout"}` | `{"team":"checkout","tier":"critical"}` | does not affect connected clients |',
      "| none | Database `sessions` | `connection` | `[secret]` | `[secret]` | may have changed (the preview masks secrets); if it did, it changes how the provider reaches the cluster; nothing changes on the cluster |",
      "| none | Database `sessions` | `password` | `[secret]` | `[secret]` | may have changed (the preview masks secrets); if it did, it does not affect connected clients |",
    ]);
    assert.match(markdown, /### To create\n\n- Database `reports`\n/);
    assert.match(markdown, /^6 property changes \(2 disruptive\), 1 resource to create, 0 refusals, 0 drifted properties\.$/m);
  });

  it("Cluster and CertificateRotation: settings in the Cluster's own words, a rotation by trigger, connections unknown until apply", () => {
    const rows = rowsOf(renderReview(reviewPreview(fixture("preview-cluster.json"))));
    assert.equal(rows[0], '| none | CertificateRotation `ine` | `triggers` | `["2026-q4"]` | `["2027-q1"]` | rotates the certificates (triggers changed) |');
    assert.deepEqual(rows.slice(1, 3), [
      "| none | Cluster `prod` | `dataInternodeEncryptionDefault` | `false` | `true` | applies to databases created afterwards; no existing database changes |",
      // Leaf by leaf, as the Cluster's table manages its nested settings.
      "| none | Cluster `prod` | `clusterCertsAboutToExpireAlert.thresholdDays` | `30` | `45` | changes when the cluster raises the alert; no certificate changes |",
    ]);
    assert.deepEqual(
      rows.filter((row) => row.includes("`connection`")).map((row) => row.split(" | ")[1]),
      ["Database `cache`", "Database `orders`", "Database `sessions`"],
    );
  });

  it("a deny refusal: the failed preview's one error, in the provider's sentence", () => {
    const review = reviewPreview(fixture("preview-deny.json"));
    assert.deepEqual(review.refusals, [
      'Database "sessions": dataInternodeEncryption false -> true restarts the database proxy and disconnects all connected clients, and disruptionPolicy is "deny". Set disruptionPolicy: "allow" on this resource for this change, or revert the property.',
    ]);
    assert.equal(review.resources.length, 0);
  });

  it("drift from `preview --refresh`: the out-of-band edits of managed properties, not the unmanaged one", () => {
    const review = reviewPreview(fixture("preview-refresh-drift.json"));
    assert.deepEqual(review.drift, [
      { kind: "Cluster", name: "prod", property: "clusterCertsAboutToExpireAlert.thresholdDays", recorded: "30", live: "10" },
      { kind: "Database", name: "orders", property: "memorySize", recorded: "268435456", live: "536870912" },
    ]);
    // evictionPolicy was edited too, but orders does not declare it: not drift.
    assert.doesNotMatch(renderReview(review), /evictionPolicy/);
  });

  it("no secret the fixtures' stacks were given ever appears", () => {
    for (const name of ["preview-databases.json", "preview-cluster.json", "preview-deny.json", "preview-refresh-drift.json"]) {
      assert.doesNotMatch(renderReview(reviewPreview(fixture(name))), /admin-password|sessions-password/, name);
    }
  });
});

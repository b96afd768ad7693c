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

  it("lists an update the cluster refused as a dry run (a note, validation at preview), in the provider's words", () => {
    const sentence =
      "Database \"first\": the cluster would refuse to update it (a dry run at preview): PUT /v1/bdbs/2?dry_run: 409 name_exists: a database named 'first' already exists (uid 1); choose another name";
    const review = reviewPreview({
      steps: [],
      diagnostics: [
        { urn: URN("Database", "first"), severity: "info#err", message: `pulumi up will refuse this: ${sentence} [${URN("Database", "first")}]\n` },
        { urn: URN("Database", "orders"), severity: "info#err", message: "pulumi up will refuse this: something the tables already report" },
      ],
    });
    assert.deepEqual(review.refusals, [sentence]);
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

  // The InternodeFirewall's answers (fixtures/README.md, steps 6-9): nodes in network namespaces whose names
  // carry the generating process's pid, hence the patterns.
  const NETNS = (node: number) => `198\\.51\\.100\\.${node} \\(netns rsfw-\\d+-\\d+-n${node}\\)`;

  it("InternodeFirewall: ports and sources in its table's words and label; a node list the CLI masks (an ssh key) is a possible change, not a refusal", () => {
    const review = reviewPreview(fixture("preview-firewall.json"));
    assert.deepEqual(review.refusals, []);
    const rows = rowsOf(renderReview(review));
    assert.equal(rows.length, 3, rows.join("\n"));
    assert.match(
      rows[0]!,
      new RegExp(
        `^\\| none \\(rewrites the tables\\) \\| InternodeFirewall \`ine-port\` \\| \`nodes\` \\| \`\\["${NETNS(1)}","${NETNS(2)}","${NETNS(3)}"\\]\` \\| \`\\[secret\\]\` \\| may have changed \\(the preview masks a node list that holds an ssh key; .*\\); if it did, it writes the table on each added node, updates every node's peer set, and removes the table from a node no longer listed \\|$`,
      ),
    );
    assert.deepEqual(rows.slice(1), [
      '| none (rewrites the tables) | InternodeFirewall `ine-port` | `ports` | `[3342]` | `[3342,"10000-19999"]` | rewrites every node\'s table: only the nodes and allowedSources can connect to the listed ports, and a port no longer listed is no longer filtered |',
      '| none (rewrites the tables) | InternodeFirewall `ine-port` | `allowedSources` | `[]` | `["203.0.113.7"]` | rewrites every node\'s table with the new sources |',
    ]);
  });

  it("InternodeFirewall: a new table name replaces it; the unchanged nodes (recorded in the masked declaredNodes) are not listed", () => {
    assert.deepEqual(rowsOf(renderReview(reviewPreview(fixture("preview-table.json")))), [
      '| none (rewrites the tables) | InternodeFirewall `ine-port` (replace) | `table` | `"redis_enterprise"` | `"redis_enterprise_v2"` | writes the new table on every node, then removes the old one |',
    ]);
  });

  it("InternodeFirewall drift from `preview --refresh`: a rule and a whole table deleted by hand, per node, and the rewrite the update makes", () => {
    const review = reviewPreview(fixture("preview-firewall-refresh-drift.json"));
    assert.deepEqual(review.drift, [
      { kind: "InternodeFirewall", name: "ine-port", property: "nodes[198.51.100.1]", recorded: "table in place", live: "rule removed from chain input: tcp dport @ports drop" },
      { kind: "InternodeFirewall", name: "ine-port", property: "nodes[198.51.100.2]", recorded: "table in place", live: "table inet redis_enterprise is missing" },
    ]);
    assert.deepEqual(rowsOf(renderReview(review)).filter((row) => row.startsWith("| none")), [
      "| none (rewrites the tables) | InternodeFirewall `ine-port` | `nodes[198.51.100.1]` | `rule removed from chain input: tcp dport @ports drop` | `(declared table)` | differs from the declaration; the update rewrites its table |",
      "| none (rewrites the tables) | InternodeFirewall `ine-port` | `nodes[198.51.100.2]` | `table inet redis_enterprise is missing` | `(declared table)` | differs from the declaration; the update rewrites its table |",
    ]);
  });

  it("InternodeFirewall: the ssh node's private key is a secret in the CLI's answer and appears in no report", () => {
    const raw = fs.readFileSync(path.join(FIXTURES, "preview-firewall.json"), "utf8");
    assert.equal((JSON.parse(raw) as { config: Record<string, string> }).config["review:sshNodeKey"], "[secret]");
    assert.doesNotMatch(raw, /PRIVATE KEY/);
    for (const name of ["preview-firewall.json", "preview-table.json", "preview-firewall-refresh-drift.json"]) {
      assert.doesNotMatch(renderReview(reviewPreview(fixture(name))), /PRIVATE KEY|privateKey/, name);
    }
  });

  it("every resource type of the provider appears in the fixtures' reports", () => {
    const kinds = new Set<string>();
    for (const name of fs.readdirSync(FIXTURES).filter((file) => file.startsWith("preview-") && file.endsWith(".json"))) {
      const review = reviewPreview(fixture(name));
      for (const resource of review.resources) kinds.add(resource.kind);
      for (const item of review.drift) kinds.add(item.kind);
    }
    assert.deepEqual([...kinds].sort(), ["CertificateRotation", "Cluster", "Database", "InternodeFirewall"]);
  });
});

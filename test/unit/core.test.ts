// The generic machinery: impacts, versions, unknowns, schemas, and a table's behaviour on a small toy table.
import assert from "node:assert/strict";
import { describe, it } from "mocha";
import {
  CLIENT_IMPACTS,
  UNKNOWN_VALUE,
  booleanSchema,
  byteSizeSchema,
  checkInputs,
  compareSoftwareVersions,
  containsUnknown,
  deepEqual,
  diffProperties,
  enumSchema,
  field,
  formatSoftwareVersion,
  impactConsequence,
  integerSchema,
  isAtLeastVersion,
  isDisruptive,
  isUnknown,
  listSchema,
  noteLines,
  objectSchema,
  optionalField,
  parseSoftwareVersion,
  payloadFor,
  type PropertyTable,
  renderCompact,
  renderMarkdownTable,
  rowBuilder,
  stringSchema,
  worstImpact,
} from "../../provider/core";

describe("client impacts", () => {
  it("are ordered from harmless to destructive", () => {
    assert.deepEqual(CLIENT_IMPACTS, ["none", "new-connections-only", "disconnects-resp3-clients", "disconnects-all-clients", "flushes-data", "replaces-resource"]);
    assert.equal(worstImpact(["new-connections-only", "flushes-data", "disconnects-all-clients"]), "flushes-data");
    assert.equal(worstImpact([]), "none");
  });
  it("are disruptive exactly when they drop connections or lose data", () => {
    assert.deepEqual(
      CLIENT_IMPACTS.map((impact) => [impact, isDisruptive(impact)]),
      [["none", false], ["new-connections-only", false], ["disconnects-resp3-clients", true], ["disconnects-all-clients", true], ["flushes-data", true], ["replaces-resource", true]],
    );
  });
  it("have the consequence sentences the notes use", () => {
    assert.equal(impactConsequence("disconnects-all-clients"), "restarts the database proxy and disconnects all connected clients");
    assert.equal(impactConsequence("new-connections-only"), "applies to new connections only; existing clients keep their connection until they reconnect");
    assert.equal(impactConsequence("disconnects-resp3-clients"), "disconnects clients connected with RESP3");
    assert.equal(impactConsequence("flushes-data"), "flushes all data in the database (FLUSHDB)");
    assert.equal(impactConsequence("replaces-resource"), "deletes the database and creates a new one: all data is lost and every client is disconnected");
  });
});

describe("software versions", () => {
  it("parse MAJOR.MINOR.PATCH-BUILD numerically, tolerating the docker build and missing parts", () => {
    assert.deepEqual(parseSoftwareVersion("100.0.21-16135"), { major: 100, minor: 0, patch: 21, build: 16135 });
    assert.deepEqual(parseSoftwareVersion("7.4.6-22"), { major: 7, minor: 4, patch: 6, build: 22 });
    assert.deepEqual(parseSoftwareVersion("6.2"), { major: 6, minor: 2, patch: 0, build: 0 });
    assert.deepEqual(parseSoftwareVersion(" v7.22.2-14.rhel9 "), { major: 7, minor: 22, patch: 2, build: 14 });
    assert.equal(parseSoftwareVersion("seven"), undefined);
    assert.equal(parseSoftwareVersion("7"), undefined);
    assert.equal(parseSoftwareVersion(""), undefined);
  });
  it("compare field by field, never as strings", () => {
    const v = (text: string) => {
      const parsed = parseSoftwareVersion(text);
      assert.ok(parsed, text);
      return parsed;
    };
    assert.equal(compareSoftwareVersions(v("10.0.0"), v("6.2.4")), 1);
    assert.equal(compareSoftwareVersions(v("6.2.10"), v("6.2.4")), 1);
    assert.equal(compareSoftwareVersions(v("6.2.3-99"), v("6.2.4")), -1);
    assert.equal(compareSoftwareVersions(v("6.2.4-1"), v("6.2.4-1")), 0);
    assert.equal(isAtLeastVersion("100.0.21-16135", "6.2.4"), true);
    assert.equal(isAtLeastVersion("6.2.4-1", "6.2.4"), true);
    assert.equal(isAtLeastVersion("6.0.20-97", "6.2.4"), false);
    assert.equal(isAtLeastVersion("unknown", "6.2.4"), undefined);
    assert.equal(formatSoftwareVersion(v("7.4.6-22")), "7.4.6-22");
    assert.equal(formatSoftwareVersion(v("6.2")), "6.2.0");
  });
});

describe("preview unknowns", () => {
  it("are found at the top level and anywhere inside", () => {
    assert.equal(isUnknown(UNKNOWN_VALUE), true);
    assert.equal(isUnknown("04da6b54"), false);
    assert.equal(containsUnknown([{ name: "search" }, { name: UNKNOWN_VALUE }]), true);
    assert.equal(containsUnknown({ a: { b: [1, 2, { c: UNKNOWN_VALUE }] } }), true);
    assert.equal(containsUnknown({ a: [1, "x", null] }), false);
  });
  it("survive a cyclic value without looping", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    assert.equal(containsUnknown(cyclic), false);
  });
});

describe("schemas", () => {
  it("integer accepts digit strings and reports its range", () => {
    const port = integerSchema({ min: 1, max: 10, excluded: [5] });
    assert.deepEqual(port.parse("7"), { ok: true, value: 7 });
    assert.deepEqual(port.parse(5), { ok: false, path: "", reason: "must be an integer from 1 to 10 except 5", got: 5 });
    assert.equal(port.display, "integer 1-10, not 5");
    assert.equal(integerSchema({ min: 0 }).display, "integer of at least 0");
  });
  it("list and object report the path of the first bad item", () => {
    const items = listSchema(objectSchema({ name: field(stringSchema({ minLength: 1 })), args: optionalField(stringSchema()) }));
    assert.deepEqual(items.parse([{ name: "a" }, { name: "b", args: 3 }]), { ok: false, path: "[1].args", reason: "must be a string", got: 3 });
    assert.deepEqual(items.parse([{ args: "x" }]), { ok: false, path: "[0].name", reason: "is required", got: undefined });
    assert.deepEqual(items.parse([{ name: "a", args: null }]), { ok: true, value: [{ name: "a" }] });
    assert.equal(items.display, "list of { name: string; args?: string }");
  });
  it("byte sizes are exact and 1024-based", () => {
    const size = byteSizeSchema();
    assert.deepEqual(size.parse("3TB"), { ok: true, value: 3 * 1024 ** 4 });
    assert.deepEqual(size.parse("1kib"), { ok: true, value: 1024 });
    assert.deepEqual(size.parse("12B"), { ok: true, value: 12 });
    assert.equal(size.parse("9999999999TB").ok, false);
    assert.equal(size.parse(Number.NaN).ok, false);
    assert.equal(size.parse("1.0000000001KB").ok, false);
  });
  it("enum lists the allowed values", () => {
    assert.deepEqual(enumSchema(["a", "b"]).parse("c"), { ok: false, path: "", reason: 'must be one of "a", "b"', got: "c" });
  });
  it("renderCompact never throws and cuts long values", () => {
    assert.equal(renderCompact(10n), "10n");
    assert.equal(renderCompact(undefined), "undefined");
    assert.equal(renderCompact("x".repeat(200), 10), '"xxxxxx...');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(renderCompact(cyclic), "[object Object]");
  });
  it("deepEqual ignores key order and undefined fields, not array order", () => {
    assert.equal(deepEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1, c: undefined }), true);
    assert.equal(deepEqual([1, 2], [2, 1]), false);
    assert.equal(deepEqual({ a: 1 }, [1]), false);
  });
});

// A toy resource: proves the machinery is generic (the Cluster resource will bring its own table).
interface Toy {
  size: number;
  mode: "a" | "b";
  secretKey: string;
  locked: boolean;
}
const toyRow = rowBuilder<Toy, Record<string, unknown>>();
const TOY: PropertyTable<Toy, Record<string, unknown>> = {
  resource: "Toy",
  rows: [
    toyRow({
      name: "size",
      restField: "size_bytes",
      schema: integerSchema({ min: 1 }),
      description: "Size",
      source: "toy",
      toRest: (value) => ({ size_bytes: value }),
      fromRest: (live) => (typeof live.size_bytes === "number" ? live.size_bytes : undefined),
      changes: [{ mode: "in-place", impact: "none" }],
    }),
    toyRow({
      name: "mode",
      restField: "mode",
      schema: enumSchema(["a", "b"] as const),
      description: "Mode",
      source: "toy",
      toRest: (value) => ({ mode: value }),
      fromRest: () => undefined,
      // Deliberately without a catch-all: "b -> a" matches no case.
      changes: [{ label: "a -> b", when: (old, next) => old === "a" && next === "b", mode: "in-place", impact: "flushes-data" }],
    }),
    toyRow({
      name: "secretKey",
      restField: "key",
      schema: stringSchema({ minLength: 8 }),
      secret: true,
      description: "Key",
      source: "toy",
      toRest: (value) => ({ key: value }),
      fromRest: () => undefined,
      changes: [{ mode: "in-place", impact: "disconnects-all-clients" }],
    }),
    toyRow({
      name: "locked",
      restField: "locked",
      schema: booleanSchema(),
      description: "Lock | with a pipe",
      source: "toy",
      toRest: (value) => ({ locked: value }),
      fromRest: () => undefined,
      changes: [{ mode: "replace", impact: "replaces-resource", reason: "a lock cannot be lifted" }],
    }),
  ],
  rules: [
    {
      property: "mode",
      involves: ["mode", "size"],
      description: "b needs size above 10",
      check: (inputs) => (inputs.mode === "b" && (inputs.size ?? 0) <= 10 ? "mode b needs size above 10" : undefined),
    },
  ],
};

describe("a property table (toy)", () => {
  it("check never echoes a secret, skips unknowns and skips rules over invalid or unknown values", () => {
    assert.deepEqual(checkInputs(TOY, { secretKey: "short" }).failures, [{ property: "secretKey", reason: "secretKey must be at least 8 characters long" }]);
    assert.deepEqual(checkInputs(TOY, { mode: "b", size: 3 }).failures, [{ property: "mode", reason: "mode b needs size above 10" }]);
    assert.deepEqual(checkInputs(TOY, { mode: "b", size: UNKNOWN_VALUE }), { inputs: { mode: "b", size: UNKNOWN_VALUE }, failures: [] });
    assert.deepEqual(checkInputs(TOY, { mode: "b", size: -1 }).failures.map((f) => f.property), ["size"]);
  });
  it("fails safe when no change case matches: the change is refused, naming the row", () => {
    const diff = diffProperties(TOY, { mode: "b" }, { mode: "a" });
    assert.deepEqual(diff.refused, [{ property: "mode", reason: 'mode "b" -> "a" cannot be applied: no rule of the mode row covers this change (a provider bug: please report it)' }]);
  });
  it("renders secrets as [secret] and unknowns conditionally, in notes", () => {
    const diff = diffProperties(TOY, { secretKey: "old-secret-1", locked: false, mode: "a" }, { secretKey: "new-secret-2", locked: UNKNOWN_VALUE, mode: "b" });
    assert.deepEqual(noteLines('Toy "t"', diff.changed), [
      'Toy "t": mode "a" -> "b" flushes all data in the database (FLUSHDB)',
      'Toy "t": secretKey [secret] -> [secret] restarts the database proxy and disconnects all connected clients',
      'Toy "t": locked false -> (unknown) may change; if it does, it deletes the database and creates a new one: all data is lost and every client is disconnected',
    ]);
    assert.deepEqual(diff.replaces, ["locked"]);
    assert.equal(JSON.stringify(diff).includes("secret-"), false);
  });
  it("payloads contain only declared (or named) rows and refuse unknown values", () => {
    assert.deepEqual(payloadFor(TOY, { size: 5, mode: "a" }), { size_bytes: 5, mode: "a" });
    assert.deepEqual(payloadFor(TOY, { size: 5, mode: "a" }, ["mode"]), { mode: "a" });
    assert.throws(() => payloadFor(TOY, { size: UNKNOWN_VALUE }), /Toy: cannot build the request body because size is not known yet/);
  });
  it("renders a Markdown table with one line per row, escaping pipes", () => {
    const lines = renderMarkdownTable(TOY).split("\n");
    assert.equal(lines.length, 2 + TOY.rows.length);
    assert.equal(lines[2], "| `size` | `size_bytes` | integer of at least 1 | in place | none | Size. Source: toy. |");
    assert.equal(lines[4], "| `secretKey` | `key` | string | in place | disconnects all clients | Key. Secret: never shown in notes or errors. Source: toy. |");
    assert.equal(lines[5], "| `locked` | `locked` | boolean | replace | replaces the resource | Lock \\| with a pipe. A lock cannot be lifted. Source: toy. |");
  });
});

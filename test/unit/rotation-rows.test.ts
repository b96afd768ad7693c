// CertificateRotation's table rows one by one: schema (what check accepts and how it refuses, and that the
// row's own schema agrees), what a read records, and the change case (every change is the "rotate" action;
// expiry is computed drift). The last test is derived from the table: a row without its three kinds of test
// fails it.
import assert from "node:assert/strict";
import type { CertificateInfo } from "../../provider/certificates";
import { diffResource, erasedRows, refreshedInputs } from "../../provider/core";
import { ROTATION_RESOURCE, checkRotation, rotationOutputs } from "../../provider/rotation/logic";
import { ROTATION_TABLE } from "../../provider/rotation/table";

type Aspect = "schema" | "read" | "change";
const exercised = new Map<string, Set<Aspect>>();
const record = (name: string, aspect: Aspect) => exercised.set(name, (exercised.get(name) ?? new Set<Aspect>()).add(aspect));

const rowOf = (name: string) => erasedRows(ROTATION_TABLE).find((row) => row.name === name)!;

/** check's failures for one input, as "property: reason"; and whether the row's schema accepts the value too. */
const failuresFor = (name: string, value: unknown) => {
  record(name, "schema");
  const failures = checkRotation({ [name]: value }).failures.map((failure) => `${failure.property}: ${failure.reason}`);
  assert.equal(rowOf(name).schema.parse(value).ok, failures.length === 0, `${name}: check and the row's schema disagree on ${JSON.stringify(value)}`);
  return failures;
};
/** The outputs a read records for these inputs and certificates. */
const readFor = (name: string, inputs: Record<string, unknown>, certificates: CertificateInfo[]) => {
  record(name, "read");
  return rotationOutputs(inputs, certificates, "2026-01-01T00:00:00.000Z");
};
/** The change records of a diff of recorded outputs against new inputs. */
const changeFor = (name: string, olds: Record<string, unknown>, news: Record<string, unknown>) => {
  record(name, "change");
  return diffResource(ROTATION_RESOURCE, olds, news).changed.map((change) => [change.property, change.mode, change.action, change.old, change.new]);
};

const certificate = (name: string, daysRemaining: number, serial = "aa") => ({ name, daysRemaining, serial, notAfter: "2026-03-01T00:00:00.000Z" }) as CertificateInfo;

describe("CertificateRotation table rows", () => {
  it("triggers: any list; a change is the rotate action, recorded as declared", () => {
    assert.deepEqual(failuresFor("triggers", "x"), ['triggers: triggers must be a list of values (any change rotates the certificates); got "x"']);
    assert.deepEqual(failuresFor("triggers", [1, { two: 2 }]), []);
    assert.deepEqual(readFor("triggers", { triggers: ["a"] }, []).triggers, ["a"]);
    const olds = readFor("triggers", { triggers: ["a"] }, []);
    assert.deepEqual(changeFor("triggers", olds, { triggers: ["b"] }), [["triggers", "action", "rotate", ["a"], ["b"]]]);
    assert.deepEqual(changeFor("triggers", olds, { triggers: ["a"] }), []);
  });

  it("certificates: internal names, each once; recorded as requestedCertificates, while the output certificates is the parsed entries", () => {
    assert.match(failuresFor("certificates", ["proxy", "ldap_client"]).join("\n"), /certificates\[1\]: certificates\[1\] must be an internal certificate name/);
    assert.match(failuresFor("certificates", ["proxy", "proxy"]).join("\n"), /certificates\[1\]: certificates\[1\] "proxy" is listed twice/);
    assert.deepEqual(failuresFor("certificates", ["ccs_internode_encryption", "data_internode_encryption"]), []);
    const outs = readFor("certificates", { certificates: ["proxy"] }, [certificate("proxy", 80)]);
    assert.deepEqual(outs.requestedCertificates, ["proxy"]);
    assert.deepEqual((outs.certificates as CertificateInfo[]).map((c) => c.name), ["proxy"]);
    assert.deepEqual(outs.managedProperties, ["certificates"]);
    // A refresh returns the input as declared, from its recorded key, not the entries.
    assert.deepEqual(refreshedInputs(ROTATION_RESOURCE, outs).certificates, ["proxy"]);
    // The old selection is read from requestedCertificates in outputs (the entries under certificates are not it).
    assert.deepEqual(changeFor("certificates", outs, { certificates: ["proxy"] }), []);
    assert.deepEqual(changeFor("certificates", outs, { certificates: ["proxy", "cm"] }), [["certificates", "action", "rotate", ["proxy"], ["proxy", "cm"]]]);
    // Against old inputs (check's view), the names are under certificates.
    assert.deepEqual(changeFor("certificates", { certificates: ["cm"] }, { certificates: ["cm"] }), []);
  });

  it("expiresWithinThreshold: computed from days left against rotateWhenExpiringWithinDays (45 by default), never declared, drift when true", () => {
    assert.match(checkRotation({ expiresWithinThreshold: false }).failures.map((f) => f.reason).join("\n"), /expiresWithinThreshold is not a CertificateRotation input/);
    record("expiresWithinThreshold", "schema");
    assert.equal(readFor("expiresWithinThreshold", {}, [certificate("proxy", 45)]).expiresWithinThreshold, false);
    assert.equal(readFor("expiresWithinThreshold", {}, [certificate("proxy", 44)]).expiresWithinThreshold, true);
    assert.equal(readFor("expiresWithinThreshold", { rotateWhenExpiringWithinDays: 60 }, [certificate("proxy", 59)]).expiresWithinThreshold, true);
    const expiring = readFor("expiresWithinThreshold", {}, [certificate("proxy", 10, "aa")]);
    assert.deepEqual(changeFor("expiresWithinThreshold", expiring, {}), [["expiresWithinThreshold", "action", "rotate", true, false]]);
    // The cluster's own rotation: a new serial and fresh dates are no drift.
    const renewed = readFor("expiresWithinThreshold", {}, [certificate("proxy", 89, "bb")]);
    assert.deepEqual(changeFor("expiresWithinThreshold", renewed, {}), []);
  });

  it("covers every row: each row of the table has its schema, read and change tested here", () => {
    const missing = ROTATION_TABLE.rows.flatMap((row) =>
      (["schema", "read", "change"] as const).filter((aspect) => !exercised.get(row.name)?.has(aspect)).map((aspect) => `${row.name}: ${aspect}`),
    );
    assert.deepEqual(missing, []);
  });
});

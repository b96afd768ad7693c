import assert from "node:assert/strict";
import fc from "fast-check";
import { normalizeSerialHex } from "../../emulator/pki/describe";
import { randomSerialHex, truncateToSecond, validityWindow } from "../../emulator/pki/x509";

const DAY_MS = 86_400_000;
/** 1970 to 2200: every instant a virtual clock could sensibly show. */
const epochMs = fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) });

describe("emulator/pki pure helpers", function () {
  it("validityWindow starts at the clock's second and lasts exactly the given whole days", function () {
    fc.assert(
      fc.property(epochMs, fc.integer({ min: 1, max: 36_500 }), (now, days) => {
        const { notBefore, notAfter } = validityWindow(now, days);
        assert.equal(notBefore.getTime() % 1000, 0);
        assert.ok(notBefore.getTime() <= now && now < notBefore.getTime() + 1000);
        assert.equal(notAfter.getTime() - notBefore.getTime(), days * DAY_MS);
      }),
    );
  });

  it("validityWindow rounds a fractional number of days to whole seconds", function () {
    assert.deepEqual(validityWindow(1_500, 0.5), { notBefore: new Date(1_000), notAfter: new Date(1_000 + 43_200_000) });
    assert.equal(truncateToSecond(-1), -1000, "floors, also before 1970");
  });

  it("normalizeSerialHex keeps the number, lower-cases it and drops only leading zero bytes", function () {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 3 }), (bytes, zeros) => {
        const hex = "00".repeat(zeros) + Buffer.from(bytes).toString("hex").toUpperCase();
        const normalized = normalizeSerialHex(hex);
        assert.equal(BigInt(`0x${normalized}`), BigInt(`0x${hex}`));
        assert.match(normalized, /^[0-9a-f]+$/);
        assert.equal(normalized.length % 2, 0);
        assert.ok(normalized === "00" || !normalized.startsWith("00"));
      }),
    );
    assert.equal(normalizeSerialHex("0000"), "00");
    assert.equal(normalizeSerialHex("000A0B"), "0a0b");
  });

  it("randomSerialHex is 16 bytes, positive, with no leading zero byte", function () {
    const serials = Array.from({ length: 200 }, () => randomSerialHex());
    for (const serial of serials) {
      assert.match(serial, /^[4-7][0-9a-f]{31}$/);
    }
    assert.equal(new Set(serials).size, serials.length);
  });
});

// Issue 11, "errors a person understands": a REST error's message shows the request as a person reads it
// (`fields=uid,name`, not the URL-encoded `fields=uid%2Cname` the client sends), for every kind of answer; the
// `path` field keeps the exact request path. Found by the fault matrix, whose error column showed the encoded form.
import assert from "node:assert/strict";
import { RsApiError, RsConnectionError, RsTlsError } from "../../provider/rest";

const PATH = "/v1/bdbs?fields=uid%2Cname%2Cstatus";

describe("reliability: REST error messages show the request readably", () => {
  it("an error status", () => {
    const error = new RsApiError({ method: "GET", path: PATH, status: 503, errorCode: "service_unavailable", description: "try later" });
    assert.equal(error.message, "GET /v1/bdbs?fields=uid,name,status: 503 service_unavailable: try later");
    assert.equal(error.path, PATH);
  });

  it("no answer", () => {
    const error = new RsConnectionError({ method: "GET", path: PATH, origin: "https://127.0.0.1:9443", causeCode: "ECONNRESET", causeMessage: "reset", mayHaveReachedServer: true });
    assert.match(error.message, /^GET \/v1\/bdbs\?fields=uid,name,status: no answer from https:\/\/127\.0\.0\.1:9443/);
    assert.equal(error.path, PATH);
  });

  it("a certificate not trusted", () => {
    const error = new RsTlsError({ method: "GET", path: PATH, origin: "https://127.0.0.1:9443", causeCode: "SELF_SIGNED_CERT_IN_CHAIN", reason: "self-signed" });
    assert.match(error.message, /^GET \/v1\/bdbs\?fields=uid,name,status: TLS verification of https:\/\/127\.0\.0\.1:9443 failed/);
    assert.equal(error.path, PATH);
  });

  it("a path that does not decode stays as it is", () => {
    const error = new RsApiError({ method: "GET", path: "/v1/bdbs?x=%E0%A4%A", status: 400, errorCode: "bad_request", description: "no" });
    assert.equal(error.message, "GET /v1/bdbs?x=%E0%A4%A: 400 bad_request: no");
  });
});

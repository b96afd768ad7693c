/**
 * A refused certificate operation. `status` and `errorCode` map directly onto the REST answer
 * (`{error_code, description}` with that HTTP status); `message` never contains key material.
 */
export class CertificateError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 406 | 409,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = "CertificateError";
  }
}

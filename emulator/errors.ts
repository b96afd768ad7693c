// The one error type the emulator's operations throw. The HTTP layer turns it into the real error shape
// `{"error_code", "description"}` (reference §1.6: OAPI cluster_Error and the real 406 sample use
// `description`, not `message`), so pure validation code never touches sockets.
import type { JsonObject } from "./json";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly description: string,
    /** Extra body fields, e.g. the bootstrap_status of a failed bootstrap validation. */
    readonly extraBody?: JsonObject,
  ) {
    super(`${status} ${errorCode}: ${description}`);
    this.name = "ApiError";
  }

  /** The response body the real API would send. */
  toBody(): JsonObject {
    if (this.extraBody) return { ...this.extraBody };
    return { error_code: this.errorCode, description: this.description };
  }
}

/** 406 invalid configuration: the status RS documents for a refused bdb configuration (reference §1.7). */
export function invalidConfig(errorCode: string, description: string): ApiError {
  return new ApiError(406, errorCode, description);
}

/**
 * 400 for a body that does not fit the schema: wrong JSON types, unknown fields. The reference's 400 row is "a
 * typo, bad content"; real RS validates bodies with a JSON schema and answers 400 `invalid_schema`. Values of
 * the right type that are not allowed get 406 (bdbs) instead.
 */
export function schemaError(description: string): ApiError {
  return new ApiError(400, "invalid_schema", description);
}

export function notFound(errorCode: string, description: string): ApiError {
  return new ApiError(404, errorCode, description);
}

export function busy(description: string): ApiError {
  return new ApiError(409, "busy", description);
}

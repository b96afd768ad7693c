// The Database resource's pure parts: types, the property table and the logic the I/O provider calls.
export * from "./types";
export * from "./table";
export * from "./logic";

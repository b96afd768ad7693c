// The Cluster resource's pure parts: types, the property table, the logic and the bootstrap orchestration.
export * from "./types";
export * from "./table";
export * from "./logic";
export * from "./bootstrap";

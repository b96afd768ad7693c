// Generic, pure machinery shared by every resource: property tables, resource definitions and their logic,
// preconditions, client impacts, the disruption policy, preview unknowns, software versions and JSON helpers.
// The I/O around it (the life cycle) is ../framework. How a resource plugs in: README.md in this folder.
export * from "./generate";
export * from "./impact";
export * from "./json";
export * from "./policy";
export * from "./precondition";
export * from "./resource";
export * from "./schema";
export * from "./table";
export * from "./unknown";
export * from "./version";

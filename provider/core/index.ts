// Generic, pure machinery shared by every resource: property tables, client impacts, preview unknowns,
// software versions and small JSON helpers.
export * from "./impact";
export * from "./json";
export * from "./policy";
export * from "./schema";
export * from "./table";
export * from "./unknown";
export * from "./version";

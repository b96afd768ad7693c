// Public entry point of the package: the resource classes a Pulumi program declares.
export {};

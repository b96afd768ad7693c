// Every resource built on the framework, for the generators (SDK types, README reference, arbitraries) and the
// tests that hold them to the tables. A resource joins by adding its definition here.
import type { ResourceDefinition } from "./core";
import { DATABASE_RESOURCE } from "./database/logic";

export const RESOURCE_DEFINITIONS: readonly ResourceDefinition<unknown, unknown>[] = [DATABASE_RESOURCE as unknown as ResourceDefinition<unknown, unknown>];

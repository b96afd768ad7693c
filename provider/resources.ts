// Every resource built on the framework, for the generators (SDK types, README reference, arbitraries) and the
// tests that hold them to the tables. A resource joins by adding its definition here.
import type { ResourceDefinition } from "./core";
import { CLUSTER_RESOURCE } from "./cluster/logic";
import { DATABASE_RESOURCE } from "./database/logic";
import { FIREWALL_RESOURCE } from "./firewall/logic";
import { ROTATION_RESOURCE } from "./rotation/logic";

export const RESOURCE_DEFINITIONS: readonly ResourceDefinition<unknown, unknown>[] = [
  CLUSTER_RESOURCE as unknown as ResourceDefinition<unknown, unknown>,
  DATABASE_RESOURCE as unknown as ResourceDefinition<unknown, unknown>,
  FIREWALL_RESOURCE as unknown as ResourceDefinition<unknown, unknown>,
  ROTATION_RESOURCE as unknown as ResourceDefinition<unknown, unknown>,
];

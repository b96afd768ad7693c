// The provider object that Pulumi serializes into every resource's state (`__provider`).
//
// It is deliberately a thin shim: each method loads the installed implementation at call time and forwards.
// So the state stays small (a few KB per resource, not the whole provider captured by value), and `refresh` and
// `destroy`, which run the code frozen in state rather than the program, still run the installed version.
// The implementation must therefore keep reading state written by older versions.
import type * as pulumi from "@pulumi/pulumi";
import type { providers } from "../provider";

/**
 * The resource kinds the implementation module serves: the keys of `providers` in provider/index.ts, derived
 * rather than listed, so a resource added there is a kind here (a type-only import: nothing of the provider
 * is loaded or serialized by it). A class built on the framework passes its generated `<KIND>_KIND` constant.
 */
export type ResourceKind = keyof typeof providers;

/** What the implementation module (`pulumi-redis-enterprise/provider`) exports for the shim. */
export interface ProviderImplementation {
  configure(req: pulumi.dynamic.ConfigureRequest): Promise<void>;
  providers: Record<ResourceKind, pulumi.dynamic.ResourceProvider>;
}

/**
 * Builds the serialized shim for one resource kind. It loads the implementation, in order: the package by name
 * (a project that installed it as a dependency, resolved from the provider host's working directory, which the
 * engine sets to the project's folder, and NODE_PATH); then this package itself found by walking up from that
 * folder (this repository's own demo and tests, where the package is the project).
 *
 * Nothing about the machine is captured: the text must not depend on where the package was installed when the
 * program ran, or moving a checkout or reinstalling into another folder would change every resource's state
 * and break refresh and destroy, which run the text stored in state.
 */
export function providerShim(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  // Everything below is serialized as text: keep it free of imports and of captured values.
  const load = (): ProviderImplementation => {
    try {
      return require("pulumi-redis-enterprise/provider");
    } catch (err) {
      if ((err as { code?: string }).code !== "MODULE_NOT_FOUND") throw err;
    }
    const path = require("node:path") as typeof import("node:path");
    const fs = require("node:fs") as typeof import("node:fs");
    for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
      const manifest = path.join(dir, "package.json");
      if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, "utf8")).name === "pulumi-redis-enterprise") {
        return require(path.join(dir, "dist", "provider", "index.js"));
      }
      if (path.dirname(dir) === dir) {
        throw new Error(
          `pulumi-redis-enterprise: the provider implementation cannot be loaded: the package does not resolve from ${process.cwd()} ` +
            "(the folder the Pulumi engine runs the provider in) and that folder is not inside the package. " +
            "Install it in the Pulumi project (npm install pulumi-redis-enterprise) and run pulumi in the project's folder " +
            "(with the Automation API: set workDir to that folder)",
        );
      }
    }
  };
  return {
    configure: (req) => load().configure(req),
    check: (olds, news) => load().providers[kind].check!(olds, news),
    diff: (id, olds, news) => load().providers[kind].diff!(id, olds, news),
    create: (inputs) => load().providers[kind].create(inputs),
    read: (id, props) => load().providers[kind].read!(id, props),
    update: (id, olds, news) => load().providers[kind].update!(id, olds, news),
    delete: (id, props) => load().providers[kind].delete!(id, props),
  };
}

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
 * Builds the serialized shim for one resource kind. Its `configure` loads the implementation by package name as a
 * module in the provider host's working directory would (the engine sets it to the project's folder): a project
 * that installed the package as a dependency, NODE_PATH, and, through the package's own "exports", any folder inside
 * this package (this repository's demo and examples, where the package is the project).
 *
 * The text is stored twice in every resource's state (inputs and outputs) and travels in every request the engine
 * sends for it (a refresh of 500 databases sends it 1,000 times and gets it back 500 times), so it is kept short.
 * One serialized function per method costs about 230 bytes each, so instead `configure`, which the provider host
 * calls on a shim before any other method (its getProvider does, in @pulumi/pulumi 3.141, 3.160, 3.190, 3.210, 3.230
 * and 3.248, the versions read; test/engine/shim.test.ts holds it on the installed one), puts the forwarding methods
 * on the shim itself. Until then every method is one shared stand-in that fails saying so, rather than missing: the
 * host skips a missing check, diff or read in silence. The methods are set before loading, so that when loading
 * fails in configure, each later call fails with the loading error too.
 *
 * Nothing about the machine is captured: the text must not depend on where the package was installed when the
 * program ran, or moving a checkout or reinstalling into another folder would change every resource's state
 * and break refresh and destroy, which run the text stored in state.
 */
export function providerShim(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  // Serialized as text: no imports, no captured values but `kind`, no comments inside the functions.
  const notConfigured = (): never => {
    throw new Error("pulumi-redis-enterprise: the provider host did not call configure first: this @pulumi/pulumi is not supported");
  };
  return {
    configure: function (this: Record<string, unknown>, req: pulumi.dynamic.ConfigureRequest) {
      const load = (): ProviderImplementation => {
        try {
          return require("node:module").createRequire(`${process.cwd()}/`)("pulumi-redis-enterprise/provider");
        } catch (err) {
          if ((err as { code?: string }).code !== "MODULE_NOT_FOUND") throw err;
          throw new Error(`pulumi-redis-enterprise: the provider implementation cannot be loaded from ${process.cwd()} (${(err as Error).message.split("\n")[0]}): npm install pulumi-redis-enterprise in the Pulumi project and run pulumi in its folder`);
        }
      };
      let provider: Record<string, (...args: unknown[]) => unknown> | undefined;
      for (const method of ["check", "diff", "create", "read", "update", "delete"]) {
        this[method] = (...args: unknown[]) => (provider ??= load().providers[kind] as never)[method]!(...args);
      }
      return load().configure(req);
    },
    check: notConfigured,
    diff: notConfigured,
    create: notConfigured,
    read: notConfigured,
    update: notConfigured,
    delete: notConfigured,
  };
}

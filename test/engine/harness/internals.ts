// Every unversioned @pulumi/pulumi entry point the harness relies on is loaded here and nowhere else, so a newer
// release that moves one of them fails in one place with a message that names it (see `loadPulumiInternals`).
//
// gRPC and protobuf are resolved from @pulumi/pulumi's own folder, not the project's: the generated client checks
// its credentials with `instanceof`, and the provider host itself uses that copy.

import * as fs from "node:fs";
import * as path from "node:path";

type GrpcModule = typeof import("@grpc/grpc-js");
type StructModule = typeof import("google-protobuf/google/protobuf/struct_pb");
type EmptyModule = typeof import("google-protobuf/google/protobuf/empty_pb");
type ProviderGrpcModule = typeof import("@pulumi/pulumi/proto/provider_grpc_pb");
type ProviderProtoModule = typeof import("@pulumi/pulumi/proto/provider_pb");
type StatusProtoModule = typeof import("@pulumi/pulumi/proto/status_pb");
type ResourceProtoModule = typeof import("@pulumi/pulumi/proto/resource_pb");

/** The part of `runtime/state` (internal, not in the typings) that isolates one program run. */
export interface RuntimeStateModule {
  /** Runs `callback` with a fresh runtime store (settings, config, stack resource, feature flags). */
  withLocalStorage<T>(callback: () => Promise<T>): Promise<T>;
}

/** The part of `runtime/rpc` the harness checks against (the unknown sentinel and the secret signature). */
export interface RuntimeRpcModule {
  unknownValue: string;
  specialSigKey: string;
  specialSecretSig: string;
  specialResourceSig: string;
  specialAssetSig: string;
  specialArchiveSig: string;
}

export interface PulumiInternals {
  /** Absolute folder of the @pulumi/pulumi package in use. */
  packageDir: string;
  version: string;
  /** The script the engine runs as the `pulumi-resource-pulumi-nodejs` plugin. */
  dynamicProviderScript: string;
  grpc: GrpcModule;
  struct: StructModule;
  empty: EmptyModule;
  providerGrpc: ProviderGrpcModule;
  providerProto: ProviderProtoModule;
  statusProto: StatusProtoModule;
  resourceProto: ResourceProtoModule;
  runtimeState: RuntimeStateModule;
  runtimeRpc: RuntimeRpcModule;
}

/** The @pulumi/pulumi version this harness was proven with. */
export const PROVEN_PULUMI_VERSION = "3.248.0";

let cached: PulumiInternals | undefined;

/**
 * Loads (once) and checks every internal entry point. Throws an Error naming the missing file or member when a
 * newer @pulumi/pulumi has moved one, so the harness never fails later in a confusing way.
 */
export function loadPulumiInternals(): PulumiInternals {
  if (cached) {
    return cached;
  }
  const packageJsonPath = require.resolve("@pulumi/pulumi/package.json");
  const packageDir = path.dirname(packageJsonPath);
  const version = (JSON.parse(fs.readFileSync(packageJsonPath, "utf8")) as { version: string }).version;

  const fromPackage = (relative: string): string => {
    const file = path.join(packageDir, relative);
    if (!fs.existsSync(file)) {
      throw new Error(
        `@pulumi/pulumi ${version} has no ${relative} (the harness was proven with ${PROVEN_PULUMI_VERSION}); ` +
          `update test/engine/harness/internals.ts for the new layout or pin @pulumi/pulumi`,
      );
    }
    return file;
  };
  const loadFromPackage = (relative: string): unknown => require(fromPackage(relative));
  const loadDependency = (request: string): unknown => require(require.resolve(request, { paths: [packageDir] }));

  const requireMembers = (moduleName: string, value: unknown, members: string[]): void => {
    for (const member of members) {
      if (typeof value !== "object" || value === null || !(member in value)) {
        throw new Error(
          `@pulumi/pulumi ${version}: ${moduleName} no longer exports "${member}" (the harness was proven ` +
            `with ${PROVEN_PULUMI_VERSION}); update test/engine/harness/internals.ts or pin @pulumi/pulumi`,
        );
      }
    }
  };

  const dynamicProviderScript = fromPackage("cmd/dynamic-provider/index.js");
  const grpc = loadDependency("@grpc/grpc-js") as GrpcModule;
  const struct = loadDependency("google-protobuf/google/protobuf/struct_pb") as StructModule;
  const empty = loadDependency("google-protobuf/google/protobuf/empty_pb") as EmptyModule;
  const providerGrpc = loadFromPackage("proto/provider_grpc_pb.js") as ProviderGrpcModule;
  const providerProto = loadFromPackage("proto/provider_pb.js") as ProviderProtoModule;
  const statusProto = loadFromPackage("proto/status_pb.js") as StatusProtoModule;
  const resourceProto = loadFromPackage("proto/resource_pb.js") as ResourceProtoModule;
  const runtimeState = loadFromPackage("runtime/state.js") as RuntimeStateModule;
  const runtimeRpc = loadFromPackage("runtime/rpc.js") as RuntimeRpcModule;

  requireMembers("@grpc/grpc-js", grpc, ["credentials", "Metadata", "status"]);
  requireMembers("google-protobuf struct_pb", struct, ["Struct"]);
  requireMembers("google-protobuf empty_pb", empty, ["Empty"]);
  requireMembers("proto/provider_grpc_pb", providerGrpc, ["ResourceProviderClient"]);
  requireMembers("proto/provider_pb", providerProto, [
    "ConfigureRequest",
    "CheckRequest",
    "DiffRequest",
    "DiffResponse",
    "CreateRequest",
    "UpdateRequest",
    "ReadRequest",
    "DeleteRequest",
    "ErrorResourceInitFailed",
  ]);
  requireMembers("proto/status_pb", statusProto, ["Status"]);
  requireMembers("proto/resource_pb", resourceProto, ["RegisterResourceResponse"]);
  requireMembers("runtime/state", runtimeState, ["withLocalStorage"]);
  requireMembers("runtime/rpc", runtimeRpc, [
    "unknownValue",
    "specialSigKey",
    "specialSecretSig",
    "specialResourceSig",
    "specialAssetSig",
    "specialArchiveSig",
  ]);

  cached = {
    packageDir,
    version,
    dynamicProviderScript,
    grpc,
    struct,
    empty,
    providerGrpc,
    providerProto,
    statusProto,
    resourceProto,
    runtimeState,
    runtimeRpc,
  };
  return cached;
}

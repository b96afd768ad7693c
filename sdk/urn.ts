// The URN a resource will have, computed in the program and passed to the provider as the internal input
// `__urn`, so that its notes name the resource unambiguously (see provider/core/resource.ts, INTERNAL_KEYS).
import * as pulumi from "@pulumi/pulumi";
import type { ResourceKind } from "./shim";

/** The type token of a resource kind, as `super(..., "redisenterprise", kind)` makes it. */
export function typeToken(kind: ResourceKind): string {
  return `pulumi-nodejs:dynamic/redisenterprise:${kind}`;
}

/**
 * The engine's URN format: urn:pulumi:<stack>::<project>::<parent type chain>$<type>::<name>, where the parent
 * chain is the type part of the parent's URN, and a resource parented to the stack itself has none.
 */
export function expectedUrn(kind: ResourceKind, name: string, opts: pulumi.CustomResourceOptions | undefined): pulumi.Input<string> {
  const prefix = `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::`;
  const type = typeToken(kind);
  if (!opts?.parent) return `${prefix}${type}::${name}`;
  return opts.parent.urn.apply((parentUrn) => {
    const parentType = parentUrn.split("::")[2] ?? "";
    return parentType === "" || parentType === "pulumi:pulumi:Stack" ? `${prefix}${type}::${name}` : `${prefix}${parentType}$${type}::${name}`;
  });
}

import * as pulumi from "@pulumi/pulumi";
import type { ResourceState } from "./engine";

/**
 * The `__provider` text `pulumi.dynamic.Resource` stores for `provider`. The closure must have the same shape as
 * the SDK's (`() => provider`, capturing a variable named `provider`): the captured variable's name is part of
 * the text.
 */
export async function serializeProvider(provider: pulumi.dynamic.ResourceProvider): Promise<string> {
  const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  return serialized.text;
}

function isResourceState(source: pulumi.dynamic.ResourceProvider | ResourceState): source is ResourceState {
  return "outputs" in source && "inputs" in source && typeof source.inputs === "object";
}

/**
 * The length (characters) of the `__provider` text a dynamic resource stores, twice (inputs and outputs), in
 * every checkpoint entry: from a checkpoint entry, the stored text (synchronous); from a provider object, what
 * `pulumi.dynamic.Resource` would store.
 */
export function serializedProviderSize(source: ResourceState): number;
export function serializedProviderSize(source: pulumi.dynamic.ResourceProvider): Promise<number>;
export function serializedProviderSize(
  source: pulumi.dynamic.ResourceProvider | ResourceState,
): number | Promise<number> {
  if (isResourceState(source)) {
    const text = source.inputs.__provider;
    if (typeof text !== "string") {
      throw new Error(
        `this ${source.type} (${source.id}) has no __provider text in its inputs; is it a dynamic resource?`,
      );
    }
    return text.length;
  }
  return serializeProvider(source).then((text) => text.length);
}

// `npm run docs` (with update-readme.ts): writes sdk/generated/resources.ts from the resource definitions, so the
// SDK's argument and output types, output keys, secret outputs and kind names are never restated by hand.
// test/unit/generated.test.ts fails when the file is out of date.
import * as fs from "node:fs";
import * as path from "node:path";
import { renderSdkTypes } from "../provider/core";
import { RESOURCE_DEFINITIONS } from "../provider/resources";

/** Where the generated file lives in the source tree (this module runs from dist/docs). */
export const GENERATED_SDK_PATH = path.join(__dirname, "..", "..", "sdk", "generated", "resources.ts");

/** The current generated source. */
export function generatedSdkSource(): string {
  return renderSdkTypes(RESOURCE_DEFINITIONS, "the resource definitions (provider/resources.ts)");
}

/** Writes the file when it differs; returns whether it changed. */
export function updateGeneratedSdk(): boolean {
  const next = generatedSdkSource();
  const current = fs.existsSync(GENERATED_SDK_PATH) ? fs.readFileSync(GENERATED_SDK_PATH, "utf8") : "";
  if (next === current) return false;
  fs.mkdirSync(path.dirname(GENERATED_SDK_PATH), { recursive: true });
  fs.writeFileSync(GENERATED_SDK_PATH, next);
  return true;
}

// The state file: the whole model, written after every change (atomically: temp file + rename, so a crash
// never leaves half a file) and read at start. It holds the CA's private key and user passwords, so it is
// created readable by its owner only.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { isJsonObject } from "./json";
import type { EmulatorSnapshot } from "./state";

export function saveSnapshot(path: string, snapshot: EmulatorSnapshot): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(snapshot), { mode: 0o600 });
  renameSync(temporary, path);
}

/** The snapshot in `path`, or undefined when the file does not exist. Throws when it is not a state file. */
export function loadSnapshot(path: string): EmulatorSnapshot | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`state file ${path} is not valid JSON; delete it or point --state-file elsewhere`);
  }
  if (!isJsonObject(parsed) || parsed.format !== 1 || !Array.isArray(parsed.nodes) || !isJsonObject(parsed.pki)) {
    throw new Error(`state file ${path} is not an emulator state file (format 1); delete it or point --state-file elsewhere`);
  }
  return parsed as unknown as EmulatorSnapshot;
}

// Lines for the person running Pulumi. Inside a dynamic provider `pulumi.log` never reaches the engine; plain
// stderr does (the engine relays it as stack-level diagnostics in preview and up), so every note goes there.
// Nothing secret is ever passed here: callers print property names, rendered values of non-secret rows, and
// error messages that the REST client has already redacted.

/** Prints one line to stderr. */
export function printLine(line: string): void {
  process.stderr.write(`${line.replace(/\s*\n\s*/g, " ")}\n`);
}

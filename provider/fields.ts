// Documented inputs and outputs that are not property-table rows (connection, triggers, computed outputs).
// Each resource lists them once as data; its key checks, the SDK's output seeds and the README reference read
// that list, so nothing about them is written twice.

export interface FieldDoc {
  readonly name: string;
  readonly type: string;
  readonly description: string;
}

/** A Markdown table of documented fields, for the README reference. */
export function renderFieldTable(docs: readonly FieldDoc[]): string {
  const escape = (text: string) => text.replace(/\|/g, "\\|");
  return ["| name | type | notes |", "| --- | --- | --- |", ...docs.map((doc) => `| \`${doc.name}\` | ${escape(doc.type)} | ${escape(doc.description)} |`)].join("\n");
}

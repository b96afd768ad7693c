// The package as a consumer meets it: `npm pack`, the tarball unpacked into a fresh project's node_modules, and
// that project type-checked under every module resolution a consumer may use, then run.
//
// Offline and bounded: the consumer gets the packed package (exactly the files `npm pack` ships) and, next to
// it, links to this repository's copies of ONLY the packed package.json's dependencies and peer dependencies, plus
// the consumer's own @types/node and TypeScript. A type or module the package needs but does not declare is
// therefore missing, as it would be after `npm install pulumi-redis-enterprise` (this is how the undeclared
// @types/node-forge was found).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import ts from "typescript";

const run = promisify(execFile);
const REPO = resolve(__dirname, "../../..");

interface PackResult {
  filename: string;
  files: Array<{ path: string }>;
}

/** The consumer's program: every entry point, used the way the README shows. */
const CONSUMER_SOURCE = `import { Database, type DatabaseArgs } from "pulumi-redis-enterprise";
import { startCluster, type EmulatedCluster, type EmulatorOptions } from "pulumi-redis-enterprise/emulator";
import { providers, readStackSettings } from "pulumi-redis-enterprise/provider";

const options: EmulatorOptions = { nodes: 1, operationDelayMs: 50, keyBits: 1024 };
const args: DatabaseArgs = { name: "orders", memorySize: "1GB", dataInternodeEncryption: true };
export async function main(): Promise<string> {
  const cluster: EmulatedCluster = await startCluster(options);
  await cluster.stop();
  return [typeof Database, args.name, typeof providers.Database.create, typeof readStackSettings].join(" ");
}
`;

/** Compiler options per resolution mode; the "node" one is the Pulumi TypeScript template's (no skipLibCheck). */
const MODES: Record<string, Record<string, unknown>> = {
  node: { module: "commonjs", moduleResolution: "node" },
  node16: { module: "node16", moduleResolution: "node16" },
  nodenext: { module: "nodenext", moduleResolution: "nodenext" },
  bundler: { module: "esnext", moduleResolution: "bundler" },
};

/**
 * What tsc would report for the consumer's program under these options, in the consumer's file and in this
 * package's declaration files (skipLibCheck is off, as in the Pulumi template, for what this package ships). Other
 * packages' declarations are left to their authors: checking all of @pulumi/pulumi's 80,000 lines four times is
 * what made a plain `tsc` run take most of a minute per mode on a loaded machine.
 */
function typeCheck(consumer: string, modeOptions: Record<string, unknown>): { problems: string[]; checkedFiles: string[] } {
  const compilerOptions = { ...modeOptions, target: "es2020", strict: true, noEmit: true, types: ["node"] };
  const { options, errors } = ts.convertCompilerOptionsFromJson(compilerOptions, consumer);
  const root = join(consumer, "index.ts");
  const program = ts.createProgram({ rootNames: [root], options });
  const ours = program.getSourceFiles().filter((f) => f.fileName === root || f.fileName.includes("/node_modules/pulumi-redis-enterprise/"));
  const diagnostics = [
    ...errors,
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...ours.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]),
  ];
  const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => consumer, getNewLine: () => "\n" };
  return { problems: diagnostics.map((d) => ts.formatDiagnostic(d, host).trim()), checkedFiles: ours.map((f) => f.fileName) };
}

function link(consumer: string, name: string): void {
  const target = join(REPO, "node_modules", name);
  assert.ok(existsSync(target), `${name} is declared by the package but not installed in this repository`);
  const path = join(consumer, "node_modules", name);
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(target, path, "dir");
}

describe("package: npm pack, installed into a fresh consumer project", function () {
  this.timeout(120_000);
  let work: string;
  let consumer: string;
  let packed: PackResult;
  let installed: string;

  before(async function () {
    work = mkdtempSync(join(tmpdir(), "rs-consumer-"));
    // --ignore-scripts: `prepare` would rebuild; the suite runs after `npm run build` already.
    const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: REPO, maxBuffer: 16 << 20 });
    packed = (JSON.parse(stdout) as PackResult[])[0]!;
    consumer = join(work, "consumer");
    installed = join(consumer, "node_modules/pulumi-redis-enterprise");
    mkdirSync(installed, { recursive: true });
    await run("tar", ["-xzf", join(work, packed.filename), "-C", installed, "--strip-components=1"]);
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    for (const name of [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]) link(consumer, name);
    link(consumer, "@types/node");
    writeFileSync(join(consumer, "package.json"), `${JSON.stringify({ name: "consumer", private: true }, null, 2)}\n`);
    writeFileSync(join(consumer, "index.ts"), CONSUMER_SOURCE);
  });

  after(function () {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("ships LICENSE (Apache-2.0 full text), the README, and no source map that points to a file it does not ship", function () {
    const paths = new Set(packed.files.map((f) => f.path));
    assert.ok(paths.has("LICENSE") && paths.has("README.md") && paths.has("package.json"));
    assert.match(readFileSync(join(installed, "LICENSE"), "utf8"), /Apache License\s+Version 2\.0, January 2004[\s\S]*END OF TERMS AND CONDITIONS/);
    assert.equal((JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as { license: string }).license, "Apache-2.0");
    const dangling: string[] = [];
    for (const path of paths) {
      if (!path.endsWith(".map")) continue;
      const map = JSON.parse(readFileSync(join(installed, path), "utf8")) as { sources: string[]; sourceRoot?: string };
      for (const source of map.sources) {
        const shipped = join(dirname(path), map.sourceRoot ?? "", source);
        if (!paths.has(shipped)) dangling.push(`${path} -> ${shipped}`);
      }
    }
    assert.deepEqual(dangling, [], "source maps must point only to shipped files");
    assert.equal([...paths].some((p) => p.startsWith("dist/test/") || p.startsWith("dist/bench/")), false, "tests and benchmarks stay out");
  });

  it("type-checks a consumer of every entry point under moduleResolution node, node16, nodenext and bundler", function () {
    const entryPoints = ["dist/sdk/index.d.ts", "dist/provider/index.d.ts", "dist/emulator/index.d.ts"];
    const results = Object.entries(MODES).map(([mode, modeOptions]) => {
      const { problems, checkedFiles } = typeCheck(consumer, modeOptions);
      const unchecked = entryPoints.filter((entry) => !checkedFiles.includes(join(installed, entry)));
      if (unchecked.length > 0) problems.push(`not in the program: ${unchecked.join(", ")}`);
      return problems.length === 0 ? `${mode}: ok` : `${mode}: ${problems.join("\n")}`;
    });
    assert.deepEqual(results, Object.keys(MODES).map((mode) => `${mode}: ok`));
  });

  it("runs: each entry point loads with only the declared dependencies, and the emulator starts and stops", async function () {
    const script = `const { main } = require("./index.js"); main().then((s) => console.log(s));`;
    const { outputText } = ts.transpileModule(CONSUMER_SOURCE, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 } });
    writeFileSync(join(consumer, "index.js"), outputText);
    const { stdout } = await run(process.execPath, ["-e", script], { cwd: consumer, timeout: 60_000 });
    assert.equal(stdout.trim(), "function orders function function");
  });
});

// The quickstart: the demo's program (examples/demo/program.ts, what `npm run demo` runs) as a project of its own,
// run with your `pulumi` CLI against your cluster or an emulated one (README.md). The program is imported, not
// copied, so the quickstart is always exactly what the demo shows; its stack outputs are the program's.
import { demoProgram, demoSettingsFromConfig } from "../demo/program";

export = demoProgram(demoSettingsFromConfig());

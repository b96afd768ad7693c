// The quickstart: the demo's whole stack (examples/demo/program.ts, what `npm run demo` runs) as a project of its
// own, run with your `pulumi` CLI against your nodes or emulated ones (README.md): a Cluster bootstrapped from its
// nodes, a database with data internode encryption on, two more on the cluster's connection, and a
// CertificateRotation (and the InternodeFirewall where the config says how to reach the nodes). The program is
// imported, not copied, so the quickstart is always what the demo shows; its stack outputs are the program's.
import { demoStack, demoStackSettingsFromConfig } from "../demo/program";

export = demoStack(demoStackSettingsFromConfig());

// Process-wide cleanup of what the data plane starts outside this process (agent process groups, network
// namespaces, links): each is registered when made and unregistered when removed; whatever is still registered
// when the process exits (a test failed before stop(), an uncaught error, process.exit) is removed then,
// synchronously, since an exit handler cannot wait.
const actions = new Map<number, { what: string; run: () => void }>();
let nextKey = 1;
let installed = false;

export function registerCleanup(what: string, run: () => void): () => void {
  if (!installed) {
    installed = true;
    process.on("exit", runAllCleanups);
  }
  const key = nextKey++;
  actions.set(key, { what, run });
  return () => {
    actions.delete(key);
  };
}

/** Run every registered action, newest first (agents before the namespaces they live in). */
export function runAllCleanups(): void {
  for (const key of [...actions.keys()].reverse()) {
    const action = actions.get(key)!;
    actions.delete(key);
    try {
      action.run();
    } catch {
      // Best effort: one failure must not keep the rest from running.
    }
  }
}

/** What is registered now (for the test that nothing is left behind). */
export function pendingCleanups(): string[] {
  return [...actions.values()].map((action) => action.what);
}

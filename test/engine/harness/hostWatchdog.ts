// Preloaded (`node --require`) into every provider host the harness starts. The host sits in its own process
// group, so a Ctrl-C or a SIGKILL of the test run never reaches it and no exit hook runs; its stdin, a pipe from
// the test process, is what tells it that process is gone: on end of file it kills its own group.
// It changes nothing else in the host.

function endOwnProcessGroup(): void {
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    process.exit(1);
  }
}

process.stdin.on("end", endOwnProcessGroup);
process.stdin.on("error", endOwnProcessGroup);
process.stdin.resume();

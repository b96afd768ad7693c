// Captures what the code under test writes to stderr (the provider's notes), while still passing it through
// when DEBUG_STDERR is set.

export interface StderrCapture {
  /** Everything written since the capture started (or since the last `take`). */
  take(): string;
  stop(): void;
}

export function captureStderr(): StderrCapture {
  const original = process.stderr.write.bind(process.stderr);
  let buffer = "";
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    buffer += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    if (process.env.DEBUG_STDERR) return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stderr.write;
  return {
    take() {
      const taken = buffer;
      buffer = "";
      return taken;
    },
    stop() {
      process.stderr.write = original;
    },
  };
}

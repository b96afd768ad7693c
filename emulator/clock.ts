// The virtual clock: real time plus an offset that tests move forward (POST /__emulator/clock/advance).
// Certificate validity, alerts, action times and event times all read it, so "31 days later" is one call.
export class VirtualClock {
  private offset = 0;

  constructor(offsetMs = 0) {
    this.offset = offsetMs;
  }

  /** Virtual epoch milliseconds. */
  now(): number {
    return Date.now() + this.offset;
  }

  get offsetMs(): number {
    return this.offset;
  }

  set offsetMs(value: number) {
    this.offset = value;
  }

  advance(milliseconds: number): void {
    this.offset += milliseconds;
  }
}

// One deadline per operation: fixed when the operation starts (from the `timeouts` input, else the defaults)
// and handed to every hook, so a poll, a retry and a follow-up read all stop at the same moment.
import { type Operation, type TimeoutsInput, timeoutFor } from "../timeouts";

export class Deadline {
  /** Epoch milliseconds. */
  readonly at: number;

  constructor(at: number) {
    this.at = at;
  }

  /** The deadline of `operation` from now, given the resource's `timeouts` input. */
  static forOperation(operation: Operation, timeouts: unknown): Deadline {
    return new Deadline(Date.now() + timeoutFor(operation, timeouts as TimeoutsInput));
  }

  /**
   * Milliseconds left, at least `floor` (1 s by default): a step that starts just before the deadline still gets
   * one real attempt, whose failure then says what did not finish.
   */
  remainingMs(floor = 1000): number {
    return Math.max(floor, this.at - Date.now());
  }

  /** True when fewer than `marginMs` are left. */
  passed(marginMs = 0): boolean {
    return Date.now() + marginMs > this.at;
  }
}

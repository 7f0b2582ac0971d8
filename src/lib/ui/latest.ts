// "Latest request wins": each new request supersedes the one before, whose AbortSignal fires and
// whose result (or error) is dropped. The page asks the worker again before an earlier answer is
// back all the time (inspector, ablation, jobs, layouts, model loads); this is the one rule for it.

/** What a superseded request resolves to. */
export const SUPERSEDED: unique symbol = Symbol('superseded');
export type Superseded = typeof SUPERSEDED;

/** One request: its signal aborts, and `current` turns false, once a newer one (or cancel) replaces it. */
export interface Ticket {
  readonly signal: AbortSignal;
  readonly current: boolean;
}

export class Latest {
  private controller: AbortController | null = null;

  /** Starts a request, superseding the one before. */
  begin(): Ticket {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    return {
      signal: controller.signal,
      get current() {
        return !controller.signal.aborted;
      },
    };
  }

  /** Supersedes the request in flight, starting none. */
  cancel(): void {
    this.controller?.abort();
    this.controller = null;
  }

  /**
   * Runs `call` as the newest request. Resolves to its value, or to SUPERSEDED when a newer
   * request (or cancel) replaced it before it settled; a superseded call's error is dropped too.
   */
  async run<T>(call: (signal: AbortSignal) => Promise<T> | T): Promise<T | Superseded> {
    const ticket = this.begin();
    try {
      const value = await call(ticket.signal);
      return ticket.current ? value : SUPERSEDED;
    } catch (err) {
      if (!ticket.current) return SUPERSEDED;
      throw err;
    }
  }
}

/**
 * The Slack deliveries still being worked on. Most listeners acknowledge first and work after, so
 * the HTTP server's drain does not see that work: shutdown waits for it here before Redis closes.
 */
export class WorkInFlight {
  private readonly running = new Set<Promise<unknown>>();

  get size(): number {
    return this.running.size;
  }

  /** Runs `work` and keeps it until it settles; its outcome is the caller's, unchanged. */
  track<T>(work: () => Promise<T>): Promise<T> {
    const promise = work();
    this.running.add(promise);
    const forget = () => {
      this.running.delete(promise);
    };
    promise.then(forget, forget);
    return promise;
  }

  /**
   * Resolves once nothing is running, work that starts meanwhile included, or when `timeoutMs`
   * has passed: true when everything finished, false when some work was still running.
   */
  async settled(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.running.size > 0) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeUp = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, left);
      });
      await Promise.race([Promise.allSettled([...this.running]), timeUp]);
      clearTimeout(timer);
    }
    return true;
  }
}

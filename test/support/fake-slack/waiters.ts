/** Waiting for something the fake records (a call, an ack, ...) that may already be there. */

interface Waiter {
  check: () => boolean;
}

export interface Waiters {
  /** Re-checks every pending wait: call after recording anything. */
  notify(): void;
  /** Resolves with the first item of `list` matching `match`, now or once recorded. */
  waitFor<T>(
    list: T[],
    match: (item: T) => boolean,
    timeoutMs: number,
    describe: () => string,
  ): Promise<T>;
}

export function createWaiters(): Waiters {
  let waiters: Waiter[] = [];
  return {
    notify() {
      waiters = waiters.filter((w) => !w.check());
    },
    waitFor<T>(
      list: T[],
      match: (item: T) => boolean,
      timeoutMs: number,
      describe: () => string,
    ): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const found = () => list.find(match);
        const now = found();
        if (now !== undefined) {
          resolve(now);
          return;
        }
        const waiter: Waiter = {
          check: () => {
            const item = found();
            if (item === undefined) return false;
            clearTimeout(timer);
            resolve(item);
            return true;
          },
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter);
          reject(
            new Error(`fake Slack: timed out after ${timeoutMs} ms waiting for ${describe()}`),
          );
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
  };
}

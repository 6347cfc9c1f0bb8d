/**
 * Maps items through an async function with at most `limit` calls in flight,
 * yielding results as they complete (not in input order). Back-pressure: no new
 * call starts while `limit` finished results wait to be consumed, so a slow
 * consumer bounds memory however many items there are.
 */
export async function* mapBounded<T, R>(items: Iterable<T>, limit: number, fn: (item: T) => Promise<R>, signal?: AbortSignal): AsyncGenerator<R> {
  const iterator = items[Symbol.iterator]();
  const running = new Set<Promise<void>>();
  const done: R[] = [];
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  let exhausted = false;

  const launch = (): void => {
    while (!exhausted && !failure && !signal?.aborted && running.size + done.length < limit * 2 && running.size < limit) {
      const next = iterator.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const task: Promise<void> = fn(next.value).then(
        (value) => { done.push(value); },
        (error: unknown) => { failure ??= { error }; },
      ).finally(() => {
        running.delete(task);
        wake?.();
      });
      running.add(task);
    }
  };

  launch();
  while (running.size > 0 || done.length > 0) {
    if (done.length > 0) {
      yield done.shift()!;
      launch();
      continue;
    }
    if (failure) break;
    await new Promise<void>((resolve) => { wake = resolve; });
    wake = undefined;
    launch();
  }
  if (failure) {
    await Promise.allSettled(running);
    throw failure.error;
  }
}

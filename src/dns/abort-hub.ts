interface Watched {
  listener: () => void;
  callbacks: Set<() => void>;
}

/**
 * Shares one `abort` listener per signal among many waiters. A scan passes one signal to hundreds
 * of concurrent queries; a listener each would trip Node's MaxListeners warning and cost time.
 */
export class AbortHub {
  private readonly watched = new Map<AbortSignal, Watched>();

  /** Calls `onAbort` once when `signal` aborts; the returned function stops watching (idempotent). */
  watch(signal: AbortSignal, onAbort: () => void): () => void {
    if (signal.aborted) {
      // An aborted signal fires no more events; report it asynchronously, like a late abort.
      let live = true;
      queueMicrotask(() => {
        if (live) onAbort();
      });
      return () => {
        live = false;
      };
    }
    let entry = this.watched.get(signal);
    if (!entry) {
      const callbacks = new Set<() => void>();
      const listener = (): void => {
        this.watched.delete(signal);
        for (const cb of [...callbacks]) cb();
      };
      entry = { listener, callbacks };
      this.watched.set(signal, entry);
      signal.addEventListener('abort', listener, { once: true });
    }
    const current = entry;
    current.callbacks.add(onAbort);
    return () => {
      if (!current.callbacks.delete(onAbort) || current.callbacks.size > 0) return;
      if (this.watched.get(signal) === current) this.watched.delete(signal);
      signal.removeEventListener('abort', current.listener);
    };
  }
}

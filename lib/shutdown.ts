/**
 * Runs `flush` once on SIGTERM and once on SIGINT. Next's own handler closes the server
 * (waiting for open requests) before it exits, which leaves time for the flush; when no
 * other handler is installed, the signal is re-raised after the flush so the process
 * still ends.
 */
export function flushOnSignals(flush: () => Promise<void>): void {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      void flush()
        .catch(() => undefined)
        .finally(() => {
          if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
        });
    });
  }
}

/** Concurrent callers of one key share one in-flight promise; the next call after it settles starts anew. */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  run(key: string, work: () => Promise<T>): Promise<T> {
    let flight = this.inFlight.get(key);
    if (!flight) {
      flight = work().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, flight);
    }
    return flight;
  }
}

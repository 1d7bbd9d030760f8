/** A problem that stops the daemon from starting: bad schedule, time zone, listen address, ... */
export class DaemonStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DaemonStartError";
  }
}

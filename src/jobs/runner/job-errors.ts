/** A job that can never succeed as it stands (e.g. the user's grant lacks a scope): fail at once, say why. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

/**
 * A run ended with songs neither done nor recorded as failed: it must not be `completed`. Transient
 * (the next attempt starts from the last committed checkpoint), then the job fails with this reason.
 */
export class JobAccountingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobAccountingError';
  }
}

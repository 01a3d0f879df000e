import { parseRetryDelays } from './retry-schedule';
import { nextState } from './webhook-delivery.worker';

describe('delivery outcome policy', () => {
  const delays = parseRetryDelays('5s,5m,30m');

  it('a 2xx ends the delivery whatever came before', () => {
    expect(nextState(true, 0, delays)).toEqual({ status: 'delivered' });
    expect(nextState(true, 3, delays)).toEqual({ status: 'delivered' });
  });

  it('a failure waits the next step of the schedule, then gives up after the last', () => {
    expect(nextState(false, 0, delays)).toEqual({ status: 'pending', retryStep: 1, nextAttemptInMs: 5_000 });
    expect(nextState(false, 1, delays)).toEqual({ status: 'pending', retryStep: 2, nextAttemptInMs: 300_000 });
    expect(nextState(false, 2, delays)).toEqual({ status: 'pending', retryStep: 3, nextAttemptInMs: 1_800_000 });
    expect(nextState(false, 3, delays)).toEqual({ status: 'failed', retryStep: 4 });
    expect(nextState(false, 0, [])).toEqual({ status: 'failed', retryStep: 1 });
  });
});

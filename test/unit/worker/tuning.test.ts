import { DEFAULT_TUNING, workerTuning } from '../../../src/worker/tuning';
import { InvalidInputError } from '../../../src/model/errors';

describe('workerTuning', () => {
  it('is the measured defaults when nothing is set', () => {
    expect(workerTuning({})).toEqual(DEFAULT_TUNING);
  });

  it('takes each NIGHTSHIFT_MAX_* variable that is set, and leaves the others', () => {
    const t = workerTuning({ NIGHTSHIFT_MAX_CACHED_WORKFLOWS: '40', NIGHTSHIFT_MAX_ACTIVITIES: '250', NIGHTSHIFT_MAX_WORKFLOW_TASKS: '' });
    expect(t).toEqual({ ...DEFAULT_TUNING, maxCachedWorkflows: 40, maxConcurrentActivityTaskExecutions: 250 });
  });

  it.each(['abc', '1', '2.5', '-3'])('refuses %s, naming the variable and the default', (raw) => {
    expect(() => workerTuning({ NIGHTSHIFT_MAX_POLLERS: raw })).toThrow(InvalidInputError);
    expect(() => workerTuning({ NIGHTSHIFT_MAX_POLLERS: raw })).toThrow(/NIGHTSHIFT_MAX_POLLERS/);
  });
});

/**
 * The soak's builds, decided up front from a seed (test/integration/soak.test.ts): which sessions of
 * which build fail, how, and so how each build must end. A failing session is `transient` (retried;
 * the second in a row exhausts maxAttempts 2 and waits for a person, reason `escalated`) or `auth`
 * (to the person at once, reason `auth`). A build waiting for a person keeps its queue slot, so at
 * most `maxWaiting` builds are planned to end that way (more would stop the queue); the others'
 * failures stay below the limit.
 */
export interface SoakBuildPlan {
  index: number;
  /** Per checkpoint (1-based order), the classes of its failing sessions before one succeeds. */
  failures: ('transient' | 'auth')[][];
  expected: { status: 'completed' } | { status: 'awaiting-human'; reason: 'escalated' | 'auth'; checkpoint: number };
}

/** mulberry32: a small seeded generator, the same sequence on every machine. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function planSoak(o: { builds: number; checkpoints: number; failRate: number; seed: number; maxWaiting: number }): SoakBuildPlan[] {
  const rand = seeded(o.seed);
  let waiting = 0;
  return Array.from({ length: o.builds }, (_, index) => {
    const failures: ('transient' | 'auth')[][] = [];
    let expected: SoakBuildPlan['expected'] = { status: 'completed' };
    for (let c = 1; c <= o.checkpoints && expected.status === 'completed'; c++) {
      const these: ('transient' | 'auth')[] = [];
      // Sessions of this checkpoint until one succeeds (or the step goes to the person).
      for (;;) {
        if (rand() >= o.failRate) break;
        const kind = rand() < 0.25 ? 'auth' : 'transient';
        const toPerson = kind === 'auth' || these.length === 1;
        if (toPerson && waiting >= o.maxWaiting) break;
        these.push(kind);
        if (toPerson) {
          waiting++;
          expected = { status: 'awaiting-human', reason: kind === 'auth' ? 'auth' : 'escalated', checkpoint: c };
          break;
        }
      }
      failures.push(these);
    }
    return { index, failures, expected };
  });
}

/** The sessions planned, failed or not, for "10% of sessions" bookkeeping. */
export function sessionCounts(plans: SoakBuildPlan[], checkpoints: number): { sessions: number; failing: number } {
  let sessions = 0;
  let failing = 0;
  for (const p of plans) {
    for (let c = 0; c < checkpoints; c++) {
      const f = p.failures[c];
      if (!f) break;
      failing += f.length;
      const endsHere = p.expected.status === 'awaiting-human' && p.expected.checkpoint === c + 1;
      sessions += f.length + (endsHere ? 0 : 1);
      if (endsHere) break;
    }
  }
  return { sessions, failing };
}

/** How builds and loops wait out an agent's usage limit: shared, pure, workflow-safe. */

/** A limit that never seems to reset must not park a build or loop forever. */
export const MAX_RATE_LIMIT_PARKS = 20;

/**
 * How long to park: until the reset time the agent gave, at least 5 s (a reset time a moment ago
 * must not spin), or the retry interval when it gave none.
 */
export function rateLimitWait(resetAt: string | null, fallbackMs: number, nowMs: number): { waitMs: number; wakeAt: string } {
  const until = resetAt ? Date.parse(resetAt) : NaN;
  const waitMs = Math.max(5000, Number.isNaN(until) ? fallbackMs : until - nowMs);
  return { waitMs, wakeAt: new Date(nowMs + waitMs).toISOString() };
}

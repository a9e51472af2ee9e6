/**
 * Versions as the tools print them, and the ranges Nightshift is tested with. Pure: `nightshift
 * doctor` runs `<tool> --version` and asks these functions what the answer means.
 */
export type Version = readonly [number, number, number];

/** The first `X.Y.Z` (or `X.Y`) in a tool's `--version` output: `git version 2.39.5`, `v20.3.0`, `2.1.197 (Claude Code)`. */
export function parseVersion(text: string): Version | undefined {
  const m = /(?:^|[^\d.])v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

export function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

export function formatVersion(v: Version): string {
  return v.join('.');
}

/** `min` inclusive, `below` exclusive (absent: no upper bound). */
export interface VersionRange {
  min: Version;
  below?: Version;
}

export function inRange(v: Version, range: VersionRange): boolean {
  return compareVersions(v, range.min) >= 0 && (range.below === undefined || compareVersions(v, range.below) < 0);
}

export function describeRange(range: VersionRange): string {
  return range.below ? `>=${formatVersion(range.min)} <${formatVersion(range.below)}` : `>=${formatVersion(range.min)}`;
}

/**
 * The range an agent CLI is tested in: the pinned release's major.minor line. These CLIs change
 * flags between minor releases (codex dropped `--full-auto`), so a newer minor is untested until the
 * end-to-end tests ran against it (NIGHTSHIFT_<NAME>_VERSION=... npm test).
 */
export function testedRange(pinned: string): VersionRange {
  const v = parseVersion(pinned);
  if (!v) throw new Error(`pinned version ${pinned} is not X.Y.Z`);
  return { min: [v[0], v[1], 0], below: [v[0], v[1] + 1, 0] };
}

/** What Nightshift itself needs: Node from package.json's engines; git for `%(trailers:key=…,separator=…)`. */
export const NODE_RANGE: VersionRange = { min: [20, 3, 0] };
export const GIT_RANGE: VersionRange = { min: [2, 24, 0] };

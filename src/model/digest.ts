/**
 * The morning digest: for each build of the night, what a person reads first (branch, pull request,
 * checkpoints with push state, diffstat, verification, cost, DevNotes) and, for a build waiting for
 * them, the reason and the exact command that moves it on. Pure and dependency-free: the report
 * activity renders it, and the build's escalation notification carries the same command.
 */

/** The command that acts on a build waiting for the person, for its wait reason. */
export function actCommand(label: string, reason: string | null | undefined): string {
  switch (reason) {
    case 'checkpoint-review':
      return `nightshift resume ${label}   (or: nightshift feedback ${label} "…" first)`;
    case 'setup-failed':
      return `nightshift retry ${label}   (after fixing the setup; or: nightshift override ${label} --note "…" to go on without it)`;
    case 'rate-limited':
      return `nightshift retry ${label}   (try now instead of waiting for the reset)`;
    default:
      return `nightshift override ${label} --note "…"   (or: nightshift retry ${label} · nightshift skip ${label} --note "…")`;
  }
}

/** The parts of a build's `status` view the digest reads (older builds may lack some). */
export interface DigestView {
  label: string;
  status: string;
  reason?: string | null;
  waiting?: { reason: string; step: string; message: string; since: string } | null;
  planTitle?: string;
  repo?: string;
  branch?: string | null;
  spentUsd?: number;
  sessions?: number;
  checkpoints?: { id: string; title: string; status: string; commit: string | null; push?: { remote: string; pushed: boolean; note?: string } | null }[];
  devNotes?: { category: string; content: string }[];
  attempts?: { outcome: string }[];
  delivery?: { state: string; via: string; url: string | null; draft?: boolean; error?: string } | null;
}

function pushState(p: { remote: string; pushed: boolean; note?: string } | null | undefined): string {
  if (!p) return '';
  return p.pushed ? `, on ${p.remote}` : `, NOT on ${p.remote}${p.note ? ` (${p.note})` : ''}`;
}

function deliveryText(d: DigestView['delivery']): string {
  if (!d) return 'not delivered';
  if (d.state === 'failed') return `delivery failed: ${d.error ?? ''} (retry: nightshift deliver …)`;
  if (d.state === 'none') return `not delivered (${d.error ?? 'no gh, no --deliver'})`;
  return `${d.via === 'pr' ? (d.draft ? 'draft PR' : 'PR') : 'delivered'} ${d.url ?? '(no URL)'}`;
}

/** One build's digest entry (markdown lines). `diffstat`: `git diff --shortstat` of its commits, when known. */
export function digestEntry(v: DigestView, diffstat: string | null): string[] {
  const checkpoints = v.checkpoints ?? [];
  const lines = [`### ${v.label}${v.planTitle ? ` — ${v.planTitle}` : ''}`, ''];
  const verifyFailures = (v.attempts ?? []).filter((a) => a.outcome === 'verification-failed').length;
  const overridden = (v.devNotes ?? []).filter((n) => n.content.startsWith('verification overridden')).length;
  lines.push(`- **${v.status}**${v.status === 'completed' ? ` · ${deliveryText(v.delivery).replace('(retry: nightshift deliver …)', `(retry: nightshift deliver ${v.label})`)}` : ''}`);
  lines.push(`- branch \`${v.branch ?? `nightshift/${v.label}`}\`${v.repo ? ` of ${v.repo}` : ''}${diffstat ? ` · ${diffstat}` : ''}`);
  for (const c of checkpoints) lines.push(`  - checkpoint ${c.id} ${c.title}: ${c.status}${c.commit ? ` \`${c.commit.slice(0, 10)}\`` : ''}${pushState(c.push)}`);
  lines.push(`- verification: ${verifyFailures === 0 ? 'passed first time' : `${verifyFailures} failed run(s)`}${overridden ? `, ${overridden} overridden by a person` : ''}`);
  lines.push(`- cost $${(v.spentUsd ?? 0).toFixed(2)} · ${v.sessions ?? 0} session(s)`);
  for (const n of v.devNotes ?? []) lines.push(`- DevNote (${n.category}): ${n.content}`);
  if (v.status === 'awaiting-human' && v.waiting) {
    const what = v.waiting.message.split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 2).join(' ');
    lines.push(`- **waits for you** (${v.waiting.reason}) at ${v.waiting.step}: ${what.slice(0, 300)}`);
    lines.push(`  - to act: \`${actCommand(v.label, v.waiting.reason)}\``);
  }
  lines.push('');
  return lines;
}

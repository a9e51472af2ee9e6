import type { Usage } from '../agents/types';

/** ` · 12,345 tokens in (10,000 cached), 678 out` for the cost line; empty when no agent reported any. */
export function tokensNote(tokens: Usage | undefined): string {
  if (!tokens || tokens.inputTokens + tokens.outputTokens === 0) return '';
  const n = (x: number): string => x.toLocaleString('en-US');
  const cached = tokens.cachedInputTokens > 0 ? ` (${n(tokens.cachedInputTokens)} cached)` : '';
  return ` · ${n(tokens.inputTokens)} tokens in${cached}, ${n(tokens.outputTokens)} out`;
}

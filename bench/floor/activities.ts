import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { scriptedAgentPath } from '../../src/agents/scripted';
import { identity } from '../buildBench';

const run = promisify(execFile);

async function session(repo: string, scenario: string, checkpoint: number): Promise<void> {
  await run(process.execPath, [scriptedAgentPath(), '--scenario', scenario], { cwd: repo, env: { ...process.env, NIGHTSHIFT_CHECKPOINT: String(checkpoint) } });
}

async function verifyAndCommit(repo: string, checkpoint: number): Promise<void> {
  await run('sh', ['-c', 'true'], { cwd: repo });
  const env = { ...process.env, ...identity };
  await run('git', ['add', '-A'], { cwd: repo, env });
  await run('git', ['commit', '-q', '--allow-empty', '-m', `checkpoint-${checkpoint}: Checkpoint ${checkpoint}`], { cwd: repo, env });
}

/** The bash loop's work for one checkpoint, as activities (bench/floor/workflows.ts). */
export const floorActivities = {
  session,
  verifyAndCommit,
  checkpoint: async (repo: string, scenario: string, checkpoint: number) => {
    await session(repo, scenario, checkpoint);
    await verifyAndCommit(repo, checkpoint);
  },
};

export type FloorActivities = typeof floorActivities;

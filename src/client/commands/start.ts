import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { z } from 'zod';
import { runUrl } from '../../config/connection';
import { InvalidInputError } from '../../model/errors';
import { loadPlanFile } from '../../model/planFile';
import { slugify } from '../../model/request';
import { loadSeedSession } from '../../model/seedSession';
import { parseBuildRequest, startBuild } from '../builds';
import { type Command, parseOptions, print, printJson } from '../cli';
import { withClient } from '../connect';
import { agentFlags, agentFromFlags, agentOptions, agentSpec } from '../agentFlags';
import { followBuild } from '../follow';
import { warnIfNoWorker } from '../workers';
import { pushFlag, pushFromFlags, pushOption, pushSpec } from '../pushFlags';
import { policyFlags, policyOptions, policyFromFlags, policySpec } from '../policyFlags';
import { deliverFlag, deliverOption, deliverSpec, withRepoConfig } from '../repoConfigFlags';
import { gateFlag, gateOf, gateOption, gateSpec } from '../gateFlags';

const Options = z
  .object({
    plan: z.string().optional(),
    session: z.string().optional(),
    'sessions-dir': z.string().optional(),
    checkpoint: z.string().optional(),
    'task-group': z.string().optional(),
    repo: z.string().default('.'),
    label: z.string().optional(),
    base: z.string().optional(),
    ...agentFlags,
    wait: z.boolean().default(false),
    json: z.boolean().default(false),
    ...pushFlag,
    ...policyFlags,
    ...deliverFlag,
    ...gateFlag,
  })
  .refine((o) => Boolean(o.plan) !== Boolean(o.session), { message: 'give exactly one of --plan FILE or --session ID', path: ['plan'] })
  .refine((o) => !o.checkpoint || o.session, { message: '--checkpoint goes with --session', path: ['checkpoint'] })
  .refine((o) => !o['task-group'] || o.session, { message: '--task-group goes with --session and --checkpoint', path: ['taskGroup'] })
  .refine((o) => o.agent !== 'command' || o['agent-command'], { message: '--agent command needs --agent-command "<program> <args>"', path: ['agentCommand'] });

export const start: Command = {
  name: 'start',
  summary: 'Start a build now: a plan file, or a seed-001 session directory.',
  usage: 'nightshift start (--plan FILE | --session ID [--checkpoint N [--task-group X.Y]]) [--repo DIR] [options]',
  help: `
Options:
  --plan FILE             plan.json: checkpoints -> task groups -> tasks (docs/plan-format.md)
  --session ID            run agents/sessions/ID/plan.json (state.json must say the plan is finalized)
  --sessions-dir DIR      where sessions live (default: <repo>/agents/sessions)
  --checkpoint N          with --session: run only checkpoint N
  --task-group X.Y        with --checkpoint: run only that task group
  --repo DIR              the git repository to build in (default: .); your checkout is never touched:
                          the build works in its own worktree on branch nightshift/<label>
  --label L               build label (default: from the plan title, or the session id)
  --base REF              branch the build from REF (default: the repo's HEAD)
${agentOptions}
${pushOption}
${policyOptions}
${deliverOption}
${gateOption}
  --wait                  follow the build live until it finishes or needs you
  --json                  print {label, workflowId, runId, url} (and the final status with --wait)

Examples:
  nightshift start --plan plan.json --repo ~/src/app --label auth
  nightshift start --session 2026-11-01-auth --repo ~/src/app --checkpoint 2
  nightshift start --plan plan.json --agent command --agent-command "my-agent --prompt {prompt_file}"`,
  async run(argv) {
    const { options: o, positionals } = parseOptions('start', argv, specOf(), Options);
    if (positionals.length > 0) {
      throw new InvalidInputError(`unexpected arguments: ${positionals.join(' ')}`, undefined, 'Durations take a unit with no space (4h, 30m); quote values with spaces.');
    }
    const repo = resolve(o.repo);
    if (spawnSync('git', ['-C', repo, 'rev-parse', '--git-dir']).status !== 0) {
      throw new InvalidInputError(`${repo} is not a git repository`, '--repo', 'Point --repo at the repository the agent should work in.');
    }
    const seed = o.session
      ? loadSeedSession(repo, o.session, {
          ...(o['sessions-dir'] ? { sessionsDir: resolve(o['sessions-dir']) } : {}),
          ...(o.checkpoint ? { checkpoint: o.checkpoint } : {}),
          ...(o['task-group'] ? { taskGroup: o['task-group'] } : {}),
        })
      : undefined;
    const plan = seed?.plan ?? loadPlanFile(o.plan as string);
    const label = o.label ?? (o.session ? slugify(o.session) : slugify(plan.title));
    const configured = withRepoConfig(repo, argv, {
      plan,
      ...(o.deliver ? { deliver: o.deliver } : {}),
      agent: agentFromFlags(o),
    });
    const request = parseBuildRequest(
      {
        label,
        repo,
        ...(o.base ? { baseRef: o.base } : {}),
        ...configured,
        plan: configured.plan ?? plan,
        policy: policyFromFlags(o),
        ...gateOf(repo, o.gate),
        ...pushFromFlags(o),
        ...(seed ? { sessionDir: seed.sessionDir, completed: seed.completed, ...(seed.only ? { only: seed.only } : {}) } : {}),
      },
      '--label',
    );
    return withClient(async ({ client, namespace }) => {
      const handle = await startBuild(client, request);
      await warnIfNoWorker(client, namespace);
      const url = runUrl(namespace, handle.workflowId, handle.firstExecutionRunId);
      if (!o.json) {
        print(`Started build ${label}: ${handle.workflowId}`);
        print(`  branch nightshift/${label} of ${repo}`);
        print(`  Web UI: ${url}`);
        print(`  follow: nightshift status ${label} · nightshift logs ${label} -f`);
      }
      if (!o.wait) {
        if (o.json) printJson({ label, workflowId: handle.workflowId, runId: handle.firstExecutionRunId, url });
        return 0;
      }
      // With --json, stdout carries only the JSON document; live progress goes to stderr.
      const final = await followBuild(client, label, 500, o.json ? (l) => process.stderr.write(`${l}\n`) : undefined);
      if (o.json) printJson({ label, workflowId: handle.workflowId, runId: handle.firstExecutionRunId, url, status: final });
      return final.status === 'completed' ? 0 : final.status === 'awaiting-human' ? 3 : 1;
    });
  },
};

function specOf() {
  return {
    plan: { type: 'string' },
    session: { type: 'string' },
    'sessions-dir': { type: 'string' },
    checkpoint: { type: 'string' },
    'task-group': { type: 'string' },
    repo: { type: 'string' },
    label: { type: 'string' },
    base: { type: 'string' },
    ...agentSpec,
    wait: { type: 'boolean' },
    json: { type: 'boolean' },
    ...pushSpec,
    ...policySpec,
    ...deliverSpec,
    ...gateSpec,
  } as const;
}

import type { InjectedSinks } from '@temporalio/worker';
import { recordProgress } from '../activities/files/files';
import { HomeLayout } from '../activities/paths';
import type { BuildFileSinks } from '../workflows/build/fileSink';

/** The worker's side of the workflows' sinks: a build's files under `home` (not called while replaying). */
export function fileSinks(home: string): InjectedSinks<BuildFileSinks> {
  const layout = new HomeLayout(home);
  return { buildFiles: { record: { fn: (_info, input) => recordProgress(layout, input), callDuringReplay: false } } };
}

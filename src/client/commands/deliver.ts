import { z } from 'zod';
import { InvalidInputError } from '../../model/errors';
import { deliveryLine } from '../../model/delivery';
import { type Command, parseOptions, print, printJson } from '../cli';
import { withClient } from '../connect';
import { deliverAgain } from '../delivery';

const Options = z.object({ json: z.boolean().default(false) });

export const deliver: Command = {
  name: 'deliver',
  summary: 'Deliver a completed build again (its pull request or --deliver command), e.g. after a failure.',
  usage: 'nightshift deliver LABEL [--json]',
  help: `
A completed build is delivered once by itself: a pull request from nightshift/<label> to its base
branch when gh is installed and logged in and the repository has a GitHub remote (a draft when a person
overrode or skipped part of it), or the --deliver command (or .nightshift/config.json "deliver"), which
reads the build's summary as JSON on stdin. A failed delivery never fails the build; this runs it again
(the workflow deliver-<label>) and prints the URL. \`nightshift status LABEL\` shows the latest delivery.

Options:
  --json   print the delivery: {state, via, url, draft, error, at}

Exit codes: 0 delivered, 1 the delivery failed or had nothing to deliver with.`,
  async run(argv) {
    const { options, positionals } = parseOptions('deliver', argv, { json: { type: 'boolean' } } as const, Options);
    const [label, ...rest] = positionals;
    if (!label || rest.length > 0) throw new InvalidInputError('give one build LABEL', undefined, 'Usage: nightshift deliver LABEL');
    return withClient(async ({ client }) => {
      const d = await deliverAgain(client, label);
      if (options.json) printJson(d);
      else print(`${label}: ${deliveryLine(d) ?? 'not delivered'}`);
      return d.state === 'delivered' ? 0 : 1;
    });
  },
};

import { parseDevNoteLine } from '../model/devNote';
import { emptyParsedOutput, type OutputParser, type ParsedOutput } from './types';

const MAX_LINE = 4000;

/** Plain-text output: DevNote lines, the completion promise tag, and the last meaningful line. */
export function textParser(completionPromise: string): OutputParser {
  const out: ParsedOutput = emptyParsedOutput();
  const tag = `<promise>${completionPromise}</promise>`;
  return {
    line(text) {
      const line = text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}…` : text;
      const note = parseDevNoteLine(line);
      if (note) out.devNotes.push(note);
      if (text.includes(tag)) out.promiseSeen = true;
      if (line.trim()) out.lastLine = line.trim();
    },
    result: () => out,
  };
}

import { InvalidInputError } from '../../../src/model/errors';
import { QueueEntrySchema, loopTaskText, newQueueEntry } from '../../../src/model/queueEntry';

const base = {
  name: 'Spotify Integration',
  description: 'Build Spotify playlist automation with OAuth',
  addedAt: '2026-02-06T15:00:00.000Z',
  repo: '/work/repo',
  kind: 'loop' as const,
};

describe('queue entries', () => {
  it('derives the label from the name and fills the defaults', () => {
    const entry = newQueueEntry(base);
    expect(entry).toEqual({
      ...base,
      label: 'spotify-integration',
      priority: 'high',
      criteria: [],
      blockers: [],
      risky: false,
      approved: false,
    });
  });

  it('keeps a label the person chose and the add_build_task fields', () => {
    const entry = newQueueEntry({
      ...base,
      label: 'spotify-v2',
      priority: 'medium',
      estimate: '4 hours',
      tech: 'Python, Spotify API, OAuth2',
      criteria: ['  OAuth flow working '],
    });
    expect(entry).toMatchObject({
      label: 'spotify-v2',
      priority: 'medium',
      estimate: '4 hours',
      tech: 'Python, Spotify API, OAuth2',
    });
    expect(entry.criteria).toEqual(['OAuth flow working']);
  });

  it('slugifies names with punctuation and emoji into a valid label', () => {
    expect(newQueueEntry({ ...base, name: '🚀 Build: Spotify/Workout Playlist!' }).label).toBe(
      'build-spotify-workout-playlist',
    );
  });

  it.each([
    [{ label: 'Not A Label' }, /label/],
    [{ addedAt: '2026-02-06 15:00' }, /addedAt: expected an ISO 8601 timestamp/],
    [{ priority: 'urgent' }, /priority/],
    [{ kind: 'plan' }, /plan: an entry of kind "plan" needs a plan/],
    [{ name: '   ' }, /name: expected a non-empty name/],
    [{ repo: '' }, /repo: expected a repository path/],
  ])('refuses %j with the field named', (patch, message) => {
    const attempt = () => newQueueEntry({ ...base, ...(patch as object) } as typeof base);
    expect(attempt).toThrow(InvalidInputError);
    expect(attempt).toThrow(message);
  });

  it('accepts a plan entry with a plan and keeps the plan as given', () => {
    const plan = { title: 'x', checkpoints: [] };
    expect(newQueueEntry({ ...base, kind: 'plan', plan }).plan).toBe(plan);
  });

  it('accepts offsets in addedAt', () => {
    expect(
      QueueEntrySchema.safeParse({ ...base, label: 'x', addedAt: '2026-02-06T09:00:00-06:00' }).success,
    ).toBe(true);
  });

  it('gives a loop its task: the explicit one, else the description, else the name', () => {
    expect(loopTaskText({ name: 'N', description: 'D', loopTask: 'L' })).toBe('L');
    expect(loopTaskText({ name: 'N', description: 'D' })).toBe('D');
    expect(loopTaskText({ name: 'N', description: '' })).toBe('N');
  });
});

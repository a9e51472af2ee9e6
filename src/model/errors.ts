/**
 * User-facing errors. Each carries a stable code, the offending field or file when there is one,
 * and a suggestion that says what to do. The CLI's one error reporter turns them into messages and
 * exit codes; nothing user-facing prints a stack trace.
 */
export class NightshiftError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly suggestion?: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: a flag, a file, a plan. Exit code 2, like a usage error. */
export class InvalidInputError extends NightshiftError {
  constructor(
    message: string,
    readonly where?: string,
    suggestion?: string,
  ) {
    super(where ? `${where}: ${message}` : message, 'invalid-input', suggestion, 2);
  }
}

/** A plan (or other document) that does not match its schema; one line per problem. */
export class InvalidDocumentError extends NightshiftError {
  constructor(
    readonly file: string,
    readonly problems: string[],
    suggestion?: string,
  ) {
    super(`${file} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`, 'invalid-document', suggestion, 2);
  }
}

export class NotFoundError extends NightshiftError {
  constructor(message: string, suggestion?: string) {
    super(message, 'not-found', suggestion, 3);
  }
}

/** The request is valid but the build is not in a state where it can be honoured. */
export class ConflictError extends NightshiftError {
  constructor(message: string, suggestion?: string) {
    super(message, 'conflict', suggestion, 4);
  }
}

export class EnvironmentError extends NightshiftError {
  constructor(message: string, suggestion?: string) {
    super(message, 'environment', suggestion, 5);
  }
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { freePort } from '../../../src/server/ports';

/**
 * A scripted Gemini API endpoint for the real Gemini CLI: Node http on 127.0.0.1, a free port per
 * test. `POST /v1beta/models/<model>:generateContent` and `:streamGenerateContent?alt=sse` are
 * answered from the script, one reply per request, in the API's format (candidates with text and
 * `functionCall` parts for gemini-cli's own tools such as write_file, replace, run_shell_command;
 * `usageMetadata`). Gemini-cli's side requests (model routing, next-speaker checks: they ask for a
 * JSON schema) are answered with a minimal object and do not use the script. Every request is recorded.
 */

/** One of gemini-cli's tools: `write_file {file_path, content}`, `replace`, `run_shell_command {command}`... */
export interface FunctionCall {
  name: string;
  args: Record<string, unknown>;
}

export interface TurnUsage {
  promptTokenCount: number;
  candidatesTokenCount: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
}

/** A model turn: some text, then tool calls (gemini runs them and asks again) or none (the answer). */
export interface Turn {
  text?: string;
  calls?: FunctionCall[];
  usage?: TurnUsage;
}

export type Failure =
  /** 401 UNAUTHENTICATED. */
  | { fail: 401 }
  /**
   * 429 RESOURCE_EXHAUSTED as the API sends a quota gemini-cli does not retry (`limit: 0`), with a
   * `retry-after` header and "Please retry in Ns." in the message.
   */
  | { fail: 429; retryAfterSeconds: number }
  | { fail: 500 }
  /** Headers sent, then nothing, ever (until the test closes the endpoint). */
  | { fail: 'hang' }
  /** A 200 event stream whose event is not JSON. */
  | { fail: 'malformed' };

export type Reply = Turn | Failure;

export interface Content {
  role?: string;
  parts?: { text?: string; functionCall?: FunctionCall; functionResponse?: { name: string; response: unknown } }[];
}

export interface GenerateBody {
  contents: Content[];
  systemInstruction?: unknown;
  tools?: { functionDeclarations?: { name: string }[] }[];
  generationConfig?: { responseJsonSchema?: unknown; responseSchema?: unknown; responseMimeType?: string };
}

export interface RecordedRequest {
  n: number;
  /** When it arrived (ms since the epoch). */
  at: number;
  model: string;
  stream: boolean;
  headers: IncomingMessage['headers'];
  body: GenerateBody;
  /** A side request (routing, next speaker): answered without the script. */
  side: boolean;
}

export type Script = Reply[] | ((request: RecordedRequest) => Reply);

export const DEFAULT_USAGE: TurnUsage = { promptTokenCount: 1000, candidatesTokenCount: 100 };

export class GeminiEndpoint {
  readonly requests: RecordedRequest[] = [];
  /** Turns answered in full (failures not counted), with their usage: what gemini should report. */
  readonly served: { model: string; usage: TurnUsage }[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private script: Script;
  private scripted = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    script: Script,
    private readonly apiKey: string | undefined,
  ) {
    this.script = script;
  }

  /** With `apiKey`, a request with another `x-goog-api-key` gets the API's answer to a bad key (400 API_KEY_INVALID). */
  static async start(script: Script = [], options: { apiKey?: string } = {}): Promise<GeminiEndpoint> {
    const port = await freePort();
    const server = createServer();
    const endpoint = new GeminiEndpoint(server, `http://127.0.0.1:${port}`, script, options.apiKey);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => endpoint.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return endpoint;
  }

  /** The requests the script answered (side requests left out). */
  get main(): RecordedRequest[] {
    return this.requests.filter((r) => !r.side);
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const [path = '', query = ''] = (req.url ?? '/').split('?');
      const m = /^\/v1beta\/models\/([^:/]+):(generateContent|streamGenerateContent)$/.exec(path);
      if (req.method !== 'POST' || !m) {
        sendError(res, 404, 'NOT_FOUND', `the scripted endpoint serves POST /v1beta/models/<model>:generateContent, not ${req.method} ${path}`);
        return;
      }
      let body: GenerateBody;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as GenerateBody;
      } catch {
        sendError(res, 400, 'INVALID_ARGUMENT', 'body is not JSON');
        return;
      }
      const config = body.generationConfig ?? {};
      const request: RecordedRequest = {
        n: this.requests.length + 1,
        at: Date.now(),
        model: m[1] as string,
        stream: m[2] === 'streamGenerateContent' && /(?:^|&)alt=sse\b/.test(query),
        headers: req.headers,
        body,
        side: config.responseJsonSchema !== undefined || config.responseSchema !== undefined,
      };
      this.requests.push(request);
      // Refused requests are recorded too: a test counts what the agent sent.
      if (this.apiKey !== undefined && req.headers['x-goog-api-key'] !== this.apiKey) {
        sendError(res, 400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', {}, [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
        ]);
        return;
      }
      if (request.side) {
        this.reply(res, request, { text: JSON.stringify(sideAnswer(config.responseJsonSchema ?? config.responseSchema)), usage: { promptTokenCount: 0, candidatesTokenCount: 0 } });
        return;
      }
      this.reply(res, request, this.next(request));
    });
  }

  private next(request: RecordedRequest): Reply {
    this.scripted += 1;
    if (typeof this.script === 'function') return this.script(request);
    // Past the end of the script the model has nothing more to do.
    return this.script[this.scripted - 1] ?? { text: 'Nothing left to do.' };
  }

  private reply(res: ServerResponse, request: RecordedRequest, reply: Reply): void {
    if ('fail' in reply) {
      switch (reply.fail) {
        case 401:
          return sendError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
        case 429:
          return sendError(
            res,
            429,
            'RESOURCE_EXHAUSTED',
            `You exceeded your current quota, please check your plan and billing details. * Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0, model: ${request.model}\nPlease retry in ${reply.retryAfterSeconds}s.`,
            { 'retry-after': String(reply.retryAfterSeconds) },
          );
        case 500:
          return sendError(res, 500, 'INTERNAL', 'Internal error encountered.');
        case 'hang':
          this.hanging.add(res);
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.flushHeaders();
          return;
        case 'malformed':
          res.writeHead(200, { 'content-type': request.stream ? 'text/event-stream' : 'application/json' });
          res.end(request.stream ? 'data: {"candidates": [not json\n\n' : '{"candidates": [not json');
          return;
      }
    }
    const usage = reply.usage ?? DEFAULT_USAGE;
    if (!request.side) this.served.push({ model: request.model, usage });
    const parts: Record<string, unknown>[] = [];
    if (reply.text !== undefined) parts.push({ text: reply.text });
    for (const call of reply.calls ?? []) parts.push({ functionCall: call });
    const usageMetadata = {
      ...usage,
      totalTokenCount: usage.promptTokenCount + usage.candidatesTokenCount + (usage.thoughtsTokenCount ?? 0),
    };
    const response = (p: Record<string, unknown>[], last: boolean) => ({
      candidates: [{ content: { role: 'model', parts: p }, ...(last ? { finishReason: 'STOP' } : {}), index: 0 }],
      ...(last ? { usageMetadata } : {}),
      modelVersion: request.model,
      responseId: `scripted-${request.n}`,
    });
    if (!request.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(response(parts, true)));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    // Text in two chunks, as a real stream splits it; calls and usage come with the last.
    const text = reply.text ?? '';
    const half = Math.ceil(text.length / 2);
    if (half > 0) res.write(`data: ${JSON.stringify(response([{ text: text.slice(0, half) }], false))}\r\n\r\n`);
    const rest = [...(text.slice(half) ? [{ text: text.slice(half) }] : []), ...parts.filter((p) => !('text' in p))];
    res.end(`data: ${JSON.stringify(response(rest, true))}\r\n\r\n`);
  }
}

function sendError(res: ServerResponse, code: number, status: string, message: string, headers: Record<string, string> = {}, details: unknown[] = []): void {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { code, message, status, ...(details.length > 0 ? { details } : {}) } }));
}

/** The smallest object a JSON schema accepts, preferring "user" where a choice is offered (the next speaker). */
function sideAnswer(schema: unknown): unknown {
  const s = (schema ?? {}) as { type?: string; properties?: Record<string, unknown>; enum?: unknown[] };
  const type = (s.type ?? 'object').toLowerCase();
  if (s.enum) return s.enum.includes('user') ? 'user' : s.enum[0];
  if (type === 'object') return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, sideAnswer(v)]));
  if (type === 'integer' || type === 'number') return 10;
  if (type === 'boolean') return false;
  if (type === 'array') return [];
  return 'scripted';
}

/** Text of the user's prompt (the last user text part that is not gemini's own session context). */
export function promptText(request: RecordedRequest): string {
  const texts = request.body.contents
    .filter((c) => c.role === 'user')
    .flatMap((c) => c.parts ?? [])
    .map((p) => p.text)
    .filter((t): t is string => typeof t === 'string' && !t.startsWith('<session_context>'));
  return texts[texts.length - 1] ?? '';
}

/** How many tool results the conversation holds: 0 for a fresh prompt, one more after each tool round. */
export function toolRounds(request: RecordedRequest): number {
  return request.body.contents.filter((c) => (c.parts ?? []).some((p) => p.functionResponse)).length;
}

/** The tool results of the last round, as the model sees them. */
export function lastToolResults(request: RecordedRequest): string[] {
  const last = request.body.contents[request.body.contents.length - 1];
  return (last?.parts ?? []).filter((p) => p.functionResponse).map((p) => JSON.stringify(p.functionResponse?.response));
}

/** The names of the tools gemini offered the model. */
export function toolNames(request: RecordedRequest): string[] {
  return (request.body.tools ?? []).flatMap((t) => (t.functionDeclarations ?? []).map((f) => f.name));
}

/** What the Gemini API charges for served turns at a price in USD per million tokens (thinking is output). */
export function geminiCost(usages: TurnUsage[], price: { input: number; cachedInput: number; output: number }): number {
  let total = 0;
  for (const u of usages) {
    const cached = u.cachedContentTokenCount ?? 0;
    total += (u.promptTokenCount - cached) * price.input + cached * price.cachedInput + (u.candidatesTokenCount + (u.thoughtsTokenCount ?? 0)) * price.output;
  }
  return total / 1e6;
}

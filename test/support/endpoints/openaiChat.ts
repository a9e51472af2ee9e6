import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { freePort } from '../../../src/server/ports';

/**
 * A scripted OpenAI Chat Completions endpoint for the real Aider: Node http on 127.0.0.1, a free port
 * per test. `POST /v1/chat/completions` is answered from the script, one reply per request, streamed
 * (SSE chunks, usage in the last when asked) or not, with `usage`. Aider edits files through its edit
 * formats in plain text (`wholeFile` builds a whole-file block), not tool calls. Every request is recorded.
 */

export interface TurnUsage {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens?: number;
}

export interface Turn {
  text: string;
  usage?: TurnUsage;
}

export type Failure =
  /** 401 invalid_api_key, as the API answers a bad key. */
  | { fail: 401 }
  /**
   * 429 rate_limit_exceeded with `retry-after` and `x-ratelimit-reset-requests` headers and "Please try
   * again in Ns." in the message. `clientRetryMs` sets `retry-after-ms`, which the OpenAI SDK honours
   * for its own two quick retries (the default is the SDK's backoff).
   */
  | { fail: 429; retryAfterSeconds: number; clientRetryMs?: number }
  | { fail: 500 }
  /** Headers sent, then nothing, ever (until the test closes the endpoint). */
  | { fail: 'hang' }
  /** A 200 response whose body is not JSON. */
  | { fail: 'malformed' };

export type Reply = Turn | Failure;

export interface ChatBody {
  model: string;
  messages: { role: string; content: unknown }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

export interface RecordedRequest {
  n: number;
  /** When it arrived (ms since the epoch). */
  at: number;
  headers: IncomingMessage['headers'];
  body: ChatBody;
}

export type Script = Reply[] | ((request: RecordedRequest) => Reply);

export const DEFAULT_USAGE: TurnUsage = { prompt_tokens: 900, completion_tokens: 60 };

export class OpenAIChatEndpoint {
  readonly requests: RecordedRequest[] = [];
  /** Turns answered in full (failures not counted), with their usage. */
  readonly served: TurnUsage[] = [];
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    /** The API base aider gets as OPENAI_API_BASE (`.../v1`). */
    readonly baseUrl: string,
    private script: Script,
    private readonly apiKey: string | undefined,
  ) {}

  /** With `apiKey`, a request without `Authorization: Bearer <apiKey>` gets a 401, as from the real API. */
  static async start(script: Script = [], options: { apiKey?: string } = {}): Promise<OpenAIChatEndpoint> {
    const port = await freePort();
    const server = createServer();
    const endpoint = new OpenAIChatEndpoint(server, `http://127.0.0.1:${port}/v1`, script, options.apiKey);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => endpoint.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return endpoint;
  }

  /** Replaces the script; requests already answered stay recorded. */
  setScript(script: Script): void {
    this.script = script;
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
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'POST' || path !== '/v1/chat/completions') {
        sendError(res, 404, 'invalid_request_error', null, `the scripted endpoint serves POST /v1/chat/completions, not ${req.method} ${path}`);
        return;
      }
      let body: ChatBody;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatBody;
      } catch {
        sendError(res, 400, 'invalid_request_error', null, 'body is not JSON');
        return;
      }
      const request: RecordedRequest = { n: this.requests.length + 1, at: Date.now(), headers: req.headers, body };
      this.requests.push(request);
      // Refused requests are recorded too: a test counts what the agent sent.
      if (this.apiKey !== undefined && req.headers.authorization !== `Bearer ${this.apiKey}`) {
        this.unauthorized(res, req.headers.authorization);
        return;
      }
      this.reply(res, request, this.next(request));
    });
  }

  private next(request: RecordedRequest): Reply {
    if (typeof this.script === 'function') return this.script(request);
    return this.script[request.n - 1] ?? { text: 'Nothing left to do.' };
  }

  private unauthorized(res: ServerResponse, authorization: string | undefined): void {
    const key = (authorization ?? '').replace(/^Bearer\s+/, '');
    sendError(res, 401, 'invalid_request_error', 'invalid_api_key', `Incorrect API key provided: ${key.slice(0, 3)}***${key.slice(-2)}. You can find your API key at https://platform.openai.com/account/api-keys.`);
  }

  private reply(res: ServerResponse, request: RecordedRequest, reply: Reply): void {
    if ('fail' in reply) {
      switch (reply.fail) {
        case 401:
          return this.unauthorized(res, request.headers.authorization);
        case 429:
          return sendError(res, 429, 'requests', 'rate_limit_exceeded', `Rate limit reached for ${request.body.model} on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in ${reply.retryAfterSeconds}s.`, {
            'retry-after': String(reply.retryAfterSeconds),
            'x-ratelimit-limit-requests': '3',
            'x-ratelimit-remaining-requests': '0',
            'x-ratelimit-reset-requests': `${reply.retryAfterSeconds}s`,
            ...(reply.clientRetryMs !== undefined ? { 'retry-after-ms': String(reply.clientRetryMs) } : {}),
          });
        case 500:
          return sendError(res, 500, 'server_error', null, 'The server had an error while processing your request.');
        case 'hang':
          this.hanging.add(res);
          res.writeHead(200, { 'content-type': request.body.stream ? 'text/event-stream' : 'application/json' });
          res.flushHeaders();
          return;
        case 'malformed':
          res.writeHead(200, { 'content-type': request.body.stream ? 'text/event-stream' : 'application/json' });
          res.end(request.body.stream ? 'data: {"choices": [not json\n\n' : '{"choices": [not json');
          return;
      }
    }
    const u = reply.usage ?? DEFAULT_USAGE;
    this.served.push(u);
    const usage = {
      prompt_tokens: u.prompt_tokens,
      completion_tokens: u.completion_tokens,
      total_tokens: u.prompt_tokens + u.completion_tokens,
      prompt_tokens_details: { cached_tokens: u.cached_tokens ?? 0 },
    };
    const base = { id: `chatcmpl-scripted-${request.n}`, created: Math.floor(Date.now() / 1000), model: request.body.model };
    if (!request.body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: reply.text }, finish_reason: 'stop' }], usage }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (data: Record<string, unknown>) => res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', ...data })}\n\n`);
    const half = Math.ceil(reply.text.length / 2);
    chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: reply.text.slice(0, half) }, finish_reason: null }] });
    chunk({ choices: [{ index: 0, delta: { content: reply.text.slice(half) }, finish_reason: null }] });
    chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    if (request.body.stream_options?.include_usage) chunk({ choices: [], usage });
    res.end('data: [DONE]\n\n');
  }
}

function sendError(res: ServerResponse, status: number, type: string, code: string | null, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message, type, param: null, code } }));
}

/** A file in aider's whole-file edit format: the path, then the complete new content in a fence. */
export function wholeFile(path: string, content: string): string {
  return `${path}\n\`\`\`\n${content.endsWith('\n') ? content : `${content}\n`}\`\`\``;
}

/** The user's text of the request's last user message (aider's prompt for this exchange). */
export function lastUserText(request: RecordedRequest): string {
  const user = [...request.body.messages].reverse().find((m) => m.role === 'user');
  if (!user) return '';
  return typeof user.content === 'string' ? user.content : JSON.stringify(user.content);
}

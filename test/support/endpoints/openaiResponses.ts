import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { freePort } from '../../../src/server/ports';

/**
 * A scripted OpenAI Responses endpoint for the real Codex CLI: Node http on 127.0.0.1, a free port
 * per test. `POST /v1/responses` is answered from the script, one reply per request, as the real
 * API streams it (SSE: response.created, response.output_item.added / output_text.delta /
 * output_item.done per item, response.completed with usage). Codex 0.171.0 offers the model
 * `exec_command` (a function: `{"cmd": "..."}`) and, for models it knows, `apply_patch` (a freeform
 * custom tool); a reply can call either. Every request is recorded. Codex's WebSocket attempt
 * (`GET /v1/responses`, only with the built-in provider) is refused so that it falls back to HTTP.
 */

export type ToolCall =
  /** codex's shell tool: the command runs in the session's working directory. */
  | { exec: string }
  /** codex's patch tool, in its own format (`*** Begin Patch` ... `*** End Patch`). */
  | { patch: string };

export interface TurnUsage {
  input_tokens: number;
  cached_tokens?: number;
  output_tokens: number;
}

/** One model response: tool calls (codex runs them and asks again) or a final message. */
export interface Turn {
  text?: string;
  calls?: ToolCall[];
  usage?: TurnUsage;
}

export type Failure =
  /** 401 Unauthorized, as the API answers a bad or missing key. */
  | { fail: 401 }
  /** A per-minute rate limit: `retry-after` and `x-ratelimit-reset-*` headers. */
  | { fail: 429; retryAfterSeconds: number }
  /** A plan's usage limit (ChatGPT sign-in): the body says when it resets. */
  | { fail: 'usage-limit'; resetsInSeconds: number }
  | { fail: 500 }
  /** Headers sent, then nothing, ever (until the test closes the endpoint). */
  | { fail: 'hang' }
  /** A 200 event stream whose event is not JSON. */
  | { fail: 'malformed' };

export type Reply = Turn | Failure;

export interface InputItem {
  type?: string;
  role?: string;
  content?: unknown;
  call_id?: string;
  output?: unknown;
  name?: string;
  arguments?: string;
  input?: string;
}

export interface ResponsesBody {
  model: string;
  input: InputItem[];
  tools?: { type: string; name?: string }[];
  stream?: boolean;
}

export interface RecordedRequest {
  n: number;
  headers: IncomingMessage['headers'];
  body: ResponsesBody;
}

export type Script = Reply[] | ((request: RecordedRequest) => Reply);

export const DEFAULT_USAGE: TurnUsage = { input_tokens: 1000, cached_tokens: 0, output_tokens: 100 };

export class OpenAIResponsesEndpoint {
  readonly requests: RecordedRequest[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private script: Script;

  private constructor(
    private readonly server: Server,
    /** The base URL a provider's `base_url` takes: `http://127.0.0.1:PORT/v1`. */
    readonly baseUrl: string,
    script: Script,
    private readonly apiKey: string | undefined,
  ) {
    this.script = script;
  }

  /** With `apiKey`, a request without `Authorization: Bearer <apiKey>` gets a 401, as from the real API. */
  static async start(script: Script = [], options: { apiKey?: string } = {}): Promise<OpenAIResponsesEndpoint> {
    const port = await freePort();
    const ready: { endpoint?: OpenAIResponsesEndpoint } = {};
    const server = createServer((req, res) => ready.endpoint?.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    ready.endpoint = new OpenAIResponsesEndpoint(server, `http://127.0.0.1:${port}/v1`, script, options.apiKey);
    return ready.endpoint;
  }

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
      if (req.method !== 'POST' || path !== '/v1/responses') {
        sendError(res, 404, 'not_found', `the scripted endpoint serves POST /v1/responses, not ${req.method} ${path}`);
        return;
      }
      let body: ResponsesBody;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ResponsesBody;
      } catch {
        sendError(res, 400, 'invalid_request_error', 'body is not JSON');
        return;
      }
      const request: RecordedRequest = { n: this.requests.length + 1, headers: req.headers, body };
      this.requests.push(request);
      if (this.apiKey !== undefined && req.headers.authorization !== `Bearer ${this.apiKey}`) {
        const message = req.headers.authorization ? 'Incorrect API key provided.' : 'Missing bearer or basic authentication in header';
        sendError(res, 401, 'invalid_request_error', message, {}, 'invalid_api_key');
        return;
      }
      this.reply(res, request, this.next(request));
    });
  }

  private next(request: RecordedRequest): Reply {
    if (typeof this.script === 'function') return this.script(request);
    // Past the end of the script the model has nothing more to do.
    return this.script[request.n - 1] ?? { text: 'Nothing left to do.' };
  }

  private reply(res: ServerResponse, request: RecordedRequest, reply: Reply): void {
    if ('fail' in reply) {
      switch (reply.fail) {
        case 401:
          return sendError(res, 401, 'invalid_request_error', 'Incorrect API key provided.', {}, 'invalid_api_key');
        case 429:
          return sendError(res, 429, 'requests', `Rate limit reached for requests. Please try again in ${reply.retryAfterSeconds}s.`, {
            'retry-after': String(reply.retryAfterSeconds),
            'x-ratelimit-limit-requests': '500',
            'x-ratelimit-remaining-requests': '0',
            'x-ratelimit-reset-requests': `${reply.retryAfterSeconds}s`,
            'x-ratelimit-reset-tokens': `${reply.retryAfterSeconds}s`,
          }, 'rate_limit_exceeded');
        case 'usage-limit': {
          const resetsAt = Math.floor(Date.now() / 1000) + reply.resetsInSeconds;
          res.writeHead(429, {
            'content-type': 'application/json',
            'x-codex-primary-used-percent': '100',
            'x-codex-primary-window-minutes': '300',
            'x-codex-primary-reset-at': String(resetsAt),
            'x-codex-primary-reset-after-seconds': String(reply.resetsInSeconds),
          });
          res.end(
            JSON.stringify({
              error: { type: 'usage_limit_reached', message: 'The usage limit has been reached', plan_type: 'plus', resets_at: resetsAt, resets_in_seconds: reply.resetsInSeconds },
            }),
          );
          return;
        }
        case 500:
          return sendError(res, 500, 'server_error', 'The server had an error while processing your request.');
        case 'hang':
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(event('response.created', { response: { id: `resp_${request.n}`, status: 'in_progress' } }));
          this.hanging.add(res);
          return;
        case 'malformed':
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end('event: response.created\ndata: {"type":"response.created","response":\n\n');
          return;
      }
    }
    this.stream(res, request.n, reply);
  }

  private stream(res: ServerResponse, n: number, turn: Turn): void {
    const id = `resp_${n}`;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(event('response.created', { response: { id, status: 'in_progress', output: [] } }));
    const items = outputItems(n, turn);
    items.forEach((item, index) => {
      res.write(event('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress' } }));
      if (item.type === 'message' && turn.text !== undefined) {
        res.write(event('response.output_text.delta', { output_index: index, item_id: item.id, content_index: 0, delta: turn.text }));
      }
      res.write(event('response.output_item.done', { output_index: index, item }));
    });
    const usage = turn.usage ?? DEFAULT_USAGE;
    res.end(
      event('response.completed', {
        response: {
          id,
          status: 'completed',
          output: items,
          usage: {
            input_tokens: usage.input_tokens,
            input_tokens_details: { cached_tokens: usage.cached_tokens ?? 0 },
            output_tokens: usage.output_tokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: usage.input_tokens + usage.output_tokens,
          },
        },
      }),
    );
  }
}

type OutputItem = Record<string, unknown> & { type: string; id: string };

function outputItems(n: number, turn: Turn): OutputItem[] {
  const items: OutputItem[] = (turn.calls ?? []).map((call, i) =>
    'exec' in call
      ? { type: 'function_call', id: `fc_${n}_${i}`, call_id: `call_${n}_${i}`, name: 'exec_command', arguments: JSON.stringify({ cmd: call.exec }), status: 'completed' }
      : { type: 'custom_tool_call', id: `ctc_${n}_${i}`, call_id: `call_${n}_${i}`, name: 'apply_patch', input: call.patch, status: 'completed' },
  );
  if (turn.text !== undefined || items.length === 0) {
    items.unshift({
      type: 'message',
      id: `msg_${n}`,
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: turn.text ?? '', annotations: [] }],
    });
  }
  return items;
}

function event(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

function sendError(res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}, code: string | null = null): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message, type, param: null, code } }));
}

// ---------------------------------------------------------------------------------------------
// Reading what codex sent
// ---------------------------------------------------------------------------------------------

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : '')).join('\n');
}

/** The user messages a request carried (codex's environment context among them), oldest first. */
export function userTexts(request: RecordedRequest): string[] {
  return request.body.input.filter((i) => i.type === 'message' && i.role === 'user').map((i) => textOf(i.content));
}

/** The latest user message: the prompt of the session this request belongs to. */
export function lastUserText(request: RecordedRequest): string {
  return userTexts(request).at(-1) ?? '';
}

/** Tool results codex sent back since the latest user message: 0 means a session's first request. */
export function toolOutputsSincePrompt(request: RecordedRequest): number {
  let count = 0;
  for (const item of [...request.body.input].reverse()) {
    if (item.type === 'message' && item.role === 'user') break;
    if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') count += 1;
  }
  return count;
}

/** The text of every tool result in a request, to assert what codex's tools printed. */
export function toolOutputs(request: RecordedRequest): string[] {
  return request.body.input
    .filter((i) => i.type === 'function_call_output' || i.type === 'custom_tool_call_output')
    .map((i) => (typeof i.output === 'string' ? i.output : JSON.stringify(i.output)));
}

/** The names of the tools a request offered the model. */
export function toolNames(request: RecordedRequest): string[] {
  return (request.body.tools ?? []).map((t) => t.name ?? t.type);
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { freePort } from '../../../src/server/ports';

/**
 * A scripted Anthropic Messages endpoint for the real Claude Code CLI: Node http on 127.0.0.1, a free
 * port per test. `HEAD /` (claude's reachability probe) is answered; `POST /v1/messages` (claude adds
 * `?beta=true`) is answered from the script, one reply per request, in the real streaming format
 * (message_start, content_block_start/delta/stop for text and tool_use with input_json_delta,
 * message_delta with usage and stop_reason, message_stop), or as one JSON message when the request
 * does not stream (claude's fallback after a stream it could not read). Every request is recorded.
 */

export interface ToolCall {
  /** One of claude's own tools: Write, Bash, Edit, Read... */
  name: string;
  input: Record<string, unknown>;
}

export interface TurnUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

/** A model turn: some text, then tool calls (stop_reason `tool_use`) or none (`end_turn`). */
export interface Turn {
  text?: string;
  tools?: ToolCall[];
  usage?: TurnUsage;
}

export type Failure =
  | { fail: 401 }
  | { fail: 429; retryAfterSeconds: number }
  | { fail: 529 }
  /** Headers sent, then nothing, ever (until the test closes the endpoint). */
  | { fail: 'hang' }
  /** A 200 event stream whose first event is not JSON. */
  | { fail: 'malformed' };

export type Reply = Turn | Failure;

export interface RecordedRequest {
  n: number;
  url: string;
  headers: IncomingMessage['headers'];
  body: MessagesBody;
  /** The agent's working directory, read from claude's system prompt ("Primary working directory: ..."). */
  cwd: string | null;
  /** claude's own session id (`x-claude-code-session-id`), which `--resume` keeps. */
  sessionId: string | null;
}

export interface MessagesBody {
  model: string;
  messages: { role: string; content: unknown }[];
  system?: unknown;
  tools?: { name: string }[];
  stream?: boolean;
}

/** A list of replies in request order, or a function of the request (its session, working directory, the tools called so far). */
export type Script = Reply[] | ((request: RecordedRequest) => Reply);

export const DEFAULT_USAGE: TurnUsage = { input_tokens: 1000, output_tokens: 100 };

export class AnthropicEndpoint {
  readonly requests: RecordedRequest[] = [];
  /** Turns streamed in full (failures not counted), each with its usage: what claude should bill. */
  readonly served: TurnUsage[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private script: Script;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    script: Script,
  ) {
    this.script = script;
  }

  static async start(script: Script = []): Promise<AnthropicEndpoint> {
    const port = await freePort();
    const server = createServer();
    const endpoint = new AnthropicEndpoint(server, `http://127.0.0.1:${port}`, script);
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

  /** Text of every message a request carried, flattened: to assert a resumed session saw earlier turns. */
  static transcript(request: RecordedRequest): string {
    return JSON.stringify(request.body.messages);
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
      if (req.method === 'HEAD' || req.method === 'GET') {
        res.writeHead(200).end();
        return;
      }
      if (req.method !== 'POST' || path !== '/v1/messages') {
        sendError(res, 404, 'not_found_error', `the scripted endpoint serves POST /v1/messages, not ${req.method} ${path}`);
        return;
      }
      let body: MessagesBody;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as MessagesBody;
      } catch {
        sendError(res, 400, 'invalid_request_error', 'body is not JSON');
        return;
      }
      const header = req.headers['x-claude-code-session-id'];
      const request: RecordedRequest = {
        n: this.requests.length + 1,
        url: req.url ?? '',
        headers: req.headers,
        body,
        cwd: workingDirectory(body),
        sessionId: typeof header === 'string' ? header : null,
      };
      this.requests.push(request);
      this.reply(res, request, this.next(request));
    });
  }

  private next(request: RecordedRequest): Reply {
    if (typeof this.script === 'function') return this.script(request);
    const reply = this.script[request.n - 1];
    // Past the end of the script the model has nothing more to do.
    return reply ?? { text: 'Nothing left to do.' };
  }

  private reply(res: ServerResponse, request: RecordedRequest, reply: Reply): void {
    if ('fail' in reply) {
      switch (reply.fail) {
        case 401:
          return sendError(res, 401, 'authentication_error', 'invalid x-api-key');
        case 429: {
          const reset = new Date(Date.now() + reply.retryAfterSeconds * 1000).toISOString();
          return sendError(res, 429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', {
            'retry-after': String(reply.retryAfterSeconds),
            'anthropic-ratelimit-requests-limit': '50',
            'anthropic-ratelimit-requests-remaining': '0',
            'anthropic-ratelimit-requests-reset': reset,
            'anthropic-ratelimit-tokens-reset': reset,
            'anthropic-ratelimit-input-tokens-reset': reset,
            'anthropic-ratelimit-output-tokens-reset': reset,
          });
        }
        case 529:
          return sendError(res, 529, 'overloaded_error', 'Overloaded');
        case 'hang':
          this.hanging.add(res);
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.flushHeaders();
          return;
        case 'malformed':
          if (request.body.stream !== true) {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"type":"message","content":[{not json');
            return;
          }
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end('event: message_start\ndata: {"type":"message_start","message":{not json\n\n');
          return;
      }
    }
    this.served.push(reply.usage ?? DEFAULT_USAGE);
    // After a stream it could not read, claude asks again without streaming.
    if (request.body.stream !== true) jsonTurn(res, request, reply);
    else streamTurn(res, request, reply);
  }

  /** 1 for the first claude session that called, 2 for the next... (a resumed session keeps its number). */
  sessionNumber(request: RecordedRequest): number {
    const order = [...new Set(this.requests.map((r) => r.sessionId))];
    return order.indexOf(request.sessionId) + 1;
  }
}

function sendError(res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
  const requestId = `req_scripted_${Date.now()}`;
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId, ...headers });
  res.end(JSON.stringify({ type: 'error', error: { type, message }, request_id: requestId }));
}

function content(request: RecordedRequest, turn: Turn): Record<string, unknown>[] {
  return [
    ...(turn.text !== undefined ? [{ type: 'text', text: turn.text }] : []),
    ...(turn.tools ?? []).map((tool, i) => ({ type: 'tool_use', id: `toolu_scripted_${request.n}_${i}`, name: tool.name, input: tool.input })),
  ];
}

function jsonTurn(res: ServerResponse, request: RecordedRequest, turn: Turn): void {
  const usage = turn.usage ?? DEFAULT_USAGE;
  res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_scripted_${request.n}` });
  res.end(
    JSON.stringify({
      id: `msg_scripted_${request.n}`,
      type: 'message',
      role: 'assistant',
      model: request.body.model,
      content: content(request, turn),
      stop_reason: turn.tools && turn.tools.length > 0 ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage: { cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...usage },
    }),
  );
}

function streamTurn(res: ServerResponse, request: RecordedRequest, turn: Turn): void {
  const usage = turn.usage ?? DEFAULT_USAGE;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_scripted_${request.n}` });
  const event = (type: string, data: Record<string, unknown>): void => {
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  };
  event('message_start', {
    message: {
      id: `msg_scripted_${request.n}`,
      type: 'message',
      role: 'assistant',
      model: request.body.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
        cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
        output_tokens: 1,
      },
    },
  });
  let index = 0;
  if (turn.text !== undefined) {
    event('content_block_start', { index, content_block: { type: 'text', text: '' } });
    // Two deltas, as a real stream splits text.
    const half = Math.ceil(turn.text.length / 2);
    for (const part of [turn.text.slice(0, half), turn.text.slice(half)]) {
      if (part) event('content_block_delta', { index, delta: { type: 'text_delta', text: part } });
    }
    event('content_block_stop', { index });
    index++;
  }
  for (const [i, tool] of (turn.tools ?? []).entries()) {
    const json = JSON.stringify(tool.input);
    event('content_block_start', { index, content_block: { type: 'tool_use', id: `toolu_scripted_${request.n}_${i}`, name: tool.name, input: {} } });
    const cut = Math.floor(json.length / 2);
    event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json.slice(0, cut) } });
    event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json.slice(cut) } });
    event('content_block_stop', { index });
    index++;
  }
  const stopReason = turn.tools && turn.tools.length > 0 ? 'tool_use' : 'end_turn';
  event('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  event('message_stop', {});
  res.end();
}

function workingDirectory(body: MessagesBody): string | null {
  const m = /Primary working directory: ([^\n"\\]+)/.exec(JSON.stringify(body.system ?? ''));
  return m ? (m[1] as string).trim() : null;
}

/**
 * The tools the conversation already called, in order (`Write`, `Bash`...): the robust way to script
 * the next turn, since a resumed session also carries claude's own error notices and may clear old results.
 */
export function toolsCalled(request: RecordedRequest): string[] {
  const names: string[] = [];
  for (const m of request.body.messages) {
    if (m.role !== 'assistant' || !Array.isArray(m.content)) continue;
    for (const b of m.content as { type?: string; name?: string }[]) if (b.type === 'tool_use' && b.name) names.push(b.name);
  }
  return names;
}

/** The last user message's tool results, to script a turn on what the previous tool printed. */
export function lastToolResults(request: RecordedRequest): string[] {
  const results: string[] = [];
  const last = [...request.body.messages].reverse().find((m) => m.role === 'user');
  if (!last || !Array.isArray(last.content)) return results;
  for (const block of last.content as { type?: string; content?: unknown }[]) {
    if (block.type === 'tool_result') results.push(typeof block.content === 'string' ? block.content : JSON.stringify(block.content));
  }
  return results;
}

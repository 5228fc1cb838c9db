/**
 * A fake OpenAI API on 127.0.0.1 for the official `openai` SDK (v6): `new OpenAI({ baseURL: fake.baseUrl })`.
 *
 * Wire format, as the SDK sends/reads it (node_modules/openai/client.js, resources/chat/completions):
 * - `POST {baseURL}/chat/completions` with a JSON body (model, messages, response_format, …) and
 *   `Authorization: Bearer <apiKey>`; the SDK's default baseURL already ends in `/v1`, so both `/v1/chat/completions`
 *   and `/chat/completions` are served here.
 * - The answer is parsed as JSON only when Content-Type is application/json; `chat.completions.parse()` then
 *   JSON.parses `choices[0].message.content` for `response_format: { type: 'json_schema' }` and throws on
 *   finish_reason 'length' / 'content_filter'.
 * - Errors: any non-2xx becomes an APIError subclass by status (500 → InternalServerError …) built from
 *   `{ error: { message, type, param, code } }`. The SDK RETRIES 408/409/429/5xx and connection errors
 *   (maxRetries defaults to 2), so each injected fault consumes one HTTP request — use `maxRetries: 0` to see the
 *   first one. A request that outlives `timeout` throws APIConnectionTimeoutError (no status).
 * - `POST {baseURL}/moderations` → `{ id, model, results: [{ flagged, categories, category_scores,
 *   category_applied_input_types }] }`, one result per input string.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type OpenAI from 'openai';

export type ChatRequestBody = OpenAI.Chat.Completions.ChatCompletionCreateParams;

export interface FakeOpenAIRequest {
  path: string;
  /** The parsed JSON body (null when it was not JSON). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests poke at arbitrary request fields
  body: any;
  raw: string;
  headers: Record<string, string | string[] | undefined>;
  at: number;
}

/** Full control over one reply; a plain string is `{ content: string }`. */
export interface FakeChatReply {
  content?: string | null;
  refusal?: string | null;
  finishReason?: 'stop' | 'length' | 'content_filter' | 'tool_calls';
}

export type ChatResponder = (
  body: ChatRequestBody,
) => string | FakeChatReply | Promise<string | FakeChatReply>;

export const MODERATION_CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
] as const;
export type ModerationCategory = (typeof MODERATION_CATEGORIES)[number];

/** true flags 'harassment'; a list flags exactly those categories; false / [] flags nothing. */
export type ModerationRule = (input: string) => boolean | ModerationCategory[];

export interface FakeOpenAIOptions {
  /** When set, requests whose Bearer token differs get 401 invalid_api_key. */
  apiKey?: string;
}

export interface FakeOpenAI {
  /** e.g. `http://127.0.0.1:PORT/v1` — pass as the SDK's baseURL. */
  readonly baseUrl: string;
  /** Every request received (chat and moderations), in arrival order. */
  readonly requests: FakeOpenAIRequest[];
  /** Only the chat completion requests. */
  readonly chatRequests: FakeOpenAIRequest[];
  /** Sets the assistant content for every following chat completion. */
  respondWith(fn: ChatResponder): void;
  /** The next n chat completion requests get HTTP `status` with `body` (default: an OpenAI error object). */
  failNext(n: number, status: number, body?: unknown): void;
  /** The next n chat completion requests are never answered (until close()). */
  hangNext(n: number): void;
  /** Decides which moderation inputs are flagged (default: none). */
  flagWhen(fn: ModerationRule): void;
  /** Clears requests and faults and restores the default responder and moderation rule. */
  reset(): void;
  close(): Promise<void>;
}

const ERROR_DEFAULTS: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: 'Invalid request.', type: 'invalid_request_error', code: null },
  401: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' },
  403: { message: 'Forbidden.', type: 'invalid_request_error', code: null },
  404: { message: 'Not found.', type: 'invalid_request_error', code: null },
  429: {
    message: 'Rate limit reached. Please try again later.',
    type: 'requests',
    code: 'rate_limit_exceeded',
  },
  500: {
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    code: null,
  },
  503: {
    message: 'The engine is currently overloaded, please try again later.',
    type: 'server_error',
    code: null,
  },
};

export function openAIErrorBody(status: number, message?: string) {
  const d = ERROR_DEFAULTS[status] ?? { message: `HTTP ${status}`, type: 'api_error', code: null };
  return { error: { message: message ?? d.message, type: d.type, param: null, code: d.code } };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p: { type?: string; text?: string }) => (p && typeof p.text === 'string' ? p.text : ''))
      .join('');
  }
  return '';
}

const tokens = (s: string) => Math.ceil(s.length / 4);

/** A minimal value satisfying a JSON schema (enough for strict structured-output schemas). */
export function sampleFromSchema(schema: unknown, defs: Record<string, unknown> = {}): unknown {
  if (!schema || typeof schema !== 'object') return null;
  const s = schema as Record<string, unknown>;
  const localDefs = { ...defs, ...((s.$defs ?? s.definitions ?? {}) as Record<string, unknown>) };
  if (typeof s.$ref === 'string') {
    const name = s.$ref.split('/').pop() ?? '';
    return sampleFromSchema(localDefs[name], localDefs);
  }
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  const alts = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(alts) && alts.length > 0) return sampleFromSchema(alts[0], localDefs);
  const type = Array.isArray(s.type) ? (s.type as unknown[])[0] : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = (s.properties ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(props)) out[k] = sampleFromSchema(v, localDefs);
      return out;
    }
    case 'array': {
      const min = typeof s.minItems === 'number' ? s.minItems : 0;
      return Array.from({ length: min }, () => sampleFromSchema(s.items, localDefs));
    }
    case 'string':
      return typeof s.minLength === 'number' ? 'x'.repeat(s.minLength) : 'ok';
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return null;
  }
}

/** Default: deterministic. JSON-schema requests get a minimal conforming object; others a short sentence. */
export const defaultResponder: ChatResponder = (body) => {
  const rf = body.response_format;
  if (rf?.type === 'json_schema') return JSON.stringify(sampleFromSchema(rf.json_schema.schema));
  if (rf?.type === 'json_object') return '{}';
  const lastUser = [...body.messages].reverse().find((m) => m.role === 'user');
  const said = textOf(lastUser?.content).replace(/\s+/g, ' ').trim().slice(0, 60);
  return said ? `Got it: ${said}` : 'Got it.';
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, payload: unknown) {
  if (res.destroyed || res.writableEnded) return;
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'x-request-id': `req_${randomBytes(16).toString('hex')}`,
    'openai-processing-ms': '1',
  });
  res.end(text);
}

export async function startFakeOpenAI(opts: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  let requests: FakeOpenAIRequest[] = [];
  let responder: ChatResponder = defaultResponder;
  let moderationRule: ModerationRule = () => false;
  let failQueue: Array<{ status: number; body: unknown }> = [];
  let hangQueue = 0;
  const hanging = new Set<ServerResponse>();

  async function chat(body: ChatRequestBody, res: ServerResponse) {
    const fault = failQueue.shift();
    if (fault) return sendJson(res, fault.status, fault.body ?? openAIErrorBody(fault.status));
    if (hangQueue > 0) {
      hangQueue--;
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (!body || !Array.isArray(body.messages) || typeof body.model !== 'string') {
      return sendJson(res, 400, openAIErrorBody(400, "Missing required parameter: 'messages' or 'model'."));
    }
    const out = await responder(body);
    const reply: FakeChatReply = typeof out === 'string' ? { content: out } : out;
    const content = reply.content ?? null;
    const finishReason = reply.finishReason ?? 'stop';
    const prompt = body.messages.reduce((n, m) => n + 3 + tokens(textOf(m.content)), 3);
    const completion = tokens(content ?? reply.refusal ?? '');
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    };

    if (body.stream) {
      // Server-sent events, as the SDK's Stream reads them.
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      const chunk = (delta: object, finish: string | null, extra: object = {}) =>
        `data: ${JSON.stringify({
          id,
          object: 'chat.completion.chunk',
          created,
          model: body.model,
          system_fingerprint: 'fp_fake',
          choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
          ...extra,
        })}\n\n`;
      res.write(chunk({ role: 'assistant', content: '', refusal: null }, null));
      if (content) res.write(chunk({ content }, null));
      if (reply.refusal) res.write(chunk({ refusal: reply.refusal }, null));
      res.write(chunk({}, finishReason, body.stream_options?.include_usage ? { usage } : {}));
      res.end('data: [DONE]\n\n');
      return;
    }

    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model: body.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: reply.refusal ?? null, annotations: [] },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      usage,
      service_tier: 'default',
      system_fingerprint: 'fp_fake',
    });
  }

  function moderation(body: { input?: unknown; model?: string } | null, res: ServerResponse) {
    const input = body?.input;
    let inputs: string[];
    if (typeof input === 'string') inputs = [input];
    else if (Array.isArray(input) && input.every((x) => typeof x === 'string')) inputs = input;
    // Multi-modal parts ([{ type: 'text', text }, { type: 'image_url', … }]) are one input: one result.
    else if (Array.isArray(input)) inputs = [textOf(input)];
    else return sendJson(res, 400, openAIErrorBody(400, "Missing required parameter: 'input'."));

    const results = inputs.map((text) => {
      const verdict = moderationRule(text);
      const flaggedCats = new Set<string>(
        verdict === true ? ['harassment'] : verdict === false ? [] : verdict,
      );
      const categories: Record<string, boolean> = {};
      const scores: Record<string, number> = {};
      const applied: Record<string, string[]> = {};
      for (const c of MODERATION_CATEGORIES) {
        categories[c] = flaggedCats.has(c);
        scores[c] = flaggedCats.has(c) ? 0.97 : 0.0001;
        applied[c] = ['text'];
      }
      return {
        flagged: flaggedCats.size > 0,
        categories,
        category_scores: scores,
        category_applied_input_types: applied,
      };
    });
    sendJson(res, 200, {
      id: `modr-${randomBytes(12).toString('hex')}`,
      model: body?.model ?? 'omni-moderation-latest',
      results,
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {
      body = null;
    }
    const path = url.pathname.replace(/^\/v1(?=\/)/, '');
    requests.push({ path: url.pathname, body, raw, headers: { ...req.headers }, at: Date.now() });

    if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return sendJson(res, 401, openAIErrorBody(401));
    }
    if (req.method === 'POST' && path === '/chat/completions') return chat(body as ChatRequestBody, res);
    if (req.method === 'POST' && path === '/moderations') return moderation(body as { input?: unknown }, res);
    return sendJson(res, 404, {
      error: {
        message: `Invalid URL (${req.method} ${url.pathname})`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, openAIErrorBody(500, `fake openai: ${String(err)}`));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return requests;
    },
    get chatRequests() {
      return requests.filter((r) => r.path.endsWith('/chat/completions'));
    },
    respondWith(fn) {
      responder = fn;
    },
    failNext(n, status, body) {
      for (let i = 0; i < n; i++) failQueue.push({ status, body });
    },
    hangNext(n) {
      hangQueue += n;
    },
    flagWhen(fn) {
      moderationRule = fn;
    },
    reset() {
      requests = [];
      responder = defaultResponder;
      moderationRule = () => false;
      failQueue = [];
      hangQueue = 0;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

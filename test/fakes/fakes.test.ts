/** The fakes, exercised through the real twilio and openai SDKs. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classifyTwilioError, createTwilioProvider } from '../../activities/sms/twilio.js';
import { startFakeOpenAI, type FakeOpenAI } from './openai.js';
import { startFakeTwilio, type FakeTwilio } from './twilio.js';

class RebasedRequestClient extends twilio.RequestClient {
  constructor(private readonly base: string) {
    super({ timeout: 5_000 });
  }
  override request<T>(opts: Parameters<twilio.RequestClient['request']>[0]) {
    opts.uri = opts.uri.replace(/^https:\/\/api\.twilio\.com/, this.base);
    return super.request<T>(opts as never);
  }
}

const FROM = '+15550001111';
const ALICE = '+15551230001';
const BOB = '+15551230002';

async function rejection(p: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

describe('fake twilio', () => {
  let fake: FakeTwilio;
  let client: twilio.Twilio;

  beforeAll(async () => {
    fake = await startFakeTwilio();
    client = twilio(fake.accountSid, fake.authToken, { httpClient: new RebasedRequestClient(fake.baseUrl) });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  const provider = () =>
    createTwilioProvider({
      accountSid: fake.accountSid,
      authToken: fake.authToken,
      from: FROM,
      publicBaseUrl: 'http://127.0.0.1:9',
      apiBaseUrl: fake.baseUrl,
    });

  it('creates a message through the SDK and returns the full resource', async () => {
    const m = await client.messages.create({
      to: ALICE,
      from: FROM,
      body: 'Hello there',
      statusCallback: 'http://127.0.0.1:9/cb?outboxId=1',
    });
    expect(m.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(m).toMatchObject({
      status: 'queued',
      to: ALICE,
      from: FROM,
      body: 'Hello there',
      direction: 'outbound-api',
      numSegments: '1',
      numMedia: '0',
      accountSid: fake.accountSid,
      apiVersion: '2010-04-01',
      errorCode: null,
      priceUnit: 'USD',
    });
    expect(m.dateCreated).toBeInstanceOf(Date);
    expect(Math.abs(m.dateCreated.getTime() - Date.now())).toBeLessThan(5_000);
    expect(m.dateSent).toBeNull();
    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]).toMatchObject({
      sid: m.sid,
      statusCallback: 'http://127.0.0.1:9/cb?outboxId=1',
    });
    expect(fake.creates).toBe(1);
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: `/2010-04-01/Accounts/${fake.accountSid}/Messages.json`,
    });

    const fetched = await client.messages(m.sid).fetch();
    expect(fetched.body).toBe('Hello there');
    expect(await rejection(client.messages('SM' + '0'.repeat(32)).fetch())).toMatchObject({
      status: 404,
      code: 20404,
    });
  });

  it('counts segments like a carrier', async () => {
    const long = await client.messages.create({ to: ALICE, from: FROM, body: 'a'.repeat(161) });
    const emoji = await client.messages.create({ to: ALICE, from: FROM, body: 'done 😀'.padEnd(71, '.') });
    expect([long.numSegments, emoji.numSegments]).toEqual(['2', '2']);
  });

  it('validates like Twilio', async () => {
    expect(await rejection(client.messages.create({ to: '555-1234', from: FROM, body: 'x' }))).toMatchObject({
      status: 400,
      code: 21211,
    });
    expect(await rejection(client.messages.create({ to: ALICE, body: 'x' }))).toMatchObject({
      status: 400,
      code: 21603,
    });
    expect(await rejection(client.messages.create({ to: ALICE, from: FROM }))).toMatchObject({
      status: 400,
      code: 21602,
    });
    expect(fake.messages).toHaveLength(0);
    expect(fake.creates).toBe(3);
  });

  it('lists newest first, filtered by To/From/DateSent>, across pages', async () => {
    for (let i = 0; i < 5; i++) await client.messages.create({ to: ALICE, from: FROM, body: `a${i}` });
    await client.messages.create({ to: BOB, from: FROM, body: 'b0' });

    const since = new Date(Date.now() - 60_000);
    const all = await client.messages.list({ to: ALICE, from: FROM, dateSentAfter: since, pageSize: 2 });
    expect(all.map((m) => m.body)).toEqual(['a4', 'a3', 'a2', 'a1', 'a0']);
    const listCalls = fake.requests.filter((r) => r.method === 'GET');
    expect(listCalls).toHaveLength(3);
    expect(new URLSearchParams(listCalls[0]!.query).get('DateSent>')).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );

    expect((await client.messages.list({ to: BOB })).map((m) => m.body)).toEqual(['b0']);
    expect(
      await client.messages.list({ to: ALICE, dateSentAfter: new Date(Date.now() + 2 * 86_400_000) }),
    ).toEqual([]);
    expect(await client.messages.list({ to: ALICE, limit: 3 })).toHaveLength(3);
  });

  it('surfaces injected faults with Twilio code and HTTP status', async () => {
    fake.failNext(1, { status: 400, code: 21610 });
    const err = await rejection(client.messages.create({ to: ALICE, from: FROM, body: 'x' }));
    expect(err).toMatchObject({
      status: 400,
      code: 21610,
      moreInfo: 'https://www.twilio.com/docs/errors/21610',
    });
    expect(classifyTwilioError(err).failureClass).toBe('suppress');

    fake.failNext(1, { status: 429, code: 20429 });
    await expect(
      provider().send({ outboxId: 1, idempotencyKey: 'k', to: ALICE, body: 'x' }),
    ).rejects.toMatchObject({
      failureClass: 'transient',
      code: 20429,
      httpStatus: 429,
    });

    fake.failFor(BOB, { status: 400, code: 21614 });
    await expect(
      provider().send({ outboxId: 2, idempotencyKey: 'k2', to: BOB, body: 'x' }),
    ).rejects.toMatchObject({
      failureClass: 'invalid_number',
    });
    await expect(
      provider().send({ outboxId: 3, idempotencyKey: 'k3', to: BOB, body: 'y' }),
    ).rejects.toMatchObject({
      code: 21614,
    });
    // Faults are not stored; the next create goes through.
    const ok = await provider().send({ outboxId: 4, idempotencyKey: 'k4', to: ALICE, body: 'fine' });
    expect(fake.messages.map((m) => m.sid)).toEqual([ok.sid]);
    expect(fake.creates).toBe(5);
  });

  it('drops the connection after accepting: the SDK error has no status, the message exists', async () => {
    fake.dropAfterAcceptNext(1);
    const err = await rejection(client.messages.create({ to: ALICE, from: FROM, body: 'maybe sent' }));
    expect(err.status).toBeUndefined();
    expect(classifyTwilioError(err).failureClass).toBe('ambiguous');
    expect(fake.byBody('maybe sent')).toHaveLength(1);

    const p = provider();
    const msg = { outboxId: 9, idempotencyKey: 'k9', to: ALICE, body: 'maybe sent' };
    const found = await p.findSent(msg, new Date(Date.now() - 1_000));
    expect(found?.sid).toBe(fake.byBody('maybe sent')[0]!.sid);
    expect(await p.findSent({ ...msg, body: 'other' }, new Date())).toBeNull();
    // date_created has whole seconds: a `since` later in the same second as the creation still finds it.
    const createdSecond = Math.floor(fake.byBody('maybe sent')[0]!.createdAt.getTime() / 1000) * 1000;
    expect((await p.findSent(msg, new Date(createdSecond + 999)))?.sid).toBe(found?.sid);
    expect(await p.findSent(msg, new Date(createdSecond + 1000))).toBeNull();
  });

  it('delays creates', async () => {
    fake.delayNext(1, 150);
    const t0 = Date.now();
    await client.messages.create({ to: ALICE, from: FROM, body: 'slow' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('rejects a wrong auth token with 401 / 20003', async () => {
    const bad = twilio(fake.accountSid, 'wrong', { httpClient: new RebasedRequestClient(fake.baseUrl) });
    expect(await rejection(bad.messages.create({ to: ALICE, from: FROM, body: 'x' }))).toMatchObject({
      status: 401,
      code: 20003,
    });
    expect(fake.messages).toHaveLength(0);
  });

  it('enforces an mps limit when configured', async () => {
    const limited = await startFakeTwilio({ mps: 2 });
    try {
      const c = twilio(limited.accountSid, limited.authToken, {
        httpClient: new RebasedRequestClient(limited.baseUrl),
      });
      await c.messages.create({ to: ALICE, from: FROM, body: 'one' });
      await c.messages.create({ to: ALICE, from: FROM, body: 'two' });
      expect(await rejection(c.messages.create({ to: ALICE, from: FROM, body: 'three' }))).toMatchObject({
        status: 429,
        code: 20429,
      });
      expect(limited.rejected429).toBe(1);
      expect(limited.acceptedAt).toHaveLength(2);
    } finally {
      await limited.close();
    }
  });

  describe('webhooks', () => {
    let receiver: Server;
    let receiverUrl: string;
    const received: Array<{ url: string; params: Record<string, string>; valid: boolean }> = [];

    beforeAll(async () => {
      receiver = createServer((req, res) => {
        let raw = '';
        req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
        req.on('end', () => {
          const url = `${receiverUrl}${req.url ?? ''}`;
          const params = Object.fromEntries(new URLSearchParams(raw));
          const sig = req.headers['x-twilio-signature'];
          const valid = twilio.validateRequest(
            fake.authToken,
            typeof sig === 'string' ? sig : '',
            url,
            params,
          );
          received.push({ url, params, valid });
          res.writeHead(valid ? 200 : 403, { 'Content-Type': 'text/xml' });
          res.end(valid ? '<Response></Response>' : 'bad signature');
        });
      });
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    });
    afterEach(() => {
      received.length = 0;
    });
    afterAll(() => new Promise<void>((r) => receiver.close(() => r())));

    it('sends signed status callbacks that validateRequest accepts', async () => {
      const m = await client.messages.create({
        to: ALICE,
        from: FROM,
        body: 'hi',
        statusCallback: `${receiverUrl}/webhooks/twilio/status?outboxId=42`,
      });
      expect(await fake.sendStatusCallback(m.sid, 'delivered')).toBe(200);
      expect(received[0]!.valid).toBe(true);
      expect(received[0]!.url).toBe(`${receiverUrl}/webhooks/twilio/status?outboxId=42`);
      expect(received[0]!.params).toMatchObject({
        MessageSid: m.sid,
        SmsSid: m.sid,
        MessageStatus: 'delivered',
        SmsStatus: 'delivered',
        AccountSid: fake.accountSid,
        From: FROM,
        To: ALICE,
        ApiVersion: '2010-04-01',
      });
      expect(received[0]!.params.ErrorCode).toBeUndefined();
      expect((await client.messages(m.sid).fetch()).status).toBe('delivered');

      expect(await fake.sendStatusCallback(m.sid, 'undelivered', { errorCode: 30003 })).toBe(200);
      expect(received[1]!.params.ErrorCode).toBe('30003');
      expect(await fake.sendStatusCallback(m.sid, 'failed', { authToken: 'not-the-token' })).toBe(403);
      expect(received[2]!.valid).toBe(false);
    });

    it('posts signed inbound SMS webhooks', async () => {
      const url = `${receiverUrl}/webhooks/twilio/inbound`;
      const r = await fake.postInbound(url, { From: ALICE, To: FROM, Body: 'STOP please' });
      expect(r).toEqual({ status: 200, text: '<Response></Response>' });
      expect(received[0]!.valid).toBe(true);
      expect(received[0]!.params).toMatchObject({
        From: ALICE,
        To: FROM,
        Body: 'STOP please',
        AccountSid: fake.accountSid,
        NumMedia: '0',
        NumSegments: '1',
        SmsStatus: 'received',
      });
      expect(received[0]!.params.MessageSid).toMatch(/^SM[0-9a-f]{32}$/);
      expect(received[0]!.params.SmsSid).toBe(received[0]!.params.MessageSid);

      const params = { From: ALICE, To: FROM, Body: 'x' };
      expect(twilio.validateRequest(fake.authToken, fake.signInbound(url, params), url, params)).toBe(true);
      expect((await fake.postInbound(url, { From: ALICE, To: FROM, Body: 'x' }, 'wrong')).status).toBe(403);
      expect(fake.inbound).toHaveLength(2);
    });

    it("models Twilio's default opt-out: block per pair, its own answers, 21610, and START lifting it", async () => {
      const url = `${receiverUrl}/webhooks/twilio/inbound`;
      await fake.postInbound(url, { From: ALICE, To: FROM, Body: ' Stop ' });
      // The webhook is still posted, without OptOutType on a plain number.
      expect(received[0]!.params.Body).toBe(' Stop ');
      expect(received[0]!.params).not.toHaveProperty('OptOutType');
      expect(fake.autoReplies).toMatchObject([{ to: ALICE, from: FROM, type: 'STOP' }]);
      const blocked = await rejection(client.messages.create({ to: ALICE, from: FROM, body: 'hi' }));
      expect(blocked).toMatchObject({ status: 400, code: 21610 });
      // Another recipient, and another sender, are not blocked.
      await expect(client.messages.create({ to: BOB, from: FROM, body: 'hi' })).resolves.toBeTruthy();
      expect(fake.isBlocked('+15550002222', ALICE)).toBe(false);
      // Not exactly one keyword: no block, no answer.
      await fake.postInbound(url, { From: BOB, To: FROM, Body: 'STOP please' });
      expect(fake.isBlocked(FROM, BOB)).toBe(false);
      await fake.postInbound(url, { From: ALICE, To: FROM, Body: 'yes' });
      expect(fake.isBlocked(FROM, ALICE)).toBe(false);
      expect(fake.autoReplies.map((r) => r.type)).toEqual(['STOP', 'START']);
      await expect(client.messages.create({ to: ALICE, from: FROM, body: 'hi' })).resolves.toBeTruthy();
    });

    it('with Advanced Opt-Out adds OptOutType and its extra keywords; "off" does nothing', async () => {
      const url = `${receiverUrl}/webhooks/twilio/inbound`;
      fake.configureOptOut('advanced', { STOP: ['arret'] });
      await fake.postInbound(url, { From: ALICE, To: FROM, Body: 'ARRET' });
      await fake.postInbound(url, { From: BOB, To: FROM, Body: 'info' });
      expect(received.map((r) => r.params.OptOutType)).toEqual(['STOP', 'HELP']);
      expect(fake.isBlocked(FROM, ALICE)).toBe(true);
      fake.configureOptOut('off');
      await fake.postInbound(url, { From: BOB, To: FROM, Body: 'STOP' });
      expect(fake.isBlocked(FROM, BOB)).toBe(false);
      expect(received[2]!.params).not.toHaveProperty('OptOutType');
    });

    it('keeps ValidityPeriod (default 36,000 s) and refuses one out of range', async () => {
      const m = await client.messages.create({ to: ALICE, from: FROM, body: 'v', validityPeriod: 600 });
      expect(fake.get(m.sid)!.validityPeriod).toBe(600);
      const d = await client.messages.create({ to: ALICE, from: FROM, body: 'd' });
      expect(fake.get(d.sid)!.validityPeriod).toBe(36_000);
      expect(
        await rejection(client.messages.create({ to: ALICE, from: FROM, body: 'x', validityPeriod: 36_001 })),
      ).toMatchObject({ status: 400 });
    });
  });
});

describe('fake openai', () => {
  let fake: FakeOpenAI;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    client = new OpenAI({ apiKey: 'test', baseURL: fake.baseUrl, maxRetries: 0 });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it('answers chat completions and records the request', async () => {
    const res = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'I walked 20 minutes' },
      ],
    });
    expect(res.choices[0]!.message.content).toBe('Got it: I walked 20 minutes');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + res.usage!.completion_tokens);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.path).toBe('/v1/chat/completions');
    expect(fake.requests[0]!.body.messages[1].content).toBe('I walked 20 minutes');
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer test');
  });

  it('returns the responder string as content for json_schema requests', async () => {
    const response_format = {
      type: 'json_schema' as const,
      json_schema: {
        name: 'reply',
        strict: true,
        schema: {
          type: 'object',
          properties: { text: { type: 'string' }, done: { type: 'boolean' } },
          required: ['text', 'done'],
          additionalProperties: false,
        },
      },
    };
    const req = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user' as const, content: 'hi' }],
      response_format,
    };

    // Default responder: a minimal schema-conforming object.
    const d = await client.chat.completions.create(req);
    expect(JSON.parse(d.choices[0]!.message.content!)).toEqual({ text: 'ok', done: false });

    fake.respondWith((body) => JSON.stringify({ text: `n=${body.messages.length}`, done: true }));
    const parsed = await client.chat.completions.parse(req);
    expect(parsed.choices[0]!.message.parsed).toEqual({ text: 'n=1', done: true });
    expect(fake.chatRequests[1]!.body.response_format.type).toBe('json_schema');
  });

  it('fails the next request with an APIError carrying the status', async () => {
    fake.failNext(1, 500);
    const err = await rejection(
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(500);
    expect(err.type).toBe('server_error');

    fake.failNext(1, 429);
    await expect(
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    const ok = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(ok.choices[0]!.message.content).toBe('Got it: x');
  });

  it('hangs so that the SDK times out', async () => {
    fake.hangNext(1);
    const err = await rejection(
      client.chat.completions.create(
        { model: 'm', messages: [{ role: 'user', content: 'x' }] },
        { timeout: 200 },
      ),
    );
    expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(err.status).toBeUndefined();
  });

  it('moderates', async () => {
    fake.flagWhen((input) => (input.includes('hurt myself') ? ['self-harm', 'self-harm/intent'] : false));
    const res = await client.moderations.create({
      model: 'omni-moderation-latest',
      input: ['I will hurt myself', 'I drank water'],
    });
    expect(res.results.map((r) => r.flagged)).toEqual([true, false]);
    expect(res.results[0]!.categories['self-harm/intent']).toBe(true);
    expect(res.results[0]!.categories.violence).toBe(false);
    expect(res.results[0]!.category_scores['self-harm']).toBeGreaterThan(0.5);
    expect(fake.requests[0]!.path).toBe('/v1/moderations');

    fake.flagWhen(() => true);
    expect((await client.moderations.create({ input: 'anything' })).results[0]!.flagged).toBe(true);
  });
});

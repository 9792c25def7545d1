// @vitest-environment node
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../demo/collector.ts';
import { startDemo } from '../../demo/server.ts';
import type { Collector, Snapshot } from '../../demo/collector.ts';

const dir = mkdtempSync(join(tmpdir(), 'onsite-collector-test-'));
let n = 0;
let file: string;
let c: Collector;

const call = (over: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Product Added',
  properties: { product_id: 'shirt-1', price: 49, currency: 'USD', quantity: 1 },
  messageId: `m-${++n}`,
  anonymousId: 'anon-1',
  timestamp: '2026-11-22T10:00:00.000Z',
  ...over,
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${c.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const batch = (calls: unknown[], writeKey = 'wk') =>
  post('/b', { batch: calls, ...(writeKey ? { writeKey } : {}), sentAt: new Date().toISOString() });
const snapshot = async (query = ''): Promise<Snapshot> => (await (await fetch(`${c.url}/_events${query}`)).json()) as Snapshot;
const faults = (f: Record<string, unknown>) => post('/_faults', f, { 'Content-Type': 'application/json' });

beforeEach(async () => {
  file = join(dir, `events-${++n}.jsonl`);
  c = await startCollector({ port: 0, dataFile: file, quiet: true });
});
afterEach(() => c.close());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ingest', () => {
  it('accepts a batch, lists it with receivedAt and appends it to the data file', async () => {
    const calls = [call(), call({ type: 'page', name: 'Home', event: undefined, properties: {} })];
    const res = await batch(calls);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true });
    const snap = await snapshot();
    expect(snap.events.map((e) => e.messageId)).toEqual(calls.map((x) => x.messageId));
    expect(Date.parse(snap.events[0]!.receivedAt)).not.toBeNaN();
    expect(snap.requests).toBe(1);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
    expect((await snapshot('?since=1')).events.map((e) => e.messageId)).toEqual([calls[1]!.messageId]);
  });

  it('answers 401 without a writeKey and 400 on bad JSON', async () => {
    const res = await batch([call()], '');
    expect(res.status).toBe(401);
    expect((await res.json()).error).toMatch(/writeKey/);
    expect((await post('/b', '{"batch": [')).status).toBe(400);
    expect((await snapshot()).events).toEqual([]);
  });

  it('refuses a whole batch when one call is invalid, naming the property', async () => {
    const stringPrice = await batch([call(), call({ properties: { product_id: 'p', price: '49.00', currency: 'USD' } })]);
    expect(stringPrice.status).toBe(400);
    expect((await stringPrice.json()).error).toMatch(/^batch\[1\]\.properties\.price: /);
    const noCurrency = await batch([call({ properties: { product_id: 'p', price: 49 } })]);
    expect(noCurrency.status).toBe(400);
    expect((await noCurrency.json()).error).toMatch(/^batch\[0\]\.properties\.currency: /);
    expect((await snapshot()).events).toEqual([]);
  });

  it('stores a messageId once and counts the copies', async () => {
    const a = call();
    expect((await batch([a, a])).status).toBe(200);
    expect((await batch([a])).status).toBe(200);
    const snap = await snapshot();
    expect(snap.events).toHaveLength(1);
    expect(snap.duplicates).toEqual({ [a.messageId]: 2 });
  });

  it('takes single calls on short and long paths, the type implied by the path', async () => {
    const { type: _t, ...track } = call();
    expect((await post('/t', { ...track, writeKey: 'wk' })).status).toBe(200);
    expect((await post('/identify', { ...call({ type: 'identify', userId: 'u-1', traits: { email: 'a@b.co' } }), writeKey: 'wk' })).status).toBe(200);
    expect((await post('/p', { ...call({ type: undefined, event: undefined, properties: {} }), writeKey: 'wk' })).status).toBe(200);
    expect((await post('/i', { ...call({ type: 'track' }), writeKey: 'wk' })).status).toBe(400);
    expect((await snapshot()).events.map((e) => e.type)).toEqual(['track', 'identify', 'page']);
  });

  it('accepts the write key as the Basic auth user name', async () => {
    const auth = `Basic ${Buffer.from('wk:').toString('base64')}`;
    expect((await post('/track', call(), { Authorization: auth })).status).toBe(200);
    expect((await post('/track', call())).status).toBe(401);
    expect((await snapshot()).events).toHaveLength(1);
  });

  it('refuses a call over 32 KB (in a batch: 400 naming it; alone: 413) and a batch body over 500 KB (413), with CORS', async () => {
    const big = call({ properties: { product_id: 'p', name: 'x'.repeat(33 * 1024) } });
    const res = await batch([big]);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/batch\[0\].*32768-byte limit/);
    const alone = await post('/t', { ...big, writeKey: 'wk' });
    expect(alone.status).toBe(413);
    expect((await alone.json()).error).toMatch(/32768-byte limit/);
    const many = Array.from({ length: 20 }, () => call({ properties: { product_id: 'p', name: 'x'.repeat(30 * 1024) } }));
    const huge = await batch(many);
    expect(huge.status).toBe(413);
    // a page must be able to read the status to split its batch
    expect(huge.headers.get('access-control-allow-origin')).toBe('*');
    expect((await huge.json()).error).toMatch(/512000-byte limit/);
    expect((await snapshot()).events).toEqual([]);
  });

  it('answers CORS preflight and exposes Retry-After', async () => {
    const res = await fetch(`${c.url}/b`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://store.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type, x-strict-mode' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/X-Strict-Mode/);
    const ok = await batch([call()]);
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    expect(ok.headers.get('access-control-expose-headers')).toBe('Retry-After');
  });
});

describe('faults', () => {
  it('fails the next N requests without storing, then succeeds', async () => {
    expect((await faults({ fail: 2, status: 500 })).status).toBe(200);
    const a = call();
    expect((await batch([a])).status).toBe(500);
    expect((await batch([a])).status).toBe(500);
    expect((await batch([a])).status).toBe(200);
    const snap = await snapshot();
    expect(snap.events).toHaveLength(1);
    expect(snap.duplicates).toEqual({});
    expect(snap.requests).toBe(3);
  });

  it('the inspection endpoints answer no other site: no CORS on _events, and _faults wants a JSON body', async () => {
    expect((await batch([call()])).headers.get('access-control-allow-origin')).toBe('*');
    const events = await fetch(`${c.url}/_events`);
    expect(events.status).toBe(200);
    expect(events.headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch(`${c.url}/_events`, { method: 'OPTIONS' })).headers.get('access-control-allow-origin')).toBeNull();
    // a cross-site form can only send text/plain, urlencoded or multipart
    expect((await post('/_faults', { fail: 5 })).status).toBe(404);
    expect((await batch([call({ messageId: 'm-after' })])).status).toBe(200);
  });

  it('sends Retry-After with an injected 429', async () => {
    await faults({ fail: 1, status: 429, retryAfter: 2 });
    const res = await batch([call()]);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
  });

  it('delays answers until reset', async () => {
    // a delay far above a loopback round trip, so a busy CI machine cannot blur the two cases
    await faults({ delayMs: 1500 });
    const t0 = Date.now();
    expect((await batch([call()])).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1490);
    expect((await fetch(`${c.url}/_events`, { method: 'DELETE' })).status).toBe(200);
    const t1 = Date.now();
    expect((await batch([call()])).status).toBe(200);
    expect(Date.now() - t1).toBeLessThan(1000);
  });

  it('lateAnswerMs stores the calls on arrival and answers later: the answer is what a page gone meanwhile loses', async () => {
    await faults({ lateAnswerMs: 1500 });
    const t0 = Date.now();
    const answered = batch([call({ messageId: 'm-late' })]).then((r) => r.status);
    await new Promise((r) => setTimeout(r, 500));
    expect((await snapshot()).events.map((e) => e.messageId)).toEqual(['m-late']);
    expect(await answered).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1490);
  });

  it('hangs a request, and close() ends it', async () => {
    await faults({ fail: 1, hang: true });
    const pending = batch([call()]).then((r) => r.status, () => 'closed');
    const raced = await Promise.race([pending, new Promise((r) => setTimeout(() => r('hung'), 300))]);
    expect(raced).toBe('hung');
    expect((await batch([call()])).status).toBe(200);
    await c.close();
    expect(await pending).toBe('closed');
    c = await startCollector({ port: 0, dataFile: file, quiet: true }); // for afterEach
  });

  it('without a count, fails every request until told otherwise', async () => {
    await faults({ status: 503 });
    expect((await batch([call()])).status).toBe(503);
    expect((await batch([call()])).status).toBe(503);
    await faults({ hang: true });
    const hung = batch([call()]).then((r) => r.status, () => 'closed');
    expect(await Promise.race([hung, new Promise((r) => setTimeout(() => r('hung'), 300))])).toBe('hung');
    await faults({ hang: false });
    expect((await batch([call()])).status).toBe(200);
    expect((await snapshot()).events).toHaveLength(1);
  });

  it('a failure with forMs stops that long after it was set', async () => {
    await faults({ status: 503, forMs: 400 });
    expect((await batch([call()])).status).toBe(503);
    expect((await batch([call()])).status).toBe(503);
    await new Promise((r) => setTimeout(r, 450));
    expect((await batch([call()])).status).toBe(200);
    // a hang for a while: requests after the window are answered
    await faults({ hang: true, forMs: 300 });
    const hung = batch([call()]).then((r) => r.status, () => 'closed');
    expect(await Promise.race([hung, new Promise((r) => setTimeout(() => r('hung'), 350))])).toBe('hung');
    expect((await batch([call()])).status).toBe(200);
  });

  it('reset: true drops the connection without an answer, and stores nothing', async () => {
    await faults({ fail: 1, reset: true });
    await expect(batch([call()])).rejects.toThrow();
    expect((await batch([call()])).status).toBe(200);
    const snap = await snapshot();
    expect(snap.events).toHaveLength(1);
    expect(snap.requests).toBe(2);
  });

  it('maxBodyBytes answers 413 to larger bodies only, without using up a failure', async () => {
    await faults({ maxBodyBytes: 2000 });
    await faults({ fail: 1, status: 500 });
    const big = await batch([call({ properties: { product_id: 'p', name: 'x'.repeat(3000) } })]);
    expect(big.status).toBe(413);
    expect((await big.json()).error).toMatch(/2000/);
    expect((await batch([call()])).status).toBe(500);
    expect((await batch([call()])).status).toBe(200);
    expect((await snapshot()).events).toHaveLength(1);
    await faults({ maxBodyBytes: 0 });
    expect((await batch([call({ properties: { product_id: 'p', name: 'x'.repeat(3000) } })])).status).toBe(200);
  });

  it('cacheControl: false leaves Cache-Control out of ingest answers, failed ones too; reset brings it back', async () => {
    expect((await batch([call()])).headers.get('cache-control')).toBe('no-store');
    await faults({ cacheControl: false, fail: 1, status: 503 });
    expect((await batch([call()])).headers.get('cache-control')).toBeNull();
    expect((await batch([call()])).headers.get('cache-control')).toBeNull();
    await fetch(`${c.url}/_events`, { method: 'DELETE' });
    expect((await batch([call()])).headers.get('cache-control')).toBe('no-store');
  });

  it('takes any status from 200 to 599', async () => {
    for (const status of [401, 403, 404, 413, 503]) {
      await faults({ fail: 1, status });
      expect((await batch([call()])).status).toBe(status);
    }
  });

  it('refuses a bad fault naming the field, and keeps the faults it had', async () => {
    await faults({ fail: 1, status: 503 });
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ status: 600 }, /status must be/],
      [{ fail: -1 }, /fail must be/],
      [{ forMs: '30s' }, /forMs must be/],
      [{ reset: 1 }, /reset must be a boolean/],
      [{ maxBodyBytes: 1.5 }, /maxBodyBytes must be/],
      [{ cacheControl: 'no' }, /cacheControl must be a boolean/],
      [{ delayMs: -5 }, /delayMs must be/],
      [{ lateAnswerMs: '1s' }, /lateAnswerMs must be/],
      [{ retryAfter: null }, /retryAfter must be/],
      [{ statsu: 503 }, /unknown field statsu/],
      [{ hang: true, reset: true }, /hang and reset/],
    ];
    for (const [f, why] of cases) {
      const res = await faults(f);
      expect(res.status, JSON.stringify(f)).toBe(400);
      expect((await res.json()).error).toMatch(why);
    }
    expect(() => c.faults([] as never)).toThrow(/expected an object/);
    expect((await batch([call()])).status).toBe(503);
    expect((await batch([call()])).status).toBe(200);
  });

  it('resets everything with DELETE /_events', async () => {
    await batch([call()]);
    await faults({ fail: 5, status: 503 });
    await faults({ delayMs: 1500, lateAnswerMs: 1500, maxBodyBytes: 10, cacheControl: false });
    await fetch(`${c.url}/_events`, { method: 'DELETE' });
    expect(await snapshot()).toMatchObject({ events: [], duplicates: {}, requests: 0 });
    const t0 = Date.now();
    const res = await batch([call()]);
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});

describe('persistence', () => {
  it('keeps events and dedupe state across a restart on the same data file', async () => {
    const a = call();
    await batch([a, call()]);
    await c.close();
    c = await startCollector({ port: 0, dataFile: file, quiet: true });
    expect((await snapshot()).events).toHaveLength(2);
    expect((await batch([a])).status).toBe(200);
    const snap = await snapshot();
    expect(snap.events).toHaveLength(2);
    expect(snap.duplicates).toEqual({ [a.messageId]: 1 });
  });

  it('answers health checks and 404s outside the API', async () => {
    expect((await fetch(`${c.url}/_health`)).status).toBe(200);
    expect((await fetch(c.url.replace('/v1', '/nope'))).status).toBe(404);
  });
});

describe('demo server', () => {
  it('serves the page with the collector URL, static files, and the collector under /v1', async () => {
    const demo = await startDemo({ port: 0, quiet: true, dataFile: join(dir, 'demo.jsonl') });
    try {
      const page = await fetch(demo.url);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await page.text();
      expect(html).toContain(`"apiHost":"http://localhost:${demo.port}/v1"`);
      expect(html).not.toContain('__COLLECTOR__');
      expect((await fetch(`${demo.url}demo.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
      expect((await fetch(`${demo.url}demo.css`)).headers.get('content-type')).toMatch(/^text\/css/);
      // Source files and anything outside demo/ and dist/ stay private, however the path is spelled.
      for (const path of ['server.ts', 'dist/..%2fpackage.json', 'dist/%2e%2e/demo/server.ts', '..%2f..%2fetc%2fpasswd', 'dist/']) {
        expect((await fetch(demo.url + path)).status, path).toBe(404);
      }
      expect((await fetch(`${demo.collector.url}/_health`)).status).toBe(200);
      expect(demo.collector.url).toBe(`http://localhost:${demo.port}/v1`);
    } finally {
      await demo.close();
    }
  });
});

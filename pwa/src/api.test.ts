import { describe, expect, it } from 'vitest';
import { ApiError, NetworkError, createApi } from './api';

describe('api', () => {
  it('sends JSON with same-origin credentials and parses JSON', async () => {
    let seen: RequestInit | undefined;
    let url = '';
    const api = createApi({ fetch: async (u, init) => ((url = u), (seen = init), new Response('{"ok":1}', { headers: { 'Content-Type': 'application/json' } })) });
    expect(await api.request('POST', '/session', { body: { login_id: 'a' }, query: { x: 1, y: undefined } })).toEqual({ ok: 1 });
    expect(url).toBe('/api/v1/session?x=1');
    expect(seen!.credentials).toBe('same-origin');
    expect(seen!.body).toBe('{"login_id":"a"}');
  });

  it('turns problem+json into an ApiError with its code', async () => {
    const api = createApi({
      fetch: async () => new Response(JSON.stringify({ type: 'https://tsunagu/errors/x', title: 'Unauthorized', status: 401, detail: 'd', code: 'totp_required' }), { status: 401, headers: { 'Content-Type': 'application/problem+json' } }),
    });
    const e = await api.request('POST', '/session').catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ status: 401, code: 'totp_required', detail: 'd' });
  });

  it('gives an ApiError with an http_ code when the body is not a problem', async () => {
    const api = createApi({ fetch: async () => new Response('oops', { status: 502 }) });
    await expect(api.request('GET', '/me')).rejects.toMatchObject({ status: 502, code: 'http_502' });
  });

  it('reports a failed fetch as NetworkError', async () => {
    const api = createApi({ fetch: async () => { throw new TypeError('Failed to fetch'); } });
    await expect(api.request('GET', '/me')).rejects.toBeInstanceOf(NetworkError);
  });
});

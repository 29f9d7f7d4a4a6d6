import { startHttpServer, type Answer, type Recorded } from './http-server.ts';

/** How the stand-in answers a call for one object. */
export type Behaviour = 'ok' | 'slow' | 'malformed' | 'not_json_rpc' | 'server_error';

export interface CoreApiCall {
  method: string;
  id: unknown;
  apiKey: string | undefined;
}

export interface CoreApiStandIn {
  /** `http://127.0.0.1:<port>/api/` */
  url: string;
  calls: CoreApiCall[];
  /** Objects by method and id; a missing one is answered "not found" as VCS does. */
  objects: Map<string, Record<string, unknown>>;
  /** Per `method:id`, how to answer; default 'ok'. */
  behaviour: Map<string, Behaviour>;
  /** Answers every call held back by 'slow' (with the object), as a late CoreAPI finally would. */
  release(): void;
  /** Calls being held back right now. */
  held(): number;
  close(): Promise<void>;
}

const json = (status: number, body: unknown): Answer => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/**
 * A local HTTP server on 127.0.0.1 that answers JSON-RPC 2.0 like the VCS CoreAPI: `clients.get` and
 * `rates.tables.get` with `{id}`, HTTP 401 for a wrong `X-Api-Key`, a JSON-RPC error with code
 * `not_found` for an unknown id, and, per object, a slow answer (held until `release()` or close), an
 * HTML page, a body that is not a JSON-RPC response, or HTTP 502.
 */
export async function startCoreApi(apiKey: string): Promise<CoreApiStandIn> {
  const calls: CoreApiCall[] = [];
  const objects = new Map<string, Record<string, unknown>>();
  const behaviour = new Map<string, Behaviour>();
  const waiting = new Set<() => void>();

  const answer = async (req: Recorded): Promise<Answer> => {
    if (req.method !== 'POST' || req.url !== '/api/') return json(404, { error: { message: `no route for ${req.method} ${req.url}` } });
    let rpc: { jsonrpc?: string; id?: unknown; method?: string; params?: { id?: unknown } };
    try {
      rpc = JSON.parse(req.body);
    } catch {
      return json(400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    }
    const key = req.headers['x-api-key'];
    const call = { method: rpc.method ?? '', id: rpc.params?.id, apiKey: Array.isArray(key) ? key[0] : key };
    calls.push(call);
    if (call.apiKey !== apiKey) {
      return json(401, {
        jsonrpc: '2.0',
        id: rpc.id,
        error: { message: 'utoken-auth-failed: Authentication Failed: invalid API key', data: { code: 'utoken-auth-failed', message: 'Authentication Failed: invalid API key' } },
      });
    }
    const name = `${call.method}:${String(call.id)}`;
    const how = behaviour.get(name) ?? 'ok';
    if (how === 'slow') await new Promise<void>((resume) => waiting.add(resume));
    if (how === 'malformed') return { status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>Service temporarily unavailable</body></html>' };
    if (how === 'not_json_rpc') return json(200, { ok: true, client: objects.get(name) ?? null });
    if (how === 'server_error') return { status: 502, headers: { 'content-type': 'text/plain' }, body: 'Bad Gateway' };
    const object = objects.get(name);
    if (!object) {
      const table = call.method.replace(/\.get$/, '').replace('.', '_');
      return json(200, {
        jsonrpc: '2.0',
        id: rpc.id,
        error: { message: `not_found: Object "${table}(${String(call.id)})" was not found!`, data: { code: 'not_found', message: `Object "${table}(${String(call.id)})" was not found!` } },
      });
    }
    return json(200, { jsonrpc: '2.0', id: rpc.id, result: object });
  };

  const server = await startHttpServer(answer);
  const release = () => {
    for (const resume of [...waiting]) resume();
    waiting.clear();
  };
  return {
    url: `${server.url}/api/`,
    calls,
    objects,
    behaviour,
    release,
    held: () => waiting.size,
    async close() {
      release();
      await server.close();
    },
  };
}

/**
 * A D1 database in workerd, for the D1 driver under Node: a Worker of its own runs every query on
 * its D1 binding, asked over Miniflare's dispatchFetch. Miniflare's own getD1Database() proxy makes
 * each prepare() and bind() a synchronous call into workerd, and under the load of the full suite
 * its synchronous fetcher once lost an answer (an AssertionError inside miniflare's fetch-sync.ts,
 * failing a test of ours that had done nothing wrong); these are ordinary fetches.
 */
import type { D1Database } from '@cloudflare/workers-types/index.ts';
import { Miniflare } from 'miniflare';

const WORKER = `
const bound = (db, s) => db.prepare(s.sql).bind(...s.params);
const shape = (r) => ({ results: r.results ?? [], meta: { changes: r.meta.changes, last_row_id: r.meta.last_row_id } });
export default {
  async fetch(request, env) {
    const { all, batch } = await request.json();
    try {
      if (all) return Response.json(shape(await bound(env.DB, all).all()));
      return Response.json((await env.DB.batch(batch.map((s) => bound(env.DB, s)))).map(shape));
    } catch (e) {
      return Response.json({ error: String(e?.message ?? e) }, { status: 500 });
    }
  },
};`;

interface Query {
  sql: string;
  params: unknown[];
}

/** A D1 database and how to end it. */
export async function d1OverHttp(): Promise<{ db: D1Database; close(): Promise<void> }> {
  const mf = new Miniflare({ modules: true, script: WORKER, d1Databases: ['DB'] });
  const ask = async (body: { all: Query } | { batch: Query[] }) => {
    const res = await mf.dispatchFetch('http://d1.test/', { method: 'POST', body: JSON.stringify(body) });
    const answer = (await res.json()) as { error?: string };
    // The message as D1 gave it: the drivers read some (a failed guard names conflicts.never).
    if (res.status !== 200) throw new Error(answer.error);
    return answer;
  };
  const statement = (sql: string, params: unknown[]) => ({
    query: { sql, params },
    bind: (...more: unknown[]) => {
      // JSON would make it null; D1 refuses it, and so must this.
      if (more.includes(undefined)) throw new Error("D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'");
      return statement(sql, more);
    },
    all: () => ask({ all: { sql, params } }),
  });
  const db = {
    prepare: (sql: string) => statement(sql, []),
    batch: (statements: Array<ReturnType<typeof statement>>) => ask({ batch: statements.map((s) => s.query) }),
  };
  return { db: db as unknown as D1Database, close: () => mf.dispose() };
}

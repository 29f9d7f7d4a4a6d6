/** `npm run bench`: every benchmark, each stated against a baseline measured in the same run. */
import { buildNode } from '../scripts/build-node.ts';
import { benchHttp } from './http.ts';
import { benchRouting } from './route.ts';

// The server is measured as `npm start` runs it.
await buildNode();
if (!process.env.BENCH_ONLY) benchRouting();
await benchHttp();

/** `npm run bench`: every benchmark, each stated against a baseline measured in the same run. */
import { benchHttp } from './http.ts';
import { benchRouting } from './route.ts';

benchRouting();
await benchHttp();

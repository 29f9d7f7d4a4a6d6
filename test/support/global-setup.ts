import { buildNode } from '../../scripts/build-node.ts';

/** Once before the tests: the bundle `npm start` runs, which the tests start as a user would. */
export default async function setup(): Promise<void> {
  await buildNode();
}

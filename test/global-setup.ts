// The `processes` project's global setup (vitest.config.ts): its tests start the bridge, the
// simulator or the CLI from dist/, which must be the code under test. Compiles only when dist/ is
// older than its sources (the same check as `npm start`'s prestart).
import { buildIfStale } from '../harness/build-if-stale.mjs';

export default function buildWhenStale(): void {
  buildIfStale();
}

// The bounded slice of the randomized crash trial that runs in `npm test`, on SQLite: a few
// SIGKILLs under a seeded mixed load (see ./trial.ts); the full trial is `npm run trial`.
// One file per store, so the two slices run side by side (each mostly waits for settlement).
import { defineSlice } from './suite.js';

defineSlice('sqlite', 20261202);

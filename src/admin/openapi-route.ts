// GET /openapi.json: the bridge's own OpenAPI 3.1 description (openapi.json at the project root,
// beside package.json in the repository and in the image), read from the file for each request.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';

/** openapi.json of the project this module belongs to (from src/admin or dist/src/admin alike). */
export function openApiPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('openapi.json: no package.json above the admin routes');
    dir = parent;
  }
  return join(dir, 'openapi.json');
}

/**
 * Read on each request, not held: the description (about 170 KiB as a string) is asked for rarely,
 * and an idle sidecar should not keep it. Its absence still fails start-up, as when it was read then.
 */
export function openApiRouter(path = openApiPath()): Router {
  statSync(path);
  const router = Router();
  router.get('/openapi.json', (_req, res, next) => {
    readFile(path).then((body) => {
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Cache-Control', 'no-cache');
      res.end(body);
    }, next);
  });
  return router;
}

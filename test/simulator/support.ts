// A plain HTTP caller for the simulator tests (redirects are never followed).
import { request } from 'undici';
import type { Simulator } from '../helpers/simulator.js';
import { DEMO_KEY } from '../helpers/simulator.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Raw body text ('' when empty). */
  text: string;
  /** Parsed JSON, or undefined for an empty or non-JSON body. */
  body: any;
}

export interface CallOptions {
  /** Bearer key; null sends no Authorization header. Default: the demo reseller's key. */
  key?: string | null;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is (for malformed bodies). */
  raw?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export async function call(sim: Pick<Simulator, 'url'>, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const key = options.key === undefined ? DEMO_KEY : options.key;
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let body: string | undefined = options.raw;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  }
  const res = await request(`${sim.url}${path}`, {
    method: method as 'GET',
    headers,
    ...(body !== undefined ? { body } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const text = await res.body.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, body: parsed };
}

/** The demo world's accounts (mappings/simulator.json). */
export const demo = {
  free: 'sg7c1f4b2a9d3e4f5a6b7c8d9e0f1a2b3c', // customer@example.com
  silver: 'sg4d2e6f8a0b1c3d5e7f9a1b3c5d7e9f04', // user4
  gold: 'sg5e3f7a9b1c2d4e6f8a0b2c4d6e8f0a05', // user5
  business: 'sg88a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5',
  secondResellers: 'sg2b9c8d7e6f5a4b3c2d1e0f9a8b7c6d52', // owned by second_reseller
  unknown: 'sg00000000000000000000000000000000',
} as const;

export const freePackage = { name: 'org.ei.free.v1', type: 'package', quantity: 1 } as const;
export const silverPackage = { name: 'org.ei.silver.v1', type: 'package', quantity: 1 } as const;
export const marketingAddon = { name: 'org.mc.basic.v1', type: 'addon', quantity: 1 } as const;

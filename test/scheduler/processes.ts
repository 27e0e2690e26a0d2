// Admin calls of a v3 simulator started as its own process (harness/processes.ts), so a test
// can fault it, reset it and read its counters while the bridge under test is killed and restarted.

/** Admin calls of a simulator in its own process (no key, never faulted). */
export function simulatorAdmin(url: string) {
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}/_simulator/${path}`, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    if (!res.ok) throw new Error(`${method} /_simulator/${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : ((await res.json()) as any);
  };
  return {
    reset: () => admin('POST', 'reset'),
    faults: () => admin('GET', 'faults'),
    setFaults: (patch: object) => admin('PUT', 'faults', patch),
    clearFaults: () => admin('DELETE', 'faults'),
    writes: (id: string): Promise<{ offerings: number; state: number }> => admin('GET', `writes/${encodeURIComponent(id)}`),
    requests: (): Promise<{ requests: { method: string; path: string }[] }> => admin('GET', 'requests'),
    account: (id: string): Promise<{ offerings: { name: string; quantity?: number }[] }> =>
      admin('GET', `accounts/${encodeURIComponent(id)}`),
  };
}

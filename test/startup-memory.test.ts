// The hook `npm start` gives start-up's memory back in (src/main.ts: one memory-reducing collection,
// README "Memory settings for a sidecar"): run once, after start-up's work, before any listener
// opens, so no request ever waits for it; never by the operator CLI's bridge, which does not listen.
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startTestBridge } from './helpers/bridge.js';

function recordingLogger() {
  const messages: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void messages.push((JSON.parse(line) as { msg: string }).msg) });
  return { logger, messages };
}

describe('beforeListening', () => {
  it('runs once, before any listener opens', async () => {
    const { logger, messages } = recordingLogger();
    const seen: string[][] = [];
    const listeningServers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    const before = listeningServers();
    let during = -1;
    const bridge = await startTestBridge({}, {
      logger,
      beforeListening: () => {
        seen.push([...messages]);
        during = listeningServers();
      },
    });
    try {
      expect(seen).toHaveLength(1);
      expect(seen[0]!.filter((m) => m.includes('listening'))).toEqual([]);
      expect(messages).toContain('bridge listening');
      // Only the embedded simulator listened then; the legacy and admin listeners opened after it.
      expect(during).toBe(before + 1);
      expect(listeningServers()).toBe(before + 3);
    } finally {
      await bridge.stop();
    }
  });

  it('is not run by a bridge that does not listen (the operator CLI)', async () => {
    let calls = 0;
    const bridge = await startTestBridge({}, { listen: false, beforeListening: () => void calls++ });
    try {
      expect(calls).toBe(0);
    } finally {
      await bridge.stop();
    }
  });
});

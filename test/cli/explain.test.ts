import { describe, expect, it } from 'vitest';
import { runInProcess } from './support.js';
import { demoMappings } from '../helpers/bridge.js';

const env = { BRIDGE_MAPPINGS: demoMappings };
const UPGRADE = `curl -sg 'localhost:3000/apiv2/reseller.account.json?api_user=your_sendgrid_username&api_key=your_sendgrid_password&task=immediate_upgrade&package=Basic%20Package&user=customer@example.com&ip_group[]=Reseller%20Group'`;

describe('bridge explain', () => {
  it('prints the v3 calls as curl commands with the reseller key variable and the base URL', async () => {
    const { code, stdout } = await runInProcess(['explain', UPGRADE, '--base-url', 'http://v3.test'], env);
    expect(code).toBe(0);
    const curls = stdout.split('\n').filter((line) => line.includes('curl '));
    expect(curls).toHaveLength(3);
    expect(curls.every((line) => line.includes('"Authorization: Bearer $SENDGRID_API_KEY"'))).toBe(true);
    expect(curls[2]).toContain("-X PUT");
    expect(curls[2]).toContain("'http://v3.test/v3/partners/accounts/sg7c1f4b2a9d3e4f5a6b7c8d9e0f1a2b3c/offerings'");
    expect(stdout).toContain('What the bridge keeps that v3 cannot:');
  });

  it('--json prints the explanation as data', async () => {
    const { code, stdout } = await runInProcess(['explain', UPGRADE, '--json'], env);
    expect(code).toBe(0);
    const explanation = JSON.parse(stdout) as { calls: { operation: string; uses: number[] }[] };
    expect(explanation.calls.map((c) => c.operation)).toEqual(['GetAccountState', 'ListAccountOffering', 'UpdateAccountOffering']);
    expect(explanation.calls[2]!.uses).toEqual([2]);
  });

  it('says what it cannot read, exit 2', async () => {
    const { code, stderr } = await runInProcess(['explain', 'curl -d @body.txt localhost:3000/apiv2/reseller.pending'], env);
    expect(code).toBe(2);
    expect(stderr).toMatch(/error: the body @body\.txt is read from a file/);
  });

  it('explains a refusal with the answer the bridge would give', async () => {
    const { code, stdout } = await runInProcess(['explain', 'api_user=your_sendgrid_username&api_key=x&task=overview&user=ghost'], env);
    expect(code).toBe(0);
    expect(stdout).toContain('The bridge answers 400 without calling v3:\n- User not found: ghost');
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sagemakerModel } from '../emulator/protocol/service-model.js';
import { operationCoverage } from '../emulator/services/sagemaker/engine/catalog.js';
import { clients } from './helpers/clients.js';
import { contractPlan } from './helpers/contract-plan.js';
import { walkWithJsSdk, type Outcome } from './helpers/contract-walk.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';

/**
 * The generated contract test: every operation of SageMaker's service model, with a minimal valid
 * input derived from its shapes, through the JS SDK's Command classes and through boto3.
 */
let emu: EmulatorProcess;
let js: Outcome[];
const coverage = operationCoverage();
const served = new Set(coverage.filter((c) => c.coverage === 'hand-written' || c.coverage === 'engine').map((c) => c.op));

beforeAll(async () => {
  emu = await startEmulatorProcess();
  js = await walkWithJsSdk(clients(emu.url).sagemaker, contractPlan('ct-'));
}, 300_000);
afterAll(async () => emu?.stop());

describe('the contract walk over every operation in the service model', () => {
  it('answers every served operation (no 501) and 501 NotImplemented for the rest', () => {
    const ops = Object.keys(sagemakerModel().operations);
    expect(new Set(js.map((o) => o.op))).toEqual(new Set(ops));
    const answered = new Set(js.filter((o) => o.status !== 501).map((o) => o.op));
    expect([...answered].sort()).toEqual([...served].sort());
    for (const o of js.filter((x) => x.status === 501)) expect(o.error).toBe('NotImplemented');
    const count = (kind: string) => coverage.filter((c) => c.coverage === kind).length;
    console.log(
      `contract: ${served.size} of ${ops.length} operations served ` +
        `(${count('hand-written')} hand-written, ${count('engine')} by the engine), ` +
        `${count('offline-only')} make no sense offline, ${count('not yet')} not yet served`,
    );
  });

  it("runs each engine family's whole lifecycle with minimal inputs", () => {
    const failures = js.filter((o) => o.family && o.status !== 200).map((o) => `${o.op}: ${o.status} ${o.error} ${o.message}`);
    expect(failures).toEqual([]);
  });

  it('gives answers the JS SDK parses and that match the output shapes, with no unknown members', () => {
    expect(js.filter((o) => !o.sdkParsed).map((o) => `${o.op}: ${o.sdkError}`)).toEqual([]);
    expect(js.flatMap((o) => o.violations.map((v) => `${o.op} ${v}`))).toEqual([]);
    // Not a vacuous check: every engine family step is among the successful answers checked.
    const familySteps = js.filter((o) => o.family);
    expect(familySteps.length).toBeGreaterThan(100);
    expect(js.filter((o) => o.status === 200).length).toBeGreaterThanOrEqual(familySteps.length);
  });

  it('gives answers botocore parses, through boto3', (ctx) => {
    if (spawnSync('python3', ['-c', 'import boto3']).status !== 0) ctx.skip();
    const dir = mkdtempSync(join(tmpdir(), 'localsage-contract-'));
    try {
      const plan = join(dir, 'plan.json');
      writeFileSync(plan, JSON.stringify(contractPlan('py-')));
      const run = spawnSync('python3', ['test/python/contract_walk.py', plan], {
        env: { ...process.env, LOCALSAGE_ENDPOINT: emu.url },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: 240_000,
      });
      expect(run.status, run.stderr).toBe(0);
      const py = JSON.parse(run.stdout) as { op: string; parsed: boolean; status?: number; code?: string; error?: string }[];
      // Operations newer than the installed botocore are reported, not failed.
      const unparsed = py.filter((o) => !o.parsed && o.error !== 'not in this botocore');
      expect(unparsed.map((o) => `${o.op}: ${o.error}`)).toEqual([]);
      const answered = py.filter((o) => o.parsed && o.status !== 501).map((o) => o.op);
      for (const op of answered) expect(served.has(op), op).toBe(true);
      const familySteps = new Set(contractPlan('py-').filter((s) => s.family).map((s) => s.op));
      expect(py.filter((o) => familySteps.has(o.op) && o.parsed && o.status !== 200).map((o) => `${o.op}: ${o.code}`)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

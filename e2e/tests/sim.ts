import { spawn, type ChildProcess } from 'node:child_process';
import type { Page } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { createInterface } from 'node:readline';

/** A running TrueNAS API simulator (e2e/truenas-sim). */
export interface Sim {
  url: string; // http://127.0.0.1:PORT — the URL a user registers
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The TrueNAS releases the simulator can be: the oldest and newest whose
 * schemas Keyhaven's calls are checked against. */
export const API_VERSIONS = ['25.04.2', '26.0'] as const;
export type ApiVersion = (typeof API_VERSIONS)[number];

/** `system.info`'s version for each (what the dashboard shows). */
export const RELEASE_SHOWN: Record<ApiVersion, string> = { '25.04.2': '25.04.2', '26.0': '26.0.0-BETA.3' };

/** The versioned endpoint Keyhaven pins for each. */
export const PINNED_ENDPOINT: Record<ApiVersion, string> = { '25.04.2': '/api/v25.04.2', '26.0': '/api/v26.0.0' };

export async function startSim(args: string[]): Promise<Sim> {
  const bin = process.env.KEYHAVEN_SIM_BIN;
  if (!bin) throw new Error('KEYHAVEN_SIM_BIN is not set: run the e2e suite with `cargo xtask test`.');
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const line: string = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`truenas-sim exited (${code})`)));
  });
  const match = /ws:\/\/127\.0\.0\.1:(\d+)\/api\/current/.exec(line);
  if (!match) throw new Error(`unexpected simulator output: ${line}`);
  const port = Number(match[1]);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/** RFC 6238 TOTP (SHA-1, 30 s, 6 digits) for a base32 secret. */
export function totp(secret: string, at = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  const bytes = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const digest = createHmac('sha1', bytes).update(counter).digest();
  const offset = digest[19] & 0x0f;
  const value = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(value % 1_000_000).padStart(6, '0');
}

/** Logs in to a simulator as root over its own API, from the page (Node 20
 * has no WebSocket), and returns the result of one call. */
export async function simCall(page: Page, sim: Sim, rootPassword: string, method: string, params: unknown[]): Promise<any> {
  return page.evaluate(
    ([url, password, method, params]) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(String(url).replace('http://', 'ws://') + '/api/current');
        ws.onopen = () =>
          ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'auth.login_ex',
            params: [{ mechanism: 'PASSWORD_PLAIN', username: 'root', password }] }));
        ws.onmessage = (event) => {
          const reply = JSON.parse(event.data);
          if (reply.id === 1) ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method, params }));
          else { resolve(reply.result); ws.close(); }
        };
        ws.onerror = () => reject(new Error('simulator unreachable'));
      }),
    [sim.url, rootPassword, method, params] as const,
  );
}

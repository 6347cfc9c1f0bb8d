/**
 * Runs `serverless offline start` (serverless 3.40.0 + serverless-offline
 * 13.10.1) as a real Lambda Invoke API on 127.0.0.1 for integration tests.
 * The process runs in its own process group so stop() also ends its children.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface OfflineServer {
  /** For LambdaClient: http://127.0.0.1:LAMBDA_PORT */
  readonly lambdaEndpoint: string;
  /** Base URL of the emulated API Gateway. */
  readonly httpEndpoint: string;
  /** Everything the process printed so far (for assertion messages). */
  output(): string;
  stop(): Promise<void>;
}

export interface OfflineOptions {
  /** Directory with serverless.yml and node_modules (the repository root). */
  readonly servicePath: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly lambdaPort?: number;
  readonly httpPort?: number;
  readonly startTimeoutMs?: number;
}

export async function startServerlessOffline(options: OfflineOptions): Promise<OfflineServer> {
  const lambdaPort = options.lambdaPort ?? 3002;
  const httpPort = options.httpPort ?? 3003;
  for (const port of [lambdaPort, httpPort]) {
    if (await isListening(port)) throw new Error(`port ${port} on 127.0.0.1 is already in use; stop whatever holds it`);
  }
  const bin = path.join(options.servicePath, 'node_modules', 'serverless', 'bin', 'serverless.js');
  const child = spawn(process.execPath, [bin, 'offline', 'start', '--lambdaPort', String(lambdaPort), '--httpPort', String(httpPort)], {
    cwd: options.servicePath,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', ...options.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const server: OfflineServer = {
    lambdaEndpoint: `http://127.0.0.1:${lambdaPort}`,
    httpEndpoint: `http://127.0.0.1:${httpPort}`,
    output: () => output,
    stop: () => stopGroup(child),
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (!(await isListening(lambdaPort)) || !(await isListening(httpPort))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`serverless offline exited (${child.exitCode ?? child.signalCode}) before listening:\n${output.slice(-2000)}`);
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`serverless offline did not listen on ports ${lambdaPort}/${httpPort} in time:\n${output.slice(-2000)}`);
    }
    await sleep(100);
  }
  return server;
}

/** SIGTERM to the whole process group, SIGKILL if it lingers. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // The group is already gone.
    }
  };
  signal('SIGTERM');
  const timer = sleep(5000).then(() => 'timeout' as const);
  if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'timeout') signal('SIGKILL');
  await exited;
  // Worker threads die with the process, but a lingering grandchild would keep ports busy.
  signal('SIGKILL');
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

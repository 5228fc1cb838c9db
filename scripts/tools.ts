/**
 * Obtains the external binaries the tests and `npm start` need:
 *
 *  - the `temporal` CLI (dev server), v1.5.1
 *  - the Java time-skipping test server, io.temporal:temporal-test-server:1.38.0
 *
 * Both are built/resolved from package registries (Go module proxy, Maven Central) into a cache dir, so no
 * GitHub/CDN download is needed. When neither a binary nor a toolchain is available, the helpers return
 * `undefined` / `{ type: 'cached-download' }` and `@temporalio/testing` falls back to its own download.
 *
 * Usable as a module and as a CLI (`tsx scripts/tools.ts`). This file runs before the app config is loaded,
 * so it reads `process.env` directly.
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants, existsSync, realpathSync } from 'node:fs';
import { access, chmod, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EphemeralServerExecutable } from '@temporalio/testing';

export const TEMPORAL_CLI_VERSION = '1.5.1';
export const TEST_SERVER_VERSION = '1.38.0';

const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
const MAVEN_DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

/** Locks older than this are considered abandoned (a cold Go build takes a few minutes). */
const STALE_LOCK_MS = 45 * 60 * 1000;

function log(message: string): void {
  process.stderr.write(`[tools] ${message}\n`);
}

export function toolsDir(): string {
  const override = process.env['CREWLINE_TOOLS_DIR'];
  if (override) return resolve(override);
  const cacheHome = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return resolve(cacheHome, 'crewline');
}

function temporalCliBinDir(): string {
  return join(toolsDir(), `temporal-cli-v${TEMPORAL_CLI_VERSION}`, 'bin');
}

function testServerDir(): string {
  return join(toolsDir(), `temporal-test-server-${TEST_SERVER_VERSION}`);
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds an executable on PATH, like `which`. */
export async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function formatDuration(ms: number): string {
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return `${minutes}m${String(seconds).padStart(2, '0')}s`;
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Cross-process lock via `mkdir` (atomic). The owner's pid is written inside so a lock left behind by a
 * killed process can be detected and removed.
 */
async function withLock<T>(lockDir: string, what: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(lockDir), { recursive: true });
  let announced = false;
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await isStaleLock(lockDir)) {
      log(`removing stale lock ${lockDir}`);
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (!announced) {
      log(`waiting for another process that is preparing ${what} (lock: ${lockDir})…`);
      announced = true;
    }
    await sleep(1000);
  }
  try {
    await writeFile(join(lockDir, 'pid'), String(process.pid));
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

async function isStaleLock(lockDir: string): Promise<boolean> {
  try {
    const info = await stat(lockDir);
    if (Date.now() - info.mtimeMs > STALE_LOCK_MS) return true;
    const pid = Number.parseInt(await readFile(join(lockDir, 'pid'), 'utf8'), 10);
    return Number.isFinite(pid) && pid > 0 && !isProcessAlive(pid);
  } catch {
    // Lock vanished, or pid not written yet (owner just created it): not stale.
    return false;
  }
}

/** Thrown when the user interrupted a build (Ctrl+C / SIGTERM); the child has exited and temp files are gone. */
export class InterruptedError extends Error {
  readonly signal: NodeJS.Signals;

  constructor(signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = 'InterruptedError';
    this.signal = signal;
  }
}

/** Runs a command with inherited stdio (so progress is visible); rejects on non-zero exit. */
function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; heartbeat?: string } = {},
): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const started = Date.now();
    // stdout goes to our stderr: when this runs as part of another tool, stdout may be machine-read.
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', process.stderr, process.stderr],
    });
    const timer = options.heartbeat
      ? setInterval(
          () => log(`${options.heartbeat} (${formatDuration(Date.now() - started)} elapsed)`),
          30_000,
        )
      : undefined;
    timer?.unref();
    // While the child runs we handle SIGINT/SIGTERM ourselves: pass it on, wait for the child to exit, clean
    // up (temp dir, lock) and then report the interruption instead of dying with half-written files.
    let interrupted: NodeJS.Signals | undefined;
    const forward = (signal: NodeJS.Signals) => {
      interrupted = signal;
      child.kill(signal);
    };
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
    const cleanup = () => {
      if (timer) clearInterval(timer);
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
    };
    child.on('error', (err) => {
      cleanup();
      reject(new Error(`failed to start ${command}: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      cleanup();
      if (interrupted) reject(new InterruptedError(interrupted));
      else if (code === 0) resolvePromise();
      else
        reject(
          new Error(
            `\`${command} ${args.join(' ')}\` failed (${signal ? `signal ${signal}` : `exit code ${code}`})`,
          ),
        );
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Temporal CLI (dev server)
// ---------------------------------------------------------------------------------------------------------

let temporalCliPromise: Promise<string | undefined> | undefined;

/**
 * Path to a `temporal` CLI binary: `TEMPORAL_CLI_PATH`, else `temporal` on PATH, else our cached build,
 * else built with Go (`go install …@v1.5.1`). `undefined` when none of that is possible.
 */
export function ensureTemporalCli(): Promise<string | undefined> {
  temporalCliPromise ??= resolveTemporalCli().catch((err: unknown) => {
    temporalCliPromise = undefined; // allow a retry
    throw err;
  });
  return temporalCliPromise;
}

async function resolveTemporalCli(): Promise<string | undefined> {
  const fromEnv = process.env['TEMPORAL_CLI_PATH'];
  if (fromEnv) {
    if (!(await isExecutable(fromEnv))) {
      throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file`);
    }
    return resolve(fromEnv);
  }

  const onPath = await findOnPath('temporal');
  if (onPath) return onPath;

  const binDir = temporalCliBinDir();
  const target = join(binDir, 'temporal');
  if (await isExecutable(target)) return target;

  const go = await findOnPath('go');
  if (!go) return undefined;

  const versionDir = dirname(binDir);
  return withLock(join(versionDir, '.lock'), `Temporal CLI v${TEMPORAL_CLI_VERSION}`, async () => {
    // Another process may have finished the build while we waited for the lock.
    if (await isExecutable(target)) return target;

    const tmpDir = join(versionDir, `.build-${process.pid}-${Date.now()}`);
    await mkdir(tmpDir, { recursive: true });
    const started = Date.now();
    log(
      `building Temporal CLI v${TEMPORAL_CLI_VERSION} with Go (first time only, takes several minutes)… ` +
        `→ ${target}`,
    );
    try {
      // Same ldflags as the upstream release build, so `temporal --version` reports the real version.
      const ldflags = `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`;
      await run(go, ['install', `-ldflags=${ldflags}`, `${TEMPORAL_CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`], {
        env: { ...process.env, GOBIN: tmpDir },
        heartbeat: `still building Temporal CLI v${TEMPORAL_CLI_VERSION}`,
      });
      const built = join(tmpDir, 'temporal');
      if (!(await isExecutable(built))) throw new Error(`go install succeeded but ${built} is missing`);
      await mkdir(binDir, { recursive: true });
      await rename(built, target);
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      throw new Error(
        `building the Temporal CLI with Go failed: ${(err as Error).message}\n` +
          `Set TEMPORAL_CLI_PATH to an existing \`temporal\` binary to skip the build.`,
        { cause: err },
      );
    } finally {
      await rm(tmpDir, { recursive: true, force: true });
    }
    log(`built Temporal CLI v${TEMPORAL_CLI_VERSION} in ${formatDuration(Date.now() - started)}`);
    return target;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Java time-skipping test server
// ---------------------------------------------------------------------------------------------------------

let testServerPromise: Promise<string | undefined> | undefined;

/**
 * Path to a wrapper script that starts the Java time-skipping test server (resolved from Maven Central
 * with `mvn`). `undefined` when it isn't cached and `java`/`mvn` aren't available.
 */
export function ensureTestServer(): Promise<string | undefined> {
  testServerPromise ??= resolveTestServer().catch((err: unknown) => {
    testServerPromise = undefined;
    throw err;
  });
  return testServerPromise;
}

function testServerPom(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>crewline.tools</groupId>
  <artifactId>temporal-test-server-deps</artifactId>
  <version>${TEST_SERVER_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${TEST_SERVER_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The wrapper script around the resolved jars. Revision 2 drops SLF4J's three-line "no binding" notice from
 * the server's stderr (the server logs nothing through SLF4J); everything else passes through. Revision 3 starts
 * the JVM with the client compiler only and the serial collector: the SDK gives the server 5 s to listen, and
 * that cuts the start by about a third on a busy 2-core machine (8–10 s → 6–7 s at load 28). `exec` keeps the
 * PID, so stopping the wrapper stops the server.
 */
const WRAPPER_REVISION = '# wrapper revision 3';
const JVM_FLAGS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';
function testServerWrapper(libDir: string): string {
  return (
    '#!/usr/bin/env bash\n' +
    `# Temporal time-skipping test server ${TEST_SERVER_VERSION}, generated by scripts/tools.ts\n` +
    `${WRAPPER_REVISION}\n` +
    `exec java ${JVM_FLAGS} -cp ${shellQuote(`${libDir}/*`)} io.temporal.testserver.TestServer "$@" ` +
    `2> >(grep --line-buffered -v '^SLF4J:' >&2)\n`
  );
}

async function writeExecutable(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode: 0o755 });
  await chmod(tmp, 0o755);
  await rename(tmp, path);
}

async function resolveTestServer(): Promise<string | undefined> {
  const dir = testServerDir();
  const wrapper = join(dir, 'temporal-test-server');
  const libDir = join(dir, 'lib');
  if (await isExecutable(wrapper)) {
    if ((await readFile(wrapper, 'utf8')).includes(WRAPPER_REVISION)) return wrapper;
    // An older wrapper over complete jars: only the script is renewed.
    await writeExecutable(wrapper, testServerWrapper(libDir));
    return wrapper;
  }

  const java = await findOnPath('java');
  const mvn = await findOnPath('mvn');
  if (!java || !mvn) return undefined;

  return withLock(join(dir, '.lock'), `the Temporal test server ${TEST_SERVER_VERSION}`, async () => {
    if (await isExecutable(wrapper)) return wrapper;

    const started = Date.now();
    log(
      `resolving the Temporal time-skipping test server ${TEST_SERVER_VERSION} from Maven Central ` +
        `(first time only)… → ${dir}`,
    );
    await rm(libDir, { recursive: true, force: true }); // leftovers of an interrupted run
    await writeFile(join(dir, 'pom.xml'), testServerPom());
    try {
      await run(
        mvn,
        [
          '-B',
          '-q',
          `${MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies`,
          '-DoutputDirectory=lib',
          '-DincludeScope=runtime',
        ],
        { cwd: dir, heartbeat: 'still resolving the test server with Maven' },
      );
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      throw new Error(`resolving the Temporal test server with Maven failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const jars = (await readdir(libDir).catch(() => [] as string[])).filter((f) => f.endsWith('.jar'));
    if (!jars.some((f) => f.startsWith('temporal-test-server-'))) {
      throw new Error(`Maven finished but ${libDir} does not contain temporal-test-server-*.jar`);
    }

    // Written last and atomically: its existence means the install is complete.
    await writeExecutable(wrapper, testServerWrapper(libDir));
    log(
      `resolved the test server (${jars.length} jars) in ${formatDuration(Date.now() - started)} → ${wrapper}`,
    );
    return wrapper;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Values for @temporalio/testing's `server.executable`
// ---------------------------------------------------------------------------------------------------------

/** For `TestWorkflowEnvironment.createLocal({ server: { executable } })`. */
export async function temporalCliExecutable(): Promise<EphemeralServerExecutable> {
  const path = await ensureTemporalCli();
  return path ? { type: 'existing-path', path: await quietCli(path) } : { type: 'cached-download' };
}

/**
 * The CLI behind a script that drops its stdout: started by @temporalio/testing, `temporal server start-dev`
 * prints its version/address banner there (test output stays readable); its logs (stderr) pass through.
 */
async function quietCli(cli: string): Promise<string> {
  const script = `#!/bin/sh\n# generated by scripts/tools.ts\nexec ${shellQuote(cli)} "$@" >/dev/null\n`;
  const path = join(toolsDir(), 'temporal-quiet');
  const current = await readFile(path, 'utf8').catch(() => '');
  if (current !== script) {
    await mkdir(toolsDir(), { recursive: true });
    await writeExecutable(path, script);
  }
  return path;
}

/** For `TestWorkflowEnvironment.createTimeSkipping({ server: { executable } })`. */
export async function testServerExecutable(): Promise<EphemeralServerExecutable> {
  const path = await ensureTestServer();
  return path ? { type: 'existing-path', path } : { type: 'cached-download' };
}

// ---------------------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  log(`tools dir: ${toolsDir()}`);
  const failures: string[] = [];

  // Sequential on purpose: a cold Go build and a cold Maven resolution both saturate the network/CPU, and
  // interleaved output is hard to read.
  try {
    const cli = await ensureTemporalCli();
    log(
      cli
        ? `temporal CLI:  ${cli}`
        : `temporal CLI:  not available (no Go toolchain); @temporalio/testing will download it on demand`,
    );
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    failures.push((err as Error).message);
  }
  try {
    const server = await ensureTestServer();
    log(
      server
        ? `test server:   ${server}`
        : `test server:   not available (needs java + mvn); @temporalio/testing will download it on demand`,
    );
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    failures.push((err as Error).message);
  }

  if (failures.length > 0) {
    for (const failure of failures) log(`ERROR: ${failure}`);
    log(`failed after ${formatDuration(Date.now() - started)}`);
    process.exitCode = 1;
    return;
  }
  log(`tools ready in ${formatDuration(Date.now() - started)}`);
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return existsSync(entry) && import.meta.url === pathToFileURL(resolve(entry)).href;
  }
}

if (isMain()) {
  main().catch((err: unknown) => {
    if (err instanceof InterruptedError) {
      log(`interrupted (${err.signal}); nothing half-built was kept`);
      process.exitCode = err.signal === 'SIGINT' ? 130 : 143;
      return;
    }
    log(`ERROR: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  });
}

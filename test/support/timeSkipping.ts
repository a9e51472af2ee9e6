import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, join } from 'node:path';
import { cacheDir } from '../../src/server/temporalCli';

/**
 * Temporal's time-skipping test server is the Java one (`io.temporal:temporal-test-server`). The SDK
 * would download a native build of it, which needs the internet; Maven Central is reachable wherever
 * Maven is, so the jars come from there, pinned by test/java-test-server/pom.xml.
 */
export const JAVA_TEST_SERVER_POM = join(__dirname, '..', 'java-test-server', 'pom.xml');
export const JAVA_TEST_SERVER_MAIN = 'io.temporal.testserver.TestServer';

/** The pinned version, read from the pom so there is one place to change it. */
export function javaTestServerVersion(pom = JAVA_TEST_SERVER_POM): string {
  const match = /<temporal\.test-server\.version>([^<]+)<\/temporal\.test-server\.version>/.exec(
    readFileSync(pom, 'utf8'),
  );
  if (!match?.[1]) throw new Error(`${pom} does not set <temporal.test-server.version>`);
  return match[1].trim();
}

/** `NIGHTSHIFT_CACHE_DIR` (or `~/.cache/nightshift`) `/java-test-server/<version>`. */
export function javaTestServerDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'java-test-server', javaTestServerVersion());
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function say(line: string): void {
  process.stderr.write(`[time-skipping server] ${line}\n`);
}

function onPath(program: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, program))) return join(dir, program);
  }
  return undefined;
}

/** `$JAVA_HOME/bin/java`, else `java` on PATH; it must run (`java -version`). */
function findJava(env: NodeJS.ProcessEnv): string {
  const fromHome = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : undefined;
  const java = fromHome && existsSync(fromHome) ? fromHome : onPath('java', env);
  const hint =
    "The time-skipping test runs Temporal's Java test server: install a JDK or JRE (17 or newer) and put `java` on PATH, or set JAVA_HOME.";
  if (!java)
    throw new Error(
      `java was not found (JAVA_HOME ${env.JAVA_HOME ? `is ${env.JAVA_HOME}` : 'is not set'}, and no java on PATH). ${hint}`,
    );
  const probe = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    throw new Error(`${java} -version failed: ${probe.error?.message ?? probe.stderr.trim()}. ${hint}`);
  return java;
}

function fetchJars(jarsDir: string, env: NodeJS.ProcessEnv): void {
  const mvn = onPath('mvn', env);
  if (!mvn) {
    throw new Error(
      `mvn was not found on PATH, and the Java test server's jars are not cached in ${jarsDir}. ` +
        'Install Maven (it fetches io.temporal:temporal-test-server from Maven Central once), or put the jars there yourself.',
    );
  }
  const partial = `${jarsDir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  say(
    `fetching io.temporal:temporal-test-server into ${jarsDir} (mvn -q -f ${JAVA_TEST_SERVER_POM} dependency:copy-dependencies)`,
  );
  const started = Date.now();
  const run = spawnSync(
    mvn,
    ['-q', '-B', '-f', JAVA_TEST_SERVER_POM, 'dependency:copy-dependencies', `-DoutputDirectory=${partial}`],
    {
      encoding: 'utf8',
      env,
      timeout: 10 * 60_000,
    },
  );
  if (run.error || run.status !== 0) {
    rmSync(partial, { recursive: true, force: true });
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(
      `mvn could not fetch the Java test server (${run.error?.message ?? `exit ${run.status}`}):\n${output}`,
    );
  }
  const jars = readdirSync(partial).filter((f) => f.endsWith('.jar'));
  if (!jars.some((f) => f.startsWith('temporal-test-server-'))) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(
      `mvn ran but ${partial} has no temporal-test-server jar (found: ${jars.join(', ') || 'nothing'})`,
    );
  }
  // Another test process may have won the race: its copy is as good as ours.
  if (existsSync(jarsDir)) rmSync(partial, { recursive: true, force: true });
  else renameSync(partial, jarsDir);
  say(`fetched ${jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

/**
 * The path of an executable that starts the Java time-skipping test server as `<path> <port> [flags]`,
 * which is how the SDK starts an `existing-path` server (core's ephemeral_server: argv = [port, ...extraArgs],
 * then it waits up to 5 s for the port to answer and kills the process on teardown). The jars are fetched once
 * into the cache; the wrapper is a small shell script that `exec`s java, so the kill reaches the JVM itself.
 */
export async function ensureTimeSkippingServer(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = javaTestServerDir(env);
  const jarsDir = join(dir, 'jars');
  const java = findJava(env);
  mkdirSync(dir, { recursive: true });
  if (existsSync(join(jarsDir, `temporal-test-server-${javaTestServerVersion()}.jar`)))
    say(`using cached jars in ${jarsDir}`);
  else fetchJars(jarsDir, env);

  const wrapper = join(dir, 'temporal-test-server');
  // Serial GC and the C1 compiler only: a test server lives for seconds on a small, shared machine.
  const script = [
    '#!/bin/sh',
    "# Written by test/support/timeSkipping.ts: Temporal's Java time-skipping test server. Usage: <port> [--enable-time-skipping]",
    `exec ${shellQuote(java)} -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp ${shellQuote(`${jarsDir}/*`)} ${JAVA_TEST_SERVER_MAIN} "$@"`,
    '',
  ].join('\n');
  if (!existsSync(wrapper) || readFileSync(wrapper, 'utf8') !== script) {
    const tmp = `${wrapper}.${process.pid}`;
    writeFileSync(tmp, script);
    chmodSync(tmp, 0o755);
    renameSync(tmp, wrapper);
    say(`wrote ${wrapper}`);
  }
  return wrapper;
}

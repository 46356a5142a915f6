// Runs one benchmark cell as a child process and returns the JSON object it prints last. The
// child's other output is passed through to our stderr as it comes, so a long cell shows its
// progress while our stdout stays free for the final report.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAX_LINE = 400;

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  /** Prefix of passed-through lines, e.g. "  [pytorch] ". */
  label: string;
  /** The child is killed after this long (a pathological cell must not stall the run). */
  timeoutSeconds?: number;
}

/** A cell's result or why it has none: one failed cell should not cost the rest of the run. */
export interface Settled<T> {
  value: T | null;
  error?: string;
}

export async function settle<T>(run: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { value: await run() };
  } catch (error) {
    const message = (error as Error).message;
    process.stderr.write(`  failed: ${message}\n`);
    return { value: null, error: message.split('\n')[0] };
  }
}

export async function runJsonChild<T>(command: string, args: readonly string[], options: ChildOptions): Promise<T> {
  const timeout = options.timeoutSeconds ? options.timeoutSeconds * 1000 : undefined;
  const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], timeout });
  const started = performance.now();
  let last: T | undefined;
  const tail: string[] = [];
  const pass = (full: string) => {
    // A crashing wasm backend prints its whole minified source as one line.
    const line = full.length > MAX_LINE ? `${full.slice(0, MAX_LINE)}…` : full;
    tail.push(line);
    if (tail.length > 20) tail.shift();
    process.stderr.write(`${options.label}${line}\n`);
  };
  const stdout = createInterface({ input: child.stdout });
  stdout.on('line', (line) => {
    if (line.startsWith('{')) {
      try {
        last = JSON.parse(line) as T;
        return;
      } catch {
        // not a JSON report after all: show it
      }
    }
    pass(line);
  });
  createInterface({ input: child.stderr }).on('line', pass);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve([c, s]));
  });
  if (code !== 0 || last === undefined) {
    const timedOut = timeout !== undefined && signal !== null && performance.now() - started >= timeout;
    const why = timedOut ? `timed out after ${options.timeoutSeconds} s` : code !== 0 ? `exited with ${code ?? signal}` : 'printed no JSON line';
    throw new Error(`${command} ${args.join(' ')} ${why}\n${tail.join('\n')}`);
  }
  return last;
}

/** Our own cells: a TypeScript file beside this one, run by Node with tsx's loader. */
export function runTsCell<T>(file: string, args: readonly string[], options: ChildOptions): Promise<T> {
  const path = fileURLToPath(new URL(file, import.meta.url));
  return runJsonChild<T>(process.execPath, ['--import', 'tsx', path, ...args], options);
}

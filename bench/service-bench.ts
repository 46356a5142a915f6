// The ending shared by the benchmarks that run a service (bench:serve, bench:load): stop it,
// print the report, and exit with what happened.
import type { RunningService } from '../scripts/lib/service.js';

const log = (text: string) => process.stderr.write(`${text}\n`);
const why = (error: unknown) => (error instanceof Error ? error.message : String(error));

export interface Outcome {
  failure: unknown;
  report: string | null;
  /** Printed as the last line of stdout with `--json`; the service's exit code is added. */
  json: Record<string, unknown> | null;
}

/** Stops `service` (keeping its log when the run failed), prints the outcome; resolves with the exit code. */
export async function finish(bench: string, service: RunningService, { failure, report, json }: Outcome, printJson: boolean): Promise<number> {
  if (failure) log(`\nlast lines of the service log (${service.logFile}):\n${await service.logTail(15)}`);
  const stopped = await service.stop({ keepLog: failure !== null });
  log(`service stopped (exit ${stopped.exitCode ?? stopped.signal}) in ${(stopped.ms / 1000).toFixed(1)} s; data dir and Redis keys removed`);
  if (report) process.stdout.write(report);
  if (json && printJson) process.stdout.write(`${JSON.stringify({ ...json, serviceExit: stopped.exitCode })}\n`);
  if (failure) {
    log(`${bench} failed: ${why(failure)}`);
    return 1;
  }
  return stopped.exitCode === 0 ? 0 : 1;
}

/** Runs `main` and exits with its code (1 if it throws). */
export function exitWith(bench: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      log(`${bench} failed: ${why(error)}`);
      process.exit(1);
    },
  );
}

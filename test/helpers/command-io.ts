// A CommandIo that captures what a CLI command writes, for assertions.
import type { CommandIo } from '../../src/cli/train-commands.js';

export function captureIo(): CommandIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    errIsTTY: false,
    out: (text: string) => void (io.stdout += text),
    err: (text: string) => void (io.stderr += text),
  };
  return io;
}

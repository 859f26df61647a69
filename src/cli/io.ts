/** Where the CLI writes and what it reads, injectable so that tests run commands in-process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Whether standard error is a terminal (progress bars redraw in place). */
  isTTY?: boolean;
  /** Wall-clock time, for durations and timestamps of long commands. */
  now?: () => number;
}

/** What a command may touch of the process: injected so the CLI can run inside tests too. */
export interface CliContext {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Aborted on Ctrl-C: hashing workers stop and nothing is written. */
  readonly signal: AbortSignal;
}

/** Lets an action set the process exit status without throwing (e.g. "verified: no"). */
export type SetExitStatus = (status: number) => void;

/** Exit codes of every command, for scripts and CI. */
export const EXIT = {
  /** Done; nothing wrong found. */
  ok: 0,
  /** Problems found: an invalid rules file, a failed test case, a payload that does not parse. */
  problems: 1,
  /** The command was called wrongly: unknown command or option, missing argument, no such file. */
  usage: 2,
} as const;

/** Where a command writes a line. */
export type Out = (line: string) => void;

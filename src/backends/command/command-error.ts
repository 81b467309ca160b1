/**
 * Why running an external command failed. Every one of these fails the request closed (503);
 * the message names the command and what went wrong, for the log only — it never carries the
 * password or the command's stdout, which could echo it.
 */
export type CommandErrorCode =
  | 'not_found' // the executable is missing (at load, or removed since)
  | 'not_executable'
  | 'spawn_failed'
  | 'timeout' // ran past its deadline; the process group was killed
  | 'aborted' // the request's own deadline passed first
  | 'output_too_large'
  | 'bad_exit' // an exit code (or signal) outside the protocol
  | 'bad_output'; // exit 0 but stdout is not the JSON the protocol allows

export class CommandError extends Error {
  constructor(
    readonly code: CommandErrorCode,
    readonly command: string,
    detail: string,
  ) {
    super(`command ${command}: ${detail}`);
    this.name = 'CommandError';
  }
}

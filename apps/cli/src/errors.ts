/**
 * Exit codes of `holdfast` (documented in the README):
 *   0  success
 *   1  a check found damage (`verify`, `index verify`) or a repair left damage
 *   2  usage error, bad input, not found, data folder locked, or any other failure
 */
export const EXIT_OK = 0;
export const EXIT_DAMAGE = 1;
export const EXIT_ERROR = 2;

/** An error meant for the operator: printed as one line, no stack trace. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode = EXIT_ERROR,
  ) {
    super(message);
  }
}

/** What every backend factory gets besides its own config (providers get a little more). */
export interface BackendBuildContext {
  /** Folder of the config file: relative paths in backend configs resolve against it. */
  readonly baseDir: string;
  /** Name given to the instance: its `name`, else `<type>#<index>`; used in logs. */
  readonly name: string;
  /** Start-up warnings (e.g. TLS verification off) for the log; backends fall back to process warnings. */
  readonly warn?: (message: string) => void;
  /**
   * Declares a file the backend read while being set up (script, CA bundle, key, module): the
   * config is reloaded when it changes, as when the config file itself changes.
   */
  readonly uses: (file: string) => void;
}

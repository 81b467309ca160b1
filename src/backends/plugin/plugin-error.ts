/** Why a JS plugin could not be used. Load-time codes stop the server; the others fail a request with 503. */
export type PluginErrorCode =
  | 'load_failed' // the module cannot be imported
  | 'bad_shape' // it exports no factory, or the factory returns the wrong kind of object
  | 'timeout' // a call ran past the plugin's deadline
  | 'bad_result'; // a call resolved to something outside the contract

export class PluginError extends Error {
  constructor(
    readonly code: PluginErrorCode,
    readonly module: string,
    detail: string,
  ) {
    super(`plugin ${module}: ${detail}`);
    this.name = 'PluginError';
  }
}

import { serve } from '../lifecycle/serve.js';
import { parseOptions, type Command } from './command.js';

export const serveCommand: Command = {
  summary: 'run the token server',
  usage: `Usage: regauth serve [--config FILE]

Starts the token server. The config comes from --config, else $REGAUTH_CONFIG, else
config/default.yml; $REGAUTH_LOG_LEVEL overrides log.level. SIGHUP reloads the config (a bad
config is rejected and the old one keeps serving); SIGTERM/SIGINT stop gracefully after
in-flight requests and exit 0.`,
  run(argv) {
    const { values } = parseOptions(argv, { config: { type: 'string' } });
    return serve({ configFlag: values.config });
  },
};

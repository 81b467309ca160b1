import { childEnvironment } from './child-environment.js';

const serverEnv = { PATH: '/usr/bin', HOME: '/home/regauth', LANG: 'C.UTF-8', CICD_SECRET: 's', LDAP_BIND_PASSWORD: 'x', TERM: 'xterm' };

describe(childEnvironment.name, () => {
  it('passes PATH, HOME and LANG by default and nothing else', () => {
    expect(childEnvironment({ names: [], inherit: false }, serverEnv)).toEqual({ PATH: '/usr/bin', HOME: '/home/regauth', LANG: 'C.UTF-8' });
  });

  it('adds the variables the config names', () => {
    expect(childEnvironment({ names: ['CICD_SECRET'], inherit: false }, serverEnv)).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/regauth',
      LANG: 'C.UTF-8',
      CICD_SECRET: 's',
    });
  });

  it('leaves out named variables that are not set rather than passing them empty', () => {
    expect(childEnvironment({ names: ['NOT_SET'], inherit: false }, { PATH: '/bin' })).toEqual({ PATH: '/bin' });
  });

  it('passes everything with inherit', () => {
    expect(childEnvironment({ names: [], inherit: true }, serverEnv)).toEqual(serverEnv);
  });
});

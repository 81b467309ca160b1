/** Tests run as native ES modules (NestJS 12 ships ESM only). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // Fastify's inject() (light-my-request, CommonJS) requires `cookie`, whose v2 is ESM only;
    // Node 20 loads that with require(esm), jest 29's module loader cannot. Inside jest the
    // same library's CommonJS release (v1, same stringifySetCookie API) serves instead.
    '^cookie$': 'cookie-cjs',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  testTimeout: 30000,
};

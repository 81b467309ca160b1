import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/** typescript-eslint's type-checked rules on every TypeScript file; the scripts get the JS rules. */
export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', 'data/'] },
  eslint.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Backend contracts return promises; `async` on a method without `await` is how a throw in it
      // becomes a rejection the chain can handle, so it is not a mistake here.
      '@typescript-eslint/require-await': 'off',
      // `_` names an argument a signature requires but the body does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // jest's asymmetric matchers (expect.any, expect.stringContaining, …) are typed `any`.
    files: ['**/*.spec.ts', '**/*.fixture.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off', '@typescript-eslint/no-unsafe-argument': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
      },
    },
  },
);

// Lint for the bugs the compiler lets through, most of them async (STYLE.md "Code"): a promise
// nobody awaits or handles, a promise handed where a callback is expected, a switch that forgets a
// case, `==`. Type-aware: projectService reads tsconfig.json, so the rules see the real types.
// `npm run lint` caches results in .local/ (gitignored); scripts/test.sh runs it before the unit tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Test code: specs, and the helpers and programs that drive the apps from outside. */
const TEST_CODE = ['**/*.spec.ts', '**/*.integration-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts', 'libs/testing/**/*.ts', 'tools/**/*.ts'];

export default tseslint.config(
  // apps/console is its own front-end project with its own toolchain; plain JS here is build glue.
  { ignores: ['dist/**', 'dist-bench/**', 'node_modules/**', '.local/**', 'coverage/**', 'models/**', 'apps/console/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // A `default` is a deliberate "everything else"; a switch without one must name every member.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // `_name` marks a parameter a signature requires, or a key taken out of a rest spread.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Off: `async` on a method that satisfies a Promise-returning interface (Nest lifecycle hooks,
      // gRPC handlers, ports) is deliberate; the promise rules above catch the real async bugs.
      '@typescript-eslint/require-await': 'off',
      // Off: the code matches control characters on purpose (storable text, ANSI colours, header
      // fuzzing); the rule exists for the accidental ones, and every hit here is intended.
      'no-control-regex': 'off',
      // Arrays in a message read as "1,2,3", which is what a shape in an error message should say.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true, allowArray: true }],
    },
  },
  {
    files: TEST_CODE,
    rules: {
      // Off in test code: tests read untyped JSON off the wire and the `expect` that follows is the
      // check; typing every response body would restate the contract the test is asserting.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Off in test code: `expect(client.close).toHaveBeenCalled()`-style references never call unbound.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);

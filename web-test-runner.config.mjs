// Browser tests in Debian's Chromium: unit and component tests beside the code (src/**/*.test.ts).
import path from 'node:path';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { fromRollup } from '@web/dev-server-rollup';
import rollupCommonjs from '@rollup/plugin-commonjs';
import { chromeLauncher } from '@web/test-runner-chrome';
import { countReporter } from './test/wtr-count-reporter.mjs';
import { defaultReporter } from '@web/test-runner';
import { CHROMIUM, CHROMIUM_ARGS } from './dev/chromium.mjs';

const commonjs = fromRollup(rollupCommonjs);

export default {
  files: ['src/**/*.test.ts', 'stories/**/*.test.ts', '!src/server/**'],
  nodeResolve: { exportConditions: ['browser', 'development'] },
  port: 8000,
  hostname: 'localhost',
  concurrency: 1,
  testFramework: { config: { timeout: 10000 } },
  plugins: [
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json' }),
    commonjs({ include: ['**/node_modules/@mattermost/**'] }),
    // The stories' a11y test renders the stories outside Storybook: its actions log nowhere.
    {
      name: 'storybook-actions-stub',
      resolveImport: ({ source, context }) =>
        source === 'storybook/actions'
          ? `./${path.posix.relative(path.posix.dirname(context.path), '/stories/support/actions-stub.ts')}`
          : undefined,
    },
  ],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: CHROMIUM,
        args: [...CHROMIUM_ARGS, '--headless=new'],
      },
    }),
  ],
  // `npm test` runs with --coverage: line and branch coverage of the widget's sources (src/ without
  // the companion, which node's runner covers), read back by test/run.mjs against its threshold.
  coverageConfig: {
    include: ['src/**/*.ts'],
    exclude: ['src/server/**', 'src/**/*.test.ts', 'src/testing/**', 'node_modules/**'],
    reportDir: 'coverage/widget',
    reporters: ['json-summary', 'text-summary'],
  },
  reporters: [defaultReporter(), countReporter()],
};

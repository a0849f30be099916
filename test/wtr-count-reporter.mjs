// A @web/test-runner reporter that writes the number of passed and failed tests to a JSON file,
// so `npm test` can print one plain total across all its runners.
import fs from 'node:fs';

function count(results, acc) {
  if (!results) return acc;
  for (const t of results.tests ?? []) {
    if (t.skipped) continue;
    t.passed ? acc.passed++ : acc.failed++;
  }
  for (const s of results.suites ?? []) count(s, acc);
  return acc;
}

export function countReporter({ file = process.env.PORTHOLE_COUNT_FILE } = {}) {
  return {
    onTestRunFinished({ sessions }) {
      const acc = { passed: 0, failed: 0 };
      for (const s of sessions) {
        count(s.testResults, acc);
        // A file that failed to load or threw outside a test counts as one failure.
        if (!s.passed && (s.errors?.length ?? 0) > 0) acc.failed++;
      }
      if (file) fs.writeFileSync(file, JSON.stringify(acc));
    },
  };
}

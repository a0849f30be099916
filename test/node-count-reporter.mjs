// A node:test reporter that writes the number of passed and failed tests to a JSON file.
import fs from 'node:fs';

export default async function* countReporter(source) {
  const acc = { passed: 0, failed: 0 };
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    // Suites are reported like tests; count only leaves (tests without subtests).
    if (event.data.details?.type === 'suite') continue;
    if (event.data.skip || event.data.todo) continue;
    event.type === 'test:pass' ? acc.passed++ : acc.failed++;
  }
  if (process.env.PORTHOLE_COUNT_FILE) fs.writeFileSync(process.env.PORTHOLE_COUNT_FILE, JSON.stringify(acc));
  yield '';
}

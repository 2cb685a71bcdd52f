// A test reporter that lists only the failed tests, after the run: the file and line, the test's
// name under its suites, and the first lines of its error. `run-tests.mjs` writes it to a file
// and prints it after the run's own output, so that the end of a long log (all that a CI page
// may show) names what failed.
const MAX_ERROR_LINES = 12;

function errorText(error) {
  const cause = error?.cause ?? error;
  const text = cause instanceof Error ? (cause.stack ?? String(cause)) : String(cause ?? error);
  const lines = text.split('\n');
  return lines.length > MAX_ERROR_LINES ? [...lines.slice(0, MAX_ERROR_LINES), '    …'] : lines;
}

export default async function* failuresReporter(source) {
  const failed = [];
  const suites = [];
  for await (const event of source) {
    if (event.type === 'test:start') {
      suites[event.data.nesting] = event.data.name;
      suites.length = event.data.nesting + 1;
    } else if (event.type === 'test:fail' && event.data.details?.type !== 'suite') {
      const { file, line, name, nesting, details } = event.data;
      const path = [...suites.slice(0, nesting), name].join(' > ');
      failed.push(
        [
          `not ok: ${path}`,
          `  at ${file ?? '?'}:${line ?? '?'}`,
          ...errorText(details?.error).map((l) => `  ${l}`),
        ].join('\n'),
      );
    }
  }
  yield failed.length === 0 ? '# failed tests: none\n' : `# failed tests (${failed.length}):\n${failed.join('\n')}\n`;
}

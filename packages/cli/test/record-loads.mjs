// Preloaded with `node --import`: writes every module URL the process resolved to the file named
// by LICTOR_TEST_LOADS when it exits (for the test that end-user commands load no server code).
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded = new Set();
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context);
    loaded.add(result.url);
    return result;
  },
});
process.on('exit', () => writeFileSync(process.env.LICTOR_TEST_LOADS, [...loaded].join('\n')));

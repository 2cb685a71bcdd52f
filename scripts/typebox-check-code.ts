/**
 * TypeBox's compiled check of a schema as source text, for the checks generated at build time
 * (`make-runtime-wire-code.ts`, `make-manager-answer-checks.ts`): the code TypeBox's JSON Schema
 * compiler (`typebox/schema`'s `Build`, what `Compile` evaluates) makes, its regular expressions
 * written as literals and its format checks named from `typebox/format`. The code calls
 * `Guard` (`typebox/guard`) for string lengths in code points.
 */
import * as Formats from 'typebox/format';
import { Build, type Compile } from 'typebox/schema';

/**
 * TypeBox's check of `schema` as an expression: a function of one value, true when it is of the
 * schema. Format checks are named by their export of `typebox/format` (added to `formats`, for
 * the generated module to import); the generator refuses code that needs more of TypeBox.
 */
export function checkCode(name: string, schema: object, formats?: Set<string>): string {
  const build = Build(schema as Parameters<typeof Compile>[0]);
  if (build.UseUnevaluated()) throw new Error(`${name}: TypeBox's code needs its CheckContext`);
  const functions = build.Functions().join(';\n');
  for (const needs of ['CheckContext', 'Hashing']) {
    if (functions.includes(needs)) throw new Error(`${name}: TypeBox's code needs ${needs}`);
  }
  const { identifier, variables } = build.External();
  const external = variables.map((v) => {
    if (v instanceof RegExp) return String(v);
    const format = Object.entries(Formats).find(([, f]) => f === v)?.[0];
    if (typeof v !== 'function' || format === undefined || formats === undefined) {
      throw new Error(`${name}: an external of TypeBox's code is neither a RegExp nor a format of typebox/format`);
    }
    formats.add(format);
    return format;
  });
  return `((${identifier}) => {\n${functions};\nreturn (value) => ${build.Entry()};\n})([${external.join(', ')}])`;
}

/**
 * The directory as YAML text: parse (with every validation error) and dump. Pure text
 * functions; reading and writing files is the caller's business.
 */
import { parseDocument, stringify } from 'yaml';
import type { ConfigIssue } from './errors.js';
import type { Directory } from './schema.js';
import { type ValidationResult, validateDirectory } from './validate.js';

/**
 * Parses YAML text into a validated, normalised directory. YAML 1.2 core schema: `yes`
 * and `no` stay strings, and duplicate keys are errors. Syntax errors come back as
 * `YAML_SYNTAX` issues with line and column in the message.
 */
export function parseDirectoryYaml(text: string): ValidationResult {
  const doc = parseDocument(text, { version: '1.2', uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const errors: ConfigIssue[] = doc.errors.map((e) => ({
      path: '',
      value: undefined,
      allowed: 'valid YAML',
      message: e.message,
      code: 'YAML_SYNTAX',
    }));
    return { ok: false, errors, warnings: [] };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return {
      ok: false,
      errors: [
        {
          path: '',
          value: undefined,
          allowed: 'valid YAML',
          message: String((e as Error).message),
          code: 'YAML_SYNTAX',
        },
      ],
      warnings: [],
    };
  }
  return validateDirectory(data);
}

/**
 * Writes a directory as YAML, with every value explicit (defaults included), so an export
 * shows what is in force. Numeric-looking strings are quoted, so extensions and dial
 * strings keep their leading zeros. `parseDirectoryYaml(dumpDirectoryYaml(d))` gives `d`.
 */
export function dumpDirectoryYaml(dir: Directory): string {
  return `# twinline directory (docs/config.md)\n${stringify(dir, { lineWidth: 0, version: '1.2' })}`;
}

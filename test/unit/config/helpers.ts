import assert from 'node:assert/strict';
import type { ConfigIssue } from '../../../src/config/errors.js';
import type { Directory, DirectoryInput, UserInput } from '../../../src/config/schema.js';
import { type ValidationResult, validateDirectory } from '../../../src/config/validate.js';

/** A user with only the required fields (and a long enough password to avoid the warning). */
export function user(extension: string, extra: Partial<UserInput> = {}): UserInput {
  return { extension, name: `User ${extension}`, password: `pw-${extension}-long-enough`, ...extra };
}

/** A directory input with UTC as time zone (tests set their own zone when it matters). */
export function dir(extra: Partial<DirectoryInput> = {}): DirectoryInput {
  return {
    ...extra,
    system: { timeZone: 'UTC', ...extra.system },
  };
}

export function valid(input: unknown): Directory {
  const r = validateDirectory(input);
  if (!r.ok) assert.fail(`expected valid, got:\n${r.errors.map((e) => e.message).join('\n')}`);
  return r.directory;
}

export function errorsOf(r: ValidationResult): ConfigIssue[] {
  if (r.ok) assert.fail('expected errors, directory was accepted');
  return r.errors;
}

/** Asserts the input is rejected with (at least) an error of `code` at `path`, and returns it. */
export function rejects(input: unknown, path: string, code: string): ConfigIssue {
  const errors = errorsOf(validateDirectory(input));
  const hit = errors.find((e) => e.path === path && e.code === code);
  if (!hit) {
    assert.fail(
      `expected ${code} at ${path}, got:\n${errors.map((e) => `${e.code} ${e.path}: ${e.message}`).join('\n')}`,
    );
  }
  return hit;
}

export function warnings(input: unknown): ConfigIssue[] {
  const r = validateDirectory(input);
  if (!r.ok) assert.fail(`expected valid, got:\n${r.errors.map((e) => e.message).join('\n')}`);
  return r.warnings;
}

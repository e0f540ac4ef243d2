// Copies the admin web page's static files (plain HTML, CSS and ES modules, which tsc
// does not emit) next to the compiled plugin, so dist/ serves them without src/.
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../src/admin/web/static/', import.meta.url));
const to = fileURLToPath(new URL('../dist/admin/web/static/', import.meta.url));
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });

#!/usr/bin/env node
// The installed command runs the compiled code (`npm run build` writes dist/).
import '../dist/cli/run.js';

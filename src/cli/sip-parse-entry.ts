/** Runs `twinline sip parse` on its own (the interop test spawns this file). */
import { sipParseCommand } from './sip-parse.js';

process.exitCode = await sipParseCommand(process.argv.slice(2));

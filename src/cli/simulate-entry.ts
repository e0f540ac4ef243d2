/** Runs `twinline simulate` on its own (tests spawn this file). */
import { simulateCommand } from './simulate.js';

process.exitCode = await simulateCommand(process.argv.slice(2));

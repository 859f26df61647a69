#!/usr/bin/env node
/** The `qpilot` executable: runs the command line and turns failures into exit codes. */
import { buildProgram } from './program.js';
import { runMain } from './runMain.js';

await runMain((io, stopOnSignals) => buildProgram(io, stopOnSignals, stopOnSignals));

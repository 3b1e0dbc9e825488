// Runs a WASI preview1 command under node's WASI for comparison with kite:
//   node --experimental-wasi-unstable-preview1 node_wasi.mjs FILE.wasm [ARGS...]
// Compilation (V8's baseline and optimising tiers) is part of the measured time, as it is
// for every other engine. Exits with the guest's exit status.
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const [file, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: {}, returnOnExit: true });
const module = new WebAssembly.Module(readFileSync(file));
const instance = new WebAssembly.Instance(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);

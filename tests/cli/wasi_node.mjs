// Run a WASI preview1 command under node's own WASI, for comparison with `kite run`:
//   node wasi_node.mjs [--dir HOST::GUEST]... [--env NAME=VALUE]... FILE.wasm [ARGS...]
// Exits with the guest's exit status.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
while (argv.length && argv[0].startsWith('--')) {
  const opt = argv.shift();
  const val = argv.shift();
  if (opt === '--dir') {
    const [host, guest] = val.split('::');
    preopens[guest ?? host] = host;
  } else if (opt === '--env') {
    const eq = val.indexOf('=');
    env[val.slice(0, eq)] = val.slice(eq + 1);
  } else {
    console.error(`unknown option ${opt}`);
    process.exit(2);
  }
}
const file = argv[0];
const wasi = new WASI({ version: 'preview1', args: argv, env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);

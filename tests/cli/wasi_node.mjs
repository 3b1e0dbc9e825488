// Run a WASI preview1 module under node's own WASI, for comparison with `kite run`:
//   node --experimental-wasm-type-reflection wasi_node.mjs [--dir HOST::GUEST]...
//        [--env NAME=VALUE]... [--invoke NAME] FILE.wasm [ARGS...]
// Exits with the guest's exit status. The rest follows `kite run`'s conventions so that
// the two can be compared: a trap prints "error: wasm trap: ..." on stderr and exits 134;
// --invoke initialises a reactor, calls export NAME with ARGS parsed by its parameter
// types (which need the type-reflection flag) and prints each result on a line, floats in
// the shortest form that reads back to the same value.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
let invoke = null;
while (argv.length && argv[0].startsWith('--')) {
  const opt = argv.shift();
  const val = argv.shift();
  if (opt === '--dir') {
    const [host, guest] = val.split('::');
    preopens[guest ?? host] = host;
  } else if (opt === '--env') {
    const eq = val.indexOf('=');
    env[val.slice(0, eq)] = val.slice(eq + 1);
  } else if (opt === '--invoke') {
    invoke = val;
  } else {
    console.error(`unknown option ${opt}`);
    process.exit(2);
  }
}
const file = argv[0];
const args = invoke ? [file] : argv;
const wasi = new WASI({ version: 'preview1', args, env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());

// C's "%.*g": what kite prints floats with.
function formatG(x, precision) {
  const [mantissa, expText] = x.toExponential(precision - 1).split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= precision) {
    const m = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
    const e = Math.abs(exp);
    return `${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  const fixed = x.toFixed(Math.max(0, precision - 1 - exp));
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

function formatFloat(x, isF32) {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  for (let p = 1; ; p++) {
    const s = formatG(x, p);
    const back = Number(s);
    if ((isF32 ? Math.fround(back) : back) === x || p >= 17) return s;
  }
}

function parseArg(text, type) {
  switch (type) {
    case 'i32':
      return Number(BigInt.asIntN(32, BigInt(text)));
    case 'i64':
      return BigInt.asIntN(64, BigInt(text));
    case 'f32':
    case 'f64':
      return Number(text);
    default:
      throw new Error(`cannot pass a ${type} from the command line`);
  }
}

function run() {
  if (!invoke) return wasi.start(instance);
  const fn = instance.exports[invoke];
  const exp = WebAssembly.Module.exports(module).find((e) => e.name === invoke);
  if (typeof fn !== 'function' || !exp.type) {
    console.error(`${file}: error: no exported function '${invoke}' (or no type reflection)`);
    return 1;
  }
  const { parameters, results } = exp.type;
  if (argv.length - 1 !== parameters.length) {
    console.error(`${file}: error: '${invoke}' takes ${parameters.length} arguments`);
    return 2;
  }
  wasi.initialize(instance);
  let out = fn(...parameters.map((t, i) => parseArg(argv[i + 1], t)));
  if (results.length === 1) out = [out];
  results.forEach((t, i) => {
    const v = out[i];
    console.log(t === 'f32' || t === 'f64' ? formatFloat(v, t === 'f32') : String(v));
  });
  return 0;
}

try {
  process.exitCode = run();
} catch (e) {
  if (!(e instanceof WebAssembly.RuntimeError)) throw e;
  console.error(`error: wasm trap: ${e.message}`);
  process.exitCode = 134;
}

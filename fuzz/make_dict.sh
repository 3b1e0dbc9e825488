#!/usr/bin/env bash
# make_dict.sh ROOT: a libFuzzer dictionary for the text targets: every instruction
# mnemonic of src/wasm/opcodes.def and the text format's other keywords.
set -eu
root=$1
{
  grep -o '^KITE_OPCODE([A-Z0-9_]*, *"[^"]*"' "$root/src/wasm/opcodes.def" | sed 's/.*, *\("[^"]*"\)$/\1/'
  for k in module func param result local type import export memory table global elem data \
    start offset item mut ref null then else end rec sub final struct array field tag \
    declare binary quote definition instance register invoke get thread wait shared \
    assert_return assert_trap assert_invalid assert_malformed assert_unlinkable \
    assert_exhaustion assert_exception assert_uninstantiable either i32 i64 f32 f64 v128 \
    i8 i16 funcref externref anyref eqref i31ref structref arrayref exnref nullref \
    nullfuncref nullexternref nullexnref any eq i31 none nofunc noextern noexn exn extern \
    exact pagesize 'offset=' 'align=' 'nan:canonical' 'nan:arithmetic' 'nan:0x' inf nan \
    '(@custom' '(@name' 'ref.extern' 'ref.host' '(;' ';)' ';;' '0x' '$' 'i64x2' 'i32x4' \
    'i16x8' 'i8x16' 'f32x4' 'f64x2' catch catch_ref catch_all catch_all_ref do delegate; do
    printf '"%s"\n' "$k"
  done
} | sort -u

/*
** test_exec_fused.c: the lowering's super-instructions (lower.c) must behave exactly as
** the instructions they replace: address arithmetic that wraps, chains of additions,
** moves that overlap, and no fusion across a label. Every case runs on a guarded memory
** (the fused forms) and with explicit bounds checks (the plain forms), and both must
** agree with the expected value.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary.h"
#include "runtime.h"
#include "test_util.h"
#include "text.h"
#include "valid.h"

static const char *wat =
    "(module (memory 1)\n"
    " (data (i32.const 0) \"\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f\\10\")\n"
    /* an address that wraps: (a + b) mod 2^32, then the static offset */
    " (func (export \"load_wrap\") (param i32 i32) (result i32)\n"
    "  (i32.load offset=4 (i32.add (local.get 0) (local.get 1))))\n"
    " (func (export \"load8_const\") (param i32) (result i32)\n"
    "  (i32.load8_u (i32.add (local.get 0) (i32.const 3))))\n"
    " (func (export \"load16_s\") (param i32) (result i32)\n"
    "  (i32.store16 (i32.const 32) (i32.const 0xfffe))\n"
    "  (i32.load16_s (i32.add (local.get 0) (i32.const 32))))\n"
    " (func (export \"load64\") (param i32) (result i64)\n"
    "  (i64.load offset=1 (i32.add (local.get 0) (i32.const 1))))\n"
    " (func (export \"store_wrap\") (param i32 i32 i32) (result i32)\n"
    "  (i32.store offset=8 (i32.add (local.get 0) (local.get 1)) (local.get 2))\n"
    "  (i32.load (i32.const 100)))\n"
    " (func (export \"store8\") (param i32) (result i32)\n"
    "  (i32.store8 (i32.add (local.get 0) (i32.const 200)) (i32.const 0x1ff))\n"
    "  (i32.load (i32.const 200)))\n"
    " (func (export \"f64_roundtrip\") (param i32) (result f64)\n"
    "  (f64.store (i32.add (local.get 0) (i32.const 64)) (f64.const 2.5))\n"
    "  (f64.mul (f64.load (i32.add (local.get 0) (i32.const 64))) (f64.const 2)))\n"
    /* chains of additions, dependent and independent, and one feeding a load */
    " (func (export \"add3\") (param i32 i32 i32) (result i32)\n"
    "  (i32.add (i32.add (local.get 0) (local.get 1)) (local.get 2)))\n"
    " (func (export \"adds\") (param i32 i32) (result i32) (local i32 i32)\n"
    "  (local.set 2 (i32.add (local.get 0) (i32.const 1)))\n"
    "  (local.set 3 (i32.add (local.get 1) (i32.const 2)))\n"
    "  (local.set 0 (i32.add (local.get 2) (local.get 3)))\n"
    "  (local.set 1 (i32.add (local.get 0) (local.get 0)))\n"
    "  (i32.add (local.get 1) (local.get 2)))\n"
    " (func (export \"add_add_load\") (param i32 i32) (result i32)\n"
    "  (i32.load8_u (i32.add (i32.add (local.get 0) (local.get 1)) (i32.const 2))))\n"
    " (func (export \"tee_load\") (param i32) (result i32) (local i32)\n"
    "  (i32.add (i32.load8_u (local.tee 1 (i32.add (local.get 0) (i32.const 1))))\n"
    "           (i32.mul (local.get 1) (i32.const 100))))\n"
    /* moves: copies in a row, a swap, a rotation */
    " (func (export \"swap\") (param i32 i32) (result i32) (local i32)\n"
    "  (local.set 2 (local.get 0)) (local.set 0 (local.get 1)) (local.set 1 (local.get 2))\n"
    "  (i32.sub (i32.mul (local.get 0) (i32.const 10)) (local.get 1)))\n"
    " (func (export \"rotate\") (param i32) (result i32) (local i32 i32 i32 i32)\n"
    "  (local.set 1 (i32.const 1)) (local.set 2 (i32.const 2)) (local.set 3 (i32.const 3))\n"
    "  (loop $l\n"
    "   (local.set 4 (local.get 1)) (local.set 1 (local.get 2)) (local.set 2 (local.get 3))\n"
    "   (local.set 3 (local.get 4))\n"
    "   (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))\n"
    "  (i32.add (i32.mul (local.get 1) (i32.const 100))\n"
    "   (i32.add (i32.mul (local.get 2) (i32.const 10)) (local.get 3))))\n"
    /* a loop head between two additions, and between two moves */
    " (func (export \"loop_adds\") (param i32) (result i32) (local i32 i32)\n"
    "  (local.set 1 (i32.add (local.get 0) (i32.const 5)))\n"
    "  (loop $l\n"
    "   (local.set 2 (i32.add (local.get 2) (local.get 1)))\n"
    "   (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))\n"
    "  (local.get 2))\n"
    " (func (export \"loop_moves\") (param i32) (result i32) (local i32 i32)\n"
    "  (local.set 1 (local.get 0))\n"
    "  (loop $l\n"
    "   (local.set 2 (local.get 1))\n"
    "   (local.set 1 (i32.add (local.get 2) (i32.const 3)))\n"
    "   (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))\n"
    "  (local.get 1))\n"
    " (func (export \"block_result\") (param i32) (result i32)\n"
    "  (i32.add (block (result i32) (i32.add (local.get 0) (i32.const 1))\n"
    "             (br_if 0 (local.get 0)) (drop) (i32.const 7))\n"
    "           (i32.const 1000)))\n"
    /* f64 arithmetic on memory operands: a[i] += x * b[i], both operand orders */
    " (func (export \"axpy\") (param i32) (result f64) (local i32 f64)\n"
    "  (loop $init\n"
    "   (f64.store offset=1024 (i32.shl (local.get 1) (i32.const 3))\n"
    "    (f64.convert_i32_u (local.get 1)))\n"
    "   (f64.store offset=2048 (i32.shl (local.get 1) (i32.const 3)) (f64.const 0.5))\n"
    "   (br_if $init (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1)))\n"
    "                          (local.get 0))))\n"
    "  (local.set 1 (i32.const 0))\n"
    "  (loop $l\n"
    "   (f64.store offset=2048 (i32.shl (local.get 1) (i32.const 3))\n"
    "    (f64.add (f64.load offset=2048 (i32.shl (local.get 1) (i32.const 3)))\n"
    "             (f64.mul (f64.const 3)\n"
    "                      (f64.load offset=1024 (i32.shl (local.get 1) (i32.const 3))))))\n"
    "   (br_if $l (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1)))\n"
    "                       (local.get 0))))\n"
    "  (local.set 1 (i32.const 0))\n"
    "  (loop $sum\n"
    "   (local.set 2 (f64.add (local.get 2)\n"
    "    (f64.load offset=2048 (i32.shl (local.get 1) (i32.const 3)))))\n"
    "   (br_if $sum (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1)))\n"
    "                         (local.get 0))))\n"
    "  (local.get 2))\n"
    " (func (export \"axpy2\") (param i32) (result f64) (local i32 f64)\n"
    "  (loop $l (f64.store offset=3072 (local.get 1) (f64.convert_i32_u (local.get 1)))\n"
    "   (f64.store offset=4096 (local.get 1) (f64.const 1))\n"
    "   (br_if $l (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 8)))\n"
    "                       (i32.shl (local.get 0) (i32.const 3)))))\n"
    "  (local.set 1 (i32.const 0))\n"
    "  (loop $l\n"
    "   (f64.store offset=4096 (local.get 1)\n"
    "    (f64.add (f64.mul (f64.const 0.25) (f64.load offset=3072 (local.get 1)))\n"
    "             (f64.load offset=4096 (local.get 1))))\n"
    "   (f64.store offset=4096 (i32.add (local.get 1) (i32.const 0))\n"
    "    (f64.add (f64.mul (f64.const 2) (f64.load offset=3072 (i32.add (local.get 1) (i32.const 0))))\n"
    "             (f64.load offset=4096 (i32.add (local.get 1) (i32.const 0)))))\n"
    "   (br_if $l (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 8)))\n"
    "                       (i32.shl (local.get 0) (i32.const 3)))))\n"
    "  (local.set 1 (i32.const 0))\n"
    "  (loop $l (local.set 2 (f64.add (local.get 2) (f64.load offset=4096 (local.get 1))))\n"
    "   (br_if $l (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 8)))\n"
    "                       (i32.shl (local.get 0) (i32.const 3)))))\n"
    "  (local.get 2))\n"
    /* y += k * x with wrapping indexed addresses, and out of bounds at x or at y */
    " (func (export \"axpy_wrap\") (param i32) (result f64)\n"
    "  (f64.store (i32.const 64) (f64.const 3)) (f64.store (i32.const 72) (f64.const 5))\n"
    "  (f64.store offset=8 (i32.add (local.get 0) (i32.const 80))\n"
    "   (f64.add (f64.mul (f64.const 2) (f64.load (i32.add (local.get 0) (i32.const 80))))\n"
    "            (f64.load offset=8 (i32.add (local.get 0) (i32.const 80)))))\n"
    "  (f64.load (i32.const 72)))\n"
    " (func (export \"axpy_oob\") (param i32) (result f64)\n"
    "  (f64.store offset=8 (local.get 0)\n"
    "   (f64.add (f64.mul (f64.const 2) (f64.load (local.get 0)))\n"
    "            (f64.load offset=8 (local.get 0))))\n"
    "  (f64.const 0))\n"
    /* a misaligned copy (musl's memcpy): load, funnel shift, store as one instruction */
    " (func (export \"lfs_copy\") (param $n i32) (result i32) (local $i i32) (local $a i32)\n"
    "  (local $b i32) (local $d i32) (local $s i32) (local $h i32)\n"
    "  (loop $f (i32.store8 offset=1024 (local.get $i)\n"
    "            (i32.add (i32.mul (local.get $i) (i32.const 7)) (i32.const 3)))\n"
    "   (br_if $f (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 256))))\n"
    "  (local.set $d (i32.const 2048)) (local.set $s (i32.const 1024)) (local.set $i (i32.const 0))\n"
    "  (local.set $a (i32.load (local.get $s)))\n"
    "  (loop $l\n"
    "   (i32.store (i32.add (local.get $d) (local.get $i))\n"
    "    (i32.or (i32.shl (local.tee $b (i32.load offset=4 (i32.add (local.get $s) (local.get $i))))\n"
    "                     (i32.const 8))\n"
    "            (i32.shr_u (local.get $a) (i32.const 24))))\n"
    "   (local.set $a (i32.load offset=8 (i32.add (local.get $s) (local.get $i))))\n"
    "   (i32.store offset=4 (i32.add (local.get $d) (local.get $i))\n"
    "    (i32.or (i32.shr_u (local.get $b) (i32.const 24)) (i32.shl (local.get $a) (i32.const 8))))\n"
    "   (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 8))) (local.get $n))))\n"
    "  (local.set $i (i32.const 0))\n"
    "  (loop $c (local.set $h (i32.add (i32.mul (local.get $h) (i32.const 31))\n"
    "                                  (i32.load offset=2048 (local.get $i))))\n"
    "   (br_if $c (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 4))) (local.get $n))))\n"
    "  (local.get $h))\n"
    /* plain addresses: out of bounds at the load (nothing stored) or at the store */
    " (func (export \"lfs_oob\") (param i32 i32) (local i32)\n"
    "  (i32.store (local.get 1) (i32.or (i32.shl (local.tee 2 (i32.load (local.get 0))) (i32.const 8))\n"
    "                                   (i32.shr_u (local.get 2) (i32.const 24)))))\n"
    " (func (export \"lfs_wrap\") (param i32) (result i32) (local i32)\n"
    "  (i32.store (i32.const 2992) (i32.const 0x11223344))\n"
    "  (i32.store (i32.add (local.get 0) (i32.const 3004))\n"
    "   (i32.or (i32.shl (local.tee 1 (i32.load (i32.add (local.get 0) (i32.const 3000))))\n"
    "                    (i32.const 16))\n"
    "           (i32.shr_u (local.get 1) (i32.const 16))))\n"
    "  (i32.load (i32.const 2996)))\n"
    /* two in a row (one instruction): the second's store out of bounds after the
       first's store */
    " (func (export \"lfs2_oob\") (param i32 i32) (local i32 i32)\n"
    "  (i32.store (i32.const 3000) (i32.const 0x11223344)) (i32.store (i32.const 3100) (i32.const 0))\n"
    "  (i32.store (i32.const 3100) (i32.or (i32.shl (local.tee 2 (i32.load (i32.const 3000)))\n"
    "                                             (i32.const 8))\n"
    "                                     (i32.shr_u (local.get 3) (i32.const 24))))\n"
    "  (i32.store (local.get 1) (i32.or (i32.shl (local.tee 3 (i32.load (local.get 0)))\n"
    "                                             (i32.const 8))\n"
    "                                     (i32.shr_u (local.get 2) (i32.const 24)))))\n"
    " (func (export \"peek\") (param i32) (result i32) (i32.load (local.get 0)))\n"
    " (func (export \"f64_ops\") (param i32) (result f64) (local f64)\n"
    "  (f64.store (i32.const 512) (f64.const 10))\n"
    "  (f64.store (i32.const 520) (f64.const 4))\n"
    "  (local.set 1 (f64.convert_i32_s (local.get 0)))\n"
    "  (f64.store (i32.const 512) (f64.sub (f64.load (i32.const 512)) (local.get 1)))\n"
    "  (f64.store (i32.const 520) (f64.sub (local.get 1) (f64.load (i32.const 520))))\n"
    "  (f64.store (i32.const 528) (f64.mul (f64.load (i32.const 512)) (local.get 1)))\n"
    "  (f64.store (i32.const 512) (f64.add (local.get 1) (f64.load (i32.const 520))))\n"
    "  (f64.add (f64.add (f64.load (i32.const 512)) (f64.load (i32.const 520)))\n"
    "           (f64.mul (local.get 1) (f64.load (i32.const 528)))))\n"
    /* a NaN operand gives an arithmetic NaN with one of the payloads */
    " (func (export \"nan_mul\") (result i64)\n"
    "  (f64.store (i32.const 600) (f64.const nan:0x1111))\n"
    "  (i64.reinterpret_f64 (f64.mul (f64.load (i32.const 600)) (f64.const nan:0x2222))))\n"
    " (func (export \"nan_add\") (result i64)\n"
    "  (f64.store (i32.const 600) (f64.const nan:0x1111))\n"
    "  (i64.reinterpret_f64 (f64.add (f64.const 1) (f64.load (i32.const 600)))))\n"
    " (func (export \"f64_oob\") (param i32) (result f64)\n"
    "  (f64.mul (f64.const 2) (f64.load (i32.add (local.get 0) (i32.const 65530)))))\n"
    /* funnel shifts: (x << a) | (y >> b) in either order, shifts modulo 32 */
    " (func (export \"funnel\") (param i32 i32 i32 i32) (result i32)\n"
    "  (i32.or (i32.shl (local.get 0) (local.get 2)) (i32.shr_u (local.get 1) (local.get 3))))\n"
    " (func (export \"funnel_rev\") (param i32 i32) (result i32)\n"
    "  (i32.or (i32.shr_u (local.get 1) (i32.const 40)) (i32.shl (local.get 0) (i32.const 8))))\n"
    " (func (export \"shift_chain\") (param i32) (result i32)\n"
    "  (i32.or (local.tee 0 (i32.shl (local.get 0) (i32.const 4)))\n"
    "          (i32.shr_u (local.get 0) (i32.const 8))))\n"
    /* bit tests: br_if / if on an i32.and, also through i32.eqz; a tee'd and is kept */
    " (func (export \"bits\") (param i32) (result i32) (local i32 i32)\n"
    "  (if (i32.and (local.get 0) (i32.const 1)) (then (local.set 1 (i32.const 1))))\n"
    "  (block (br_if 0 (i32.eqz (i32.and (local.get 0) (i32.const 2))))\n"
    "   (local.set 1 (i32.add (local.get 1) (i32.const 10))))\n"
    "  (block (br_if 0 (i32.eqz (local.tee 2 (i32.and (local.get 0) (i32.const 12)))))\n"
    "   (local.set 1 (i32.add (local.get 1) (local.get 2))))\n"
    "  (loop $l (local.set 1 (i32.add (local.get 1) (i32.const 1000)))\n"
    "   (local.set 0 (i32.shr_u (local.get 0) (i32.const 4)))\n"
    "   (br_if $l (i32.and (local.get 0) (i32.const 0x10))))\n"
    "  (local.get 1))\n"
    /* SHA-2 style rotate-xor chains */
    " (func (export \"sigma\") (param i32) (result i32)\n"
    "  (i32.xor (i32.xor (i32.rotl (local.get 0) (i32.const 30)) (i32.rotl (local.get 0) (i32.const 19)))\n"
    "           (i32.rotl (local.get 0) (i32.const 10))))\n"
    /* locals written first at the top level are not zeroed; all others must be */
    " (func (export \"zeroing\") (param i32) (result i32) (local i32 i32 i32 f64)\n"
    "  (block (br_if 0 (local.get 0)) (local.set 1 (i32.const 5)) (local.set 4 (f64.const 2)))\n"
    "  (local.set 2 (i32.const 7))\n"
    "  (if (i32.eqz (local.get 0)) (then (local.set 3 (i32.const 100))))\n"
    "  (i32.add (i32.add (local.get 1) (local.get 2))\n"
    "   (i32.add (local.get 3) (i32.trunc_f64_s (local.get 4)))))\n"
    /* locals first set to a constant at the top level start with it (the frame
       template): recursion reuses frames, a later set still happens, a set inside a
       block or after a read does not count, and a tee is kept as it is */
    " (func $cinit (export \"cinit\") (param i32) (result i32) (local i32 i64 f64 i32 i32 i32)\n"
    "  (local.set 1 (i32.const 7)) (local.set 2 (i64.const -3)) (local.set 3 (f64.const 1.5))\n"
    "  (local.set 5 (i32.add (local.get 4) (i32.const 11)))\n"
    "  (local.set 4 (i32.const 1000))\n"
    "  (drop (local.tee 6 (i32.const 40)))\n"
    "  (block (br_if 0 (i32.eqz (local.get 0)))\n"
    "   (local.set 1 (i32.add (local.get 1) (call $cinit (i32.sub (local.get 0) (i32.const 1))))))\n"
    "  (local.set 2 (i64.add (local.get 2) (i64.const 1)))\n"
    "  (i32.add (i32.add (i32.add (local.get 1) (i32.wrap_i64 (local.get 2)))\n"
    "                    (i32.trunc_f64_s (f64.mul (local.get 3) (f64.const 2))))\n"
    "           (i32.add (i32.add (local.get 4) (local.get 5)) (local.get 6))))\n"
    " (func (export \"cinit_many\") (param i32) (result i32) (local i32)\n"
    "  (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)\n"
    "  (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)\n"
    "  (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)\n"
    "  (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)\n"
    "  (local.set 1 (i32.const 9))\n"
    "  (i32.add (i32.add (local.get 1) (local.get 70)) (local.get 0)))\n"
    /* pending copies: a copy whose source is then written by a redirected result */
    " (func (export \"pc_conflict\") (param i32 i32) (result i32) (local i32 i32)\n"
    "  (local.set 2 (local.get 0)) (local.set 3 (local.get 1))\n"
    "  (local.set 0 (i32.mul (local.get 0) (local.get 1)))\n"
    "  (i32.add (i32.mul (local.get 2) (i32.const 1000))\n"
    "           (i32.add (i32.mul (local.get 3) (i32.const 100)) (local.get 0))))\n"
    /* ... before a fused compare-and-branch (both ways), an if/else (the then branch's
       copies must not reach the else branch), a return, and unreachable code */
    " (func (export \"pc_branch\") (param i32) (result i32) (local i32 i32)\n"
    "  (local.set 1 (i32.const 3))\n"
    "  (block $b (local.set 2 (local.get 0)) (local.set 1 (local.get 0))\n"
    "   (br_if $b (i32.lt_u (local.get 0) (i32.const 10)))\n"
    "   (local.set 1 (i32.const 77)))\n"
    "  (if (i32.and (local.get 0) (i32.const 1))\n"
    "   (then (local.set 2 (local.get 1)) (local.set 1 (i32.const 5)))\n"
    "   (else (local.set 1 (i32.add (local.get 1) (local.get 2)))))\n"
    "  (if (i32.eq (local.get 0) (i32.const 4)) (then (local.set 2 (local.get 0)) (return (i32.const -1))))\n"
    "  (i32.add (i32.mul (local.get 1) (i32.const 1000)) (local.get 2)))\n"
    /* ... a rotation in a loop whose branch takes in the counter's addition */
    " (func (export \"pc_loop\") (param i32) (result i32) (local i32 i32 i32 i32 i32)\n"
    "  (local.set 1 (i32.const 1)) (local.set 2 (i32.const 2)) (local.set 3 (i32.const 3))\n"
    "  (loop $l\n"
    "   (local.set 4 (local.tee 5 (local.get 1)))\n"
    "   (local.set 1 (local.get 2)) (local.set 2 (local.get 3))\n"
    "   (local.set 3 (i32.add (local.get 4) (local.get 5)))\n"
    "   (br_if $l (i32.ne (local.tee 0 (i32.add (local.get 0) (i32.const -1))) (i32.const 0))))\n"
    "  (i32.add (i32.mul (local.get 1) (i32.const 10000))\n"
    "   (i32.add (i32.mul (local.get 2) (i32.const 100)) (local.get 3))))\n"
    /* ... many at once (more than one instruction holds), and across a call and a throw */
    " (func (export \"pc_many\") (param i32) (result i32)\n"
    "  (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)\n"
    "  (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)\n"
    "  (local.set 1 (local.get 0)) (local.set 2 (local.get 1)) (local.set 3 (local.get 2))\n"
    "  (local.set 4 (local.get 3)) (local.set 5 (local.get 4)) (local.set 6 (local.get 5))\n"
    "  (local.set 7 (local.get 6)) (local.set 8 (local.get 7)) (local.set 9 (local.get 8))\n"
    "  (local.set 10 (local.get 9)) (local.set 11 (local.get 10)) (local.set 12 (local.get 11))\n"
    "  (local.set 13 (local.get 12)) (local.set 14 (local.get 13)) (local.set 15 (local.get 14))\n"
    "  (local.set 16 (local.get 15)) (local.set 17 (local.get 16)) (local.set 18 (local.get 17))\n"
    "  (local.set 19 (local.get 18)) (local.set 20 (local.get 19)) (local.set 21 (local.get 20))\n"
    "  (local.set 22 (local.get 21)) (local.set 23 (local.get 22)) (local.set 24 (local.get 23))\n"
    "  (local.set 25 (local.get 24)) (local.set 26 (local.get 25)) (local.set 27 (local.get 26))\n"
    "  (local.set 28 (local.get 27)) (local.set 29 (local.get 28)) (local.set 30 (local.get 29))\n"
    "  (local.set 31 (local.get 30)) (local.set 32 (local.get 31)) (local.set 33 (local.get 32))\n"
    "  (local.set 34 (local.get 33)) (local.set 35 (i32.const 9)) (local.set 36 (local.get 35))\n"
    "  (local.set 0 (i32.const 1))\n"
    "  (i32.add (i32.add (local.get 34) (local.get 36)) (i32.add (local.get 17) (local.get 0))))\n"
    " (func $id (param i32) (result i32) (local.get 0))\n"
    " (tag $e)\n"
    " (func (export \"pc_call\") (param i32) (result i32) (local i32 i32)\n"
    "  (local.set 1 (local.get 0))\n"
    "  (local.set 2 (call $id (i32.const 6)))\n"
    "  (block $h (try_table (catch $e $h)\n"
    "    (local.set 2 (local.get 1)) (local.set 1 (i32.const 50))\n"
    "    (if (local.get 0) (then (throw $e)))\n"
    "    (local.set 1 (i32.const 70))))\n"
    "  (i32.add (i32.mul (local.get 1) (i32.const 100)) (local.get 2)))\n"
    /* bit logic of two operations: (x ^ y) & z, (x & y) ^ z, (x & y) | z, the first
       result as either operand of the second */
    " (func (export \"logic\") (param i32 i32 i32) (result i32)\n"
    "  (i32.add (i32.add (i32.and (i32.xor (local.get 0) (local.get 1)) (local.get 2))\n"
    "                    (i32.mul (i32.and (local.get 2) (i32.xor (local.get 1) (local.get 0)))\n"
    "                             (i32.const 3)))\n"
    "           (i32.add (i32.mul (i32.xor (i32.and (local.get 0) (local.get 1)) (local.get 2))\n"
    "                             (i32.const 5))\n"
    "                    (i32.mul (i32.or (local.get 2) (i32.and (local.get 0) (local.get 1)))\n"
    "                             (i32.const 7)))))\n"
    /* SHA-2's Maj and Ch with the renaming copies between the two operations (fused
       across them), results into locals that are the copies' sources */
    " (func (export \"maj_ch\") (param i32 i32 i32) (result i32) (local i32 i32 i32)\n"
    "  (local.set 1 (i32.xor (i32.and (i32.xor (local.get 0) (local.tee 3 (local.get 1)))\n"
    "                                 (local.tee 4 (local.get 2)))\n"
    "                        (i32.and (local.get 3) (local.get 4))))\n"
    "  (local.set 2 (i32.or (i32.and (local.tee 5 (local.get 0)) (local.get 1))\n"
    "                       (i32.and (i32.xor (local.get 5) (i32.const -1)) (local.get 2))))\n"
    "  (i32.add (i32.add (local.get 1) (local.get 2))\n"
    "           (i32.add (local.get 3) (i32.add (local.get 4) (local.get 5)))))\n"
    /* a fusion across a pending copy reads the old value: the copies stay after it */
    " (func (export \"straddle\") (param i32 i32 i32) (result i32) (local i32 i32)\n"
    "  (local.set 3 (i32.const 99))\n"
    "  local.get 0 i32.const 8 i32.rotl\n"
    "  local.get 1 local.set 0 local.get 3 local.set 4\n"
    "  local.get 2 i32.xor local.set 3\n"
    "  (i32.add (i32.mul (local.get 0) (i32.const 1000))\n"
    "           (i32.add (i32.mul (local.get 4) (i32.const 10)) (local.get 3))))\n"
    /* an i32.add or i32.and of a loaded word or byte: either operand, a plain or an
       indexed address (wrapping), the sum deferred (a constant addend), out of bounds */
    " (func (export \"load_op\") (param i32 i32) (result i32) (local i32)\n"
    "  (local.set 2 (i32.add (local.get 1) (i32.load offset=4 (local.get 0))))\n"
    "  (local.set 2 (i32.add (i32.load8_u (i32.add (local.get 0) (local.get 1))) (local.get 2)))\n"
    "  (local.set 2 (i32.and (i32.load (i32.add (local.get 0) (i32.const 1))) (local.get 2)))\n"
    "  (local.set 2 (i32.add (local.get 2) (i32.and (local.get 1) (i32.load8_u offset=2 (local.get 0)))))\n"
    "  (i32.add (i32.load8_u (local.get 0)) (i32.mul (local.get 2) (i32.const 3))))\n"
    " (func (export \"load_add_const\") (param i32) (result i32) (local i32)\n"
    "  (local.set 1 (i32.add (i32.load offset=1 (local.get 0)) (i32.const 1000)))\n"
    "  (i32.add (i32.load8_u offset=3 (local.get 0)) (i32.const 7)))\n"
    " (func (export \"load_add_oob\") (param i32) (result i32)\n"
    "  (i32.add (i32.const 1) (i32.load (i32.add (local.get 0) (i32.const 65533)))))\n"
    " (func (export \"load8_and_oob\") (param i32) (result i32)\n"
    "  (i32.and (i32.const 255) (i32.load8_u offset=65535 (local.get 0))))\n"
    /* a select's or a global.get's result written straight to a local, also to one
       the select reads */
    " (global $g (mut i32) (i32.const 40))\n"
    " (func (export \"select_set\") (param i32 i32 i32) (result i32) (local i32)\n"
    "  (local.set 3 (select (local.get 0) (local.get 1) (local.get 2)))\n"
    "  (local.set 0 (select (local.get 1) (local.get 0) (local.get 2)))\n"
    "  (local.set 1 (global.get $g))\n"
    "  (global.set $g (i32.add (local.tee 2 (global.get $g)) (i32.const 1)))\n"
    "  (i32.add (i32.add (i32.mul (local.get 3) (i32.const 100)) (i32.mul (local.get 0) (i32.const 10)))\n"
    "           (i32.add (local.get 1) (local.get 2))))\n"
    /* an i32.store of the sum just computed: at an indexed or a plain address, at the
       sum itself, out of bounds */
    " (func (export \"add_store\") (param i32 i32 i32) (result i32) (local i32)\n"
    "  (i32.store offset=8 (i32.add (local.get 0) (local.get 1)) (i32.add (local.get 2) (i32.const 3)))\n"
    "  (i32.store (local.tee 3 (i32.add (local.get 0) (i32.const 400)))\n"
    "   (i32.add (local.get 3) (local.get 3)))\n"
    "  (i32.store (local.get 3) (local.tee 3 (i32.add (local.get 3) (i32.const 4))))\n"
    "  (i32.add (i32.add (i32.load offset=8 (i32.add (local.get 0) (local.get 1)))\n"
    "                    (i32.load (i32.add (local.get 0) (i32.const 400))))\n"
    "           (i32.mul (local.get 3) (i32.const 1000))))\n"
    " (func (export \"add_store_oob\") (param i32)\n"
    "  (i32.store (local.get 0) (i32.add (local.get 0) (i32.const 1))))\n"
    /* a shift right feeding an xor or an and: the shift count modulo the width */
    " (func (export \"shr_logic\") (param i32 i32 i32) (result i32)\n"
    "  (i32.add (i32.xor (i32.shr_u (local.get 0) (local.get 1)) (local.get 2))\n"
    "           (i32.mul (i32.and (local.get 2) (i32.shr_u (local.get 0) (i32.const 35)))\n"
    "                    (i32.const 3))))\n"
    " (func (export \"xorshift64\") (param i32 i32) (result i64) (local i64)\n"
    "  (local.set 2 (i64.mul (i64.extend_i32_u (local.get 0)) (i64.const 0x9e3779b97f4a7c15)))\n"
    "  (local.set 2 (i64.xor (local.get 2) (i64.shr_u (local.get 2) (i64.extend_i32_u (local.get 1)))))\n"
    "  (i64.xor (i64.shr_u (local.get 2) (i64.const 97)) (local.get 2)))\n"
    /* an i64.store of the word the i64.load before it read (a word copy): indexed and
       plain addresses on either side (a plain one needs the constant 0 in the function),
       wrapping, out of bounds on either side */
    " (func (export \"copy64\") (param i32 i32 i32) (result i64)\n"
    "  (i64.store offset=16 (local.get 2) (i64.load (i32.add (local.get 0) (local.get 1))))\n"
    "  (i64.store (i32.add (local.get 2) (i32.const 24)) (i64.load offset=1 (local.get 1)))\n"
    "  (i64.add (i64.load offset=16 (i32.add (local.get 2) (i32.const 0)))\n"
    "           (i64.load offset=24 (local.get 2))))\n"
    " (func (export \"copy64_load_oob\") (param i32)\n"
    "  (i64.store (i32.const 512) (i64.load (i32.add (local.get 0) (i32.const 65530))))\n"
    "  (drop (i32.const 0)))\n"
    " (func (export \"copy64_store_oob\") (param i32)\n"
    "  (i64.store offset=65530 (local.get 0) (i64.load (i32.const 0))))\n"
    " (func (export \"read64\") (param i32) (result i64) (i64.load (local.get 0)))\n"
    /* frame templates: a callee's zeroed locals and constants on a stack a call before
       left dirty, with no template, a small padded one and a large one */
    " (func $dirty (param i64) (result i64) (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)\n"
    "  (local.set 1 (i64.add (local.get 0) (i64.const 1)))\n"
    "  (local.set 2 (i64.add (local.get 0) (i64.const 2)))\n"
    "  (local.set 3 (i64.add (local.get 0) (i64.const 3)))\n"
    "  (local.set 4 (i64.add (local.get 0) (i64.const 4)))\n"
    "  (local.set 5 (i64.add (local.get 0) (i64.const 5)))\n"
    "  (local.set 6 (i64.add (local.get 0) (i64.const 6)))\n"
    "  (local.set 7 (i64.add (local.get 0) (i64.const 7)))\n"
    "  (local.set 8 (i64.add (local.get 0) (i64.const 8)))\n"
    "  (local.set 9 (i64.add (local.get 0) (i64.const 9)))\n"
    "  (local.set 10 (i64.add (local.get 0) (i64.const 10)))\n"
    "  (local.set 11 (i64.add (local.get 0) (i64.const 11)))\n"
    "  (local.set 12 (i64.add (local.get 0) (i64.const 12)))\n"
    "  (i64.add (i64.add (i64.add (local.get 1) (local.get 2)) (i64.add (local.get 3) (local.get 4)))\n"
    "   (i64.add (i64.add (i64.add (local.get 5) (local.get 6)) (i64.add (local.get 7) (local.get 8)))\n"
    "    (i64.add (i64.add (local.get 9) (local.get 10)) (i64.add (local.get 11) (local.get 12))))))\n"
    " (func $fresh0 (param i32) (result i32) (i32.eqz (local.get 0)))\n"
    " (func $fresh3 (result i64) (local i64 i64 i64)\n"
    "  (i64.add (i64.add (local.get 0) (local.get 1)) (i64.add (local.get 2) (i64.const 5))))\n"
    " (func $fresh12 (result i64) (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)\n"
    "  (i64.add (i64.add (i64.add (local.get 0) (local.get 1)) (i64.add (local.get 2) (local.get 3)))\n"
    "   (i64.add (i64.add (i64.add (local.get 4) (local.get 5)) (i64.add (local.get 6) (local.get 7)))\n"
    "    (i64.add (i64.add (local.get 8) (local.get 9))\n"
    "     (i64.add (local.get 10) (i64.add (local.get 11) (i64.const 7)))))))\n"
    " (func (export \"enter_fresh\") (param i32) (result i64)\n"
    "  (drop (call $dirty (i64.extend_i32_u (local.get 0))))\n"
    "  (i64.extend_i32_u (call $fresh0 (local.get 0)))\n"
    "  (drop (call $dirty (i64.extend_i32_u (local.get 0))))\n"
    "  (call $fresh3) (i64.add)\n"
    "  (drop (call $dirty (i64.extend_i32_u (local.get 0))))\n"
    "  (call $fresh12) (i64.add))\n"
    /* traps keep their meaning */
    " (func (export \"load_oob\") (param i32) (result i32)\n"
    "  (i32.load (i32.add (local.get 0) (i32.const 65534))))\n"
    " (func (export \"store_oob\") (param i32)\n"
    "  (i64.store (i32.add (local.get 0) (i32.const 65530)) (i64.const 1))))\n";

typedef struct world {
  kite_engine *engine;
  kite_store *store;
  kite_module *module;
  kite_instance *inst;
} world;

static bool world_new_wat(world *w, bool guard, const char *wat);

static bool world_new(world *w, bool guard) { return world_new_wat(w, guard, wat); }

static bool world_new_wat(world *w, bool guard, const char *wat) {
  memset(w, 0, sizeof *w);
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.no_guard_pages = !guard;
  w->engine = kite_engine_new(&cfg);
  w->store = w->engine ? kite_store_new(w->engine) : NULL;
  if (!w->store) return false;
  kite_alloc *a = kite_engine_alloc(w->engine);
  kite_error err;
  kite_error_clear(&err);
  kite_buf b;
  kite_buf_init(&b, a);
  if (!kite_wat_to_wasm(a, wat, strlen(wat), KITE_FEATURES_3_0, &b, &err)) {
    CHECK_MSG(false, "wat: %s at %u:%u", err.msg, err.line, err.col);
    kite_buf_free(&b);
    return false;
  }
  w->module = kite_decode(a, b.data, b.len, KITE_FEATURES_3_0, NULL, &err);
  kite_buf_free(&b);
  if (!w->module || !kite_validate_module(w->module, KITE_FEATURES_3_0, &err)) {
    CHECK_MSG(false, "module: %s", err.msg);
    return false;
  }
  w->inst = kite_instantiate(w->store, w->module, NULL, 0, &err);
  CHECK_MSG(w->inst != NULL, "instantiate: %s", err.msg);
  return w->inst != NULL;
}

static void world_free(world *w) {
  if (w->store) kite_store_free(w->store);
  if (w->module) kite_module_free(w->module);
  if (w->engine) kite_engine_free(w->engine);
}

/* Call an export with i32 arguments; its one result (raw bits), or a trap in *err. */
static uint64_t call(world *w, const char *name, const uint32_t *args, uint32_t nargs,
                     kite_error *err) {
  kite_extern x;
  kite_error_clear(err);
  if (!kite_instance_export(w->inst, name, strlen(name), &x) || x.kind != KITE_EXTERN_FUNC) {
    CHECK_MSG(false, "no export %s", name);
    return 0;
  }
  kite_value a[4], r[1];
  for (uint32_t i = 0; i < nargs; i++) a[i] = kite_val_i32(args[i]);
  memset(r, 0, sizeof r);
  uint32_t nr = x.u.func->type->nresults;
  if (!kite_func_call(w->store, x.u.func, a, nargs, r, nr, err)) return 0;
  return r[0].type.kind == KITE_VT_I32 ? r[0].u.i32 : r[0].u.i64;
}

static void expect(world *w, const char *name, const uint32_t *args, uint32_t nargs,
                   uint64_t want) {
  kite_error err;
  uint64_t got = call(w, name, args, nargs, &err);
  CHECK_MSG(!kite_failed(&err) && got == want, "%s: got 0x%llx, want 0x%llx (%s)", name,
            (unsigned long long)got, (unsigned long long)want, err.msg);
}

static void expect_oob(world *w, const char *name, uint32_t arg) {
  kite_error err;
  call(w, name, &arg, 1, &err);
  CHECK_MSG(err.kind == KITE_ERR_RUNTIME && err.code == KITE_TRAP_MEMORY_OOB,
            "%s(%u): want an out-of-bounds trap, got '%s'", name, arg, err.msg);
}

/* The same computation in C, for the loops. */
static uint32_t rotate_ref(uint32_t n) {
  uint32_t a = 1, b = 2, c = 3;
  do {
    uint32_t t = a;
    a = b, b = c, c = t;
  } while (--n);
  return a * 100 + b * 10 + c;
}

static void run_cases(bool guard) {
  world w;
  if (!world_new(&w, guard)) {
    world_free(&w);
    return;
  }
  /* 0xfffffffc + 8 wraps to 4; offset 4 reads bytes 8..11 */
  expect(&w, "load_wrap", (uint32_t[]){0xfffffffcu, 8}, 2, 0x0c0b0a09);
  expect(&w, "load_wrap", (uint32_t[]){2, 2}, 2, 0x0c0b0a09);
  expect(&w, "load8_const", (uint32_t[]){0}, 1, 4);
  expect(&w, "load8_const", (uint32_t[]){0xfffffffeu}, 1, 2);
  expect(&w, "load16_s", (uint32_t[]){0}, 1, 0xfffffffe);
  expect(&w, "load64", (uint32_t[]){0}, 1, 0x0a09080706050403ull);
  expect(&w, "store_wrap", (uint32_t[]){0xfffffff0u, 108, 0xdeadbeef}, 3, 0xdeadbeef);
  expect(&w, "store8", (uint32_t[]){0}, 1, 0xff);
  kite_error err;
  uint64_t bits = call(&w, "f64_roundtrip", (uint32_t[]){8}, 1, &err);
  double d;
  memcpy(&d, &bits, 8);
  CHECK_MSG(!kite_failed(&err) && d == 5.0, "f64_roundtrip: %g", d);

  expect(&w, "funnel", (uint32_t[]){0x12345678, 0x9abcdef0, 8, 24}, 4, 0x3456789a);
  expect(&w, "funnel", (uint32_t[]){0x12345678, 0x9abcdef0, 40, 56}, 4, 0x3456789a);
  expect(&w, "funnel_rev", (uint32_t[]){0x12345678, 0x9abcdef0}, 2, 0x34567800 | 0x009abcde);
  expect(&w, "shift_chain", (uint32_t[]){0x12345678}, 1, 0x23456780 | 0x00234567);
  /* bits(x): 1 if bit 0, +10 if bit 1, + (x & 12), +1000 per loop round */
  expect(&w, "bits", (uint32_t[]){0}, 1, 1000);
  expect(&w, "bits", (uint32_t[]){3}, 1, 1 + 10 + 1000);
  expect(&w, "bits", (uint32_t[]){0x10c}, 1, 12 + 2000);
  expect(&w, "bits", (uint32_t[]){0x11110}, 1, 4000);
  for (uint32_t x = 1; x; x *= 7) {
    uint32_t ror2 = (x >> 2) | (x << 30), ror13 = (x >> 13) | (x << 19),
             ror22 = (x >> 22) | (x << 10);
    expect(&w, "sigma", &x, 1, ror2 ^ ror13 ^ ror22);
    if (x > 0x10000000u) break;
  }
  expect(&w, "zeroing", (uint32_t[]){0}, 1, 5 + 7 + 100 + 2);
  expect(&w, "zeroing", (uint32_t[]){1}, 1, 7);
  /* cinit(0) = 7 + (-2) + 3 + 1000 + 11 + 40; cinit(n) = cinit(n - 1) + cinit(0) */
  expect(&w, "cinit", (uint32_t[]){0}, 1, 1059);
  expect(&w, "cinit", (uint32_t[]){5}, 1, 6 * 1059);
  expect(&w, "cinit_many", (uint32_t[]){3}, 1, 12);
  expect(&w, "pc_conflict", (uint32_t[]){3, 4}, 2, 3412);
  {
    static const uint32_t v[][3] = {{0xf0f0f0f0u, 4, 0x12345678u}, {0x80000001u, 33, 0xffu},
                                    {0xdeadbeefu, 0, 0xffff0000u}};
    for (int i = 0; i < 3; i++) {
      uint32_t x = v[i][0], k = v[i][1], z = v[i][2];
      expect(&w, "shr_logic", v[i], 3, ((x >> (k & 31)) ^ z) + (z & (x >> 3)) * 3);
      uint64_t h = (uint64_t)x * 0x9e3779b97f4a7c15ull;
      h ^= h >> (k & 63);
      expect(&w, "xorshift64", (uint32_t[]){x, k + 64}, 2, (h >> 33) ^ h);
    }
  }
  /* [p0 + p1 + 8] = p2 + 3; [p0 + 400] = p0 + 404 (the third store overwrites the
     second), l3 = p0 + 404 */
  expect(&w, "add_store", (uint32_t[]){100, 0xfffffff0u, 7}, 3, 10 + 504 + 504000);
  expect(&w, "add_store", (uint32_t[]){8, 16, 1}, 3, 4 + 412 + 412000);
  expect(&w, "enter_fresh", (uint32_t[]){0x55555555u}, 1, 12);
  /* bytes 0..7 and 5..12 of the data (01 02 ... 10) */
  expect(&w, "copy64", (uint32_t[]){0xfffffffcu, 4, 300}, 3,
         0x0807060504030201ull + 0x0d0c0b0a09080706ull);
  expect_oob(&w, "copy64_load_oob", 7);
  expect(&w, "read64", (uint32_t[]){512}, 1, 0); /* the store did not happen */
  expect_oob(&w, "copy64_store_oob", 0xfffffff8u);
  expect_oob(&w, "copy64_store_oob", 7);
  expect_oob(&w, "add_store_oob", 65533);
  expect_oob(&w, "add_store_oob", 0xffffffffu);
  expect(&w, "select_set", (uint32_t[]){3, 5, 1}, 3, 300 + 50 + 40 + 40);
  expect(&w, "select_set", (uint32_t[]){3, 5, 0}, 3, 500 + 30 + 41 + 41);
  {
    /* memory bytes 0..15 are 1..16 */
#define LE32(p) ((uint32_t)(p + 1) | (uint32_t)(p + 2) << 8 | (uint32_t)(p + 3) << 16 | (uint32_t)(p + 4) << 24)
    uint32_t args[][2] = {{0, 5}, {3, 0xfffffffeu}, {8, 0xfffffff9u}};
    for (int i = 0; i < 3; i++) {
      uint32_t p = args[i][0], y = args[i][1];
      uint32_t l = y + LE32(p + 4);
      l = (uint32_t)(p + y) + 1 + l; /* the byte at p + y, wrapping into 0..15 */
      l = LE32(p + 1) & l;
      l = l + (y & (p + 3));
      expect(&w, "load_op", args[i], 2, (p + 1) + l * 3);
    }
    expect(&w, "load_add_const", (uint32_t[]){2}, 1, 6 + 7);
    expect_oob(&w, "load_add_oob", 0);
    expect_oob(&w, "load_add_oob", 0xffff0000u);
    expect(&w, "load_add_oob", (uint32_t[]){0xffff0003u}, 1, 1 + LE32(0));
    expect_oob(&w, "load8_and_oob", 1);
    expect(&w, "load8_and_oob", (uint32_t[]){0}, 1, 0);
#undef LE32
  }
  expect(&w, "straddle", (uint32_t[]){0x01000002u, 7, 0x300}, 3, 7000 + 990 + (0x00000201u ^ 0x300));
  {
    static const uint32_t v[][3] = {{0xf0f0f0f0u, 0x12345678u, 0xff00ff00u},
                                    {0, 0xffffffffu, 0x0f0f0f0fu},
                                    {0xdeadbeefu, 0xdeadbeefu, 0x80000001u}};
    for (int i = 0; i < 3; i++) {
      uint32_t x = v[i][0], y = v[i][1], z = v[i][2];
      uint32_t want = ((x ^ y) & z) + ((z & (y ^ x)) * 3) + (((x & y) ^ z) * 5) + ((z | (x & y)) * 7);
      expect(&w, "logic", v[i], 3, want);
      uint32_t maj = ((x ^ y) & z) ^ (y & z), ch = (x & maj) | (~x & z);
      expect(&w, "maj_ch", v[i], 3, maj + ch + y + z + x);
    }
  }
  /* x < 10: l1 = l2 = x, else l1 = 77, l2 = x; odd: l2 = l1, l1 = 5; even: l1 += l2 */
  expect(&w, "pc_branch", (uint32_t[]){3}, 1, 5003);
  expect(&w, "pc_branch", (uint32_t[]){6}, 1, 12006);
  expect(&w, "pc_branch", (uint32_t[]){4}, 1, 0xffffffffu);
  expect(&w, "pc_branch", (uint32_t[]){11}, 1, 5077);
  expect(&w, "pc_branch", (uint32_t[]){12}, 1, 89012);
  {
    for (uint32_t n = 1; n <= 6; n++) {
      uint32_t a = 1, b = 2, c = 3;
      for (uint32_t k = 0; k < n; k++) {
        uint32_t t = a;
        a = b, b = c, c = t + t;
      }
      expect(&w, "pc_loop", &n, 1, a * 10000 + b * 100 + c);
    }
  }
  expect(&w, "pc_many", (uint32_t[]){20}, 1, 20 + 9 + 20 + 1);
  expect(&w, "pc_call", (uint32_t[]){0}, 1, 7000);
  expect(&w, "pc_call", (uint32_t[]){8}, 1, 5008);
  expect(&w, "add3", (uint32_t[]){1, 20, 300}, 3, 321);
  expect(&w, "add3", (uint32_t[]){0xffffffffu, 2, 3}, 3, 4);
  /* l2 = 11, l3 = 22, p0 = 33, p1 = 66: 66 + 11 */
  expect(&w, "adds", (uint32_t[]){10, 20}, 2, 77);
  expect(&w, "add_add_load", (uint32_t[]){3, 4}, 2, 10);
  expect(&w, "add_add_load", (uint32_t[]){0xffffffffu, 1}, 2, 3);
  expect(&w, "tee_load", (uint32_t[]){4}, 1, 6 + 500);

  expect(&w, "swap", (uint32_t[]){3, 4}, 2, 37);
  for (uint32_t n = 1; n <= 7; n++) expect(&w, "rotate", &n, 1, rotate_ref(n));
  expect(&w, "loop_adds", (uint32_t[]){4}, 1, 4 * 9);
  expect(&w, "loop_moves", (uint32_t[]){5}, 1, 5 + 15);
  expect(&w, "block_result", (uint32_t[]){0}, 1, 1007);
  expect(&w, "block_result", (uint32_t[]){9}, 1, 1010);

  /* sum of 0.5 + 3 * i for i < n */
  bits = call(&w, "axpy", (uint32_t[]){100}, 1, &err);
  memcpy(&d, &bits, 8);
  CHECK_MSG(!kite_failed(&err) && d == 50 + 3 * 4950.0, "axpy: %g (%s)", d, err.msg);
  /* x[i] = 8 i (the byte offset), y[i] = 1 + 0.25 x[i] + 2 x[i] = 1 + 18 i; the sum */
  bits = call(&w, "axpy2", (uint32_t[]){10}, 1, &err);
  memcpy(&d, &bits, 8);
  CHECK_MSG(!kite_failed(&err) && d == 10 + 18 * 45, "axpy2: %g (%s)", d, err.msg);
  /* 0xfffffff0 + 80 wraps to 64: [72] = 2 * 3 + 5 */
  bits = call(&w, "axpy_wrap", (uint32_t[]){0xfffffff0u}, 1, &err);
  memcpy(&d, &bits, 8);
  CHECK_MSG(!kite_failed(&err) && d == 11, "axpy_wrap: %g (%s)", d, err.msg);
  expect_oob(&w, "axpy_oob", 65528); /* x is the last 8 bytes, y beyond */
  expect_oob(&w, "axpy_oob", 65536); /* x beyond */
  expect_oob(&w, "axpy_oob", 0xfffffff8u);
  /* the copy, in C */
  {
    uint8_t m[1024 + 264] = {0};
    for (uint32_t i = 0; i < 256; i++) m[1024 + i] = (uint8_t)(i * 7 + 3);
#define WORD(p) ((uint32_t)m[p] | (uint32_t)m[(p) + 1] << 8 | (uint32_t)m[(p) + 2] << 16 | (uint32_t)m[(p) + 3] << 24)
    uint32_t out[64], a = WORD(1024), h = 0;
    for (uint32_t i = 0; i < 200; i += 8) {
      uint32_t b = WORD(1024 + 4 + i);
      out[i / 4] = b << 8 | a >> 24;
      a = WORD(1024 + 8 + i);
      out[i / 4 + 1] = b >> 24 | a << 8;
    }
#undef WORD
    for (uint32_t i = 0; i < 200; i += 4) h = h * 31 + out[i / 4];
    expect(&w, "lfs_copy", (uint32_t[]){200}, 1, h);
  }
  /* 0xfffffff8 + 3000 wraps to 2992: [2996] = [2992] rotated by 16 */
  expect(&w, "lfs_wrap", (uint32_t[]){0xfffffff8u}, 1, 0x33441122);
  call(&w, "lfs_oob", (uint32_t[]){2992, 2996}, 2, &err);
  expect(&w, "peek", (uint32_t[]){2996}, 1, 0x22334411);
  {
    uint32_t args[2][2] = {{65533, 2992}, {2992, 65533}};
    for (int i = 0; i < 2; i++) {
      uint32_t before = (uint32_t)call(&w, "peek", (uint32_t[]){2992}, 1, &err);
      call(&w, "lfs_oob", args[i], 2, &err);
      CHECK_MSG(err.kind == KITE_ERR_RUNTIME && err.code == KITE_TRAP_MEMORY_OOB,
                "lfs_oob %d: want an out-of-bounds trap, got '%s'", i, err.msg);
      uint32_t after = (uint32_t)call(&w, "peek", (uint32_t[]){2992}, 1, &err);
      CHECK_MSG(before == after, "lfs_oob %d: [2992] changed", i);
    }
  }
  /* [3100] = 0x22334400, then [p1] = [p0] << 8 | 0x11, or a trap after the first store */
  call(&w, "lfs2_oob", (uint32_t[]){3000, 3104}, 2, &err);
  CHECK_MSG(!kite_failed(&err), "lfs2_oob: %s", err.msg);
  expect(&w, "peek", (uint32_t[]){3100}, 1, 0x22334400);
  expect(&w, "peek", (uint32_t[]){3104}, 1, 0x22334411);
  call(&w, "lfs2_oob", (uint32_t[]){3000, 65534}, 2, &err);
  CHECK_MSG(err.kind == KITE_ERR_RUNTIME && err.code == KITE_TRAP_MEMORY_OOB,
            "lfs2_oob: want an out-of-bounds trap, got '%s'", err.msg);
  expect(&w, "peek", (uint32_t[]){3100}, 1, 0x22334400);
  call(&w, "lfs2_oob", (uint32_t[]){65534, 3104}, 2, &err);
  CHECK_MSG(err.kind == KITE_ERR_RUNTIME && err.code == KITE_TRAP_MEMORY_OOB,
            "lfs2_oob: want an out-of-bounds trap, got '%s'", err.msg);
  /* x = 3: [512] = 7, [520] = -1, [528] = 21, [512] = 2; 2 - 1 + 63 */
  bits = call(&w, "f64_ops", (uint32_t[]){3}, 1, &err);
  memcpy(&d, &bits, 8);
  CHECK_MSG(!kite_failed(&err) && d == 64, "f64_ops: %g (%s)", d, err.msg);
  bits = call(&w, "nan_mul", NULL, 0, &err);
  CHECK_MSG((bits | (1ull << 63)) == 0xfff8000000001111ull ||
                (bits | (1ull << 63)) == 0xfff8000000002222ull,
            "nan_mul: %llx", (unsigned long long)bits);
  bits = call(&w, "nan_add", NULL, 0, &err);
  CHECK_MSG((bits | (1ull << 63)) == 0xfff8000000001111ull, "nan_add: %llx",
            (unsigned long long)bits);
  expect_oob(&w, "f64_oob", 0);
  expect_oob(&w, "load_oob", 0);
  expect_oob(&w, "load_oob", 0x10000);
  expect(&w, "load_oob", (uint32_t[]){0xffff0002u}, 1, 0x04030201); /* wraps to 0 */
  expect_oob(&w, "store_oob", 0);
  world_free(&w);
}

/* ---- loop branches that take in the additions before them ---- */

static const char *const conds[] = {"eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u",
                                    "le_s", "le_u", "ge_s", "ge_u"};

static bool holds(int c, uint32_t x, uint32_t y) {
  switch (c) {
  case 0: return x == y;
  case 1: return x != y;
  case 2: return (int32_t)x < (int32_t)y;
  case 3: return x < y;
  case 4: return (int32_t)x > (int32_t)y;
  case 5: return x > y;
  case 6: return (int32_t)x <= (int32_t)y;
  case 7: return x <= y;
  case 8: return (int32_t)x >= (int32_t)y;
  default: return x >= y;
  }
}

/* The loops below in C: k counts iterations (at most 50), i steps until cc fails; the
   a1 loop checks the bound after counting, the a2 loop before. */
static uint32_t loop_ref(int c, uint32_t i, uint32_t n, uint32_t step, bool check_first) {
  uint32_t k = 0;
  for (;;) {
    if (check_first && k >= 50) break;
    k++;
    if (!check_first && k >= 50) break;
    i += step;
    if (!holds(c, i, n)) break;
  }
  return k * 1000 + (i & 0xff);
}

static void test_loop_branches(bool guard) {
  static char src[16384];
  size_t len = (size_t)snprintf(src, sizeof src, "(module\n");
  for (int c = 0; c < 10; c++) {
    /* one addition before the branch (k counts with a subtraction) ... */
    len += (size_t)snprintf(src + len, sizeof src - len,
        " (func (export \"a1_%s\") (param i32 i32 i32) (result i32) (local i32)\n"
        "  (block $out (loop $l (local.set 3 (i32.sub (local.get 3) (i32.const -1)))\n"
        "   (br_if $out (i32.ge_u (local.get 3) (i32.const 50)))\n"
        "   (local.set 0 (i32.add (local.get 0) (local.get 2)))\n"
        "   (br_if $l (i32.%s (local.get 0) (local.get 1)))))\n"
        "  (i32.add (i32.mul (local.get 3) (i32.const 1000)) (i32.and (local.get 0) (i32.const 255))))\n",
        conds[c], conds[c]);
    /* ... and two */
    len += (size_t)snprintf(src + len, sizeof src - len,
        " (func (export \"a2_%s\") (param i32 i32 i32) (result i32) (local i32)\n"
        "  (block $out (loop $l (br_if $out (i32.ge_u (local.get 3) (i32.const 50)))\n"
        "   (local.set 3 (i32.add (local.get 3) (i32.const 1)))\n"
        "   (local.set 0 (i32.add (local.get 0) (local.get 2)))\n"
        "   (br_if $l (i32.%s (local.get 0) (local.get 1)))))\n"
        "  (i32.add (i32.mul (local.get 3) (i32.const 1000)) (i32.and (local.get 0) (i32.const 255))))\n",
        conds[c], conds[c]);
  }
  len += (size_t)snprintf(src + len, sizeof src - len,
      " (func (export \"nz1\") (param i32) (result i32) (local i32)\n"
      "  (loop $l (local.set 0 (i32.sub (local.get 0) (i32.const 1)))\n"
      "   (local.set 1 (i32.add (local.get 1) (i32.const 3)))\n"
      "   (br_if $l (local.get 0)))\n"
      "  (local.get 1))\n"
      " (func (export \"nz2\") (param i32) (result i32) (local i32)\n"
      "  (loop $l (local.set 0 (i32.add (local.get 0) (i32.const -1)))\n"
      "   (local.set 1 (i32.add (local.get 1) (i32.const 3)))\n"
      "   (br_if $l (local.get 0)))\n"
      "  (local.get 1)))\n");
  world w;
  if (!world_new_wat(&w, guard, src)) {
    world_free(&w);
    return;
  }
  /* start, limit, step: up, down, across the sign, equal from the start, wrapping */
  static const uint32_t cases[][3] = {{0, 10, 3},         {0, 12, 3},        {20, 5, 0xfffffffdu},
                                      {0xfffffff0u, 8, 4}, {5, 5, 0},          {7, 7, 1},
                                      {0x7ffffffeu, 0x80000002u, 1}, {100, 0xffffff00u, 0x40}};
  char name[32];
  for (int c = 0; c < 10; c++) {
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
      const uint32_t *a = cases[k];
      snprintf(name, sizeof name, "a1_%s", conds[c]);
      expect(&w, name, a, 3, loop_ref(c, a[0], a[1], a[2], false));
      snprintf(name, sizeof name, "a2_%s", conds[c]);
      expect(&w, name, a, 3, loop_ref(c, a[0], a[1], a[2], true));
    }
  }
  expect(&w, "nz1", (uint32_t[]){7}, 1, 21);
  expect(&w, "nz2", (uint32_t[]){7}, 1, 21);
  world_free(&w);
}

int main(void) {
  test_loop_branches(true);
  test_loop_branches(false);
  run_cases(true);
  run_cases(false);
  return test_finish("test_exec_fused");
}

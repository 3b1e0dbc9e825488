/*
** test_print.c: the printer (wasm2wat) and the disassembler. Float constants must read
** back to the same bits; small hand-built binaries must print exactly the expected text
** for each section and instruction form.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "text.h"

/* ---- floats ---- */

/* Read a printed float back: hex floats through strtod/strtof (exact in C99), the
   nan and inf spellings by hand. */
static bool parse_f64(const char *s, uint64_t *bits) {
  bool neg = *s == '-';
  const char *t = neg ? s + 1 : s;
  uint64_t sign = neg ? (uint64_t)1 << 63 : 0;
  if (strcmp(t, "inf") == 0) {
    *bits = sign | 0x7ff0000000000000ull;
    return true;
  }
  if (strncmp(t, "nan", 3) == 0) {
    uint64_t payload = 0x8000000000000ull;
    if (t[3] == ':') payload = strtoull(t + 4, NULL, 16);
    else if (t[3] != '\0') return false;
    *bits = sign | 0x7ff0000000000000ull | payload;
    return true;
  }
  char *end;
  double d = strtod(s, &end);
  if (*end != '\0') return false;
  memcpy(bits, &d, 8);
  return true;
}

static bool parse_f32(const char *s, uint32_t *bits) {
  bool neg = *s == '-';
  const char *t = neg ? s + 1 : s;
  uint32_t sign = neg ? 0x80000000u : 0;
  if (strcmp(t, "inf") == 0) {
    *bits = sign | 0x7f800000u;
    return true;
  }
  if (strncmp(t, "nan", 3) == 0) {
    uint32_t payload = 0x400000u;
    if (t[3] == ':') payload = (uint32_t)strtoul(t + 4, NULL, 16);
    else if (t[3] != '\0') return false;
    *bits = sign | 0x7f800000u | payload;
    return true;
  }
  char *end;
  float f = strtof(s, &end);
  if (*end != '\0') return false;
  memcpy(bits, &f, 4);
  return true;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* The text format's own reading of a float literal: Kite's lexer. */
static bool lex_float(const char *s, kite_token *t) {
  kite_error err;
  kite_error_clear(&err);
  kite_lexer lx;
  kite_lexer_init(&lx, s, strlen(s), &err);
  return kite_lex_next(&lx, t) && t->len == strlen(s);
}

static void check_f32_roundtrip(uint32_t bits) {
  char buf[KITE_FLOAT_TEXT_MAX];
  size_t n = kite_f32_text(bits, buf);
  uint32_t back = 0, lexed = 0;
  CHECK_MSG(n == strlen(buf) && parse_f32(buf, &back) && back == bits, "f32 0x%08x -> %s -> 0x%08x",
            (unsigned)bits, buf, (unsigned)back);
  kite_token t;
  CHECK_MSG(lex_float(buf, &t) && kite_tok_f32(&t, &lexed) && lexed == bits,
            "f32 0x%08x -> %s -> lexer 0x%08x", (unsigned)bits, buf, (unsigned)lexed);
}

static void check_f64_roundtrip(uint64_t bits) {
  char buf[KITE_FLOAT_TEXT_MAX];
  size_t n = kite_f64_text(bits, buf);
  uint64_t back = 0, lexed = 0;
  CHECK_MSG(n == strlen(buf) && parse_f64(buf, &back) && back == bits, "f64 0x%016llx -> %s",
            (unsigned long long)bits, buf);
  kite_token t;
  CHECK_MSG(lex_float(buf, &t) && kite_tok_f64(&t, &lexed) && lexed == bits,
            "f64 0x%016llx -> %s -> lexer 0x%016llx", (unsigned long long)bits, buf,
            (unsigned long long)lexed);
}

static void check_f32_text(uint32_t bits, const char *want) {
  char buf[KITE_FLOAT_TEXT_MAX];
  kite_f32_text(bits, buf);
  CHECK_MSG(strcmp(buf, want) == 0, "f32 0x%08x: got %s, want %s", (unsigned)bits, buf, want);
}

static void check_f64_text(uint64_t bits, const char *want) {
  char buf[KITE_FLOAT_TEXT_MAX];
  kite_f64_text(bits, buf);
  CHECK_MSG(strcmp(buf, want) == 0, "f64 0x%016llx: got %s, want %s", (unsigned long long)bits, buf,
            want);
}

static void test_floats(void) {
  /* The spellings wabt's wasm2wat uses for the same bits. */
  check_f32_text(0x00000000u, "0x0p+0");
  check_f32_text(0x80000000u, "-0x0p+0");
  check_f32_text(0x3f800000u, "0x1p+0");
  check_f32_text(0x00000001u, "0x1.p-149");
  check_f32_text(0x007fffffu, "0x1.fffffcp-127");
  check_f32_text(0x7f7fffffu, "0x1.fffffep+127");
  check_f32_text(0x3dcccccdu, "0x1.99999ap-4");
  check_f32_text(0x4ceb79a3u, "0x1.d6f346p+26");
  check_f32_text(0x7f800000u, "inf");
  check_f32_text(0xff800000u, "-inf");
  check_f32_text(0x7fc00000u, "nan");
  check_f32_text(0xffc00000u, "-nan");
  check_f32_text(0x7f800001u, "nan:0x1");
  check_f32_text(0x7fa00000u, "nan:0x200000");
  check_f64_text(0x0000000000000000ull, "0x0p+0");
  check_f64_text(0x8000000000000000ull, "-0x0p+0");
  check_f64_text(0x3ff0000000000000ull, "0x1p+0");
  check_f64_text(0x8000000000000001ull, "-0x1.p-1074");
  check_f64_text(0x3fb999999999999aull, "0x1.999999999999ap-4");
  check_f64_text(0x7e37e43c8800759cull, "0x1.7e43c8800759cp+996");
  check_f64_text(0x7ff8000000000000ull, "nan");
  check_f64_text(0xfff8000000000001ull, "-nan:0x8000000000001");
  check_f64_text(0x7ff0000000000000ull, "inf");

  /* Round trips: special values, every exponent, the subnormal range, random bits. */
  static const uint32_t f32s[] = {0,           0x80000000u, 1,           0x80000001u, 0x007fffffu,
                                  0x00800000u, 0x7f7fffffu, 0x7f800000u, 0xff800000u, 0x7fc00000u,
                                  0x7f800001u, 0xffbfffffu, 0x7fffffffu, 0x00400000u, 0x00000010u};
  for (size_t i = 0; i < sizeof f32s / sizeof f32s[0]; i++) check_f32_roundtrip(f32s[i]);
  for (uint32_t e = 0; e < 256; e++)
    for (int k = 0; k < 8; k++) check_f32_roundtrip((e << 23) | ((uint32_t)rng() & 0x807fffffu));
  for (int i = 0; i < 23; i++) check_f32_roundtrip((uint32_t)1 << i);
  for (int i = 0; i < 20000; i++) check_f32_roundtrip((uint32_t)rng());

  static const uint64_t f64s[] = {0,
                                  0x8000000000000000ull,
                                  1,
                                  0x000fffffffffffffull,
                                  0x0010000000000000ull,
                                  0x7fefffffffffffffull,
                                  0x7ff0000000000000ull,
                                  0xfff0000000000000ull,
                                  0x7ff8000000000000ull,
                                  0x7ff0000000000001ull,
                                  0xfff7ffffffffffffull,
                                  0x0008000000000000ull};
  for (size_t i = 0; i < sizeof f64s / sizeof f64s[0]; i++) check_f64_roundtrip(f64s[i]);
  for (uint64_t e = 0; e < 2048; e++)
    for (int k = 0; k < 4; k++) check_f64_roundtrip((e << 52) | (rng() & 0x800fffffffffffffull));
  for (int i = 0; i < 52; i++) check_f64_roundtrip((uint64_t)1 << i);
  for (int i = 0; i < 20000; i++) check_f64_roundtrip(rng());
}

/* ---- modules ---- */

/*
** The binaries below were built with wabt's wat2wasm (mvp, names, simd, fields,
** legacy_eh), with Kite's wat2wasm plus a hand-written name section (gc), and byte by
** byte (custom: custom sections in several places, quoted and duplicate names, an
** explicit one-type rec group, `sub final` without supertypes, an explicit 64 KiB page
** size, (table 0) and (memory 0) spelled out in segments). The expected text is
** wabt's wasm2wat output for the same bytes, except where Kite deliberately prints
** more: `(type N)` on blocks, custom sections, memory indices on SIMD and atomic
** memory instructions, the `(memory N)` of a data segment, one line per constant
** expression, and labels of a folded if's condition counted outside the if.
*/
static const uint8_t wasm_mvp[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0e, 0x03, 0x60, 0x02, 0x7f, 0x7f, 0x01,
    0x7f, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x00, 0x02, 0x2b, 0x04, 0x03, 0x65, 0x6e, 0x76, 0x03,
    0x6c, 0x6f, 0x67, 0x00, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x74, 0x61, 0x62, 0x01, 0x70, 0x00,
    0x02, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, 0x03, 0x65, 0x6e, 0x76,
    0x01, 0x67, 0x03, 0x7e, 0x01, 0x03, 0x03, 0x02, 0x00, 0x02, 0x06, 0x09, 0x01, 0x7d, 0x00, 0x43,
    0x00, 0x00, 0xc0, 0x3f, 0x0b, 0x07, 0x0d, 0x02, 0x03, 0x61, 0x64, 0x64, 0x00, 0x01, 0x03, 0x6d,
    0x65, 0x6d, 0x02, 0x00, 0x08, 0x01, 0x02, 0x09, 0x07, 0x01, 0x00, 0x41, 0x01, 0x0b, 0x01, 0x01,
    0x0a, 0x4d, 0x02, 0x3a, 0x02, 0x01, 0x7f, 0x01, 0x7e, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x22, 0x02,
    0x28, 0x01, 0x08, 0x1a, 0x02, 0x7f, 0x03, 0x40, 0x20, 0x02, 0x20, 0x02, 0x0d, 0x01, 0x20, 0x02,
    0x0e, 0x02, 0x00, 0x00, 0x00, 0x0b, 0x41, 0x79, 0x0b, 0x04, 0x7f, 0x41, 0x01, 0x05, 0x20, 0x02,
    0x10, 0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0x11, 0x00, 0x00, 0x0f, 0x0b, 0x0b, 0x10, 0x00,
    0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xbf, 0x42, 0x7f, 0x24, 0x00, 0x1a, 0x0b, 0x0b,
    0x0c, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x06, 0x68, 0x69, 0x00, 0xff, 0x22, 0x5c,
};

static const char mvp_flat[] = "(module\n"
                               "  (type (;0;) (func (param i32 i32) (result i32)))\n"
                               "  (type (;1;) (func (param i32)))\n"
                               "  (type (;2;) (func))\n"
                               "  (import \"env\" \"log\" (func (;0;) (type 1)))\n"
                               "  (import \"env\" \"tab\" (table (;0;) 2 funcref))\n"
                               "  (import \"env\" \"mem\" (memory (;0;) 1))\n"
                               "  (import \"env\" \"g\" (global (;0;) (mut i64)))\n"
                               "  (func (;1;) (type 0) (param i32 i32) (result i32)\n"
                               "    (local i32 i64)\n"
                               "    local.get 0\n"
                               "    local.get 1\n"
                               "    i32.add\n"
                               "    local.tee 2\n"
                               "    i32.load offset=8 align=2\n"
                               "    drop\n"
                               "    block (result i32)  ;; label = @1\n"
                               "      loop  ;; label = @2\n"
                               "        local.get 2\n"
                               "        local.get 2\n"
                               "        br_if 1 (;@1;)\n"
                               "        local.get 2\n"
                               "        br_table 0 (;@2;) 0 (;@2;) 0 (;@2;)\n"
                               "      end\n"
                               "      i32.const -7\n"
                               "    end\n"
                               "    if (result i32)  ;; label = @1\n"
                               "      i32.const 1\n"
                               "    else\n"
                               "      local.get 2\n"
                               "      call 0\n"
                               "      i32.const 0\n"
                               "      i32.const 0\n"
                               "      i32.const 0\n"
                               "      call_indirect (type 0)\n"
                               "      return\n"
                               "    end)\n"
                               "  (func (;2;) (type 2)\n"
                               "    f64.const -0x1p-3 (;=-0.125;)\n"
                               "    i64.const -1\n"
                               "    global.set 0\n"
                               "    drop)\n"
                               "  (global (;1;) f32 (f32.const 0x1.8p+0 (;=1.5;)))\n"
                               "  (export \"add\" (func 1))\n"
                               "  (export \"mem\" (memory 0))\n"
                               "  (start 2)\n"
                               "  (elem (;0;) (i32.const 1) func 1)\n"
                               "  (data (;0;) (i32.const 16) \"hi\\00\\ff\\22\\5c\"))\n";

static const uint8_t wasm_names[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0e, 0x03, 0x60, 0x02, 0x7f, 0x7f, 0x01,
    0x7f, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x00, 0x02, 0x2b, 0x04, 0x03, 0x65, 0x6e, 0x76, 0x03,
    0x6c, 0x6f, 0x67, 0x00, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x74, 0x61, 0x62, 0x01, 0x70, 0x00,
    0x02, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, 0x03, 0x65, 0x6e, 0x76,
    0x01, 0x67, 0x03, 0x7e, 0x01, 0x03, 0x03, 0x02, 0x00, 0x02, 0x06, 0x09, 0x01, 0x7d, 0x00, 0x43,
    0x00, 0x00, 0xc0, 0x3f, 0x0b, 0x07, 0x0d, 0x02, 0x03, 0x61, 0x64, 0x64, 0x00, 0x01, 0x03, 0x6d,
    0x65, 0x6d, 0x02, 0x00, 0x08, 0x01, 0x02, 0x09, 0x07, 0x01, 0x00, 0x41, 0x01, 0x0b, 0x01, 0x01,
    0x0a, 0x4d, 0x02, 0x3a, 0x02, 0x01, 0x7f, 0x01, 0x7e, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x22, 0x02,
    0x28, 0x01, 0x08, 0x1a, 0x02, 0x7f, 0x03, 0x40, 0x20, 0x02, 0x20, 0x02, 0x0d, 0x01, 0x20, 0x02,
    0x0e, 0x02, 0x00, 0x00, 0x00, 0x0b, 0x41, 0x79, 0x0b, 0x04, 0x7f, 0x41, 0x01, 0x05, 0x20, 0x02,
    0x10, 0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0x11, 0x00, 0x00, 0x0f, 0x0b, 0x0b, 0x10, 0x00,
    0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xbf, 0x42, 0x7f, 0x24, 0x00, 0x1a, 0x0b, 0x0b,
    0x0c, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x06, 0x68, 0x69, 0x00, 0xff, 0x22, 0x5c, 0x00, 0x3c, 0x04,
    0x6e, 0x61, 0x6d, 0x65, 0x01, 0x12, 0x03, 0x00, 0x03, 0x6c, 0x6f, 0x67, 0x01, 0x03, 0x61, 0x64,
    0x64, 0x02, 0x05, 0x73, 0x74, 0x61, 0x72, 0x74, 0x02, 0x10, 0x03, 0x00, 0x00, 0x01, 0x03, 0x00,
    0x01, 0x61, 0x01, 0x01, 0x62, 0x02, 0x01, 0x74, 0x02, 0x00, 0x04, 0x06, 0x01, 0x00, 0x03, 0x62,
    0x69, 0x6e, 0x07, 0x07, 0x02, 0x00, 0x01, 0x67, 0x01, 0x01, 0x63,
};

static const char names_flat[] =
    "(module\n"
    "  (type $bin (func (param i32 i32) (result i32)))\n"
    "  (type (;1;) (func (param i32)))\n"
    "  (type (;2;) (func))\n"
    "  (import \"env\" \"log\" (func $log (type 1)))\n"
    "  (import \"env\" \"tab\" (table (;0;) 2 funcref))\n"
    "  (import \"env\" \"mem\" (memory (;0;) 1))\n"
    "  (import \"env\" \"g\" (global $g (mut i64)))\n"
    "  (func $add (type $bin) (param $a i32) (param $b i32) (result i32)\n"
    "    (local $t i32) (local i64)\n"
    "    local.get $a\n"
    "    local.get $b\n"
    "    i32.add\n"
    "    local.tee $t\n"
    "    i32.load offset=8 align=2\n"
    "    drop\n"
    "    block (result i32)  ;; label = @1\n"
    "      loop  ;; label = @2\n"
    "        local.get $t\n"
    "        local.get $t\n"
    "        br_if 1 (;@1;)\n"
    "        local.get $t\n"
    "        br_table 0 (;@2;) 0 (;@2;) 0 (;@2;)\n"
    "      end\n"
    "      i32.const -7\n"
    "    end\n"
    "    if (result i32)  ;; label = @1\n"
    "      i32.const 1\n"
    "    else\n"
    "      local.get $t\n"
    "      call $log\n"
    "      i32.const 0\n"
    "      i32.const 0\n"
    "      i32.const 0\n"
    "      call_indirect (type $bin)\n"
    "      return\n"
    "    end)\n"
    "  (func $start (type 2)\n"
    "    f64.const -0x1p-3 (;=-0.125;)\n"
    "    i64.const -1\n"
    "    global.set $g\n"
    "    drop)\n"
    "  (global $c f32 (f32.const 0x1.8p+0 (;=1.5;)))\n"
    "  (export \"add\" (func $add))\n"
    "  (export \"mem\" (memory 0))\n"
    "  (start $start)\n"
    "  (elem (;0;) (i32.const 1) func $add)\n"
    "  (data (;0;) (i32.const 16) \"hi\\00\\ff\\22\\5c\"))\n";

static const char names_fold[] =
    "(module\n"
    "  (type $bin (func (param i32 i32) (result i32)))\n"
    "  (type (;1;) (func (param i32)))\n"
    "  (type (;2;) (func))\n"
    "  (import \"env\" \"log\" (func $log (type 1)))\n"
    "  (import \"env\" \"tab\" (table (;0;) 2 funcref))\n"
    "  (import \"env\" \"mem\" (memory (;0;) 1))\n"
    "  (import \"env\" \"g\" (global $g (mut i64)))\n"
    "  (func $add (type $bin) (param $a i32) (param $b i32) (result i32)\n"
    "    (local $t i32) (local i64)\n"
    "    (drop\n"
    "      (i32.load offset=8 align=2\n"
    "        (local.tee $t\n"
    "          (i32.add\n"
    "            (local.get $a)\n"
    "            (local.get $b)))))\n"
    "    (if (result i32)  ;; label = @1\n"
    "      (block (result i32)  ;; label = @1\n"
    "        (loop  ;; label = @2\n"
    "          (br_if 1 (;@1;)\n"
    "            (local.get $t)\n"
    "            (local.get $t))\n"
    "          (br_table 0 (;@2;) 0 (;@2;) 0 (;@2;)\n"
    "            (local.get $t)))\n"
    "        (i32.const -7))\n"
    "      (then\n"
    "        (i32.const 1))\n"
    "      (else\n"
    "        (call $log\n"
    "          (local.get $t))\n"
    "        (return\n"
    "          (call_indirect (type $bin)\n"
    "            (i32.const 0)\n"
    "            (i32.const 0)\n"
    "            (i32.const 0))))))\n"
    "  (func $start (type 2)\n"
    "    (f64.const -0x1p-3 (;=-0.125;))\n"
    "    (global.set $g\n"
    "      (i64.const -1))\n"
    "    (drop))\n"
    "  (global $c f32 (f32.const 0x1.8p+0 (;=1.5;)))\n"
    "  (export \"add\" (func $add))\n"
    "  (export \"mem\" (memory 0))\n"
    "  (start $start)\n"
    "  (elem (;0;) (i32.const 1) func $add)\n"
    "  (data (;0;) (i32.const 16) \"hi\\00\\ff\\22\\5c\"))\n";

static const uint8_t wasm_gc[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x30, 0x06, 0x4e, 0x02, 0x50, 0x00, 0x5f,
    0x02, 0x7f, 0x00, 0x63, 0x00, 0x01, 0x4f, 0x01, 0x00, 0x5f, 0x03, 0x7f, 0x00, 0x63, 0x00, 0x01,
    0x78, 0x00, 0x5e, 0x77, 0x01, 0x60, 0x01, 0x64, 0x00, 0x01, 0x7f, 0x50, 0x00, 0x5f, 0x00, 0x60,
    0x01, 0x7f, 0x00, 0x60, 0x01, 0x64, 0x00, 0x02, 0x7f, 0x6e, 0x03, 0x03, 0x02, 0x03, 0x06, 0x04,
    0x09, 0x01, 0x40, 0x00, 0x70, 0x00, 0x02, 0xd0, 0x70, 0x0b, 0x0d, 0x03, 0x01, 0x00, 0x05, 0x06,
    0x07, 0x01, 0x63, 0x02, 0x00, 0xd0, 0x02, 0x0b, 0x09, 0x05, 0x01, 0x03, 0x00, 0x01, 0x00, 0x0a,
    0x5b, 0x02, 0x08, 0x00, 0x20, 0x00, 0xfb, 0x02, 0x00, 0x00, 0x0b, 0x50, 0x01, 0x01, 0x63, 0x02,
    0x41, 0x01, 0x41, 0x02, 0xfb, 0x06, 0x02, 0x21, 0x01, 0x20, 0x01, 0x41, 0x00, 0xfb, 0x0c, 0x02,
    0x1a, 0x20, 0x00, 0xfb, 0x16, 0x01, 0xfb, 0x15, 0x00, 0x1a, 0x02, 0x6e, 0x20, 0x00, 0xfb, 0x18,
    0x00, 0x00, 0x00, 0x01, 0xfb, 0x19, 0x03, 0x00, 0x00, 0x01, 0x1a, 0xd0, 0x71, 0x0b, 0x1a, 0x02,
    0x7f, 0x1f, 0x7f, 0x02, 0x00, 0x00, 0x00, 0x02, 0x01, 0x41, 0x07, 0x08, 0x00, 0x0b, 0x0b, 0x20,
    0x00, 0xd2, 0x00, 0x14, 0x03, 0x6a, 0x41, 0x1f, 0xfb, 0x1c, 0x0f, 0x0b, 0x00, 0x5f, 0x04, 0x6e,
    0x61, 0x6d, 0x65, 0x01, 0x06, 0x01, 0x00, 0x03, 0x67, 0x65, 0x74, 0x02, 0x09, 0x01, 0x01, 0x02,
    0x00, 0x01, 0x6e, 0x01, 0x01, 0x61, 0x03, 0x06, 0x01, 0x01, 0x01, 0x00, 0x01, 0x6c, 0x04, 0x15,
    0x04, 0x00, 0x04, 0x6e, 0x6f, 0x64, 0x65, 0x01, 0x04, 0x6c, 0x65, 0x61, 0x66, 0x02, 0x03, 0x61,
    0x72, 0x72, 0x03, 0x01, 0x66, 0x05, 0x04, 0x01, 0x00, 0x01, 0x74, 0x07, 0x04, 0x01, 0x00, 0x01,
    0x67, 0x08, 0x04, 0x01, 0x00, 0x01, 0x64, 0x0a, 0x0e, 0x01, 0x00, 0x02, 0x00, 0x03, 0x76, 0x61,
    0x6c, 0x01, 0x04, 0x6e, 0x65, 0x78, 0x74, 0x0b, 0x04, 0x01, 0x00, 0x01, 0x65,
};

static const char gc_flat[] =
    "(module\n"
    "  (rec\n"
    "    (type $node (sub (struct (field $val i32) (field $next (mut (ref null $node))))))\n"
    "    (type $leaf (sub final $node (struct (field i32) (field (mut (ref null $node))) (field "
    "i8)))))\n"
    "  (type $arr (array (mut i16)))\n"
    "  (type $f (func (param (ref $node)) (result i32)))\n"
    "  (type (;4;) (sub (struct)))\n"
    "  (type (;5;) (func (param i32)))\n"
    "  (type (;6;) (func (param (ref $node)) (result i32 anyref)))\n"
    "  (func $get (type $f) (param (ref $node)) (result i32)\n"
    "    local.get 0\n"
    "    struct.get $node $val)\n"
    "  (func (;1;) (type 6) (param $n (ref $node)) (result i32 anyref)\n"
    "    (local $a (ref null $arr))\n"
    "    i32.const 1\n"
    "    i32.const 2\n"
    "    array.new $arr\n"
    "    local.set $a\n"
    "    local.get $a\n"
    "    i32.const 0\n"
    "    array.get_s $arr\n"
    "    drop\n"
    "    local.get $n\n"
    "    ref.cast (ref $leaf)\n"
    "    ref.test (ref null $node)\n"
    "    drop\n"
    "    block (result anyref)  ;; label = @1\n"
    "      local.get $n\n"
    "      br_on_cast 0 (;@1;) (ref $node) (ref $leaf)\n"
    "      br_on_cast_fail 0 (;@1;) (ref null $node) (ref null $leaf)\n"
    "      drop\n"
    "      ref.null none\n"
    "    end\n"
    "    drop\n"
    "    block (result i32)  ;; label = @1\n"
    "      try_table (result i32) (catch $e 0 (;@1;)) (catch_all 1 (;@0;))  ;; label = @2\n"
    "        i32.const 7\n"
    "        throw $e\n"
    "      end\n"
    "    end\n"
    "    local.get $n\n"
    "    ref.func $get\n"
    "    call_ref $f\n"
    "    i32.add\n"
    "    i32.const 31\n"
    "    ref.i31\n"
    "    return)\n"
    "  (table $t 2 funcref (ref.null func))\n"
    "  (tag $e (type 5) (param i32))\n"
    "  (global $g (ref null $arr) (ref.null $arr))\n"
    "  (elem $d declare func $get))\n";

static const char gc_fold[] =
    "(module\n"
    "  (rec\n"
    "    (type $node (sub (struct (field $val i32) (field $next (mut (ref null $node))))))\n"
    "    (type $leaf (sub final $node (struct (field i32) (field (mut (ref null $node))) (field "
    "i8)))))\n"
    "  (type $arr (array (mut i16)))\n"
    "  (type $f (func (param (ref $node)) (result i32)))\n"
    "  (type (;4;) (sub (struct)))\n"
    "  (type (;5;) (func (param i32)))\n"
    "  (type (;6;) (func (param (ref $node)) (result i32 anyref)))\n"
    "  (func $get (type $f) (param (ref $node)) (result i32)\n"
    "    (struct.get $node $val\n"
    "      (local.get 0)))\n"
    "  (func (;1;) (type 6) (param $n (ref $node)) (result i32 anyref)\n"
    "    (local $a (ref null $arr))\n"
    "    (local.set $a\n"
    "      (array.new $arr\n"
    "        (i32.const 1)\n"
    "        (i32.const 2)))\n"
    "    (drop\n"
    "      (array.get_s $arr\n"
    "        (local.get $a)\n"
    "        (i32.const 0)))\n"
    "    (drop\n"
    "      (ref.test (ref null $node)\n"
    "        (ref.cast (ref $leaf)\n"
    "          (local.get $n))))\n"
    "    (drop\n"
    "      (block (result anyref)  ;; label = @1\n"
    "        (drop\n"
    "          (br_on_cast_fail 0 (;@1;) (ref null $node) (ref null $leaf)\n"
    "            (br_on_cast 0 (;@1;) (ref $node) (ref $leaf)\n"
    "              (local.get $n))))\n"
    "        (ref.null none)))\n"
    "    (return\n"
    "      (i32.add\n"
    "        (block (result i32)  ;; label = @1\n"
    "          (try_table (result i32) (catch $e 0 (;@1;)) (catch_all 1 (;@0;))  ;; label = @2\n"
    "            (throw $e\n"
    "              (i32.const 7))))\n"
    "        (call_ref $f\n"
    "          (local.get $n)\n"
    "          (ref.func $get)))\n"
    "      (ref.i31\n"
    "        (i32.const 31))))\n"
    "  (table $t 2 funcref (ref.null func))\n"
    "  (tag $e (type 5) (param i32))\n"
    "  (global $g (ref null $arr) (ref.null $arr))\n"
    "  (elem $d declare func $get))\n";

static const uint8_t wasm_simd[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03,
    0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x0a, 0xa4, 0x02, 0x01, 0xa1, 0x02, 0x00, 0x43,
    0x00, 0x00, 0x00, 0x00, 0x1a, 0x43, 0x00, 0x00, 0x00, 0x80, 0x1a, 0x43, 0x00, 0x00, 0x80, 0x3f,
    0x1a, 0x43, 0x01, 0x00, 0x00, 0x00, 0x1a, 0x43, 0x00, 0x00, 0xc0, 0xff, 0x1a, 0x43, 0x01, 0x00,
    0x80, 0x7f, 0x1a, 0x43, 0xff, 0xff, 0x7f, 0x7f, 0x1a, 0x43, 0xff, 0xff, 0x7f, 0x00, 0x1a, 0x43,
    0xa3, 0x79, 0xeb, 0x4c, 0x1a, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1a, 0x44,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x1a, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xf0, 0x3f, 0x1a, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x7f, 0x1a, 0x44, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xf8, 0xff, 0x1a, 0x44, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f,
    0x1a, 0x44, 0x9c, 0x75, 0x00, 0x88, 0x3c, 0xe4, 0x37, 0x7e, 0x1a, 0x42, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x7f, 0x1a, 0x42, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x1a, 0x41, 0x80,
    0x80, 0x80, 0x80, 0x78, 0x1a, 0x41, 0x00, 0xfd, 0x00, 0x02, 0x10, 0x1a, 0x41, 0x00, 0xfd, 0x54,
    0x00, 0x00, 0x03, 0x1a, 0x41, 0x00, 0xfd, 0x55, 0x00, 0x02, 0x07, 0x1a, 0xfd, 0x0c, 0x01, 0x02,
    0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x1a, 0xfd,
    0x0c, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x40, 0x40, 0x00, 0x00, 0x80,
    0x40, 0x1a, 0xfd, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xfd, 0x0c, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfd, 0x0d, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x1f, 0xfd, 0x15, 0x03, 0x1a, 0xfd, 0x0c, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b,
};

static const char simd_flat[] =
    "(module\n"
    "  (type (;0;) (func (result v128)))\n"
    "  (func (;0;) (type 0) (result v128)\n"
    "    f32.const 0x0p+0 (;=0;)\n"
    "    drop\n"
    "    f32.const -0x0p+0 (;=-0;)\n"
    "    drop\n"
    "    f32.const 0x1p+0 (;=1;)\n"
    "    drop\n"
    "    f32.const 0x1.p-149 (;=1.4013e-45;)\n"
    "    drop\n"
    "    f32.const -nan (;=-nan;)\n"
    "    drop\n"
    "    f32.const nan:0x1 (;=nan;)\n"
    "    drop\n"
    "    f32.const 0x1.fffffep+127 (;=3.40282e+38;)\n"
    "    drop\n"
    "    f32.const 0x1.fffffcp-127 (;=1.17549e-38;)\n"
    "    drop\n"
    "    f32.const 0x1.d6f346p+26 (;=1.23457e+08;)\n"
    "    drop\n"
    "    f64.const 0x0p+0 (;=0;)\n"
    "    drop\n"
    "    f64.const -0x0p+0 (;=-0;)\n"
    "    drop\n"
    "    f64.const 0x1p+0 (;=1;)\n"
    "    drop\n"
    "    f64.const nan (;=nan;)\n"
    "    drop\n"
    "    f64.const -nan:0x8000000000001 (;=-nan;)\n"
    "    drop\n"
    "    f64.const 0x1.999999999999ap-4 (;=0.1;)\n"
    "    drop\n"
    "    f64.const 0x1.7e43c8800759cp+996 (;=1e+300;)\n"
    "    drop\n"
    "    i64.const -9223372036854775808\n"
    "    drop\n"
    "    i64.const 4294967295\n"
    "    drop\n"
    "    i32.const -2147483648\n"
    "    drop\n"
    "    i32.const 0\n"
    "    v128.load offset=16 align=4\n"
    "    drop\n"
    "    i32.const 0\n"
    "    v128.load8_lane 3\n"
    "    drop\n"
    "    i32.const 0\n"
    "    v128.load16_lane offset=2 align=1 7\n"
    "    drop\n"
    "    v128.const i32x4 0x04030201 0x08070605 0x0c0b0a09 0x100f0e0d\n"
    "    drop\n"
    "    v128.const i32x4 0x3f800000 0x40000000 0x40400000 0x40800000\n"
    "    drop\n"
    "    v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000\n"
    "    v128.const i32x4 0xffffffff 0x00000000 0x00000000 0x00000000\n"
    "    i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31\n"
    "    i8x16.extract_lane_s 3\n"
    "    drop\n"
    "    v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)\n"
    "  (memory (;0;) 1))\n";

static const uint8_t wasm_fields[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x10, 0x03, 0x60, 0x02, 0x7f, 0x7f, 0x02,
    0x7f, 0x7e, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x01, 0x7e, 0x00, 0x02, 0x12, 0x02, 0x01, 0x61, 0x01,
    0x74, 0x01, 0x6f, 0x00, 0x01, 0x01, 0x61, 0x03, 0x74, 0x61, 0x67, 0x04, 0x00, 0x01, 0x03, 0x02,
    0x01, 0x00, 0x04, 0x08, 0x02, 0x70, 0x01, 0x03, 0x0a, 0x6f, 0x00, 0x00, 0x05, 0x06, 0x02, 0x03,
    0x01, 0x02, 0x04, 0x03, 0x0d, 0x03, 0x01, 0x00, 0x02, 0x06, 0x13, 0x03, 0x70, 0x01, 0xd2, 0x00,
    0x0b, 0x6f, 0x00, 0xd0, 0x6f, 0x0b, 0x7f, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6a, 0x0b, 0x07, 0x09,
    0x02, 0x01, 0x74, 0x01, 0x01, 0x01, 0x65, 0x04, 0x01, 0x09, 0x24, 0x05, 0x02, 0x01, 0x41, 0x01,
    0x0b, 0x00, 0x01, 0x00, 0x05, 0x70, 0x02, 0xd2, 0x00, 0x0b, 0xd0, 0x70, 0x0b, 0x03, 0x00, 0x01,
    0x00, 0x02, 0x01, 0x41, 0x02, 0x0b, 0x00, 0x01, 0x00, 0x05, 0x6f, 0x01, 0xd0, 0x6f, 0x0b, 0x0c,
    0x01, 0x02, 0x0a, 0x57, 0x01, 0x55, 0x03, 0x01, 0x7b, 0x01, 0x70, 0x01, 0x6f, 0x02, 0x00, 0x1a,
    0x42, 0x00, 0x0b, 0x41, 0x00, 0x28, 0x42, 0x01, 0x10, 0x1a, 0x41, 0x00, 0x3f, 0x01, 0x1a, 0x41,
    0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0a, 0x01, 0x00, 0x41, 0x01, 0x41, 0x02, 0x41, 0x03, 0x1c,
    0x01, 0x7f, 0x1a, 0xd0, 0x70, 0x1a, 0xd2, 0x00, 0x1a, 0x41, 0x00, 0x25, 0x01, 0x1a, 0x41, 0x00,
    0x41, 0x00, 0x41, 0x00, 0xfc, 0x0c, 0x00, 0x01, 0xfc, 0x0d, 0x01, 0xfc, 0x09, 0x00, 0x41, 0x00,
    0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x01, 0x01, 0x12, 0x00, 0x0b, 0x0b, 0x12, 0x02, 0x01, 0x08,
    0x70, 0x61, 0x73, 0x73, 0x69, 0x76, 0x65, 0x01, 0x02, 0x01, 0x42, 0x05, 0x0b, 0x01, 0x78,
};

static const char fields_flat[] =
    "(module\n"
    "  (type (;0;) (func (param i32 i32) (result i32 i64)))\n"
    "  (type (;1;) (func (param i32)))\n"
    "  (type (;2;) (func (param i64)))\n"
    "  (import \"a\" \"t\" (table (;0;) 1 externref))\n"
    "  (import \"a\" \"tag\" (tag (;0;) (type 1) (param i32)))\n"
    "  (func (;0;) (type 0) (param i32 i32) (result i32 i64)\n"
    "    (local v128 funcref externref)\n"
    "    block (type 0) (param i32 i32) (result i32 i64)  ;; label = @1\n"
    "      drop\n"
    "      i64.const 0\n"
    "    end\n"
    "    i32.const 0\n"
    "    i32.load 1 offset=16\n"
    "    drop\n"
    "    i32.const 0\n"
    "    memory.size 1\n"
    "    drop\n"
    "    i32.const 0\n"
    "    i32.const 0\n"
    "    i32.const 0\n"
    "    memory.copy 1 0\n"
    "    i32.const 1\n"
    "    i32.const 2\n"
    "    i32.const 3\n"
    "    select (result i32)\n"
    "    drop\n"
    "    ref.null func\n"
    "    drop\n"
    "    ref.func 0\n"
    "    drop\n"
    "    i32.const 0\n"
    "    table.get 1\n"
    "    drop\n"
    "    i32.const 0\n"
    "    i32.const 0\n"
    "    i32.const 0\n"
    "    table.init 1 0\n"
    "    elem.drop 1\n"
    "    data.drop 0\n"
    "    i32.const 0\n"
    "    i32.const 0\n"
    "    i32.const 0\n"
    "    memory.init 1 1\n"
    "    return_call 0)\n"
    "  (table (;1;) 3 10 funcref)\n"
    "  (table (;2;) 0 externref)\n"
    "  (memory (;0;) 1 2 shared)\n"
    "  (memory (;1;) i64 3)\n"
    "  (tag (;1;) (type 2) (param i64))\n"
    "  (global (;0;) (mut funcref) (ref.func 0))\n"
    "  (global (;1;) externref (ref.null extern))\n"
    "  (global (;2;) i32 (i32.const 1) (i32.const 2) (i32.add))\n"
    "  (export \"t\" (table 1))\n"
    "  (export \"e\" (tag 1))\n"
    "  (elem (;0;) (table 1) (i32.const 1) func 0)\n"
    "  (elem (;1;) funcref (ref.func 0) (ref.null func))\n"
    "  (elem (;2;) declare func 0)\n"
    "  (elem (;3;) (table 1) (i32.const 2) func 0)\n"
    "  (elem (;4;) externref (ref.null extern))\n"
    "  (data (;0;) \"passive\\01\")\n"
    "  (data (;1;) (memory 1) (i64.const 5) \"x\"))\n";

static const uint8_t wasm_legacy_eh[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00,
    0x03, 0x02, 0x01, 0x00, 0x0d, 0x03, 0x01, 0x00, 0x00, 0x0a, 0x1f, 0x01, 0x1d, 0x00, 0x06,
    0x40, 0x20, 0x00, 0x08, 0x00, 0x07, 0x00, 0x1a, 0x19, 0x06, 0x40, 0x01, 0x18, 0x00, 0x09,
    0x00, 0x0b, 0x06, 0x7f, 0x41, 0x01, 0x19, 0x41, 0x02, 0x0b, 0x1a, 0x0b,
};

static const char legacy_eh_flat[] = "(module\n"
                                     "  (type (;0;) (func (param i32)))\n"
                                     "  (func (;0;) (type 0) (param i32)\n"
                                     "    try  ;; label = @1\n"
                                     "      local.get 0\n"
                                     "      throw 0\n"
                                     "    catch 0\n"
                                     "      drop\n"
                                     "    catch_all\n"
                                     "      try  ;; label = @2\n"
                                     "        nop\n"
                                     "      delegate 0 (;@1;)\n"
                                     "      rethrow 0 (;@1;)\n"
                                     "    end\n"
                                     "    try (result i32)  ;; label = @1\n"
                                     "      i32.const 1\n"
                                     "    catch_all\n"
                                     "      i32.const 2\n"
                                     "    end\n"
                                     "    drop)\n"
                                     "  (tag (;0;) (type 0) (param i32)))\n";

static const char legacy_eh_fold[] = "(module\n"
                                     "  (type (;0;) (func (param i32)))\n"
                                     "  (func (;0;) (type 0) (param i32)\n"
                                     "    (try  ;; label = @1\n"
                                     "      (do\n"
                                     "        (throw 0\n"
                                     "          (local.get 0)))\n"
                                     "      (catch 0\n"
                                     "        (drop))\n"
                                     "      (catch_all\n"
                                     "        (try  ;; label = @2\n"
                                     "          (do\n"
                                     "            (nop))\n"
                                     "          (delegate 0 (;@1;)))\n"
                                     "        (rethrow 0 (;@1;))))\n"
                                     "    (drop\n"
                                     "      (try (result i32)  ;; label = @1\n"
                                     "        (do\n"
                                     "          (i32.const 1))\n"
                                     "        (catch_all\n"
                                     "          (i32.const 2)))))\n"
                                     "  (tag (;0;) (type 0) (param i32)))\n";

static const uint8_t wasm_custom[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x05, 0x66, 0x69, 0x72, 0x73, 0x74,
    0x01, 0x78, 0x01, 0x0b, 0x02, 0x4e, 0x01, 0x60, 0x00, 0x00, 0x4f, 0x00, 0x60, 0x00, 0x00, 0x00,
    0x0b, 0x0a, 0x61, 0x66, 0x74, 0x65, 0x72, 0x2d, 0x74, 0x79, 0x70, 0x65, 0x02, 0x0d, 0x01, 0x03,
    0x65, 0x6e, 0x76, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x08, 0x01, 0x10, 0x03, 0x04, 0x03, 0x00, 0x01,
    0x00, 0x04, 0x04, 0x01, 0x70, 0x00, 0x01, 0x05, 0x07, 0x02, 0x05, 0x01, 0x02, 0x03, 0x01, 0x01,
    0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x09, 0x09, 0x01, 0x02, 0x00, 0x41, 0x00, 0x0b, 0x00,
    0x01, 0x00, 0x0a, 0x0a, 0x03, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, 0x0b, 0x08,
    0x01, 0x02, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x61, 0x00, 0x29, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x00,
    0x04, 0x03, 0x6d, 0x6f, 0x64, 0x01, 0x10, 0x03, 0x00, 0x03, 0x61, 0x20, 0x62, 0x01, 0x03, 0x64,
    0x75, 0x70, 0x02, 0x03, 0x64, 0x75, 0x70, 0x04, 0x04, 0x01, 0x00, 0x01, 0x74, 0x06, 0x04, 0x01,
    0x00, 0x01, 0x6d, 0x00, 0x05, 0x01, 0x7a, 0x00, 0x22, 0x5c,
};

static const char custom_flat[] = "(module $mod\n"
                                  "  (@custom \"first\" (before first) \"\\01x\")\n"
                                  "  (rec\n"
                                  "    (type $t (func)))\n"
                                  "  (type (;1;) (sub final (func)))\n"
                                  "  (@custom \"after-type\" (after type) \"\")\n"
                                  "  (import \"env\" \"mem\" (memory $m 1 (pagesize 65536)))\n"
                                  "  (func $\"a b\" (type $t))\n"
                                  "  (func $dup (type 1))\n"
                                  "  (func $dup.1 (@name \"dup\") (type $t))\n"
                                  "  (table (;0;) 1 funcref)\n"
                                  "  (memory (;1;) i64 1 2)\n"
                                  "  (memory (;2;) 1 1 shared)\n"
                                  "  (export \"f\" (func $\"a b\"))\n"
                                  "  (elem (;0;) (table 0) (i32.const 0) func $\"a b\")\n"
                                  "  (data (;0;) (memory $m) (i32.const 0) \"a\")\n"
                                  "  (@custom \"z\" (after data) \"\\00\\22\\5c\"))\n";

static const char names_disasm[] =
    "\n"
    "Code Disassembly:\n"
    "\n"
    "000074 func[1] <add>:\n"
    " 000075: 01 7f                      | local[2] type=i32\n"
    " 000077: 01 7e                      | local[3] type=i64\n"
    " 000079: 20 00                      | local.get 0 <a>\n"
    " 00007b: 20 01                      | local.get 1 <b>\n"
    " 00007d: 6a                         | i32.add\n"
    " 00007e: 22 02                      | local.tee 2 <t>\n"
    " 000080: 28 01 08                   | i32.load 1 8\n"
    " 000083: 1a                         | drop\n"
    " 000084: 02 7f                      | block i32\n"
    " 000086: 03 40                      |   loop\n"
    " 000088: 20 02                      |     local.get 2 <t>\n"
    " 00008a: 20 02                      |     local.get 2 <t>\n"
    " 00008c: 0d 01                      |     br_if 1\n"
    " 00008e: 20 02                      |     local.get 2 <t>\n"
    " 000090: 0e 02 00 00 00             |     br_table 0 0 0\n"
    " 000095: 0b                         |   end\n"
    " 000096: 41 79                      |   i32.const 4294967289\n"
    " 000098: 0b                         | end\n"
    " 000099: 04 7f                      | if i32\n"
    " 00009b: 41 01                      |   i32.const 1\n"
    " 00009d: 05                         | else\n"
    " 00009e: 20 02                      |   local.get 2 <t>\n"
    " 0000a0: 10 00                      |   call 0 <log>\n"
    " 0000a2: 41 00                      |   i32.const 0\n"
    " 0000a4: 41 00                      |   i32.const 0\n"
    " 0000a6: 41 00                      |   i32.const 0\n"
    " 0000a8: 11 00 00                   |   call_indirect 0 (type 0 <bin>)\n"
    " 0000ab: 0f                         |   return\n"
    " 0000ac: 0b                         | end\n"
    " 0000ad: 0b                         | end\n"
    "0000af func[2] <start>:\n"
    " 0000b0: 44 00 00 00 00 00 00 c0 bf | f64.const -0x1p-3\n"
    " 0000b9: 42 7f                      | i64.const -1\n"
    " 0000bb: 24 00                      | global.set 0 <g>\n"
    " 0000bd: 1a                         | drop\n"
    " 0000be: 0b                         | end\n";

static void check_text(const char *what, const uint8_t *bytes, size_t len, bool fold,
                       const char *want) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = kite_decode(&a, bytes, len, KITE_FEATURES_ALL, NULL, &err);
  CHECK_MSG(m != NULL, "%s: decode: %s", what, err.msg);
  if (!m) return;
  kite_buf out;
  kite_buf_init(&out, &a);
  kite_print_options opt = {fold};
  bool ok = kite_wasm_to_wat(m, &opt, &out, &err);
  CHECK_MSG(ok, "%s: print: %s", what, err.msg);
  bool same = ok && out.len == strlen(want) && memcmp(out.data, want, out.len) == 0;
  CHECK_MSG(same, "%s: text differs", what);
  if (!same && ok) {
    /* Show the first differing line. */
    size_t i = 0, line = 1, start = 0;
    while (i < out.len && want[i] && out.data[i] == (uint8_t)want[i]) {
      if (want[i] == '\n') line++, start = i + 1;
      i++;
    }
    fprintf(stderr, "  line %zu: got  \"%.80s\"\n", line, (const char *)out.data + start);
    fprintf(stderr, "  line %zu: want \"%.80s\"\n", line, want + start);
  }
  kite_buf_free(&out);
  kite_module_free(m);
  CHECK_MSG(a.bytes == 0, "%s: %zu bytes leaked", what, a.bytes);
}

static void check_disasm(const char *what, const uint8_t *bytes, size_t len, const char *want) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = kite_decode(&a, bytes, len, KITE_FEATURES_ALL, NULL, &err);
  CHECK(m != NULL);
  if (!m) return;
  kite_buf out;
  kite_buf_init(&out, &a);
  CHECK(kite_disassemble(m, &out, &err));
  CHECK_MSG(out.len == strlen(want) && memcmp(out.data, want, out.len) == 0, "%s differs:\n%.*s",
            what, (int)out.len, (const char *)out.data);
  kite_buf_free(&out);
  kite_module_free(m);
}

/* Fail each allocation in turn: printing must report KITE_ERR_OOM, never crash or leak. */
static void check_oom(const char *what, const uint8_t *bytes, size_t len, bool fold) {
  for (uint64_t n = 1;; n++) {
    kite_alloc a;
    kite_alloc_init(&a, NULL, NULL);
    kite_error err;
    kite_error_clear(&err);
    kite_module *m = kite_decode(&a, bytes, len, KITE_FEATURES_ALL, NULL, &err);
    if (!m) {
      CHECK(m != NULL);
      return;
    }
    a.fail_at = a.count + n;
    kite_buf out;
    kite_buf_init(&out, &a);
    kite_print_options opt = {fold};
    bool ok = kite_wasm_to_wat(m, &opt, &out, &err);
    kite_buf_free(&out);
    kite_module_free(m);
    CHECK_MSG(a.bytes == 0, "%s: leak after failing allocation %llu", what, (unsigned long long)n);
    if (ok) return;
    CHECK_MSG(err.kind == KITE_ERR_OOM, "%s: allocation %llu: %s", what, (unsigned long long)n,
              err.msg);
    if (n > 100000) return;
  }
}

#define CASE(name, mode, fold)                                                                     \
  check_text(#name " " #mode, wasm_##name, sizeof wasm_##name, fold, name##_##mode)

static void test_modules(void) {
  CASE(mvp, flat, false);
  CASE(names, flat, false);
  CASE(names, fold, true);
  CASE(gc, flat, false);
  CASE(gc, fold, true);
  CASE(simd, flat, false);
  CASE(fields, flat, false);
  CASE(legacy_eh, flat, false);
  CASE(legacy_eh, fold, true);
  CASE(custom, flat, false);
  check_disasm("names disassembly", wasm_names, sizeof wasm_names, names_disasm);
  check_oom("names", wasm_names, sizeof wasm_names, false);
  check_oom("gc folded", wasm_gc, sizeof wasm_gc, true);
  check_oom("custom", wasm_custom, sizeof wasm_custom, false);
}

int main(void) {
  test_floats();
  test_modules();
  return test_finish("print");
}

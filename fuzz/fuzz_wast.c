/*
** fuzz_wast: .wast scripts through the script parser, then every module a command
** carries through the stage that would see it next: binary modules (text ones are
** already encoded) are decoded and validated, quoted modules are parsed as text, as
** the spec runner does. Nothing is run.
*/
#include "binary.h"
#include "fuzz_util.h"
#include "text.h"
#include "valid.h"

#define FEATURES KITE_FEATURES_ALL

static void check_module(kite_alloc *a, const kite_wast_module *wm) {
  kite_error err;
  kite_error_clear(&err);
  if (wm->kind == KITE_WAST_MOD_BINARY) {
    kite_module *m = kite_decode(a, wm->bytes, wm->len, FEATURES, NULL, &err);
    if (m) {
      if (!kite_validate_module(m, FEATURES, &err)) fuzz_check_error(&err, "validate");
      kite_module_free(m);
    } else {
      fuzz_check_error(&err, "kite_decode");
    }
  } else if (wm->kind == KITE_WAST_MOD_QUOTE) {
    kite_buf bin;
    kite_buf_init(&bin, a);
    if (!kite_wat_to_wasm(a, (const char *)wm->bytes, wm->len, FEATURES, &bin, &err))
      fuzz_check_error(&err, "kite_wat_to_wasm");
    kite_buf_free(&bin);
  } else {
    if (wm->error.kind == KITE_OK) fuzz_die("a module that did not parse has no error");
  }
}

static void check_cmds(kite_alloc *a, const kite_wast_cmd *cmds, uint32_t n, unsigned depth) {
  for (uint32_t i = 0; i < n; i++) {
    const kite_wast_cmd *c = &cmds[i];
    switch (c->kind) {
    case KITE_WAST_MODULE:
    case KITE_WAST_ASSERT_INVALID:
    case KITE_WAST_ASSERT_MALFORMED:
    case KITE_WAST_ASSERT_UNLINKABLE:
    case KITE_WAST_ASSERT_UNINSTANTIABLE:
    case KITE_WAST_ASSERT_INVALID_CUSTOM:
    case KITE_WAST_ASSERT_MALFORMED_CUSTOM: check_module(a, &c->module); break;
    case KITE_WAST_ASSERT_TRAP:
      if (c->on_module) check_module(a, &c->module);
      break;
    case KITE_WAST_THREAD:
      if (depth < 8) check_cmds(a, c->cmds, c->ncmds, depth + 1);
      break;
    default: break;
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kite_alloc a;
  fuzz_alloc_init(&a);
  kite_wast_script script;
  kite_error err;
  kite_error_clear(&err);
  if (kite_wast_parse(&a, (const char *)data, size, FEATURES, &script, &err)) {
    check_cmds(&a, script.cmds, script.ncmds, 0);
    kite_wast_free(&script);
  } else {
    fuzz_check_error(&err, "kite_wast_parse");
    if (err.kind == KITE_ERR_COMPILE && err.line == 0) fuzz_die("a script error without a position");
  }
  fuzz_alloc_check(&a);
  return 0;
}

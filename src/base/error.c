/*
** error.c: filling kite_error values. The first error wins.
*/
#include <stdarg.h>
#include <stdio.h>

#include "base.h"

void kite_error_clear(kite_error *e) { memset(e, 0, sizeof *e); }

const char *kite_errkind_name(kite_errkind kind) {
  switch (kind) {
  case KITE_OK: return "OK";
  case KITE_ERR_COMPILE: return "CompileError";
  case KITE_ERR_LINK: return "LinkError";
  case KITE_ERR_RUNTIME: return "RuntimeError";
  case KITE_ERR_EXHAUSTION: return "ExhaustionError";
  case KITE_ERR_OOM: return "OutOfMemory";
  case KITE_ERR_EXIT: return "Exit";
  case KITE_ERR_IO: return "IOError";
  case KITE_ERR_USAGE: return "UsageError";
  }
  return "Error";
}

static void set_msg(kite_error *e, const char *fmt, va_list ap) {
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

bool kite_fail(kite_error *e, kite_errkind kind, int code, uint64_t offset, const char *fmt, ...) {
  if (!e || e->kind != KITE_OK) return false;
  e->kind = kind;
  e->code = code;
  e->offset = offset;
  e->has_offset = true;
  va_list ap;
  va_start(ap, fmt);
  set_msg(e, fmt, ap);
  va_end(ap);
  return false;
}

bool kite_fail_at(kite_error *e, kite_errkind kind, int code, uint32_t line, uint32_t col,
                  const char *fmt, ...) {
  if (!e || e->kind != KITE_OK) return false;
  e->kind = kind;
  e->code = code;
  e->line = line;
  e->col = col;
  va_list ap;
  va_start(ap, fmt);
  set_msg(e, fmt, ap);
  va_end(ap);
  return false;
}

/*
** wast.c: the .wast script parser. A script is the spec suite's list of commands:
** modules, registrations, actions and assertions (grammar: the reference
** interpreter's README, https://github.com/WebAssembly/spec/tree/main/interpreter).
** It shares the lexer with the module parser and hands text modules to
** kite_wat_parse_module_fields, so a runner sees every module as bytes.
*/
#include "text.h"

typedef struct wast_parser {
  kite_lexer lx;
  kite_alloc *alloc;
  kite_arena *arena;
  kite_features features;
  kite_error *err;
  unsigned depth; /* nesting of `either` and `thread`, bounded so the C stack is too */
} wast_parser;

#define WAST_MAX_DEPTH 100

typedef KITE_VEC(kite_wast_cmd) cmd_vec;
typedef KITE_VEC(kite_wast_value) value_vec;
typedef KITE_VEC(kite_name) name_vec;

static bool parse_command(wast_parser *P, const kite_token *open, kite_wast_cmd *cmd);
static bool parse_value(wast_parser *P, bool result, kite_wast_value *v);

/* ---- tokens ---- */

static bool fail_tok(wast_parser *P, const kite_token *t, const char *what) {
  if (t->kind == KITE_TOK_EOF)
    return kite_fail_at(P->err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, t->line, t->col,
                        "unexpected end of script, expected %s", what);
  int n = t->len > 40 ? 40 : (int)t->len;
  return kite_fail_at(P->err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, t->line, t->col,
                      "unexpected token \"%.*s\", expected %s", n, t->text, what);
}

static bool oom(wast_parser *P) {
  return kite_fail_at(P->err, KITE_ERR_OOM, 0, P->lx.line, 0, "out of memory");
}

/* Annotations are white space to the script: skip them wherever they appear. */
static bool peek(wast_parser *P, kite_token *t) {
  for (;;) {
    if (!kite_lex_peek(&P->lx, t)) return false;
    if (t->kind != KITE_TOK_ANNOT) return true;
    kite_lex_next(&P->lx, t);
    if (!kite_lex_skip_sexpr(&P->lx)) return false;
  }
}

static bool next(wast_parser *P, kite_token *t) { return peek(P, t) && kite_lex_next(&P->lx, t); }

static bool expect(wast_parser *P, kite_tokkind kind, const char *what, kite_token *t) {
  kite_token tmp;
  if (!t) t = &tmp;
  if (!next(P, t)) return false;
  return t->kind == kind || fail_tok(P, t, what);
}

static bool expect_rparen(wast_parser *P) { return expect(P, KITE_TOK_RPAREN, "')'", NULL); }

static bool peek_is(wast_parser *P, kite_tokkind kind) {
  kite_token t;
  return peek(P, &t) && t.kind == kind;
}

static bool peek_keyword(wast_parser *P, const char *kw) {
  kite_token t;
  return peek(P, &t) && t.kind == KITE_TOK_KEYWORD && kite_tok_is(&t, kw);
}

/* Copy bytes into the arena (a name or a decoded string outlives the source). */
static bool keep(wast_parser *P, const void *p, size_t n, kite_name *out) {
  uint8_t *q = kite_arena_alloc(P->arena, n + 1);
  if (!q) return oom(P);
  if (n) memcpy(q, p, n);
  if (n > UINT32_MAX) return oom(P);
  out->ptr = q;
  out->len = (uint32_t)n;
  return true;
}

/* An optional $id: the name without '$'. */
static bool opt_id(wast_parser *P, kite_name *out) {
  out->ptr = NULL;
  out->len = 0;
  if (!peek_is(P, KITE_TOK_ID)) return !kite_failed(P->err);
  kite_token t;
  next(P, &t);
  return keep(P, t.text, t.len, out);
}

static bool string_tok(wast_parser *P, const kite_token *t, kite_buf *b) {
  if (t->kind != KITE_TOK_STRING) return fail_tok(P, t, "a string");
  if (!kite_tok_string(t, b) && !b->oom)
    return kite_fail_at(P->err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, t->line, t->col,
                        "malformed string");
  return !b->oom || oom(P);
}

static bool parse_string(wast_parser *P, kite_name *out) {
  kite_token t;
  if (!next(P, &t)) return false;
  kite_buf b;
  kite_buf_init(&b, P->alloc);
  bool ok = string_tok(P, &t, &b) && keep(P, b.data, b.len, out);
  kite_buf_free(&b);
  return ok;
}

/* Copy a growable array into the arena. */
static bool keep_array(wast_parser *P, const void *data, size_t n, size_t elem, void **out,
                       uint32_t *count) {
  *out = NULL;
  *count = 0;
  if (n == 0) return true;
  if (n > UINT32_MAX) return oom(P);
  void *p = kite_arena_array(P->arena, n, elem);
  if (!p) return oom(P);
  memcpy(p, data, n * elem);
  *out = p;
  *count = (uint32_t)n;
  return true;
}

/* ---- modules ---- */

static bool parse_strings(wast_parser *P, kite_wast_module *m) {
  kite_buf b;
  kite_buf_init(&b, P->alloc);
  kite_token t;
  bool ok = true;
  for (;;) {
    if (!(ok = next(P, &t))) break;
    if (t.kind == KITE_TOK_RPAREN) break;
    if (!(ok = string_tok(P, &t, &b))) break;
  }
  kite_name kept = {0};
  if (ok) ok = keep(P, b.data, b.len, &kept);
  kite_buf_free(&b);
  m->bytes = kept.ptr;
  m->len = kept.len;
  return ok;
}

/*
** A text module: the module parser encodes it. When that parse fails the script goes
** on: the module becomes an error value and the lexer resumes from a copy taken before
** the module's fields, skipping them as one balanced s-expression.
*/
static bool parse_text_module(wast_parser *P, kite_wast_module *m) {
  kite_lexer saved = P->lx;
  kite_buf b;
  kite_buf_init(&b, P->alloc);
  kite_error merr;
  kite_error_clear(&merr);
  P->lx.err = &merr;
  bool ok = kite_wat_parse_module_fields(&P->lx, P->alloc, P->features, &b, &merr);
  P->lx.err = P->err;
  m->is_text = true;
  if (ok) {
    kite_name kept = {0};
    ok = keep(P, b.data, b.len, &kept);
    m->kind = KITE_WAST_MOD_BINARY;
    m->bytes = kept.ptr;
    m->len = kept.len;
    kite_buf_free(&b);
    return ok;
  }
  kite_buf_free(&b);
  if (merr.kind == KITE_ERR_OOM) return oom(P);
  m->kind = KITE_WAST_MOD_ERROR;
  m->error = merr;
  if (m->error.kind == KITE_OK)
    kite_fail_at(&m->error, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, saved.line, 0,
                 "module did not parse");
  P->lx = saved;
  return kite_lex_skip_sexpr(&P->lx);
}

/* After `(module`: definition? $id? (binary string* | quote string* | field*) ')'. */
static bool parse_module_rest(wast_parser *P, kite_wast_module *m) {
  if (peek_keyword(P, "definition")) {
    kite_token t;
    next(P, &t);
    m->definition = true;
  }
  if (!opt_id(P, &m->name)) return false;
  if (!m->definition && peek_keyword(P, "definition")) {
    kite_token t;
    next(P, &t);
    m->definition = true;
  }
  kite_token t;
  if (!peek(P, &t)) return false;
  if (t.kind == KITE_TOK_KEYWORD && (kite_tok_is(&t, "binary") || kite_tok_is(&t, "quote"))) {
    next(P, &t);
    m->kind = kite_tok_is(&t, "binary") ? KITE_WAST_MOD_BINARY : KITE_WAST_MOD_QUOTE;
    return parse_strings(P, m);
  }
  return parse_text_module(P, m);
}

/* `(module ...)` where a module is required (inside assertions). */
static bool parse_module(wast_parser *P, kite_wast_module *m) {
  kite_token t;
  if (!expect(P, KITE_TOK_LPAREN, "'(module'", &t)) return false;
  if (!next(P, &t)) return false;
  if (t.kind != KITE_TOK_KEYWORD || !kite_tok_is(&t, "module")) return fail_tok(P, &t, "module");
  return parse_module_rest(P, m);
}

/* ---- values ---- */

static bool fail_value(wast_parser *P, const kite_token *t, const char *what) {
  return kite_fail_at(P->err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, t->line, t->col,
                      "malformed %s", what);
}

static uint8_t nan_pattern(const kite_token *t) {
  if (kite_tok_is(t, "nan:canonical")) return KITE_WAST_NAN_CANONICAL;
  if (kite_tok_is(t, "nan:arithmetic")) return KITE_WAST_NAN_ARITHMETIC;
  return KITE_WAST_NAN_NONE;
}

/* An integer lane of `bits` (8 or 16): both the signed and the unsigned range. */
static bool small_lane(const kite_token *t, unsigned bits, uint32_t *out) {
  uint32_t v;
  if (!kite_tok_i32(t, &v)) return false;
  bool negative = t->kind == KITE_TOK_INT && t->text[0] == '-';
  int64_t lo = -((int64_t)1 << (bits - 1)), hi = ((int64_t)1 << bits) - 1;
  int64_t x = negative ? (int64_t)(int32_t)v : (int64_t)v;
  if (x < lo || x > hi) return false;
  *out = v & (uint32_t)hi;
  return true;
}

static bool parse_v128(wast_parser *P, bool result, kite_wast_value *v) {
  static const char *const shapes[] = {"i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2"};
  static const uint8_t lanes[] = {16, 8, 4, 2, 4, 2};
  kite_token t;
  if (!next(P, &t)) return false;
  unsigned shape = 0;
  while (shape < KITE_ARRAY_LEN(shapes) &&
         !(t.kind == KITE_TOK_KEYWORD && kite_tok_is(&t, shapes[shape])))
    shape++;
  if (shape == KITE_ARRAY_LEN(shapes)) return fail_tok(P, &t, "a v128 shape");
  v->kind = KITE_WAST_V128;
  v->shape = (uint8_t)shape;
  unsigned width = 16 / lanes[shape];
  for (unsigned i = 0; i < lanes[shape]; i++) {
    if (!next(P, &t)) return false;
    uint8_t *dst = v->u.v128 + i * width;
    uint32_t x32;
    uint64_t x64;
    bool ok;
    if ((shape == KITE_WAST_F32X4 || shape == KITE_WAST_F64X2) && result && nan_pattern(&t)) {
      v->nan[i] = nan_pattern(&t);
      continue;
    }
    switch (shape) {
    case KITE_WAST_I8X16:
    case KITE_WAST_I16X8:
      ok = small_lane(&t, width * 8, &x32);
      x64 = x32;
      break;
    case KITE_WAST_I32X4: ok = kite_tok_i32(&t, &x32), x64 = x32; break;
    case KITE_WAST_F32X4: ok = kite_tok_f32(&t, &x32), x64 = x32; break;
    case KITE_WAST_I64X2: ok = kite_tok_i64(&t, &x64); break;
    default: ok = kite_tok_f64(&t, &x64); break;
    }
    if (!ok)
      return t.kind == KITE_TOK_RPAREN ? fail_tok(P, &t, "a lane value")
                                       : fail_value(P, &t, "v128 lane");
    for (unsigned k = 0; k < width; k++) dst[k] = (uint8_t)(x64 >> (8 * k));
  }
  return expect_rparen(P);
}

static bool heap_type(const kite_token *t, uint32_t *ht) {
  static const struct {
    const char *name;
    uint32_t ht;
  } names[] = {
      {"func", KITE_HT_FUNC},     {"extern", KITE_HT_EXTERN},     {"any", KITE_HT_ANY},
      {"eq", KITE_HT_EQ},         {"i31", KITE_HT_I31},           {"struct", KITE_HT_STRUCT},
      {"array", KITE_HT_ARRAY},   {"exn", KITE_HT_EXN},           {"none", KITE_HT_NONE},
      {"nofunc", KITE_HT_NOFUNC}, {"noextern", KITE_HT_NOEXTERN}, {"noexn", KITE_HT_NOEXN}};
  for (size_t i = 0; i < KITE_ARRAY_LEN(names); i++)
    if (kite_tok_is(t, names[i].name)) {
      *ht = names[i].ht;
      return true;
    }
  return false;
}

/* A reference payload: (ref.extern N), (ref.host N), (ref.func N|$f). */
static bool ref_payload(wast_parser *P, bool required, kite_wast_value *v) {
  kite_token t;
  if (!peek(P, &t)) return false;
  if (t.kind == KITE_TOK_NAT) {
    next(P, &t);
    if (!kite_tok_u64(&t, &v->u.payload)) return fail_value(P, &t, "reference");
    v->has_payload = true;
  } else if (t.kind == KITE_TOK_ID && v->kind == KITE_WAST_REF_FUNC) {
    next(P, &t); /* a function of some module: identity is not checked */
  } else if (required) {
    return fail_tok(P, &t, "a reference payload");
  }
  return expect_rparen(P);
}

static const struct {
  const char *name;
  uint8_t kind;
} ref_results[] = {{"ref", KITE_WAST_REF},
                   {"ref.any", KITE_WAST_REF_ANY},
                   {"ref.eq", KITE_WAST_REF_EQ},
                   {"ref.i31", KITE_WAST_REF_I31},
                   {"ref.struct", KITE_WAST_REF_STRUCT},
                   {"ref.array", KITE_WAST_REF_ARRAY},
                   {"ref.exn", KITE_WAST_REF_EXN}};

static bool too_deep(wast_parser *P) {
  return kite_fail_at(P->err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, P->lx.line, 0,
                      "script nested too deeply");
}

static bool parse_either(wast_parser *P, kite_wast_value *v) {
  if (P->depth >= WAST_MAX_DEPTH) return too_deep(P);
  P->depth++;
  value_vec alts = {0};
  bool ok = true;
  while (ok && peek_is(P, KITE_TOK_LPAREN)) {
    kite_wast_value alt;
    ok = parse_value(P, true, &alt) && (kite_vec_push(P->alloc, &alts, alt) || oom(P));
  }
  if (ok && alts.len == 0) {
    kite_token t;
    ok = peek(P, &t) && fail_tok(P, &t, "a result");
  }
  if (ok) ok = expect_rparen(P);
  if (ok) ok = keep_array(P, alts.data, alts.len, sizeof *alts.data, (void **)&v->alts, &v->nalts);
  kite_vec_free(P->alloc, &alts);
  v->kind = KITE_WAST_EITHER;
  P->depth--;
  return ok;
}

/* One constant (an argument) or result pattern, from its '('. */
static bool parse_value(wast_parser *P, bool result, kite_wast_value *v) {
  memset(v, 0, sizeof *v);
  kite_token open, kw, t;
  if (!expect(P, KITE_TOK_LPAREN, result ? "a result" : "a constant", &open)) return false;
  if (!next(P, &kw)) return false;
  if (kw.kind != KITE_TOK_KEYWORD) return fail_tok(P, &kw, result ? "a result" : "a constant");
  if (kite_tok_is(&kw, "i32.const") || kite_tok_is(&kw, "i64.const") ||
      kite_tok_is(&kw, "f32.const") || kite_tok_is(&kw, "f64.const")) {
    v->kind = (uint8_t)(kw.text[0] == 'i' ? (kw.text[1] == '3' ? KITE_WAST_I32 : KITE_WAST_I64)
                                          : (kw.text[1] == '3' ? KITE_WAST_F32 : KITE_WAST_F64));
    if (!next(P, &t)) return false;
    bool ok;
    if (result && (v->kind == KITE_WAST_F32 || v->kind == KITE_WAST_F64) && nan_pattern(&t)) {
      v->nan[0] = nan_pattern(&t);
      ok = true;
    } else {
      switch (v->kind) {
      case KITE_WAST_I32: ok = kite_tok_i32(&t, &v->u.i32); break;
      case KITE_WAST_I64: ok = kite_tok_i64(&t, &v->u.i64); break;
      case KITE_WAST_F32: ok = kite_tok_f32(&t, &v->u.i32); break;
      default: ok = kite_tok_f64(&t, &v->u.i64); break;
      }
    }
    if (!ok)
      return t.kind == KITE_TOK_RPAREN ? fail_tok(P, &t, "a number")
                                       : fail_value(P, &t, "constant");
    return expect_rparen(P);
  }
  if (kite_tok_is(&kw, "v128.const")) return parse_v128(P, result, v);
  if (kite_tok_is(&kw, "ref.null")) {
    v->kind = KITE_WAST_REF_NULL;
    v->ht = KITE_WAST_HT_ANY;
    if (!next(P, &t)) return false;
    if (t.kind == KITE_TOK_RPAREN) return true;
    if (t.kind == KITE_TOK_ID || t.kind == KITE_TOK_NAT) v->ht = KITE_WAST_HT_INDEX;
    else if (t.kind != KITE_TOK_KEYWORD || !heap_type(&t, &v->ht))
      return fail_tok(P, &t, "a heap type");
    return expect_rparen(P);
  }
  if (kite_tok_is(&kw, "ref.extern") || kite_tok_is(&kw, "ref.host")) {
    v->kind = kw.text[4] == 'e' ? KITE_WAST_REF_EXTERN : KITE_WAST_REF_HOST;
    return ref_payload(P, !result || v->kind == KITE_WAST_REF_HOST, v);
  }
  if (result && kite_tok_is(&kw, "ref.func")) {
    v->kind = KITE_WAST_REF_FUNC;
    return ref_payload(P, false, v);
  }
  if (result) {
    for (size_t i = 0; i < KITE_ARRAY_LEN(ref_results); i++)
      if (kite_tok_is(&kw, ref_results[i].name)) {
        v->kind = ref_results[i].kind;
        return expect_rparen(P);
      }
    if (kite_tok_is(&kw, "either")) return parse_either(P, v);
  }
  return fail_tok(P, &kw, result ? "a result" : "a constant");
}

static bool parse_values(wast_parser *P, bool result, kite_wast_value **out, uint32_t *count) {
  value_vec vals = {0};
  bool ok = true;
  while (ok && peek_is(P, KITE_TOK_LPAREN)) {
    kite_wast_value v;
    ok = parse_value(P, result, &v) && (kite_vec_push(P->alloc, &vals, v) || oom(P));
  }
  if (ok) ok = !kite_failed(P->err);
  if (ok) ok = keep_array(P, vals.data, vals.len, sizeof *vals.data, (void **)out, count);
  kite_vec_free(P->alloc, &vals);
  return ok;
}

/* ---- actions ---- */

/* After `(invoke` or `(get`: $id? "name" const* ')'. */
static bool parse_action_rest(wast_parser *P, const kite_token *kw, kite_wast_action *a) {
  a->kind = kite_tok_is(kw, "invoke") ? KITE_WAST_INVOKE : KITE_WAST_GET;
  if (!opt_id(P, &a->instance) || !parse_string(P, &a->field)) return false;
  if (a->kind == KITE_WAST_INVOKE && !parse_values(P, false, &a->args, &a->nargs)) return false;
  return expect_rparen(P);
}

static bool is_action(const kite_token *kw) {
  return kw->kind == KITE_TOK_KEYWORD && (kite_tok_is(kw, "invoke") || kite_tok_is(kw, "get"));
}

static bool parse_action(wast_parser *P, kite_wast_action *a) {
  kite_token t;
  if (!expect(P, KITE_TOK_LPAREN, "an action", &t) || !next(P, &t)) return false;
  if (!is_action(&t)) return fail_tok(P, &t, "invoke or get");
  return parse_action_rest(P, &t, a);
}

/* ---- commands ---- */

static bool parse_thread(wast_parser *P, kite_wast_cmd *cmd) {
  if (P->depth >= WAST_MAX_DEPTH) return too_deep(P);
  kite_token t;
  if (!expect(P, KITE_TOK_ID, "a thread name", &t) || !keep(P, t.text, t.len, &cmd->name))
    return false;
  name_vec shared = {0};
  cmd_vec cmds = {0};
  bool ok = true;
  P->depth++;
  while (ok) {
    kite_token open, kw;
    if (!(ok = next(P, &open))) break;
    if (open.kind == KITE_TOK_RPAREN) break;
    if (open.kind != KITE_TOK_LPAREN) {
      ok = fail_tok(P, &open, "a command");
      break;
    }
    if (!(ok = next(P, &kw))) break;
    if (kw.kind == KITE_TOK_KEYWORD && kite_tok_is(&kw, "shared")) {
      kite_token m, id;
      kite_name name;
      ok = expect(P, KITE_TOK_LPAREN, "'(module'", NULL) &&
           expect(P, KITE_TOK_KEYWORD, "module", &m) &&
           (kite_tok_is(&m, "module") || fail_tok(P, &m, "module")) &&
           expect(P, KITE_TOK_ID, "a module name", &id) && keep(P, id.text, id.len, &name) &&
           expect_rparen(P) && expect_rparen(P) &&
           (kite_vec_push(P->alloc, &shared, name) || oom(P));
      continue;
    }
    kite_wast_cmd sub;
    memset(&sub, 0, sizeof sub);
    sub.line = open.line;
    sub.col = open.col;
    ok = parse_command(P, &kw, &sub) && (kite_vec_push(P->alloc, &cmds, sub) || oom(P));
  }
  if (ok)
    ok = keep_array(P, shared.data, shared.len, sizeof *shared.data, (void **)&cmd->shared,
                    &cmd->nshared) &&
         keep_array(P, cmds.data, cmds.len, sizeof *cmds.data, (void **)&cmd->cmds, &cmd->ncmds);
  kite_vec_free(P->alloc, &shared);
  kite_vec_free(P->alloc, &cmds);
  P->depth--;
  return ok;
}

static const struct {
  const char *name;
  uint8_t kind;
} module_assertions[] = {
    {"assert_invalid", KITE_WAST_ASSERT_INVALID},
    {"assert_malformed", KITE_WAST_ASSERT_MALFORMED},
    {"assert_unlinkable", KITE_WAST_ASSERT_UNLINKABLE},
    {"assert_uninstantiable", KITE_WAST_ASSERT_UNINSTANTIABLE},
    {"assert_invalid_custom", KITE_WAST_ASSERT_INVALID_CUSTOM},
    {"assert_malformed_custom", KITE_WAST_ASSERT_MALFORMED_CUSTOM},
};

/* One command, after its '(' and keyword `kw`; consumes the closing ')'. */
static bool parse_command(wast_parser *P, const kite_token *kw, kite_wast_cmd *cmd) {
  if (kw->kind != KITE_TOK_KEYWORD) return fail_tok(P, kw, "a command");
  if (kite_tok_is(kw, "module")) {
    if (peek_keyword(P, "instance")) {
      kite_token t;
      next(P, &t);
      cmd->kind = KITE_WAST_INSTANCE;
      return opt_id(P, &cmd->name) && opt_id(P, &cmd->ref) && expect_rparen(P);
    }
    cmd->kind = KITE_WAST_MODULE;
    return parse_module_rest(P, &cmd->module);
  }
  if (kite_tok_is(kw, "register")) {
    cmd->kind = KITE_WAST_REGISTER;
    return parse_string(P, &cmd->name) && opt_id(P, &cmd->ref) && expect_rparen(P);
  }
  if (is_action(kw)) {
    cmd->kind = KITE_WAST_ACTION;
    return parse_action_rest(P, kw, &cmd->action);
  }
  if (kite_tok_is(kw, "assert_return")) {
    cmd->kind = KITE_WAST_ASSERT_RETURN;
    return parse_action(P, &cmd->action) && parse_values(P, true, &cmd->results, &cmd->nresults) &&
           expect_rparen(P);
  }
  if (kite_tok_is(kw, "assert_trap")) {
    cmd->kind = KITE_WAST_ASSERT_TRAP;
    kite_token open, t;
    if (!expect(P, KITE_TOK_LPAREN, "an action or module", &open) || !next(P, &t)) return false;
    if (t.kind == KITE_TOK_KEYWORD && kite_tok_is(&t, "module")) {
      cmd->on_module = true;
      if (!parse_module_rest(P, &cmd->module)) return false;
    } else if (is_action(&t)) {
      if (!parse_action_rest(P, &t, &cmd->action)) return false;
    } else {
      return fail_tok(P, &t, "invoke, get or module");
    }
    return parse_string(P, &cmd->text) && expect_rparen(P);
  }
  if (kite_tok_is(kw, "assert_exhaustion")) {
    cmd->kind = KITE_WAST_ASSERT_EXHAUSTION;
    return parse_action(P, &cmd->action) && parse_string(P, &cmd->text) && expect_rparen(P);
  }
  if (kite_tok_is(kw, "assert_exception")) {
    cmd->kind = KITE_WAST_ASSERT_EXCEPTION;
    return parse_action(P, &cmd->action) && expect_rparen(P);
  }
  for (size_t i = 0; i < KITE_ARRAY_LEN(module_assertions); i++)
    if (kite_tok_is(kw, module_assertions[i].name)) {
      cmd->kind = module_assertions[i].kind;
      return parse_module(P, &cmd->module) && parse_string(P, &cmd->text) && expect_rparen(P);
    }
  if (kite_tok_is(kw, "thread")) {
    cmd->kind = KITE_WAST_THREAD;
    return parse_thread(P, cmd);
  }
  if (kite_tok_is(kw, "wait")) {
    cmd->kind = KITE_WAST_WAIT;
    kite_token t;
    return expect(P, KITE_TOK_ID, "a thread name", &t) && keep(P, t.text, t.len, &cmd->name) &&
           expect_rparen(P);
  }
  return fail_tok(P, kw, "a command");
}

/*
** A script may be one module written as bare fields (inline-module.wast): the whole
** text is then that module, as the reference interpreter reads it.
*/
static bool starts_with_field(wast_parser *P) {
  static const char *const fields[] = {"type",   "rec",    "import", "func", "table", "memory",
                                       "global", "export", "start",  "elem", "data",  "tag"};
  kite_lexer saved = P->lx;
  kite_token open, kw;
  bool field = false;
  if (next(P, &open) && open.kind == KITE_TOK_LPAREN && next(P, &kw))
    for (size_t i = 0; i < KITE_ARRAY_LEN(fields); i++) field |= kite_tok_is(&kw, fields[i]);
  P->lx = saved;
  return field;
}

static bool parse_inline_module(wast_parser *P, const char *src, size_t len, cmd_vec *cmds) {
  kite_wast_cmd cmd;
  memset(&cmd, 0, sizeof cmd);
  cmd.kind = KITE_WAST_MODULE;
  cmd.line = cmd.col = 1;
  kite_wast_module *m = &cmd.module;
  m->is_text = true;
  kite_buf b;
  kite_buf_init(&b, P->alloc);
  kite_error merr;
  kite_error_clear(&merr);
  bool ok = true;
  if (kite_wat_to_wasm(P->alloc, src, len, P->features, &b, &merr)) {
    kite_name kept = {0};
    ok = keep(P, b.data, b.len, &kept);
    m->kind = KITE_WAST_MOD_BINARY;
    m->bytes = kept.ptr;
    m->len = kept.len;
  } else if (merr.kind == KITE_ERR_OOM) {
    ok = oom(P);
  } else {
    m->kind = KITE_WAST_MOD_ERROR;
    m->error = merr;
  }
  kite_buf_free(&b);
  return ok && (kite_vec_push(P->alloc, cmds, cmd) || oom(P));
}

bool kite_wast_parse(kite_alloc *a, const char *src, size_t len, kite_features f,
                     kite_wast_script *out, kite_error *err) {
  memset(out, 0, sizeof *out);
  kite_arena_init(&out->arena, a);
  wast_parser P;
  memset(&P, 0, sizeof P);
  kite_lexer_init(&P.lx, src, len, err);
  P.alloc = a;
  P.arena = &out->arena;
  P.features = f;
  P.err = err;
  cmd_vec cmds = {0};
  bool ok = true;
  bool is_module = starts_with_field(&P);
  if (is_module) ok = parse_inline_module(&P, src, len, &cmds);
  while (!is_module) {
    kite_token open, kw;
    if (!(ok = next(&P, &open))) break;
    if (open.kind == KITE_TOK_EOF) break;
    if (open.kind != KITE_TOK_LPAREN) {
      ok = fail_tok(&P, &open, "'('");
      break;
    }
    if (!(ok = next(&P, &kw))) break;
    kite_wast_cmd cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.line = open.line;
    cmd.col = open.col;
    if (!(ok = parse_command(&P, &kw, &cmd))) break;
    if (!(ok = kite_vec_push(a, &cmds, cmd) || oom(&P))) break;
  }
  if (ok) ok = !kite_failed(err);
  if (ok)
    ok = keep_array(&P, cmds.data, cmds.len, sizeof *cmds.data, (void **)&out->cmds, &out->ncmds);
  kite_vec_free(a, &cmds);
  if (!ok) kite_wast_free(out);
  return ok;
}

void kite_wast_free(kite_wast_script *s) {
  kite_arena_free(&s->arena);
  s->ncmds = 0;
  s->cmds = NULL;
}

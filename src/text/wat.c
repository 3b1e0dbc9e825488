/*
** wat.c: the module parser (spec, Text Format, Modules), text to binary.
**
** The module is tokenized into an array first, then walked in passes:
**   1. collect: every field, its kind and extent, and the identifiers of every index
**      space (imports first, as the text format requires);
**   2. types: the type definitions, now that every type name is known;
**   3. implicit types: every type use in text order, appending the function types that
**      do not exist yet (spec: Abbreviations of type uses), so the type section is
**      complete before anything refers to it;
**   4. emit: the sections in binary order, function bodies through wat_instr.c and
**      every instruction through the encoder.
** Output follows wabt's wat2wasm byte for byte where the format leaves a choice
** (element segment forms, when the data count section appears, block types).
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "text.h"

enum {
  WAT_F_TYPE,
  WAT_F_REC,
  WAT_F_IMPORT,
  WAT_F_FUNC,
  WAT_F_TABLE,
  WAT_F_MEMORY,
  WAT_F_GLOBAL,
  WAT_F_TAG,
  WAT_F_EXPORT,
  WAT_F_START,
  WAT_F_ELEM,
  WAT_F_DATA
};

static const char *const space_what[WAT_NSPACES] = {
    "type", "function", "table", "memory", "global", "tag", "elem segment", "data segment"};
static const char *const space_dup[WAT_NSPACES] = {"type",   "func", "table", "memory",
                                                   "global", "tag",  "elem",  "data"};

/* ---- errors ---- */

bool kite_wat_fail(wat_ctx *c, const kite_token *t, const char *fmt, ...) {
  if (kite_failed(c->err)) return false;
  char msg[sizeof c->err->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return kite_fail_at(c->err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, t->line, t->col, "%s", msg);
}

static bool oom(wat_ctx *c) {
  if (kite_failed(c->err)) return false;
  return kite_fail_at(c->err, KITE_ERR_OOM, 0, 0, 0, "out of memory");
}

/* Keywords of the text and script formats that are not instruction names: a keyword
   outside this list and the opcode table is an "unknown operator". Sorted. */
static const char *const structural_keywords[] = {"any",
                                                  "anyref",
                                                  "array",
                                                  "arrayref",
                                                  "assert_exception",
                                                  "assert_exhaustion",
                                                  "assert_invalid",
                                                  "assert_malformed",
                                                  "assert_return",
                                                  "assert_trap",
                                                  "assert_unlinkable",
                                                  "binary",
                                                  "catch",
                                                  "catch_all",
                                                  "catch_all_ref",
                                                  "catch_ref",
                                                  "data",
                                                  "declare",
                                                  "definition",
                                                  "delegate",
                                                  "describes",
                                                  "descriptor",
                                                  "do",
                                                  "either",
                                                  "elem",
                                                  "else",
                                                  "end",
                                                  "eq",
                                                  "eqref",
                                                  "exact",
                                                  "exn",
                                                  "exnref",
                                                  "export",
                                                  "extern",
                                                  "externref",
                                                  "f32",
                                                  "f32x4",
                                                  "f64",
                                                  "f64x2",
                                                  "field",
                                                  "final",
                                                  "func",
                                                  "funcref",
                                                  "get",
                                                  "global",
                                                  "i16",
                                                  "i16x8",
                                                  "i31",
                                                  "i31ref",
                                                  "i32",
                                                  "i32x4",
                                                  "i64",
                                                  "i64x2",
                                                  "i8",
                                                  "i8x16",
                                                  "import",
                                                  "inf",
                                                  "instance",
                                                  "invoke",
                                                  "item",
                                                  "local",
                                                  "memory",
                                                  "module",
                                                  "mut",
                                                  "nan",
                                                  "nan:arithmetic",
                                                  "nan:canonical",
                                                  "noexn",
                                                  "noextern",
                                                  "nofunc",
                                                  "none",
                                                  "null",
                                                  "nullexnref",
                                                  "nullexternref",
                                                  "nullfuncref",
                                                  "nullref",
                                                  "offset",
                                                  "pagesize",
                                                  "param",
                                                  "quote",
                                                  "rec",
                                                  "ref",
                                                  "ref.extern",
                                                  "ref.host",
                                                  "register",
                                                  "result",
                                                  "shared",
                                                  "start",
                                                  "struct",
                                                  "structref",
                                                  "sub",
                                                  "table",
                                                  "tag",
                                                  "then",
                                                  "thread",
                                                  "type",
                                                  "unshared",
                                                  "v128",
                                                  "wait"};

static int keyword_cmp(const void *key, const void *elem) {
  const kite_token *t = key;
  const char *kw = *(const char *const *)elem;
  size_t n = strlen(kw);
  int c = memcmp(t->text, kw, t->len < n ? t->len : n);
  return c ? c : (t->len > n) - (t->len < n);
}

bool kite_wat_is_opcode(const wat_ctx *c, const kite_token *t) {
  return kite_opname_index_find(c->opnames, t->text, t->len) != OP_COUNT;
}

static bool known_keyword(const wat_ctx *c, const kite_token *t) {
  if (t->len > 7 && !memcmp(t->text, "offset=", 7)) return true;
  if (t->len > 6 && !memcmp(t->text, "align=", 6)) return true;
  if (bsearch(t, structural_keywords, KITE_ARRAY_LEN(structural_keywords),
              sizeof structural_keywords[0], keyword_cmp))
    return true;
  return kite_wat_is_opcode(c, t);
}

/* As the reference lexer: a reserved token or a keyword of no known form is an error
   wherever it appears. */
static bool known_token(wat_ctx *c, const kite_token *t) {
  if (t->kind == KITE_TOK_RESERVED) return kite_wat_unexpected(c, t);
  if (t->kind != KITE_TOK_KEYWORD) return true;
  size_t skip = t->len > 7 && !memcmp(t->text, "offset=", 7)  ? 7
                : t->len > 6 && !memcmp(t->text, "align=", 6) ? 6
                                                              : 0;
  if (skip) {
    kite_lexer lx;
    kite_error e;
    kite_token n;
    kite_error_clear(&e);
    kite_lexer_init(&lx, t->text + skip, t->len - skip, &e);
    if (kite_lex_next(&lx, &n) && n.kind == KITE_TOK_NAT && n.len == t->len - skip) return true;
  } else if (known_keyword(c, t)) {
    return true;
  }
  return kite_wat_fail(c, t, "unknown operator %.*s", (int)(t->len > 60 ? 60 : t->len), t->text);
}

bool kite_wat_unexpected(wat_ctx *c, const kite_token *t) {
  if (t->kind == KITE_TOK_RESERVED || (t->kind == KITE_TOK_KEYWORD && !known_keyword(c, t)))
    return kite_wat_fail(c, t, "unknown operator %.*s", (int)(t->len > 60 ? 60 : t->len), t->text);
  if (t->kind == KITE_TOK_EOF) return kite_wat_fail(c, t, "unexpected end of input");
  return kite_wat_fail(c, t, "unexpected token");
}

/* ---- identifier maps ---- */

static uint32_t hash_name(const char *p, uint32_t n) {
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < n; i++) h = (h ^ (uint8_t)p[i]) * 16777619u;
  return h;
}

static bool map_grow(wat_ctx *c, wat_map *m) {
  uint32_t ncap = m->cap ? m->cap * 2 : 16;
  wat_map_entry *slots = kite_calloc(c->alloc, ncap, sizeof *slots);
  if (!slots) return oom(c);
  for (uint32_t i = 0; i < m->cap; i++) {
    wat_map_entry *e = &m->slots[i];
    if (!e->name) continue;
    uint32_t h = hash_name(e->name, e->len) & (ncap - 1);
    while (slots[h].name) h = (h + 1) & (ncap - 1);
    slots[h] = *e;
  }
  kite_free(c->alloc, m->slots, m->cap * sizeof *m->slots);
  m->slots = slots;
  m->cap = ncap;
  return true;
}

bool kite_wat_map_get(const wat_map *m, const char *name, uint32_t len, uint32_t *index) {
  if (!m->cap) return false;
  uint32_t h = hash_name(name, len) & (m->cap - 1);
  for (;;) {
    const wat_map_entry *e = &m->slots[h];
    if (!e->name) return false;
    if (e->len == len && !memcmp(e->name, name, len)) {
      *index = e->index;
      return true;
    }
    h = (h + 1) & (m->cap - 1);
  }
}

bool kite_wat_map_put(wat_ctx *c, wat_map *m, wat_name name, uint32_t index, bool *dup) {
  uint32_t old;
  *dup = false;
  if (!name.name) return true;
  if (kite_wat_map_get(m, name.name, name.len, &old)) {
    *dup = true;
    return true;
  }
  if ((m->count + 1) * 4 > m->cap * 3 && !map_grow(c, m)) return false;
  uint32_t h = hash_name(name.name, name.len) & (m->cap - 1);
  while (m->slots[h].name) h = (h + 1) & (m->cap - 1);
  m->slots[h] = (wat_map_entry){name.name, name.len, index};
  m->count++;
  return true;
}

static void map_free(wat_ctx *c, wat_map *m) {
  kite_free(c->alloc, m->slots, m->cap * sizeof *m->slots);
  memset(m, 0, sizeof *m);
}

/* ---- tokenizing ---- */

static bool push_tok(wat_ctx *c, const kite_token *t) {
  return kite_vec_push(c->alloc, &c->toks, *t) || oom(c);
}

/* Quoted identifiers are names: decode them once so $"a" and $a compare equal. */
static bool normalize_id(wat_ctx *c, kite_token *t) {
  if (t->kind != KITE_TOK_ID || t->len == 0 || t->text[0] != '"') return true;
  kite_buf b;
  kite_buf_init(&b, c->alloc);
  kite_token s = *t;
  s.kind = KITE_TOK_STRING;
  bool ok = kite_tok_string(&s, &b);
  if (!ok || b.oom) {
    kite_buf_free(&b);
    return b.oom ? oom(c) : kite_wat_fail(c, t, "malformed identifier");
  }
  if (!kite_utf8_valid(b.data, b.len)) {
    kite_buf_free(&b);
    return kite_wat_fail(c, t, "malformed UTF-8 encoding");
  }
  char *copy = kite_arena_alloc(&c->arena, b.len ? b.len : 1);
  if (!copy) {
    kite_buf_free(&b);
    return oom(c);
  }
  memcpy(copy, b.data, b.len);
  t->text = copy;
  t->len = b.len;
  kite_buf_free(&b);
  return true;
}

/* Record a @name or @custom annotation: its tokens go to annot_toks. */
static bool record_annotation(wat_ctx *c, kite_lexer *lx, const kite_token *open, uint8_t kind) {
  wat_annot a = {kind,       false,    (uint32_t)c->toks.len, (uint32_t)c->annot_toks.len, 0,
                 open->line, open->col};
  int depth = 1;
  for (;;) {
    kite_token t;
    if (!kite_lex_next(lx, &t)) return false;
    if (t.kind == KITE_TOK_EOF)
      return kite_fail_at(c->err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, t.line, t.col,
                          "unclosed annotation");
    if (t.kind == KITE_TOK_ANNOT) {
      if (!kite_lex_skip_sexpr(lx)) return false;
      continue;
    }
    if (t.kind == KITE_TOK_LPAREN) depth++;
    if (t.kind == KITE_TOK_RPAREN && --depth == 0) {
      a.end = (uint32_t)c->annot_toks.len;
      if (!kite_vec_push(c->alloc, &c->annot_toks, t)) return oom(c);
      break;
    }
    if (!kite_vec_push(c->alloc, &c->annot_toks, t)) return oom(c);
  }
  return kite_vec_push(c->alloc, &c->annots, a) || oom(c);
}

/*
** Read tokens up to the ')' that closes the enclosing form (stop_at_close) or to the
** end of input. Annotations are skipped except @name and @custom, which are kept
** aside with the position of the token that follows them.
*/
static bool tokenize(wat_ctx *c, kite_lexer *lx, bool stop_at_close) {
  KITE_VEC(uint32_t) open = {0};
  bool ok = true;
  for (;;) {
    kite_token t;
    if (!kite_lex_next(lx, &t)) {
      ok = false;
      break;
    }
    if (t.kind == KITE_TOK_ANNOT) {
      static const char hint[] = "metadata.code.branch_hint";
      int kind = t.len == 4 && !memcmp(t.text, "name", 4)                   ? WAT_ANNOT_NAME
                 : t.len == 6 && !memcmp(t.text, "custom", 6)               ? WAT_ANNOT_CUSTOM
                 : t.len == sizeof hint - 1 && !memcmp(t.text, hint, t.len) ? WAT_ANNOT_BRANCH_HINT
                                                                            : -1;
      if (kind >= 0) ok = record_annotation(c, lx, &t, (uint8_t)kind);
      else ok = kite_lex_skip_sexpr(lx);
      if (!ok) break;
      continue;
    }
    if (t.kind == KITE_TOK_EOF) {
      if (stop_at_close || open.len) {
        const kite_token *o = open.len ? &c->toks.data[open.data[open.len - 1]] : &t;
        (void)o;
        ok = kite_wat_fail(c, &t, "unexpected end of input");
        break;
      }
      ok = push_tok(c, &t) && kite_vec_push(c->alloc, &c->match, 0);
      break;
    }
    if (t.kind == KITE_TOK_RPAREN) {
      if (!open.len) {
        if (stop_at_close) { /* the module's own ')': the end of the fields */
          t.kind = KITE_TOK_EOF;
          ok = push_tok(c, &t) && kite_vec_push(c->alloc, &c->match, 0);
          break;
        }
        ok = kite_wat_fail(c, &t, "unexpected token");
        break;
      }
      uint32_t o = open.data[--open.len];
      c->match.data[o] = (uint32_t)c->toks.len;
    }
    if (!normalize_id(c, &t) || !known_token(c, &t)) {
      ok = false;
      break;
    }
    if (t.kind == KITE_TOK_LPAREN && !kite_vec_push(c->alloc, &open, (uint32_t)c->toks.len)) {
      ok = oom(c);
      break;
    }
    if (!push_tok(c, &t) || !kite_vec_push(c->alloc, &c->match, 0)) {
      ok = oom(c);
      break;
    }
  }
  kite_vec_free(c->alloc, &open);
  return ok && (!c->match.data || true);
}

/* ---- token helpers ---- */

bool kite_wat_is_keyword(const kite_token *t, const char *kw) { return kite_tok_is(t, kw); }

bool kite_wat_at_lparen_kw(const wat_ctx *c, const char *kw) {
  return kite_wat_tok(c)->kind == KITE_TOK_LPAREN &&
         kite_tok_is(kite_wat_tok_at(c, c->pos + 1), kw);
}

bool kite_wat_expect_lparen_kw(wat_ctx *c, const char *kw) {
  if (kite_wat_tok(c)->kind != KITE_TOK_LPAREN) return kite_wat_unexpected(c, kite_wat_tok(c));
  const kite_token *k = kite_wat_tok_at(c, c->pos + 1);
  if (!kite_tok_is(k, kw)) return kite_wat_unexpected(c, k);
  c->pos += 2;
  return true;
}

bool kite_wat_expect_rparen(wat_ctx *c) {
  const kite_token *t = kite_wat_tok(c);
  if (t->kind != KITE_TOK_RPAREN) return kite_wat_unexpected(c, t);
  c->pos++;
  return true;
}

bool kite_wat_opt_id(wat_ctx *c, wat_name *out) {
  const kite_token *t = kite_wat_tok(c);
  if (t->kind == KITE_TOK_ID) {
    out->name = t->text;
    out->len = (uint32_t)t->len;
    c->pos++;
  } else {
    out->name = NULL;
    out->len = 0;
  }
  return true;
}

bool kite_wat_u32(wat_ctx *c, uint32_t *out) {
  const kite_token *t = kite_wat_tok(c);
  if (t->kind != KITE_TOK_NAT) return kite_wat_unexpected(c, t);
  if (!kite_tok_u32(t, out)) return kite_wat_fail(c, t, "constant out of range");
  c->pos++;
  return true;
}

bool kite_wat_u64(wat_ctx *c, uint64_t *out) {
  const kite_token *t = kite_wat_tok(c);
  if (t->kind != KITE_TOK_NAT) return kite_wat_unexpected(c, t);
  if (!kite_tok_u64(t, out)) return kite_wat_fail(c, t, "constant out of range");
  c->pos++;
  return true;
}

bool kite_wat_at_index(const wat_ctx *c) {
  kite_tokkind k = kite_wat_tok(c)->kind;
  return k == KITE_TOK_NAT || k == KITE_TOK_ID;
}

bool kite_wat_index(wat_ctx *c, int space, uint32_t *out) {
  const kite_token *t = kite_wat_tok(c);
  if (t->kind == KITE_TOK_NAT) return kite_wat_u32(c, out);
  if (t->kind != KITE_TOK_ID) return kite_wat_unexpected(c, t);
  if (!kite_wat_map_get(&c->spaces[space].names, t->text, (uint32_t)t->len, out))
    return kite_wat_fail(c, t, "unknown %s $%.*s", space_what[space],
                         (int)(t->len > 60 ? 60 : t->len), t->text);
  c->pos++;
  return true;
}

/* A string token decoded into out (appended). */
static bool string_bytes(wat_ctx *c, kite_buf *out) {
  const kite_token *t = kite_wat_tok(c);
  if (t->kind != KITE_TOK_STRING) return kite_wat_unexpected(c, t);
  if (!kite_tok_string(t, out)) return out->oom ? oom(c) : kite_wat_fail(c, t, "malformed string");
  c->pos++;
  return true;
}

/* A name: a string that must be UTF-8, written with its length. */
static bool write_name_string(wat_ctx *c, kite_buf *out) {
  const kite_token *t = kite_wat_tok(c);
  kite_buf b;
  kite_buf_init(&b, c->alloc);
  bool ok = string_bytes(c, &b);
  if (ok && !kite_utf8_valid(b.data, b.len)) ok = kite_wat_fail(c, t, "malformed UTF-8 encoding");
  if (ok) ok = kite_write_name(out, b.data, b.len) || oom(c);
  kite_buf_free(&b);
  return ok;
}

/* ---- annotations: @name, @custom, @metadata.code.branch_hint ---- */

static bool annot_fail(wat_ctx *c, const wat_annot *a, int code, const char *msg) {
  return kite_fail_at(c->err, KITE_ERR_COMPILE, code, a->line, a->col, "%s", msg);
}

/* The first annotation of a kind at main-token position pos (annotations are recorded
   in token order), or NULL. */
static wat_annot *annot_at(wat_ctx *c, uint32_t pos, uint8_t kind) {
  size_t lo = 0, hi = c->annots.len;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (c->annots.data[mid].pos < pos) lo = mid + 1;
    else hi = mid;
  }
  for (; lo < c->annots.len && c->annots.data[lo].pos == pos; lo++)
    if (c->annots.data[lo].kind == kind && !c->annots.data[lo].used) return &c->annots.data[lo];
  return NULL;
}

/* A string token of an annotation decoded into the arena. */
static bool annot_string(wat_ctx *c, const kite_token *t, const uint8_t **p, uint32_t *len) {
  kite_buf b;
  kite_buf_init(&b, c->alloc);
  bool ok = kite_tok_string(t, &b);
  uint8_t *copy = ok ? kite_arena_alloc(&c->arena, b.len ? b.len : 1) : NULL;
  if (copy && b.len) memcpy(copy, b.data, b.len);
  *p = copy;
  *len = (uint32_t)b.len;
  kite_buf_free(&b);
  return copy || oom(c);
}

/* (@name "string"): the name, which must be UTF-8. */
static bool annot_name(wat_ctx *c, wat_annot *a, wat_name *out) {
  const kite_token *t = &c->annot_toks.data[a->first];
  a->used = true;
  if (a->end - a->first != 1 || t->kind != KITE_TOK_STRING)
    return annot_fail(c, a, KITE_COMPILE_MALFORMED, "@name annotation: unexpected token");
  const uint8_t *p;
  uint32_t len;
  if (!annot_string(c, t, &p, &len)) return false;
  if (!kite_utf8_valid(p, len))
    return annot_fail(c, a, KITE_COMPILE_MALFORMED, "@name annotation: malformed UTF-8 encoding");
  out->name = (const char *)p;
  out->len = len;
  return true;
}

/* A @name right after a definition's $id: its name in the name section. */
static bool take_name(wat_ctx *c, uint32_t pos, int space, uint32_t index) {
  wat_annot *a = annot_at(c, pos, WAT_ANNOT_NAME);
  wat_name n;
  if (!a) return true;
  if (!annot_name(c, a, &n)) return false;
  if (c->debug_names && index < c->names[space].len) c->names[space].data[index] = n;
  return true;
}

static bool take_module_name(wat_ctx *c, uint32_t pos, wat_name *module_name) {
  wat_annot *a = annot_at(c, pos, WAT_ANNOT_NAME);
  if (!a) return true;
  if (!annot_name(c, a, module_name)) return false;
  if ((a = annot_at(c, pos, WAT_ANNOT_NAME)))
    return annot_fail(c, a, KITE_COMPILE_MALFORMED, "@name annotation: multiple module");
  return true;
}

/* Sections in binary order; a custom section goes to an insertion point 0..13 among them. */
static const uint8_t section_order[] = {
    KITE_SEC_TYPE,      KITE_SEC_IMPORT, KITE_SEC_FUNCTION, KITE_SEC_TABLE, KITE_SEC_MEMORY,
    KITE_SEC_TAG,       KITE_SEC_GLOBAL, KITE_SEC_EXPORT,   KITE_SEC_START, KITE_SEC_ELEMENT,
    KITE_SEC_DATACOUNT, KITE_SEC_CODE,   KITE_SEC_DATA};
_Static_assert(sizeof section_order == 13, "the emission table follows section_order");
#define WAT_PLACE_LAST ((uint8_t)KITE_ARRAY_LEN(section_order))

static int section_rank(uint8_t id) {
  for (size_t i = 0; i < KITE_ARRAY_LEN(section_order); i++)
    if (section_order[i] == id) return (int)i;
  return -1;
}

/* (@custom "name" ((before|after) section)? "contents"*) at a module field boundary. */
static bool parse_custom(wat_ctx *c, wat_annot *a) {
  const kite_token *t = &c->annot_toks.data[a->first], *end = &c->annot_toks.data[a->end];
  a->used = true;
  if (t == end || t->kind != KITE_TOK_STRING)
    return annot_fail(c, a, KITE_COMPILE_MALFORMED, "@custom annotation: missing section name");
  wat_custom cu;
  memset(&cu, 0, sizeof cu);
  cu.place = WAT_PLACE_LAST;
  const uint8_t *name;
  uint32_t len;
  if (!annot_string(c, t, &name, &len)) return false;
  if (!kite_utf8_valid(name, len))
    return annot_fail(c, a, KITE_COMPILE_MALFORMED, "@custom annotation: malformed UTF-8 encoding");
  t++;
  if (t < end && t->kind == KITE_TOK_LPAREN) {
    static const struct {
      const char *kw;
      uint8_t id;
    } kinds[] = {
        {"type", KITE_SEC_TYPE},     {"import", KITE_SEC_IMPORT}, {"func", KITE_SEC_FUNCTION},
        {"table", KITE_SEC_TABLE},   {"memory", KITE_SEC_MEMORY}, {"global", KITE_SEC_GLOBAL},
        {"export", KITE_SEC_EXPORT}, {"start", KITE_SEC_START},   {"elem", KITE_SEC_ELEMENT},
        {"code", KITE_SEC_CODE},     {"data", KITE_SEC_DATA},     {"datacount", KITE_SEC_DATACOUNT},
        {"tag", KITE_SEC_TAG}};
    t++;
    bool before = kite_tok_is(t, "before");
    if (!before && !kite_tok_is(t, "after"))
      return annot_fail(c, a, KITE_COMPILE_MALFORMED, "@custom annotation: malformed placement");
    t++;
    if (before && kite_tok_is(t, "first")) {
      cu.place = 0;
    } else if (!before && kite_tok_is(t, "last")) {
      cu.place = WAT_PLACE_LAST;
    } else {
      size_t k = 0;
      while (k < KITE_ARRAY_LEN(kinds) && !kite_tok_is(t, kinds[k].kw)) k++;
      if (k == KITE_ARRAY_LEN(kinds))
        return annot_fail(c, a, KITE_COMPILE_MALFORMED,
                          "@custom annotation: malformed section kind");
      cu.place = (uint8_t)(section_rank(kinds[k].id) + (before ? 0 : 1));
    }
    t++;
    if (t->kind != KITE_TOK_RPAREN)
      return annot_fail(c, a, KITE_COMPILE_MALFORMED, "@custom annotation: unexpected token");
    t++;
  }
  kite_buf_init(&cu.bytes, c->alloc);
  kite_write_name(&cu.bytes, name, len);
  for (; t < end; t++) {
    if (t->kind != KITE_TOK_STRING) {
      kite_buf_free(&cu.bytes);
      return annot_fail(c, a, KITE_COMPILE_MALFORMED, "@custom annotation: unexpected token");
    }
    kite_tok_string(t, &cu.bytes);
  }
  if (cu.bytes.oom || !kite_vec_push(c->alloc, &c->customs, cu)) {
    kite_buf_free(&cu.bytes);
    return oom(c);
  }
  return true;
}

static bool take_customs(wat_ctx *c, uint32_t pos) {
  wat_annot *a;
  while ((a = annot_at(c, pos, WAT_ANNOT_CUSTOM)))
    if (!parse_custom(c, a)) return false;
  return true;
}

int kite_wat_take_hint(wat_ctx *c, uint32_t pos) {
  if (!c->in_func) return -1;
  wat_annot *a = annot_at(c, pos, WAT_ANNOT_BRANCH_HINT);
  if (!a) return -1;
  a->used = true;
  const kite_token *t = &c->annot_toks.data[a->first];
  wat_annot *dup = annot_at(c, pos, WAT_ANNOT_BRANCH_HINT);
  if (dup) {
    annot_fail(c, dup, KITE_COMPILE_MALFORMED,
               "@metadata.code.branch_hint annotation: duplicate annotation");
    return -2;
  }
  const uint8_t *p;
  uint32_t len;
  if (a->end - a->first != 1 || t->kind != KITE_TOK_STRING) {
    annot_fail(c, a, KITE_COMPILE_MALFORMED,
               "@metadata.code.branch_hint annotation: unexpected token");
    return -2;
  }
  if (!annot_string(c, t, &p, &len)) return -2;
  if (len != 1 || p[0] > 1) {
    annot_fail(c, a, KITE_COMPILE_MALFORMED,
               "@metadata.code.branch_hint annotation: malformed hint");
    return -2;
  }
  return p[0];
}

/* Annotations no definition took are misplaced. */
static bool check_annotations_used(wat_ctx *c) {
  for (size_t i = 0; i < c->annots.len; i++) {
    const wat_annot *a = &c->annots.data[i];
    if (a->used) continue;
    switch (a->kind) {
    case WAT_ANNOT_NAME:
      return annot_fail(c, a, KITE_COMPILE_MALFORMED, "misplaced @name annotation");
    case WAT_ANNOT_CUSTOM:
      return annot_fail(c, a, KITE_COMPILE_MALFORMED, "misplaced @custom annotation");
    default:
      return annot_fail(c, a, KITE_COMPILE_MALFORMED,
                        "@metadata.code.branch_hint annotation: not in a function");
    }
  }
  return true;
}

/* ---- value types ---- */

typedef struct abstract_ht {
  const char *name;
  uint32_t ht;
  uint8_t feature;
} abstract_ht;

static const abstract_ht abstract_heaptypes[] = {
    {"func", KITE_HT_FUNC, FEAT_MVP},    {"extern", KITE_HT_EXTERN, FEAT_REF_TYPES},
    {"any", KITE_HT_ANY, FEAT_GC},       {"eq", KITE_HT_EQ, FEAT_GC},
    {"i31", KITE_HT_I31, FEAT_GC},       {"struct", KITE_HT_STRUCT, FEAT_GC},
    {"array", KITE_HT_ARRAY, FEAT_GC},   {"none", KITE_HT_NONE, FEAT_GC},
    {"nofunc", KITE_HT_NOFUNC, FEAT_GC}, {"noextern", KITE_HT_NOEXTERN, FEAT_GC},
    {"exn", KITE_HT_EXN, FEAT_EH},       {"noexn", KITE_HT_NOEXN, FEAT_EH},
};

static const abstract_ht ref_shorthands[] = {
    {"funcref", KITE_HT_FUNC, FEAT_MVP},      {"externref", KITE_HT_EXTERN, FEAT_REF_TYPES},
    {"anyref", KITE_HT_ANY, FEAT_GC},         {"eqref", KITE_HT_EQ, FEAT_GC},
    {"i31ref", KITE_HT_I31, FEAT_GC},         {"structref", KITE_HT_STRUCT, FEAT_GC},
    {"arrayref", KITE_HT_ARRAY, FEAT_GC},     {"nullref", KITE_HT_NONE, FEAT_GC},
    {"nullfuncref", KITE_HT_NOFUNC, FEAT_GC}, {"nullexternref", KITE_HT_NOEXTERN, FEAT_GC},
    {"exnref", KITE_HT_EXN, FEAT_EH},         {"nullexnref", KITE_HT_NOEXN, FEAT_EH},
};

static const abstract_ht *find_abstract(const abstract_ht *tab, size_t n, const kite_token *t,
                                        kite_features f) {
  if (t->kind != KITE_TOK_KEYWORD) return NULL;
  for (size_t i = 0; i < n; i++)
    if (kite_tok_is(t, tab[i].name) && kite_has_feature(f, tab[i].feature)) return &tab[i];
  return NULL;
}

bool kite_wat_heaptype(wat_ctx *c, uint32_t *out, bool *exact) {
  const kite_token *t = kite_wat_tok(c);
  *exact = false;
  if (kite_has_feature(c->feat, FEAT_CUSTOM_DESC) && kite_wat_at_lparen_kw(c, "exact")) {
    /* custom descriptors: (exact typeidx), never an abstract heap type */
    c->pos += 2;
    t = kite_wat_tok(c);
    if (t->kind != KITE_TOK_NAT && t->kind != KITE_TOK_ID) return kite_wat_unexpected(c, t);
    *exact = true;
    return kite_wat_index(c, WAT_TYPES, out) && kite_wat_expect_rparen(c);
  }
  const abstract_ht *a =
      find_abstract(abstract_heaptypes, KITE_ARRAY_LEN(abstract_heaptypes), t, c->feat);
  if (a) {
    *out = a->ht;
    c->pos++;
    return true;
  }
  if (t->kind == KITE_TOK_NAT || t->kind == KITE_TOK_ID) return kite_wat_index(c, WAT_TYPES, out);
  return kite_wat_unexpected(c, t);
}

/* (ref null? ht) after the '(' was seen at pos. */
static bool ref_form(wat_ctx *c, kite_valtype *out) {
  c->pos += 2; /* ( ref */
  bool nullable = false;
  if (kite_tok_is(kite_wat_tok(c), "null")) {
    nullable = true;
    c->pos++;
  }
  uint32_t ht;
  bool exact;
  if (!kite_wat_heaptype(c, &ht, &exact)) return false;
  *out = kite_vt_ref(ht, nullable);
  out->exact = exact;
  return kite_wat_expect_rparen(c);
}

bool kite_wat_reftype(wat_ctx *c, kite_valtype *out) {
  const kite_token *t = kite_wat_tok(c);
  const abstract_ht *a = find_abstract(ref_shorthands, KITE_ARRAY_LEN(ref_shorthands), t, c->feat);
  if (a) {
    *out = kite_vt_ref(a->ht, true);
    c->pos++;
    return true;
  }
  if (kite_wat_at_lparen_kw(c, "ref")) return ref_form(c, out);
  return kite_wat_unexpected(c, t);
}

bool kite_wat_at_valtype(const wat_ctx *c) {
  const kite_token *t = kite_wat_tok(c);
  if (t->kind == KITE_TOK_LPAREN) return kite_tok_is(kite_wat_tok_at(c, c->pos + 1), "ref");
  if (t->kind != KITE_TOK_KEYWORD) return false;
  static const char *const nums[] = {"i32", "i64", "f32", "f64", "v128"};
  for (size_t i = 0; i < KITE_ARRAY_LEN(nums); i++)
    if (kite_tok_is(t, nums[i])) return true;
  return find_abstract(ref_shorthands, KITE_ARRAY_LEN(ref_shorthands), t, c->feat) != NULL;
}

bool kite_wat_valtype(wat_ctx *c, kite_valtype *out) {
  const kite_token *t = kite_wat_tok(c);
  static const struct {
    const char *name;
    uint8_t kind;
  } nums[] = {{"i32", KITE_VT_I32},
              {"i64", KITE_VT_I64},
              {"f32", KITE_VT_F32},
              {"f64", KITE_VT_F64},
              {"v128", KITE_VT_V128}};
  for (size_t i = 0; i < KITE_ARRAY_LEN(nums); i++) {
    if (kite_tok_is(t, nums[i].name)) {
      if (nums[i].kind == KITE_VT_V128 && !kite_has_feature(c->feat, FEAT_SIMD)) break;
      *out = kite_vt(nums[i].kind);
      c->pos++;
      return true;
    }
  }
  return kite_wat_reftype(c, out);
}

/* A storage type: a value type or a packed i8 / i16. */
static bool storagetype(wat_ctx *c, kite_valtype *out) {
  const kite_token *t = kite_wat_tok(c);
  if (kite_tok_is(t, "i8") || kite_tok_is(t, "i16")) {
    *out = kite_vt(kite_tok_is(t, "i8") ? KITE_VT_I8 : KITE_VT_I16);
    c->pos++;
    return true;
  }
  return kite_wat_valtype(c, out);
}

/* storagetype | (mut storagetype) */
static bool fieldtype(wat_ctx *c, kite_fieldtype *out) {
  if (kite_wat_at_lparen_kw(c, "mut")) {
    c->pos += 2;
    out->mut = true;
    return storagetype(c, &out->type) && kite_wat_expect_rparen(c);
  }
  out->mut = false;
  return storagetype(c, &out->type);
}

/* ---- type uses ---- */

void kite_wat_sig_free(wat_ctx *c, wat_sig *sig) {
  kite_vec_free(c->alloc, &sig->params);
  kite_vec_free(c->alloc, &sig->results);
  kite_vec_free(c->alloc, &sig->names);
}

/*
** (param $id t) | (param t*) and (result t*) lists. Params come first; a (param ...)
** after a (result ...) ends the list, and the caller then finds it unexpected.
*/
static bool params_results(wat_ctx *c, bool names, bool allow_params, wat_sig *sig) {
  while (allow_params && kite_wat_at_lparen_kw(c, "param")) {
    c->pos += 2;
    const kite_token *t = kite_wat_tok(c);
    if (t->kind == KITE_TOK_ID) {
      if (!names) return kite_wat_unexpected(c, t);
      wat_name n = {t->text, (uint32_t)t->len};
      kite_valtype vt;
      c->pos++;
      if (!kite_wat_valtype(c, &vt)) return false;
      if (!kite_vec_push(c->alloc, &sig->params, vt) || !kite_vec_push(c->alloc, &sig->names, n))
        return oom(c);
    } else {
      while (kite_wat_tok(c)->kind != KITE_TOK_RPAREN) {
        kite_valtype vt;
        wat_name n = {NULL, 0};
        if (!kite_wat_valtype(c, &vt)) return false;
        if (!kite_vec_push(c->alloc, &sig->params, vt) || !kite_vec_push(c->alloc, &sig->names, n))
          return oom(c);
      }
    }
    if (!kite_wat_expect_rparen(c)) return false;
  }
  while (kite_wat_at_lparen_kw(c, "result")) {
    c->pos += 2;
    while (kite_wat_tok(c)->kind != KITE_TOK_RPAREN) {
      kite_valtype vt;
      if (!kite_wat_valtype(c, &vt)) return false;
      if (!kite_vec_push(c->alloc, &sig->results, vt)) return oom(c);
    }
    c->pos++;
  }
  return true;
}

bool kite_wat_typeuse(wat_ctx *c, bool names, uint32_t *typeidx, wat_sig *sig) {
  *typeidx = 0;
  sig->has_type = false;
  if (kite_wat_at_lparen_kw(c, "type")) {
    c->pos += 2;
    if (!kite_wat_index(c, WAT_TYPES, typeidx) || !kite_wat_expect_rparen(c)) return false;
    sig->has_type = true;
  }
  if (!params_results(c, names, true, sig)) return false;
  /* the parts of a type use come in order: a later (type), (param) is misplaced */
  if (kite_wat_at_lparen_kw(c, "type") || kite_wat_at_lparen_kw(c, "param"))
    return kite_wat_unexpected(c, kite_wat_tok_at(c, c->pos + 1));
  return true;
}

const kite_functype *kite_wat_functype(const wat_ctx *c, uint32_t typeidx) {
  if (typeidx >= c->types.len || c->types.data[typeidx].st.comp != KITE_COMP_FUNC) return NULL;
  return &c->types.data[typeidx].st.u.func;
}

static bool same_types(const kite_valtype *a, uint32_t na, const kite_valtype *b, size_t nb) {
  if (na != nb) return false;
  for (uint32_t i = 0; i < na; i++)
    if (!kite_vt_eq(a[i], b[i])) return false;
  return true;
}

static bool sig_matches(const kite_functype *ft, const wat_sig *sig) {
  return same_types(ft->params, ft->nparams, sig->params.data, sig->params.len) &&
         same_types(ft->results, ft->nresults, sig->results.data, sig->results.len);
}

static bool copy_types(wat_ctx *c, kite_valtype **out, const kite_valtype *src, size_t n) {
  *out = NULL;
  if (!n) return true;
  *out = kite_arena_array(&c->arena, n, sizeof **out);
  if (!*out) return oom(c);
  memcpy(*out, src, n * sizeof **out);
  return true;
}

static uint32_t hash_types(uint32_t h, const kite_valtype *t, size_t n) {
  h = (h ^ (uint32_t)n) * 16777619u;
  for (size_t i = 0; i < n; i++) {
    h = (h ^ t[i].kind) * 16777619u;
    h = (h ^ t[i].nullable) * 16777619u;
    h = (h ^ t[i].ht) * 16777619u;
  }
  return h;
}

static uint32_t hash_sig(const kite_valtype *p, size_t np, const kite_valtype *r, size_t nr) {
  return hash_types(hash_types(2166136261u, p, np), r, nr);
}

/* A plain function type: a singleton recursion group, final, without supertype. */
static bool plain_functype(const wat_type *t) {
  return !t->rec && t->st.final && !t->nsupers && t->st.comp == KITE_COMP_FUNC;
}

/* Look a signature up; on a miss with insert_index != KITE_NO_INDEX, add it. */
static bool sig_lookup(wat_ctx *c, const kite_valtype *p, size_t np, const kite_valtype *r,
                       size_t nr, uint32_t insert_index, uint32_t *found) {
  if ((c->sig_count + 1) * 2 > c->sig_cap) { /* grow and rehash */
    uint32_t ncap = c->sig_cap ? c->sig_cap * 2 : 64;
    uint32_t *slots = kite_calloc(c->alloc, ncap, sizeof *slots);
    if (!slots) return oom(c);
    for (uint32_t i = 0; i < c->sig_cap; i++) {
      uint32_t v = c->sig_slots[i];
      if (!v) continue;
      const kite_functype *ft = &c->types.data[v - 1].st.u.func;
      uint32_t h = hash_sig(ft->params, ft->nparams, ft->results, ft->nresults) & (ncap - 1);
      while (slots[h]) h = (h + 1) & (ncap - 1);
      slots[h] = v;
    }
    kite_free(c->alloc, c->sig_slots, c->sig_cap * sizeof *c->sig_slots);
    c->sig_slots = slots;
    c->sig_cap = ncap;
  }
  uint32_t h = hash_sig(p, np, r, nr) & (c->sig_cap - 1);
  for (;; h = (h + 1) & (c->sig_cap - 1)) {
    uint32_t v = c->sig_slots[h];
    if (!v) break;
    const kite_functype *ft = &c->types.data[v - 1].st.u.func;
    if (same_types(ft->params, ft->nparams, p, np) &&
        same_types(ft->results, ft->nresults, r, nr)) {
      *found = v - 1;
      return true;
    }
  }
  *found = KITE_NO_INDEX;
  if (insert_index != KITE_NO_INDEX) {
    c->sig_slots[h] = insert_index + 1;
    c->sig_count++;
  }
  return true;
}

/* Index the explicit plain function types, smallest index first. */
static bool build_sigs(wat_ctx *c) {
  c->sig_built = true;
  for (uint32_t i = 0; i < c->types.len; i++) {
    const wat_type *t = &c->types.data[i];
    uint32_t found;
    if (plain_functype(t) && !sig_lookup(c, t->st.u.func.params, t->st.u.func.nparams,
                                         t->st.u.func.results, t->st.u.func.nresults, i, &found))
      return false;
  }
  return true;
}

bool kite_wat_resolve_typeuse(wat_ctx *c, const kite_token *at, uint32_t typeidx,
                              const wat_sig *sig, uint32_t *out) {
  bool inline_type = sig->params.len || sig->results.len;
  if (sig->has_type) {
    if (inline_type) {
      const kite_functype *ft = kite_wat_functype(c, typeidx);
      if (!ft) return kite_wat_fail(c, at, "unknown type");
      if (!sig_matches(ft, sig)) return kite_wat_fail(c, at, "inline function type");
    }
    *out = typeidx;
    return true;
  }
  /* The smallest index of a plain function type with this signature; else a new one at
     the end (spec: Abbreviations of type uses). */
  if (!c->sig_built && !build_sigs(c)) return false;
  uint32_t found;
  if (!sig_lookup(c, sig->params.data, sig->params.len, sig->results.data, sig->results.len,
                  KITE_NO_INDEX, &found))
    return false;
  if (found != KITE_NO_INDEX) {
    *out = found;
    return true;
  }
  if (c->types_done) return kite_wat_fail(c, at, "unknown type"); /* not reached */
  wat_type t;
  memset(&t, 0, sizeof t);
  t.st.comp = KITE_COMP_FUNC;
  t.st.final = true;
  t.st.super = KITE_NO_INDEX;
  t.st.rec_first = (uint32_t)c->types.len;
  t.st.rec_count = 1;
  t.st.u.func.nparams = (uint32_t)sig->params.len;
  t.st.u.func.nresults = (uint32_t)sig->results.len;
  if (!copy_types(c, &t.st.u.func.params, sig->params.data, sig->params.len) ||
      !copy_types(c, &t.st.u.func.results, sig->results.data, sig->results.len))
    return false;
  if (!kite_vec_push(c->alloc, &c->types, t)) return oom(c);
  *out = (uint32_t)c->types.len - 1;
  return sig_lookup(c, t.st.u.func.params, t.st.u.func.nparams, t.st.u.func.results,
                    t.st.u.func.nresults, *out, &found);
}

/* ---- pass 1: fields and names ---- */

static bool declare(wat_ctx *c, int space, const kite_token *at, wat_name name, uint32_t *index) {
  wat_space *s = &c->spaces[space];
  bool dup;
  *index = s->count;
  if (!kite_wat_map_put(c, &s->names, name, s->count, &dup)) return false;
  if (dup)
    return kite_wat_fail(c, at, "duplicate %s $%.*s", space_dup[space],
                         (int)(name.len > 60 ? 60 : name.len), name.name);
  if (c->debug_names) {
    while (c->names[space].len < s->count)
      if (!kite_vec_push(c->alloc, &c->names[space], ((wat_name){NULL, 0}))) return oom(c);
    if (!kite_vec_push(c->alloc, &c->names[space], name)) return oom(c);
  }
  s->count++;
  return true;
}

static int desc_space(const kite_token *t) {
  if (kite_tok_is(t, "func")) return WAT_FUNCS;
  if (kite_tok_is(t, "table")) return WAT_TABLES;
  if (kite_tok_is(t, "memory")) return WAT_MEMORIES;
  if (kite_tok_is(t, "global")) return WAT_GLOBALS;
  if (kite_tok_is(t, "tag")) return WAT_TAGS;
  return -1;
}

/* Skip (export "n")* and note an (import "m" "n"); pos is left after them. */
static bool inline_exports_import(wat_ctx *c, bool *import) {
  *import = false;
  for (;;) {
    if (kite_wat_at_lparen_kw(c, "export")) {
      c->pos = c->match.data[c->pos] + 1;
    } else if (kite_wat_at_lparen_kw(c, "import") && !*import) {
      *import = true;
      c->pos = c->match.data[c->pos] + 1;
    } else {
      return true;
    }
  }
}

/* Count the items of an inline (elem ...) or whether a (data ...) follows, to know
   whether a table or memory field creates a segment. */
static bool has_inline_segment(const wat_ctx *c, uint32_t from, uint32_t to, const char *kw) {
  for (uint32_t i = from; i < to; i++) {
    if (c->toks.data[i].kind == KITE_TOK_LPAREN) {
      if (kite_tok_is(&c->toks.data[i + 1], kw)) return true;
      i = c->match.data[i];
    }
  }
  return false;
}

static const char *const def_kind_name[] = {"function", "table", "memory", "global", "tag"};

static bool collect_fields(wat_ctx *c, uint32_t from, uint32_t to) {
  int first_def = -1; /* kind of the first definition: imports may not follow it */
  c->pos = from;
  while (c->pos < to) {
    if (!take_customs(c, c->pos)) return false;
    const kite_token *open = kite_wat_tok(c);
    if (open->kind != KITE_TOK_LPAREN) return kite_wat_unexpected(c, open);
    const kite_token *kw = kite_wat_tok_at(c, c->pos + 1);
    wat_field f;
    memset(&f, 0, sizeof f);
    f.start = c->pos;
    f.end = c->match.data[c->pos];
    c->pos += 2;
    wat_name name;
    int space = -1;
    if (kite_tok_is(kw, "type")) {
      f.kind = WAT_F_TYPE;
      kite_wat_opt_id(c, &name);
      if (!declare(c, WAT_TYPES, kw, name, &f.index) || !take_name(c, c->pos, WAT_TYPES, f.index))
        return false;
    } else if (kite_tok_is(kw, "rec")) {
      f.kind = WAT_F_REC;
      f.index = c->spaces[WAT_TYPES].count;
      while (kite_wat_at_lparen_kw(c, "type")) {
        uint32_t end = c->match.data[c->pos];
        uint32_t idx;
        c->pos += 2;
        kite_wat_opt_id(c, &name);
        if (!declare(c, WAT_TYPES, kw, name, &idx) || !take_name(c, c->pos, WAT_TYPES, idx))
          return false;
        c->pos = end + 1;
      }
    } else if (kite_tok_is(kw, "import")) {
      f.kind = WAT_F_IMPORT;
      f.import = true;
      if (kite_wat_tok(c)->kind != KITE_TOK_STRING) return kite_wat_unexpected(c, kite_wat_tok(c));
      c->pos++;
      if (kite_wat_tok(c)->kind != KITE_TOK_STRING) return kite_wat_unexpected(c, kite_wat_tok(c));
      c->pos++;
      if (kite_wat_tok(c)->kind != KITE_TOK_LPAREN) return kite_wat_unexpected(c, kite_wat_tok(c));
      const kite_token *dk = kite_wat_tok_at(c, c->pos + 1);
      space = desc_space(dk);
      if (space < 0) return kite_wat_unexpected(c, dk);
      if (first_def >= 0) return kite_wat_fail(c, kw, "import after %s", def_kind_name[first_def]);
      c->pos += 2;
      kite_wat_opt_id(c, &name);
      if (!declare(c, space, dk, name, &f.index) || !take_name(c, c->pos, space, f.index))
        return false;
    } else if ((space = desc_space(kw)) >= 0) {
      static const uint8_t kinds[] = {0,        WAT_F_FUNC, WAT_F_TABLE, WAT_F_MEMORY, WAT_F_GLOBAL,
                                      WAT_F_TAG};
      f.kind = kinds[space];
      kite_wat_opt_id(c, &name);
      uint32_t after_id = c->pos;
      if (!inline_exports_import(c, &f.import)) return false;
      if (f.import && first_def >= 0)
        return kite_wat_fail(c, kw, "import after %s", def_kind_name[first_def]);
      if (!f.import && first_def < 0) first_def = space - WAT_FUNCS;
      if (!declare(c, space, kw, name, &f.index) || !take_name(c, after_id, space, f.index))
        return false;
      if (!f.import && space == WAT_TABLES && has_inline_segment(c, c->pos, f.end, "elem")) {
        uint32_t idx;
        if (!declare(c, WAT_ELEMS, kw, (wat_name){NULL, 0}, &idx)) return false;
      }
      if (!f.import && space == WAT_MEMORIES && has_inline_segment(c, c->pos, f.end, "data")) {
        uint32_t idx;
        if (!declare(c, WAT_DATAS, kw, (wat_name){NULL, 0}, &idx)) return false;
      }
    } else if (kite_tok_is(kw, "export")) {
      f.kind = WAT_F_EXPORT;
    } else if (kite_tok_is(kw, "start")) {
      f.kind = WAT_F_START;
    } else if (kite_tok_is(kw, "elem")) {
      f.kind = WAT_F_ELEM;
      kite_wat_opt_id(c, &name);
      if (!declare(c, WAT_ELEMS, kw, name, &f.index) || !take_name(c, c->pos, WAT_ELEMS, f.index))
        return false;
    } else if (kite_tok_is(kw, "data")) {
      f.kind = WAT_F_DATA;
      kite_wat_opt_id(c, &name);
      if (!declare(c, WAT_DATAS, kw, name, &f.index) || !take_name(c, c->pos, WAT_DATAS, f.index))
        return false;
    } else {
      return kite_wat_unexpected(c, kw);
    }
    if (!kite_vec_push(c->alloc, &c->fields, f)) return oom(c);
    c->pos = f.end + 1;
  }
  return take_customs(c, to);
}

/* ---- pass 2: type definitions ---- */

static bool comptype(wat_ctx *c, wat_type *t) {
  kite_subtype *st = &t->st;
  const kite_token *kw = kite_wat_tok_at(c, c->pos + 1);
  if (kite_wat_tok(c)->kind != KITE_TOK_LPAREN) return kite_wat_unexpected(c, kite_wat_tok(c));
  if (kite_tok_is(kw, "func")) {
    c->pos += 2;
    wat_sig sig;
    memset(&sig, 0, sizeof sig);
    bool ok = params_results(c, true, true, &sig) && kite_wat_expect_rparen(c);
    if (ok) {
      st->comp = KITE_COMP_FUNC;
      st->u.func.nparams = (uint32_t)sig.params.len;
      st->u.func.nresults = (uint32_t)sig.results.len;
      ok = copy_types(c, &st->u.func.params, sig.params.data, sig.params.len) &&
           copy_types(c, &st->u.func.results, sig.results.data, sig.results.len);
    }
    kite_wat_sig_free(c, &sig);
    return ok;
  }
  if (kite_tok_is(kw, "struct") && kite_has_feature(c->feat, FEAT_GC)) {
    c->pos += 2;
    KITE_VEC(kite_fieldtype) fields = {0};
    bool ok = true;
    while (ok && kite_wat_at_lparen_kw(c, "field")) {
      c->pos += 2;
      const kite_token *idt = kite_wat_tok(c);
      if (idt->kind == KITE_TOK_ID) {
        wat_name n = {idt->text, (uint32_t)idt->len};
        bool dup;
        c->pos++;
        kite_fieldtype ft;
        ok = kite_wat_map_put(c, &t->fields, n, (uint32_t)fields.len, &dup);
        if (ok && dup) ok = kite_wat_fail(c, idt, "duplicate field $%.*s", (int)n.len, n.name);
        if (ok) {
          while (t->field_names.len < fields.len && ok)
            ok = kite_vec_push(c->alloc, &t->field_names, ((wat_name){NULL, 0})) || oom(c);
          if (ok) ok = kite_vec_push(c->alloc, &t->field_names, n) || oom(c);
        }
        if (ok) ok = fieldtype(c, &ft);
        if (ok) ok = kite_vec_push(c->alloc, &fields, ft) || oom(c);
      } else {
        while (ok && kite_wat_tok(c)->kind != KITE_TOK_RPAREN) {
          kite_fieldtype ft;
          ok = fieldtype(c, &ft) && (kite_vec_push(c->alloc, &fields, ft) || oom(c));
        }
      }
      if (ok) ok = kite_wat_expect_rparen(c);
    }
    if (ok) ok = kite_wat_expect_rparen(c);
    if (ok) {
      st->comp = KITE_COMP_STRUCT;
      st->u.strukt.nfields = (uint32_t)fields.len;
      st->u.strukt.fields = NULL;
      if (fields.len) {
        st->u.strukt.fields = kite_arena_array(&c->arena, fields.len, sizeof *fields.data);
        if (!st->u.strukt.fields) ok = oom(c);
        else memcpy(st->u.strukt.fields, fields.data, fields.len * sizeof *fields.data);
      }
    }
    kite_vec_free(c->alloc, &fields);
    return ok;
  }
  if (kite_tok_is(kw, "array") && kite_has_feature(c->feat, FEAT_GC)) {
    c->pos += 2;
    st->comp = KITE_COMP_ARRAY;
    return fieldtype(c, &st->u.array) && kite_wat_expect_rparen(c);
  }
  return kite_wat_unexpected(c, kw);
}

/* Custom descriptors: (describes typeidx)? (descriptor typeidx)?, before the comptype. */
static bool desc_clauses(wat_ctx *c, wat_type *t) {
  if (!kite_has_feature(c->feat, FEAT_CUSTOM_DESC)) return true;
  if (kite_wat_at_lparen_kw(c, "describes")) {
    c->pos += 2;
    t->st.has_describes = true;
    if (!kite_wat_index(c, WAT_TYPES, &t->st.describes) || !kite_wat_expect_rparen(c)) return false;
  }
  if (kite_wat_at_lparen_kw(c, "descriptor")) {
    c->pos += 2;
    t->st.has_descriptor = true;
    if (!kite_wat_index(c, WAT_TYPES, &t->st.descriptor) || !kite_wat_expect_rparen(c))
      return false;
  }
  return true;
}

/* After `(type $id?`: comptype | (sub final? typeidx* comptype), then ')'; the comptype
   may have custom descriptors' clauses before it. */
static bool typedef_rest(wat_ctx *c, wat_type *t) {
  t->st.final = true;
  t->st.super = KITE_NO_INDEX;
  if (kite_wat_at_lparen_kw(c, "sub") && kite_has_feature(c->feat, FEAT_GC)) {
    c->pos += 2;
    t->st.final = false;
    t->sub = true;
    if (kite_tok_is(kite_wat_tok(c), "final")) {
      t->st.final = true;
      c->pos++;
    }
    while (kite_wat_at_index(c)) {
      uint32_t s;
      if (!kite_wat_index(c, WAT_TYPES, &s)) return false;
      if (t->nsupers++ == 0) t->st.super = s;
    }
    if (!desc_clauses(c, t) || !comptype(c, t) || !kite_wat_expect_rparen(c)) return false;
  } else if (!desc_clauses(c, t) || !comptype(c, t)) {
    return false;
  }
  return kite_wat_expect_rparen(c);
}

static bool parse_types(wat_ctx *c) {
  for (size_t i = 0; i < c->fields.len; i++) {
    wat_field *f = &c->fields.data[i];
    if (f->kind != WAT_F_TYPE && f->kind != WAT_F_REC) continue;
    c->pos = f->start + 2;
    uint32_t first = (uint32_t)c->types.len;
    bool rec = f->kind == WAT_F_REC;
    if (rec && !kite_has_feature(c->feat, FEAT_GC))
      return kite_wat_unexpected(c, kite_wat_tok_at(c, f->start + 1));
    do {
      if (rec) {
        if (kite_wat_tok(c)->kind == KITE_TOK_RPAREN) break;
        if (!kite_wat_expect_lparen_kw(c, "type")) return false;
      }
      wat_type t;
      memset(&t, 0, sizeof t);
      t.rec = rec;
      kite_wat_opt_id(c, &t.name);
      if (!kite_vec_push(c->alloc, &c->types, t)) return oom(c);
      if (!typedef_rest(c, &c->types.data[c->types.len - 1])) return false;
    } while (rec);
    if (rec && !kite_wat_expect_rparen(c)) return false;
    for (size_t k = first; k < c->types.len; k++) {
      c->types.data[k].st.rec_first = first;
      c->types.data[k].st.rec_count = (uint32_t)(c->types.len - first);
    }
  }
  return true;
}

/* ---- pass 3: implicit types, and the type of every function and tag ---- */

/* Custom descriptors: an imported function's type use may be wrapped in (exact ...).
   Consumes `(exact` and returns true when it is. */
static bool exact_open(wat_ctx *c) {
  if (!kite_has_feature(c->feat, FEAT_CUSTOM_DESC) || !kite_wat_at_lparen_kw(c, "exact"))
    return false;
  c->pos += 2;
  return true;
}

/* After `(func|tag $id? (export)* (import)?`: the type use (of an import, maybe exact);
   returns the type index. */
static bool header_typeuse(wat_ctx *c, bool names, bool import, uint32_t *typeidx, wat_sig *sig) {
  bool exact = import && exact_open(c);
  const kite_token *at = kite_wat_tok(c);
  uint32_t explicit_idx;
  memset(sig, 0, sizeof *sig);
  if (!kite_wat_typeuse(c, names, &explicit_idx, sig)) return false;
  if (!kite_wat_resolve_typeuse(c, at, explicit_idx, sig, typeidx)) return false;
  return !exact || kite_wat_expect_rparen(c);
}

typedef struct wat_emit {
  KITE_VEC(uint32_t) func_types; /* per function index */
  KITE_VEC(uint32_t) tag_types;
  kite_buf sec[14];
  kite_buf code; /* bodies, without the count */
  uint32_t ncode;
} wat_emit;

static bool set_index_type(wat_ctx *c, void *vec, uint32_t index, uint32_t type) {
  KITE_VEC(uint32_t) *v = vec;
  while (v->len <= index)
    if (!kite_vec_push(c->alloc, v, KITE_NO_INDEX)) return oom(c);
  v->data[index] = type;
  return true;
}

static bool implicit_types(wat_ctx *c, wat_emit *e) {
  for (size_t i = 0; i < c->fields.len; i++) {
    wat_field *f = &c->fields.data[i];
    c->pos = f->start + 2;
    wat_name name;
    wat_sig sig;
    uint32_t type;
    bool ok = true, import;
    switch (f->kind) {
    case WAT_F_TYPE:
    case WAT_F_REC: continue;
    case WAT_F_IMPORT: {
      c->pos += 2;
      const kite_token *dk = kite_wat_tok_at(c, c->pos + 1);
      int space = desc_space(dk);
      if (space != WAT_FUNCS && space != WAT_TAGS) break;
      c->pos += 2;
      kite_wat_opt_id(c, &name);
      ok = header_typeuse(c, true, space == WAT_FUNCS, &type, &sig);
      kite_wat_sig_free(c, &sig);
      if (ok)
        ok = set_index_type(c, space == WAT_FUNCS ? (void *)&e->func_types : (void *)&e->tag_types,
                            f->index, type);
      break;
    }
    case WAT_F_FUNC:
    case WAT_F_TAG:
      kite_wat_opt_id(c, &name);
      inline_exports_import(c, &import);
      ok = header_typeuse(c, f->kind == WAT_F_FUNC, f->kind == WAT_F_FUNC && import, &type, &sig);
      kite_wat_sig_free(c, &sig);
      if (ok)
        ok = set_index_type(c,
                            f->kind == WAT_F_FUNC ? (void *)&e->func_types : (void *)&e->tag_types,
                            f->index, type);
      break;
    default: break;
    }
    if (!ok) return false;
    if (!kite_wat_scan_typeuses(c, c->pos, f->end)) return false;
  }
  c->types_done = true;
  return true;
}

/* ---- pass 4: emission ---- */

static bool write_valtype(wat_ctx *c, kite_buf *b, kite_valtype t) {
  if (t.kind == KITE_VT_I8 || t.kind == KITE_VT_I16) return kite_buf_byte(b, t.kind) || oom(c);
  return kite_write_valtype(b, t) || oom(c);
}

static bool write_fieldtype(wat_ctx *c, kite_buf *b, const kite_fieldtype *ft) {
  return write_valtype(c, b, ft->type) && (kite_buf_byte(b, ft->mut ? 1 : 0) || oom(c));
}

static bool write_subtype(wat_ctx *c, kite_buf *b, const wat_type *t) {
  const kite_subtype *st = &t->st;
  if (t->sub) {
    if (!kite_buf_byte(b, st->final ? 0x4F : 0x50)) return oom(c);
    kite_buf_uleb(b, t->nsupers ? 1 : 0);
    if (t->nsupers) kite_buf_uleb(b, st->super);
  }
  if (st->has_describes) {
    kite_buf_byte(b, 0x4C);
    kite_buf_uleb(b, st->describes);
  }
  if (st->has_descriptor) {
    kite_buf_byte(b, 0x4D);
    kite_buf_uleb(b, st->descriptor);
  }
  switch (st->comp) {
  case KITE_COMP_FUNC:
    kite_buf_byte(b, 0x60);
    kite_buf_uleb(b, st->u.func.nparams);
    for (uint32_t i = 0; i < st->u.func.nparams; i++)
      if (!write_valtype(c, b, st->u.func.params[i])) return false;
    kite_buf_uleb(b, st->u.func.nresults);
    for (uint32_t i = 0; i < st->u.func.nresults; i++)
      if (!write_valtype(c, b, st->u.func.results[i])) return false;
    break;
  case KITE_COMP_STRUCT:
    kite_buf_byte(b, 0x5F);
    kite_buf_uleb(b, st->u.strukt.nfields);
    for (uint32_t i = 0; i < st->u.strukt.nfields; i++)
      if (!write_fieldtype(c, b, &st->u.strukt.fields[i])) return false;
    break;
  case KITE_COMP_ARRAY:
    kite_buf_byte(b, 0x5E);
    if (!write_fieldtype(c, b, &st->u.array)) return false;
    break;
  }
  return !b->oom || oom(c);
}

static bool emit_types(wat_ctx *c, kite_buf *b) {
  uint32_t groups = 0;
  for (uint32_t i = 0; i < c->types.len;
       i += c->types.data[i].st.rec_count ? c->types.data[i].st.rec_count : 1)
    groups++;
  if (!c->types.len) return true;
  /* An empty (rec) still counts as a group: recount from the fields. */
  uint32_t empty_recs = 0;
  for (size_t i = 0; i < c->fields.len; i++) {
    const wat_field *f = &c->fields.data[i];
    if (f->kind == WAT_F_REC && kite_wat_tok_at(c, f->start + 2)->kind == KITE_TOK_RPAREN)
      empty_recs++;
  }
  kite_buf_uleb(b, groups + empty_recs);
  for (uint32_t i = 0; i < c->types.len;) {
    const wat_type *t = &c->types.data[i];
    uint32_t n = t->st.rec_count ? t->st.rec_count : 1;
    if (t->rec) {
      kite_buf_byte(b, 0x4E);
      kite_buf_uleb(b, n);
    }
    for (uint32_t k = 0; k < n; k++)
      if (!write_subtype(c, b, &c->types.data[i + k])) return false;
    i += n;
  }
  for (uint32_t i = 0; i < empty_recs; i++) {
    kite_buf_byte(b, 0x4E);
    kite_buf_byte(b, 0);
  }
  return !b->oom || oom(c);
}

/* addrtype? limits: min max? (and shared / pagesize for memories) */
typedef struct wat_limits {
  uint64_t min, max;
  bool has_max, is64, shared, has_page_size;
  uint32_t page_size_log2;
} wat_limits;

static bool addrtype(wat_ctx *c, bool *is64) {
  const kite_token *t = kite_wat_tok(c);
  *is64 = false;
  if (kite_tok_is(t, "i64") && kite_has_feature(c->feat, FEATX_MEMORY64)) {
    *is64 = true;
    c->pos++;
  } else if (kite_tok_is(t, "i32")) {
    c->pos++;
  }
  return true;
}

/* A limit. With memory64 (3.0) it is a u64 whatever the address type, and the validator
   reports a 32-bit limit that is too large, as 3.0's memory.wast expects; without it the
   text format has only u32 limits, as the threads proposal's memory.wast expects. */
static bool limit(wat_ctx *c, bool is64, uint64_t *out) {
  const kite_token *t = kite_wat_tok(c);
  if (t->kind != KITE_TOK_NAT) return kite_wat_unexpected(c, t);
  if (!kite_tok_u64(t, out)) return kite_wat_fail(c, t, "i64 constant out of range");
  if (!is64 && *out > UINT32_MAX && !kite_has_feature(c->feat, FEATX_MEMORY64))
    return kite_wat_fail(c, t, "i32 constant out of range");
  c->pos++;
  return true;
}

static bool limits(wat_ctx *c, wat_limits *l) {
  if (!limit(c, l->is64, &l->min)) return false;
  if (kite_wat_tok(c)->kind == KITE_TOK_NAT) {
    l->has_max = true;
    if (!limit(c, l->is64, &l->max)) return false;
  }
  return true;
}

static bool page_size(wat_ctx *c, wat_limits *l) {
  if (!kite_wat_at_lparen_kw(c, "pagesize")) return true;
  const kite_token *at = kite_wat_tok_at(c, c->pos + 2);
  c->pos += 2;
  uint64_t size;
  if (!kite_wat_u64(c, &size) || !kite_wat_expect_rparen(c)) return false;
  if (size == 0 || (size & (size - 1))) return kite_wat_fail(c, at, "invalid custom page size");
  l->has_page_size = true;
  l->page_size_log2 = 0;
  while (((uint64_t)1 << l->page_size_log2) < size) l->page_size_log2++;
  return true;
}

static bool write_limits(wat_ctx *c, kite_buf *b, const wat_limits *l, bool memory) {
  uint8_t flags = (l->has_max ? 1 : 0) | (l->shared ? 2 : 0) | (l->is64 ? 4 : 0) |
                  (memory && l->has_page_size ? 8 : 0);
  kite_buf_byte(b, flags);
  kite_buf_uleb(b, l->min);
  if (l->has_max) kite_buf_uleb(b, l->max);
  if (memory && l->has_page_size) kite_buf_uleb(b, l->page_size_log2);
  return !b->oom || oom(c);
}

static bool memtype(wat_ctx *c, wat_limits *l) {
  memset(l, 0, sizeof *l);
  if (!addrtype(c, &l->is64) || !limits(c, l)) return false;
  const kite_token *t = kite_wat_tok(c);
  if (kite_tok_is(t, "shared")) {
    l->shared = true;
    c->pos++;
  } else if (kite_tok_is(t, "unshared")) {
    c->pos++;
  }
  return page_size(c, l);
}

static bool tabletype(wat_ctx *c, wat_limits *l, kite_valtype *elem) {
  memset(l, 0, sizeof *l);
  return addrtype(c, &l->is64) && limits(c, l) && kite_wat_reftype(c, elem);
}

static bool globaltype(wat_ctx *c, kite_globaltype *g) {
  if (kite_wat_at_lparen_kw(c, "mut")) {
    c->pos += 2;
    g->mut = true;
    return kite_wat_valtype(c, &g->type) && kite_wat_expect_rparen(c);
  }
  g->mut = false;
  return kite_wat_valtype(c, &g->type);
}

static bool write_globaltype(wat_ctx *c, kite_buf *b, const kite_globaltype *g) {
  return write_valtype(c, b, g->type) && (kite_buf_byte(b, g->mut ? 1 : 0) || oom(c));
}

static bool write_tabletype(wat_ctx *c, kite_buf *b, const wat_limits *l, kite_valtype elem) {
  return write_valtype(c, b, elem) && write_limits(c, b, l, false);
}

static bool note_local_names(wat_ctx *c, uint32_t func);

/* After the import's descriptor keyword and $id: the rest of the descriptor. */
static bool import_desc(wat_ctx *c, wat_emit *e, int space, uint32_t index, kite_buf *b) {
  switch (space) {
  case WAT_FUNCS: {
    uint32_t t;
    wat_sig sig;
    memset(&sig, 0, sizeof sig);
    bool exact = exact_open(c);
    bool ok = kite_wat_typeuse(c, true, &t, &sig) && (!exact || kite_wat_expect_rparen(c));
    if (ok && c->debug_names) {
      c->local_names.len = 0;
      for (size_t i = 0; ok && i < sig.names.len; i++)
        ok = kite_vec_push(c->alloc, &c->local_names, sig.names.data[i]) || oom(c);
      if (ok) ok = note_local_names(c, index);
    }
    kite_wat_sig_free(c, &sig);
    if (!ok) return false;
    kite_buf_byte(b, exact ? 0x20 : 0x00);
    kite_buf_uleb(b, e->func_types.data[index]);
    break;
  }
  case WAT_TAGS: {
    uint32_t t;
    wat_sig sig;
    memset(&sig, 0, sizeof sig);
    bool ok = kite_wat_typeuse(c, false, &t, &sig);
    kite_wat_sig_free(c, &sig);
    if (!ok) return false;
    kite_buf_byte(b, 0x04);
    kite_buf_byte(b, 0x00);
    kite_buf_uleb(b, e->tag_types.data[index]);
    break;
  }
  case WAT_TABLES: {
    wat_limits l;
    kite_valtype elem;
    if (!tabletype(c, &l, &elem)) return false;
    kite_buf_byte(b, 0x01);
    if (!write_tabletype(c, b, &l, elem)) return false;
    break;
  }
  case WAT_MEMORIES: {
    wat_limits l;
    if (!memtype(c, &l)) return false;
    kite_buf_byte(b, 0x02);
    if (!write_limits(c, b, &l, true)) return false;
    break;
  }
  case WAT_GLOBALS: {
    kite_globaltype g;
    if (!globaltype(c, &g)) return false;
    kite_buf_byte(b, 0x03);
    if (!write_globaltype(c, b, &g)) return false;
    break;
  }
  }
  return !b->oom || oom(c);
}

typedef struct wat_sections {
  kite_buf imports, funcs, tables, memories, tags, globals, exports, elems, datas, start;
  uint32_t nimports, nfuncs, ntables, nmemories, ntags, nglobals, nexports, nelems, ndatas;
  bool has_start;
  const kite_token *start_tok;
} wat_sections;

/* (export "name")* of a definition; pos is at the first one. */
static bool inline_exports(wat_ctx *c, wat_sections *s, uint8_t kind, uint32_t index,
                           kite_buf *import_out, bool *imported) {
  *imported = false;
  for (;;) {
    if (kite_wat_at_lparen_kw(c, "export")) {
      c->pos += 2;
      if (!write_name_string(c, &s->exports)) return false;
      kite_buf_byte(&s->exports, kind);
      kite_buf_uleb(&s->exports, index);
      s->nexports++;
      if (!kite_wat_expect_rparen(c)) return false;
    } else if (kite_wat_at_lparen_kw(c, "import") && !*imported) {
      c->pos += 2;
      *imported = true;
      if (!write_name_string(c, import_out) || !write_name_string(c, import_out) ||
          !kite_wat_expect_rparen(c))
        return false;
    } else {
      return !s->exports.oom || oom(c);
    }
  }
}

/* An offset: (offset instr*) or one folded instruction. */
static bool offset_expr(wat_ctx *c, kite_buf *b) {
  if (kite_wat_at_lparen_kw(c, "offset")) {
    c->pos += 2;
    return kite_wat_expr(c, b) && kite_wat_expect_rparen(c);
  }
  if (kite_wat_tok(c)->kind != KITE_TOK_LPAREN) return kite_wat_unexpected(c, kite_wat_tok(c));
  return kite_wat_folded_expr(c, b);
}

/* An element item: (item instr*) or one folded instruction; appended to items. */
static bool elem_item(wat_ctx *c, kite_buf *b) {
  if (kite_wat_at_lparen_kw(c, "item")) {
    c->pos += 2;
    return kite_wat_expr(c, b) && kite_wat_expect_rparen(c);
  }
  return offset_expr(c, b);
}

/* Is this expression exactly `ref.func x end`? Then *func is x (wabt writes such
   segments as function indices). */
static bool expr_is_ref_func(const kite_buf *b, uint32_t *func) {
  if (b->len < 3 || b->data[0] != 0xD2 || b->data[b->len - 1] != 0x0B) return false;
  kite_reader r = {b->data, b->data + 1, b->data + b->len - 1, NULL};
  kite_error e;
  kite_error_clear(&e);
  r.err = &e;
  return kite_read_u32(&r, func) && r.p == r.end;
}

/*
** An element list: `func x*`, bare x* (legacy, active segments), or `reftype item*`;
** for a table's inline (elem ...) the type is given and the items are indices or
** expressions. Written in the form wabt chooses: function indices when the type is
** funcref and every item is one ref.func, else expressions.
*/
static bool elem_segment(wat_ctx *c, wat_sections *s, uint8_t mode, uint32_t table,
                         bool explicit_table, const kite_buf *offset, bool allow_bare,
                         const kite_valtype *given) {
  KITE_VEC(kite_buf) items = {0};
  kite_valtype type = kite_vt_ref(KITE_HT_FUNC, true);
  bool ok = true, func_list;
  const kite_token *t = kite_wat_tok(c);
  if (given) {
    type = *given;
    func_list = t->kind != KITE_TOK_LPAREN;
  } else if (kite_tok_is(t, "func")) {
    func_list = true;
    c->pos++;
  } else if (kite_wat_at_valtype(c)) {
    func_list = false;
    ok = kite_wat_reftype(c, &type);
  } else if (allow_bare && (t->kind == KITE_TOK_RPAREN || kite_wat_at_index(c))) {
    func_list = true;
  } else {
    return kite_wat_unexpected(c, t);
  }
  while (ok && kite_wat_tok(c)->kind != KITE_TOK_RPAREN) {
    kite_buf b;
    kite_buf_init(&b, c->alloc);
    if (func_list) {
      uint32_t f;
      ok = kite_wat_index(c, WAT_FUNCS, &f);
      if (ok) {
        kite_buf_byte(&b, 0xD2);
        kite_buf_uleb(&b, f);
        kite_buf_byte(&b, 0x0B);
      }
    } else {
      ok = elem_item(c, &b);
    }
    if (!kite_vec_push(c->alloc, &items, b)) {
      kite_buf_free(&b);
      ok = oom(c);
    }
  }
  bool funcref = type.kind == KITE_VT_REF && type.nullable && type.ht == KITE_HT_FUNC;
  /* Function indices stand for (ref func) items, so only the `func x*` forms use them.
     (wabt also writes funcref segments of ref.func items that way, which changes the
     segment's type in 3.0.) A table's inline (elem x*) has the table's type: indices
     only for funcref tables, as wabt writes them. */
  bool funcs_form = func_list && (!given || funcref);
  uint32_t f = 0;
  if (ok) {
    kite_buf *b = &s->elems;
    uint8_t flags = funcs_form ? 0 : 4;
    if (mode == KITE_SEG_PASSIVE) flags |= 1;
    if (mode == KITE_SEG_DECLARATIVE) flags |= 3;
    /* form 4 implies funcref: any other type needs the explicit form 6 */
    if (mode == KITE_SEG_ACTIVE && (explicit_table || table != 0 || (!funcs_form && !funcref)))
      flags |= 2;
    kite_buf_uleb(b, flags);
    if (mode == KITE_SEG_ACTIVE) {
      if (flags & 2) kite_buf_uleb(b, table);
      kite_buf_put(b, offset->data, offset->len);
    }
    if (flags & 3) {
      if (funcs_form) kite_buf_byte(b, 0x00);
      else ok = write_valtype(c, b, type);
    }
    kite_buf_uleb(b, items.len);
    for (size_t i = 0; ok && i < items.len; i++) {
      if (funcs_form) {
        expr_is_ref_func(&items.data[i], &f);
        kite_buf_uleb(b, f);
      } else {
        kite_buf_put(b, items.data[i].data, items.data[i].len);
      }
    }
    s->nelems++;
    if (b->oom) ok = oom(c);
  }
  for (size_t i = 0; i < items.len; i++) kite_buf_free(&items.data[i]);
  kite_vec_free(c->alloc, &items);
  return ok;
}

static bool emit_elem_field(wat_ctx *c, wat_sections *s) {
  wat_name name;
  kite_wat_opt_id(c, &name);
  const kite_token *t = kite_wat_tok(c);
  if (kite_tok_is(t, "declare")) {
    c->pos++;
    return elem_segment(c, s, KITE_SEG_DECLARATIVE, 0, false, NULL, false, NULL);
  }
  uint32_t table = 0;
  bool active = false;
  if (kite_wat_at_lparen_kw(c, "table")) {
    c->pos += 2;
    if (!kite_wat_index(c, WAT_TABLES, &table) || !kite_wat_expect_rparen(c)) return false;
    active = true;
  } else if (kite_wat_at_index(c) && kite_wat_tok_at(c, c->pos + 1)->kind == KITE_TOK_LPAREN) {
    if (!kite_wat_index(c, WAT_TABLES, &table)) return false; /* legacy: table index first */
    active = true;
  }
  bool active_explicit = active;
  if (!active && kite_wat_tok(c)->kind == KITE_TOK_LPAREN && !kite_wat_at_valtype(c)) active = true;
  if (!active) return elem_segment(c, s, KITE_SEG_PASSIVE, 0, false, NULL, false, NULL);
  kite_buf off;
  kite_buf_init(&off, c->alloc);
  /* a written table index, even 0, keeps the explicit form: printed binaries read back
     to the same bytes (wabt writes the short form for table 0) */
  bool ok = offset_expr(c, &off) &&
            elem_segment(c, s, KITE_SEG_ACTIVE, table, active_explicit, &off, true, NULL);
  kite_buf_free(&off);
  return ok;
}

static bool data_strings(wat_ctx *c, kite_buf *b) {
  while (kite_wat_tok(c)->kind == KITE_TOK_STRING)
    if (!string_bytes(c, b)) return false;
  return true;
}

static bool emit_data(wat_ctx *c, wat_sections *s, bool active, uint32_t mem, bool explicit_mem,
                      const kite_buf *offset, const kite_buf *bytes) {
  kite_buf *b = &s->datas;
  if (!active) {
    kite_buf_byte(b, 1);
  } else if (mem == 0 && !explicit_mem) { /* a written (memory 0) keeps the explicit form */
    kite_buf_byte(b, 0);
  } else {
    kite_buf_byte(b, 2);
    kite_buf_uleb(b, mem);
  }
  if (active) kite_buf_put(b, offset->data, offset->len);
  kite_buf_uleb(b, bytes->len);
  kite_buf_put(b, bytes->data, bytes->len);
  s->ndatas++;
  return !b->oom || oom(c);
}

static bool emit_data_field(wat_ctx *c, wat_sections *s) {
  wat_name name;
  kite_wat_opt_id(c, &name);
  uint32_t mem = 0;
  bool active = false;
  if (kite_wat_at_lparen_kw(c, "memory")) {
    c->pos += 2;
    if (!kite_wat_index(c, WAT_MEMORIES, &mem) || !kite_wat_expect_rparen(c)) return false;
    active = true;
  } else if (kite_wat_at_index(c)) {
    if (!kite_wat_index(c, WAT_MEMORIES, &mem)) return false;
    active = true;
  }
  bool explicit_mem = active;
  if (kite_wat_tok(c)->kind == KITE_TOK_LPAREN) active = true;
  kite_buf off, bytes;
  kite_buf_init(&off, c->alloc);
  kite_buf_init(&bytes, c->alloc);
  bool ok = (!active || offset_expr(c, &off)) && data_strings(c, &bytes) &&
            emit_data(c, s, active, mem, explicit_mem, &off, &bytes);
  kite_buf_free(&off);
  kite_buf_free(&bytes);
  return ok;
}

static void write_const0(kite_buf *b, bool is64) {
  kite_buf_byte(b, is64 ? 0x42 : 0x41);
  kite_buf_byte(b, 0);
  kite_buf_byte(b, 0x0B);
}

/* An imported definition: the import entry's names were written to `names`. */
static bool emit_import_entry(wat_ctx *c, wat_sections *s, wat_emit *e, const kite_buf *names,
                              int space, uint32_t index) {
  kite_buf_put(&s->imports, names->data, names->len);
  s->nimports++;
  return import_desc(c, e, space, index, &s->imports) && kite_wat_expect_rparen(c);
}

static bool emit_table_field(wat_ctx *c, wat_sections *s, wat_emit *e, const wat_field *f) {
  bool imported;
  kite_buf import;
  kite_buf_init(&import, c->alloc);
  bool ok = inline_exports(c, s, KITE_EXTERN_TABLE, f->index, &import, &imported);
  if (ok && imported) ok = emit_import_entry(c, s, e, &import, WAT_TABLES, f->index);
  kite_buf_free(&import);
  if (!ok || imported) return ok;
  wat_limits l;
  memset(&l, 0, sizeof l);
  kite_valtype elem;
  kite_buf *tb = &s->tables;
  if (!addrtype(c, &l.is64)) return false;
  if (kite_wat_at_valtype(c)) { /* reftype (elem ...): the limits are the item count */
    if (!kite_wat_reftype(c, &elem)) return false;
    const kite_token *at = kite_wat_tok(c);
    if (!kite_wat_expect_lparen_kw(c, "elem")) return false;
    (void)at;
    uint32_t items = 0, close = c->match.data[c->pos - 2];
    for (uint32_t i = c->pos; i < close; i++) {
      const kite_token *t = &c->toks.data[i];
      if (t->kind == KITE_TOK_LPAREN) i = c->match.data[i];
      items++;
    }
    l.min = l.max = items;
    l.has_max = true;
    if (!write_tabletype(c, tb, &l, elem)) return false;
    s->ntables++;
    kite_buf off;
    kite_buf_init(&off, c->alloc);
    write_const0(&off, l.is64);
    ok = elem_segment(c, s, KITE_SEG_ACTIVE, f->index, false, &off, true, &elem);
    kite_buf_free(&off);
    return ok && kite_wat_expect_rparen(c) && kite_wat_expect_rparen(c);
  }
  if (!limits(c, &l) || !kite_wat_reftype(c, &elem)) return false;
  if (kite_wat_tok(c)->kind != KITE_TOK_RPAREN) { /* an initializer expression */
    kite_buf_byte(tb, 0x40);
    kite_buf_byte(tb, 0x00);
    if (!write_tabletype(c, tb, &l, elem) || !kite_wat_expr(c, tb)) return false;
  } else if (!write_tabletype(c, tb, &l, elem)) {
    return false;
  }
  s->ntables++;
  return kite_wat_expect_rparen(c);
}

static bool emit_memory_field(wat_ctx *c, wat_sections *s, wat_emit *e, const wat_field *f) {
  bool imported;
  kite_buf import;
  kite_buf_init(&import, c->alloc);
  bool ok = inline_exports(c, s, KITE_EXTERN_MEMORY, f->index, &import, &imported);
  if (ok && imported) ok = emit_import_entry(c, s, e, &import, WAT_MEMORIES, f->index);
  kite_buf_free(&import);
  if (!ok || imported) return ok;
  wat_limits l;
  uint32_t at = c->pos;
  memset(&l, 0, sizeof l);
  if (!addrtype(c, &l.is64) || !page_size(c, &l)) return false;
  if (kite_wat_at_lparen_kw(c, "data")) { /* (data ...): the limits are its page count */
    c->pos += 2;
    kite_buf bytes, off;
    kite_buf_init(&bytes, c->alloc);
    kite_buf_init(&off, c->alloc);
    ok = data_strings(c, &bytes) && kite_wat_expect_rparen(c);
    if (ok) {
      uint64_t page = (uint64_t)1 << (l.has_page_size ? l.page_size_log2 : 16);
      l.min = l.max = (bytes.len + page - 1) / page;
      l.has_max = true;
      ok = write_limits(c, &s->memories, &l, true);
      s->nmemories++;
      write_const0(&off, l.is64);
      if (ok) ok = emit_data(c, s, true, f->index, false, &off, &bytes);
    }
    kite_buf_free(&bytes);
    kite_buf_free(&off);
    return ok && kite_wat_expect_rparen(c);
  }
  c->pos = at;
  if (!memtype(c, &l) || !write_limits(c, &s->memories, &l, true)) return false;
  s->nmemories++;
  return kite_wat_expect_rparen(c);
}

static bool emit_global_field(wat_ctx *c, wat_sections *s, wat_emit *e, const wat_field *f) {
  bool imported;
  kite_buf import;
  kite_buf_init(&import, c->alloc);
  bool ok = inline_exports(c, s, KITE_EXTERN_GLOBAL, f->index, &import, &imported);
  if (ok && imported) ok = emit_import_entry(c, s, e, &import, WAT_GLOBALS, f->index);
  kite_buf_free(&import);
  if (!ok || imported) return ok;
  kite_globaltype g;
  if (!globaltype(c, &g) || !write_globaltype(c, &s->globals, &g) || !kite_wat_expr(c, &s->globals))
    return false;
  s->nglobals++;
  return kite_wat_expect_rparen(c);
}

static bool emit_tag_field(wat_ctx *c, wat_sections *s, wat_emit *e, const wat_field *f) {
  bool imported;
  kite_buf import;
  kite_buf_init(&import, c->alloc);
  bool ok = inline_exports(c, s, KITE_EXTERN_TAG, f->index, &import, &imported);
  if (ok && imported) ok = emit_import_entry(c, s, e, &import, WAT_TAGS, f->index);
  kite_buf_free(&import);
  if (!ok || imported) return ok;
  uint32_t t;
  wat_sig sig;
  memset(&sig, 0, sizeof sig);
  ok = kite_wat_typeuse(c, false, &t, &sig);
  kite_wat_sig_free(c, &sig);
  if (!ok) return false;
  kite_buf_byte(&s->tags, 0x00);
  kite_buf_uleb(&s->tags, e->tag_types.data[f->index]);
  s->ntags++;
  return kite_wat_expect_rparen(c);
}

static bool declare_local(wat_ctx *c, const kite_token *at, wat_name name) {
  bool dup;
  if (!kite_wat_map_put(c, &c->locals, name, c->nlocals, &dup)) return false;
  if (dup)
    return kite_wat_fail(c, at, "duplicate local $%.*s", (int)(name.len > 60 ? 60 : name.len),
                         name.name);
  if (c->debug_names && !kite_vec_push(c->alloc, &c->local_names, name)) return oom(c);
  c->nlocals++;
  return true;
}

/* Local names for the name section: func index, then (local index, name)*. As wabt,
   every function has an entry, imports included. */
static bool note_local_names(wat_ctx *c, uint32_t func) {
  kite_buf *b = &c->local_names_out;
  uint32_t named = 0;
  for (size_t i = 0; i < c->local_names.len; i++) named += c->local_names.data[i].name != NULL;
  kite_buf_uleb(b, func);
  kite_buf_uleb(b, named);
  for (size_t i = 0; i < c->local_names.len; i++) {
    wat_name n = c->local_names.data[i];
    if (!n.name) continue;
    kite_buf_uleb(b, i);
    kite_write_name(b, (const uint8_t *)n.name, n.len);
  }
  c->nlocal_names_out++;
  return !b->oom || oom(c);
}

static bool emit_func_field(wat_ctx *c, wat_sections *s, wat_emit *e, const wat_field *f) {
  bool imported;
  kite_buf import;
  kite_buf_init(&import, c->alloc);
  bool ok = inline_exports(c, s, KITE_EXTERN_FUNC, f->index, &import, &imported);
  if (ok && imported) ok = emit_import_entry(c, s, e, &import, WAT_FUNCS, f->index);
  kite_buf_free(&import);
  if (!ok || imported) return ok;

  uint32_t type = e->func_types.data[f->index], explicit_idx;
  kite_buf_uleb(&s->funcs, type);
  s->nfuncs++;
  map_free(c, &c->locals);
  c->nlocals = 0;
  c->local_names.len = 0;
  c->labels.len = 0;

  wat_sig sig;
  memset(&sig, 0, sizeof sig);
  const kite_token *at = kite_wat_tok(c);
  ok = kite_wat_typeuse(c, true, &explicit_idx, &sig);
  if (ok && sig.has_type && !sig.params.len && !sig.results.len) {
    const kite_functype *ft = kite_wat_functype(c, type);
    for (uint32_t i = 0; ft && ok && i < ft->nparams; i++)
      ok = declare_local(c, at, (wat_name){NULL, 0});
  } else {
    for (size_t i = 0; ok && i < sig.names.len; i++) ok = declare_local(c, at, sig.names.data[i]);
  }
  kite_wat_sig_free(c, &sig);
  if (!ok) return false;

  KITE_VEC(kite_valtype) locals = {0};
  while (ok && kite_wat_at_lparen_kw(c, "local")) {
    c->pos += 2;
    const kite_token *t = kite_wat_tok(c);
    if (t->kind == KITE_TOK_ID) {
      kite_valtype vt;
      c->pos++;
      ok = declare_local(c, t, (wat_name){t->text, (uint32_t)t->len}) && kite_wat_valtype(c, &vt) &&
           (kite_vec_push(c->alloc, &locals, vt) || oom(c));
    } else {
      while (ok && kite_wat_tok(c)->kind != KITE_TOK_RPAREN) {
        kite_valtype vt;
        ok = kite_wat_valtype(c, &vt) && declare_local(c, t, (wat_name){NULL, 0}) &&
             (kite_vec_push(c->alloc, &locals, vt) || oom(c));
      }
    }
    if (ok) ok = kite_wat_expect_rparen(c);
  }
  kite_buf body;
  kite_buf_init(&body, c->alloc);
  if (ok) {
    /* local declarations: runs of one type */
    uint32_t groups = 0;
    for (size_t i = 0; i < locals.len; i++)
      if (i == 0 || !kite_vt_eq(locals.data[i], locals.data[i - 1])) groups++;
    kite_buf_uleb(&body, groups);
    for (size_t i = 0; ok && i < locals.len;) {
      size_t j = i;
      while (j < locals.len && kite_vt_eq(locals.data[j], locals.data[i])) j++;
      kite_buf_uleb(&body, j - i);
      ok = write_valtype(c, &body, locals.data[i]);
      i = j;
    }
  }
  c->in_func = true;
  c->hints.len = 0;
  if (ok) ok = kite_wat_instrs(c, &body) && kite_wat_expect_rparen(c);
  c->in_func = false;
  if (ok && c->hints.len) { /* branch hints: offsets within the body, locals included */
    kite_buf *h = &c->hints_out;
    kite_buf_uleb(h, f->index);
    kite_buf_uleb(h, c->hints.len);
    for (size_t i = 0; i < c->hints.len; i++) {
      kite_buf_uleb(h, c->hints.data[i].offset);
      kite_buf_uleb(h, 1);
      kite_buf_byte(h, c->hints.data[i].value);
    }
    c->nhints_out++;
    if (h->oom) ok = oom(c);
  }
  if (ok) {
    kite_buf_byte(&body, 0x0B);
    kite_buf_uleb(&e->code, body.len);
    kite_buf_put(&e->code, body.data, body.len);
    e->ncode++;
    if (e->code.oom || body.oom) ok = oom(c);
  }
  if (ok && c->debug_names) ok = note_local_names(c, f->index);
  kite_buf_free(&body);
  kite_vec_free(c->alloc, &locals);
  return ok;
}

static bool emit_export_field(wat_ctx *c, wat_sections *s) {
  if (!write_name_string(c, &s->exports)) return false;
  if (kite_wat_tok(c)->kind != KITE_TOK_LPAREN) return kite_wat_unexpected(c, kite_wat_tok(c));
  const kite_token *kw = kite_wat_tok_at(c, c->pos + 1);
  int space = desc_space(kw);
  if (space < 0) return kite_wat_unexpected(c, kw);
  c->pos += 2;
  uint32_t index;
  if (!kite_wat_index(c, space, &index) || !kite_wat_expect_rparen(c)) return false;
  static const uint8_t kinds[] = {0,
                                  KITE_EXTERN_FUNC,
                                  KITE_EXTERN_TABLE,
                                  KITE_EXTERN_MEMORY,
                                  KITE_EXTERN_GLOBAL,
                                  KITE_EXTERN_TAG};
  kite_buf_byte(&s->exports, kinds[space]);
  kite_buf_uleb(&s->exports, index);
  s->nexports++;
  return (!s->exports.oom || oom(c)) && kite_wat_expect_rparen(c);
}

static bool emit_import_field(wat_ctx *c, wat_sections *s, wat_emit *e, const wat_field *f) {
  kite_buf names;
  kite_buf_init(&names, c->alloc);
  bool ok = write_name_string(c, &names) && write_name_string(c, &names);
  if (ok) {
    const kite_token *dk = kite_wat_tok_at(c, c->pos + 1);
    int space = desc_space(dk);
    wat_name name;
    c->pos += 2;
    kite_wat_opt_id(c, &name);
    kite_buf_put(&s->imports, names.data, names.len);
    s->nimports++;
    ok = import_desc(c, e, space, f->index, &s->imports) && kite_wat_expect_rparen(c) &&
         kite_wat_expect_rparen(c);
  }
  kite_buf_free(&names);
  return ok;
}

static bool put_vec_section(wat_ctx *c, kite_buf *out, uint8_t id, uint32_t count,
                            const kite_buf *entries) {
  kite_buf content;
  kite_buf_init(&content, c->alloc);
  kite_buf_uleb(&content, count);
  kite_buf_put(&content, entries->data, entries->len);
  bool ok = !content.oom && kite_write_section(out, id, &content);
  kite_buf_free(&content);
  return ok || oom(c);
}

static bool emit_fields(wat_ctx *c, wat_emit *e, wat_sections *s) {
  for (size_t i = 0; i < c->fields.len; i++) {
    const wat_field *f = &c->fields.data[i];
    c->pos = f->start + 2;
    wat_name name;
    bool ok = true;
    switch (f->kind) {
    case WAT_F_TYPE:
    case WAT_F_REC: break;
    case WAT_F_IMPORT: ok = emit_import_field(c, s, e, f); break;
    case WAT_F_FUNC:
      kite_wat_opt_id(c, &name);
      ok = emit_func_field(c, s, e, f);
      break;
    case WAT_F_TABLE:
      kite_wat_opt_id(c, &name);
      ok = emit_table_field(c, s, e, f);
      break;
    case WAT_F_MEMORY:
      kite_wat_opt_id(c, &name);
      ok = emit_memory_field(c, s, e, f);
      break;
    case WAT_F_GLOBAL:
      kite_wat_opt_id(c, &name);
      ok = emit_global_field(c, s, e, f);
      break;
    case WAT_F_TAG:
      kite_wat_opt_id(c, &name);
      ok = emit_tag_field(c, s, e, f);
      break;
    case WAT_F_EXPORT: ok = emit_export_field(c, s); break;
    case WAT_F_START: {
      uint32_t func;
      const kite_token *at = kite_wat_tok_at(c, f->start);
      if (s->has_start) return kite_wat_fail(c, at, "multiple start sections");
      ok = kite_wat_index(c, WAT_FUNCS, &func) && kite_wat_expect_rparen(c);
      kite_buf_uleb(&s->start, func);
      s->has_start = true;
      break;
    }
    case WAT_F_ELEM: ok = emit_elem_field(c, s) && kite_wat_expect_rparen(c); break;
    case WAT_F_DATA: ok = emit_data_field(c, s) && kite_wat_expect_rparen(c); break;
    }
    if (!ok) return false;
  }
  return true;
}

/* ---- the name section (--debug-names) ---- */

static bool name_map(wat_ctx *c, kite_buf *out, uint8_t id, const wat_name *names, size_t n) {
  uint32_t count = 0;
  for (size_t i = 0; i < n; i++) count += names[i].name != NULL;
  if (!count) return true;
  kite_buf sub;
  kite_buf_init(&sub, c->alloc);
  kite_buf_uleb(&sub, count);
  for (size_t i = 0; i < n; i++) {
    if (!names[i].name) continue;
    kite_buf_uleb(&sub, i);
    kite_write_name(&sub, (const uint8_t *)names[i].name, names[i].len);
  }
  kite_buf_byte(out, id);
  kite_buf_uleb(out, sub.len);
  kite_buf_put(out, sub.data, sub.len);
  bool ok = !sub.oom;
  kite_buf_free(&sub);
  return ok || oom(c);
}

static bool emit_names(wat_ctx *c, kite_buf *out, const wat_name *module_name) {
  kite_buf content;
  kite_buf_init(&content, c->alloc);
  kite_write_name(&content, (const uint8_t *)"name", 4);
  bool ok = true;
  if (module_name && module_name->name) {
    kite_buf sub;
    kite_buf_init(&sub, c->alloc);
    kite_write_name(&sub, (const uint8_t *)module_name->name, module_name->len);
    kite_buf_byte(&content, KITE_NAMES_MODULE);
    kite_buf_uleb(&content, sub.len);
    kite_buf_put(&content, sub.data, sub.len);
    ok = !sub.oom || oom(c);
    kite_buf_free(&sub);
  }
  if (ok)
    ok = name_map(c, &content, KITE_NAMES_FUNC, c->names[WAT_FUNCS].data, c->names[WAT_FUNCS].len);
  if (ok) { /* as wabt, always present */
    kite_buf sub;
    kite_buf_init(&sub, c->alloc);
    kite_buf_uleb(&sub, c->nlocal_names_out);
    kite_buf_put(&sub, c->local_names_out.data, c->local_names_out.len);
    kite_buf_byte(&content, KITE_NAMES_LOCAL);
    kite_buf_uleb(&content, sub.len);
    kite_buf_put(&content, sub.data, sub.len);
    ok = !sub.oom || oom(c);
    kite_buf_free(&sub);
  }
  static const struct {
    int space;
    uint8_t id;
  } maps[] = {{WAT_TYPES, KITE_NAMES_TYPE},      {WAT_TABLES, KITE_NAMES_TABLE},
              {WAT_MEMORIES, KITE_NAMES_MEMORY}, {WAT_GLOBALS, KITE_NAMES_GLOBAL},
              {WAT_ELEMS, KITE_NAMES_ELEM},      {WAT_DATAS, KITE_NAMES_DATA},
              {WAT_TAGS, KITE_NAMES_TAG}};
  for (size_t i = 0; ok && i < KITE_ARRAY_LEN(maps); i++)
    ok = name_map(c, &content, maps[i].id, c->names[maps[i].space].data,
                  c->names[maps[i].space].len);
  if (ok) ok = kite_write_section(out, KITE_SEC_CUSTOM, &content) || oom(c);
  if (content.oom) ok = oom(c);
  kite_buf_free(&content);
  return ok;
}

/* ---- the whole module ---- */

static void ctx_free(wat_ctx *c) {
  kite_vec_free(c->alloc, &c->toks);
  kite_vec_free(c->alloc, &c->match);
  kite_vec_free(c->alloc, &c->annot_toks);
  kite_vec_free(c->alloc, &c->annots);
  kite_vec_free(c->alloc, &c->fields);
  for (int i = 0; i < WAT_NSPACES; i++) {
    map_free(c, &c->spaces[i].names);
    kite_vec_free(c->alloc, &c->names[i]);
  }
  for (size_t i = 0; i < c->types.len; i++) {
    map_free(c, &c->types.data[i].fields);
    kite_vec_free(c->alloc, &c->types.data[i].field_names);
  }
  kite_vec_free(c->alloc, &c->types);
  kite_free(c->alloc, c->sig_slots, c->sig_cap * sizeof *c->sig_slots);
  map_free(c, &c->locals);
  kite_vec_free(c->alloc, &c->local_names);
  for (size_t i = 0; i < c->customs.len; i++) kite_buf_free(&c->customs.data[i].bytes);
  kite_vec_free(c->alloc, &c->customs);
  kite_vec_free(c->alloc, &c->hints);
  kite_vec_free(c->alloc, &c->labels);
  kite_arena_free(&c->arena);
}

static void ctx_init(wat_ctx *c, kite_alloc *a, kite_features f, const kite_wat_options *opt,
                     kite_error *err) {
  memset(c, 0, sizeof *c);
  c->alloc = a;
  c->err = err;
  c->feat = f;
  c->debug_names = opt && opt->debug_names;
  kite_arena_init(&c->arena, a);
  kite_opname_index_build(c->opnames);
}

/* The branch hint section, before the code section. */
static bool emit_hints(wat_ctx *c, kite_buf *out) {
  kite_buf content;
  kite_buf_init(&content, c->alloc);
  static const char name[] = "metadata.code.branch_hint";
  kite_write_name(&content, (const uint8_t *)name, sizeof name - 1);
  kite_buf_uleb(&content, c->nhints_out);
  kite_buf_put(&content, c->hints_out.data, c->hints_out.len);
  bool ok = !content.oom && kite_write_section(out, KITE_SEC_CUSTOM, &content);
  kite_buf_free(&content);
  return ok || oom(c);
}

/* Parse the fields in tokens [from, to) and write the module. */
static bool build_module(wat_ctx *c, uint32_t from, uint32_t to, const wat_name *module_name,
                         kite_buf *out) {
  wat_emit e;
  wat_sections s;
  memset(&e, 0, sizeof e);
  memset(&s, 0, sizeof s);
  kite_buf *bufs[] = {&s.imports,          &s.funcs,   &s.tables,    &s.memories, &s.tags,
                      &s.globals,          &s.exports, &s.elems,     &s.datas,    &s.start,
                      &c->local_names_out, &e.code,    &c->hints_out};
  for (size_t i = 0; i < KITE_ARRAY_LEN(bufs); i++) kite_buf_init(bufs[i], c->alloc);
  kite_buf types;
  kite_buf_init(&types, c->alloc);

  wat_name name = module_name ? *module_name : (wat_name){NULL, 0};
  bool ok = take_module_name(c, from, &name) && collect_fields(c, from, to) && parse_types(c) &&
            implicit_types(c, &e) && emit_fields(c, &e, &s) && check_annotations_used(c) &&
            (!c->types.len || emit_types(c, &types));
  if (ok) {
    static const uint8_t header[8] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
    kite_buf dc;
    kite_buf_init(&dc, c->alloc);
    kite_buf_uleb(&dc, c->spaces[WAT_DATAS].count);
    struct {
      uint32_t count;
      kite_buf *b;
      bool present, vec;
    } secs[] = {/* in section_order */
                {0, &types, c->types.len > 0, false},
                {s.nimports, &s.imports, s.nimports > 0, true},
                {s.nfuncs, &s.funcs, s.nfuncs > 0, true},
                {s.ntables, &s.tables, s.ntables > 0, true},
                {s.nmemories, &s.memories, s.nmemories > 0, true},
                {s.ntags, &s.tags, s.ntags > 0, true},
                {s.nglobals, &s.globals, s.nglobals > 0, true},
                {s.nexports, &s.exports, s.nexports > 0, true},
                {0, &s.start, s.has_start, false},
                {s.nelems, &s.elems, s.nelems > 0, true},
                {0, &dc, c->uses_data_index, false},
                {e.ncode, &e.code, e.ncode > 0, true},
                {s.ndatas, &s.datas, s.ndatas > 0, true}};
    kite_buf_put(out, header, sizeof header);
    for (uint8_t place = 0; ok && place <= WAT_PLACE_LAST; place++) {
      for (size_t i = 0; ok && i < c->customs.len; i++)
        if (c->customs.data[i].place == place)
          ok = kite_write_section(out, KITE_SEC_CUSTOM, &c->customs.data[i].bytes) || oom(c);
      if (place == WAT_PLACE_LAST) break;
      uint8_t id = section_order[place];
      if (ok && id == KITE_SEC_CODE && c->nhints_out) ok = emit_hints(c, out);
      if (!ok || !secs[place].present) continue;
      if (secs[place].vec) ok = put_vec_section(c, out, id, secs[place].count, secs[place].b);
      else ok = kite_write_section(out, id, secs[place].b) || oom(c);
    }
    kite_buf_free(&dc);
    if (ok && c->debug_names) ok = emit_names(c, out, &name);
    if (ok && out->oom) ok = oom(c);
  }
  for (size_t i = 0; i < KITE_ARRAY_LEN(bufs); i++) kite_buf_free(bufs[i]);
  kite_buf_free(&types);
  kite_vec_free(c->alloc, &e.func_types);
  kite_vec_free(c->alloc, &e.tag_types);
  return ok;
}

bool kite_wat_parse_module_fields(kite_lexer *lx, kite_alloc *a, kite_features f, kite_buf *out,
                                  kite_error *err) {
  wat_ctx c;
  ctx_init(&c, a, f, NULL, err);
  bool ok = tokenize(&c, lx, true) && build_module(&c, 0, (uint32_t)c.toks.len - 1, NULL, out);
  ctx_free(&c);
  return ok;
}

bool kite_wat_to_wasm_ex(kite_alloc *a, const char *src, size_t len, kite_features f,
                         const kite_wat_options *opt, kite_buf *out, kite_error *err) {
  wat_ctx c;
  kite_lexer lx;
  ctx_init(&c, a, f, opt, err);
  kite_lexer_init(&lx, src, len, err);
  bool ok = tokenize(&c, &lx, false);
  if (ok) {
    uint32_t from = 0, to = (uint32_t)c.toks.len - 1;
    wat_name module_name = {NULL, 0};
    if (c.toks.data[0].kind == KITE_TOK_LPAREN && kite_tok_is(&c.toks.data[1], "module")) {
      to = c.match.data[0];
      c.pos = 2;
      kite_wat_opt_id(&c, &module_name);
      from = c.pos;
      if (c.toks.data[to + 1].kind != KITE_TOK_EOF)
        ok = kite_wat_unexpected(&c, &c.toks.data[to + 1]);
    }
    if (ok) {
      /* the fields end at the module's ')': make it the end of input for the parser */
      c.toks.data[to].kind = KITE_TOK_EOF;
      ok = build_module(&c, from, to, &module_name, out);
    }
  }
  ctx_free(&c);
  return ok;
}

bool kite_wat_to_wasm(kite_alloc *a, const char *src, size_t len, kite_features f, kite_buf *out,
                      kite_error *err) {
  return kite_wat_to_wasm_ex(a, src, len, f, NULL, out, err);
}

/*
** print.c: the printer, a decoded module back to text (wasm2wat).
**
** The layout follows wabt's wasm2wat so its users feel at home: two-space indentation,
** one module field per line, `(;N;)` index comments where a definition has no name,
** `;; label = @N` after block openers and `(;@N;)` after branch labels. Lines are
** started lazily (newline, then indentation) so closing parentheses can go at the end
** of the last line, as wabt does.
**
** The text must parse back to the very same binary. The Module IR drops a few choices
** the binary made that the text format can still express (an explicit `rec` around a
** single type, `sub` with no supertypes, `(table 0)` or `(memory 0)` spelled out in a
** segment, an explicit 64 KiB page size), so print_scan re-reads those bytes.
*/
#include <stdio.h>
#include <stdlib.h>

#include "text.h"

/* Index spaces that carry names, by name-section subsection id. */
static const uint8_t name_spaces[] = {KITE_NAMES_FUNC,   KITE_NAMES_TYPE,   KITE_NAMES_TABLE,
                                      KITE_NAMES_MEMORY, KITE_NAMES_GLOBAL, KITE_NAMES_ELEM,
                                      KITE_NAMES_DATA,   KITE_NAMES_TAG};

typedef struct recgroup {
  uint32_t first, count;
  bool explicit_rec;
} recgroup;

typedef KITE_VEC(uint32_t) u32_vec;

/* A node of the folded-expression forest: an instruction and the trees it consumes. */
typedef struct fold_node {
  uint32_t insn;        /* index into printer.insns */
  uint32_t kids, nkids; /* range of printer.kids */
  uint32_t nresults;
  uint32_t height; /* 1 + the tallest kid's */
} fold_node;

/*
** Hostile nesting must cost linear time and bounded C stack. Indentation stops growing
** at MAX_INDENT levels (else text of blocks nested N deep grows as N^2: 10,000 levels
** made 200 MB). Folding recurses once per level, so a body whose blocks nest deeper
** than MAX_FOLD_DEPTH prints flat, and an operand tree only grows while printing it
** keeps the recursion within MAX_FOLD_DEPTH (beyond, operands print before their
** instruction, which is the same code).
*/
#define MAX_INDENT 100
#define MAX_FOLD_DEPTH 500

typedef struct printer {
  const kite_module *m;
  kite_alloc *a;
  kite_arena arena; /* names made up to keep identifiers unique */
  kite_buf *out;
  kite_error *err;
  bool fold;
  bool failed; /* reading an instruction failed */
  bool oom;    /* an allocation failed (the output buffer has its own flag) */
  unsigned indent;
  uint32_t depth; /* label depth in the current function body */

  /* Names that may be printed as identifiers, per index space; NULL: print the index. */
  const kite_name **names[KITE_NAMES_COUNT];
  /* Per index space, for an identifier made unique ("name.1"): the name it stands for,
     printed as a (@name) annotation so the name section survives a round trip. */
  const kite_name **renamed[KITE_NAMES_COUNT];
  uint32_t space_size[KITE_NAMES_COUNT];
  const kite_name **locals; /* current function: params then locals */
  uint32_t nlocals;

  /* Encoding choices recovered from the bytes. */
  KITE_VEC(recgroup) groups;
  uint8_t *type_sub;   /* per type: written with a `sub` prefix */
  uint8_t *elem_flags; /* per element segment: the form (0..7), 0xFF unknown */
  uint8_t *data_flags; /* per data segment: the form (0..2), 0xFF unknown */
  uint8_t *mem_flags;  /* per memory: the limits flags byte, 0xFF unknown */

  /* Folding scratch for one function. */
  KITE_VEC(kite_insn) insns;
  u32_vec partner; /* block opener -> its end or delegate */
  KITE_VEC(fold_node) nodes;
  u32_vec kids;
  u32_vec labels;     /* label arities of the open blocks, outermost first */
  uint32_t fold_nest; /* fold_print_node calls active */
} printer;

/* ------------------------------------------------------------------------------------ */
/* Output                                                                                  */

static bool stopped(const printer *p) { return p->failed || p->oom || p->out->oom; }

static void put(printer *p, const char *s) { kite_buf_put(p->out, s, strlen(s)); }
static void putn(printer *p, const void *s, size_t n) { kite_buf_put(p->out, s, n); }
static void putc_(printer *p, char c) { kite_buf_byte(p->out, (uint8_t)c); }

static void putu(printer *p, uint64_t v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  char rev[24];
  for (int i = 0; i < n; i++) rev[i] = tmp[n - 1 - i];
  putn(p, rev, (size_t)n);
}

static void puts64(printer *p, int64_t v) {
  if (v < 0) {
    putc_(p, '-');
    putu(p, (uint64_t)0 - (uint64_t)v);
  } else {
    putu(p, (uint64_t)v);
  }
}

/* Start a new line at the current indentation. */
static void newline(printer *p) {
  putc_(p, '\n');
  for (unsigned i = 0; i < p->indent && i < MAX_INDENT; i++) put(p, "  ");
}

/* A string literal: printable ASCII as is, everything else (and " and \) as \hh; with
   utf8 (the string is valid UTF-8: a name), characters beyond ASCII as they are too. */
static void put_string_as(printer *p, const uint8_t *s, size_t n, bool utf8) {
  static const char hex[] = "0123456789abcdef";
  putc_(p, '"');
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = s[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') continue;
    if (utf8 && c >= 0x80) continue;
    putn(p, s + run, i - run);
    char esc[3] = {'\\', hex[c >> 4], hex[c & 15]};
    putn(p, esc, 3);
    run = i + 1;
  }
  putn(p, s + run, n - run);
  putc_(p, '"');
}

static void put_string(printer *p, const uint8_t *s, size_t n) { put_string_as(p, s, n, false); }

static bool is_idchar(uint8_t c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != 0 && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c) != NULL;
}

static void put_id(printer *p, const kite_name *n) {
  putc_(p, '$');
  for (uint32_t i = 0; i < n->len; i++)
    if (!is_idchar(n->ptr[i])) {
      put_string_as(p, n->ptr, n->len, true);
      return;
    }
  putn(p, n->ptr, n->len);
}

static const kite_name *name_of(const printer *p, unsigned space, uint32_t idx) {
  if (!p->names[space] || idx >= p->space_size[space]) return NULL;
  return p->names[space][idx];
}

/* A reference to an index: " $name" or " 12". */
static void put_ref(printer *p, unsigned space, uint32_t idx) {
  putc_(p, ' ');
  const kite_name *n = name_of(p, space, idx);
  if (n) put_id(p, n);
  else putu(p, idx);
}

/* The identifier of a definition: " $name" or " (;12;)". */
static void put_def(printer *p, unsigned space, uint32_t idx) {
  putc_(p, ' ');
  const kite_name *n = name_of(p, space, idx);
  if (n) {
    put_id(p, n);
    if (p->renamed[space] && p->renamed[space][idx]) {
      put(p, " (@name ");
      put_string_as(p, p->renamed[space][idx]->ptr, p->renamed[space][idx]->len, true);
      putc_(p, ')');
    }
  } else {
    put(p, "(;");
    putu(p, idx);
    put(p, ";)");
  }
}

static void put_local(printer *p, uint32_t idx) {
  putc_(p, ' ');
  if (idx < p->nlocals && p->locals && p->locals[idx]) put_id(p, p->locals[idx]);
  else putu(p, idx);
}

/* ------------------------------------------------------------------------------------ */
/* Types                                                                                   */

static const char *abstract_heap_name(uint32_t ht) {
  switch (ht) {
  case KITE_HT_EXN: return "exn";
  case KITE_HT_ARRAY: return "array";
  case KITE_HT_STRUCT: return "struct";
  case KITE_HT_I31: return "i31";
  case KITE_HT_EQ: return "eq";
  case KITE_HT_ANY: return "any";
  case KITE_HT_EXTERN: return "extern";
  case KITE_HT_FUNC: return "func";
  case KITE_HT_NONE: return "none";
  case KITE_HT_NOEXTERN: return "noextern";
  case KITE_HT_NOFUNC: return "nofunc";
  case KITE_HT_NOEXN: return "noexn";
  default: return NULL;
  }
}

/* The shorthand of a nullable abstract reference type (funcref, ...), or NULL. */
static const char *ref_shorthand(uint32_t ht) {
  switch (ht) {
  case KITE_HT_EXN: return "exnref";
  case KITE_HT_ARRAY: return "arrayref";
  case KITE_HT_STRUCT: return "structref";
  case KITE_HT_I31: return "i31ref";
  case KITE_HT_EQ: return "eqref";
  case KITE_HT_ANY: return "anyref";
  case KITE_HT_EXTERN: return "externref";
  case KITE_HT_FUNC: return "funcref";
  case KITE_HT_NONE: return "nullref";
  case KITE_HT_NOEXTERN: return "nullexternref";
  case KITE_HT_NOFUNC: return "nullfuncref";
  case KITE_HT_NOEXN: return "nullexnref";
  default: return NULL;
  }
}

/* A heap type without a leading space: "func" or "$t" or "3". */
static void put_heaptype(printer *p, uint32_t ht) {
  if (kite_ht_is_index(ht)) {
    const kite_name *n = name_of(p, KITE_NAMES_TYPE, ht);
    if (n) put_id(p, n);
    else putu(p, ht);
    return;
  }
  const char *s = abstract_heap_name(ht);
  put(p, s ? s : "<unknown>");
}

static void put_reftype(printer *p, uint32_t ht, bool nullable, bool exact) {
  const char *s = nullable && !exact ? ref_shorthand(ht) : NULL;
  if (s) {
    put(p, s);
    return;
  }
  put(p, nullable ? "(ref null " : "(ref ");
  if (exact) put(p, "(exact ");
  put_heaptype(p, ht);
  if (exact) putc_(p, ')');
  putc_(p, ')');
}

/* A value (or storage) type without a leading space. */
static void put_valtype(printer *p, kite_valtype t) {
  switch (t.kind) {
  case KITE_VT_I32: put(p, "i32"); break;
  case KITE_VT_I64: put(p, "i64"); break;
  case KITE_VT_F32: put(p, "f32"); break;
  case KITE_VT_F64: put(p, "f64"); break;
  case KITE_VT_V128: put(p, "v128"); break;
  case KITE_VT_I8: put(p, "i8"); break;
  case KITE_VT_I16: put(p, "i16"); break;
  case KITE_VT_REF: put_reftype(p, t.ht, t.nullable, t.exact); break;
  default: put(p, "<unknown>"); break;
  }
}

/* " (param i32 i64)" and " (result f32)", each only when non-empty. */
static void put_valtypes(printer *p, const char *kw, const kite_valtype *ts, uint32_t n) {
  if (n == 0) return;
  put(p, " (");
  put(p, kw);
  for (uint32_t i = 0; i < n; i++) {
    putc_(p, ' ');
    put_valtype(p, ts[i]);
  }
  putc_(p, ')');
}

static void put_functype_sig(printer *p, const kite_functype *ft) {
  put_valtypes(p, "param", ft->params, ft->nparams);
  put_valtypes(p, "result", ft->results, ft->nresults);
}

/* " (type N) (param ...) (result ...)": a type use that pins the exact index. */
static void put_typeuse(printer *p, uint32_t typeidx) {
  put(p, " (type");
  put_ref(p, KITE_NAMES_TYPE, typeidx);
  putc_(p, ')');
  if (typeidx < p->m->ntypes && p->m->types[typeidx].comp == KITE_COMP_FUNC)
    put_functype_sig(p, &p->m->types[typeidx].u.func);
}

static const kite_name *field_name(const printer *p, uint32_t type, uint32_t field) {
  const kite_indirect_namemap *im = &p->m->names.indirect[KITE_NAMES_FIELD];
  if (!p->m->has_names) return NULL;
  for (uint32_t i = 0; i < im->count; i++) {
    if (im->entries[i].index != type) continue;
    const kite_name *n = kite_namemap_find(&im->entries[i].map, field);
    if (!n || n->len == 0 || !kite_utf8_valid(n->ptr, n->len)) return NULL;
    /* A field name must be unique within its type to be usable as a reference. */
    const kite_namemap *map = &im->entries[i].map;
    for (uint32_t j = 0; j < map->count; j++)
      if (map->names[j].index != field && map->names[j].name.len == n->len &&
          memcmp(map->names[j].name.ptr, n->ptr, n->len) == 0 && map->names[j].index < field)
        return NULL;
    return n;
  }
  return NULL;
}

static void put_fieldtype(printer *p, const kite_fieldtype *f) {
  if (f->mut) put(p, "(mut ");
  put_valtype(p, f->type);
  if (f->mut) putc_(p, ')');
}

static void put_subtype(printer *p, uint32_t idx) {
  const kite_subtype *st = &p->m->types[idx];
  bool sub = (p->type_sub && p->type_sub[idx]) || !st->final || st->super != KITE_NO_INDEX;
  if (sub) {
    put(p, st->final ? "(sub final" : "(sub");
    if (st->super != KITE_NO_INDEX) put_ref(p, KITE_NAMES_TYPE, st->super);
    putc_(p, ' ');
  }
  if (st->has_describes) {
    put(p, "(describes");
    put_ref(p, KITE_NAMES_TYPE, st->describes);
    put(p, ") ");
  }
  if (st->has_descriptor) {
    put(p, "(descriptor");
    put_ref(p, KITE_NAMES_TYPE, st->descriptor);
    put(p, ") ");
  }
  switch (st->comp) {
  case KITE_COMP_FUNC:
    put(p, "(func");
    put_functype_sig(p, &st->u.func);
    putc_(p, ')');
    break;
  case KITE_COMP_STRUCT:
    put(p, "(struct");
    for (uint32_t i = 0; i < st->u.strukt.nfields; i++) {
      put(p, " (field ");
      const kite_name *n = field_name(p, idx, i);
      if (n) {
        put_id(p, n);
        putc_(p, ' ');
      }
      put_fieldtype(p, &st->u.strukt.fields[i]);
      putc_(p, ')');
    }
    putc_(p, ')');
    break;
  case KITE_COMP_ARRAY:
    put(p, "(array ");
    put_fieldtype(p, &st->u.array);
    putc_(p, ')');
    break;
  }
  if (sub) putc_(p, ')');
}

static void print_types(printer *p) {
  for (size_t g = 0; g < p->groups.len; g++) {
    const recgroup *rg = &p->groups.data[g];
    newline(p);
    if (rg->explicit_rec) {
      put(p, "(rec");
      p->indent++;
    }
    for (uint32_t i = rg->first; i < rg->first + rg->count && i < p->m->ntypes; i++) {
      if (rg->explicit_rec) newline(p);
      put(p, "(type");
      put_def(p, KITE_NAMES_TYPE, i);
      putc_(p, ' ');
      put_subtype(p, i);
      putc_(p, ')');
    }
    if (rg->explicit_rec) {
      p->indent--;
      putc_(p, ')');
    }
  }
}

/* ------------------------------------------------------------------------------------ */
/* Recovering encoding choices from the bytes                                              */

static const kite_section *find_section(const kite_module *m, uint8_t id) {
  for (uint32_t i = 0; i < m->nsections; i++)
    if (m->sections[i].id == id) return &m->sections[i];
  return NULL;
}

static bool section_reader(printer *p, uint8_t id, kite_reader *r, kite_error *scratch) {
  const kite_section *s = find_section(p->m, id);
  if (!s) return false;
  r->base = p->m->bytes;
  r->p = p->m->bytes + s->start;
  r->end = r->p + s->size;
  r->err = scratch;
  return true;
}

static bool skip_valtype(kite_reader *r) {
  if (r->p < r->end && (*r->p == KITE_VT_I8 || *r->p == KITE_VT_I16)) {
    r->p++;
    return true;
  }
  kite_valtype t;
  return kite_read_valtype(r, KITE_FEATURES_ALL, &t);
}

static bool skip_valtypes(kite_reader *r) {
  uint32_t n;
  if (!kite_read_u32(r, &n)) return false;
  while (n--)
    if (!skip_valtype(r)) return false;
  return true;
}

static bool skip_fieldtype(kite_reader *r) {
  uint8_t mut;
  return skip_valtype(r) && kite_read_u8(r, &mut);
}

/* One subtype; *has_sub says whether it was written with a `sub` prefix. */
static bool skip_subtype(kite_reader *r, bool *has_sub) {
  uint8_t b;
  if (!kite_read_u8(r, &b)) return false;
  *has_sub = b == 0x50 || b == 0x4F;
  if (*has_sub) {
    uint32_t n, super;
    if (!kite_read_u32(r, &n)) return false;
    while (n--)
      if (!kite_read_u32(r, &super)) return false;
    if (!kite_read_u8(r, &b)) return false;
  }
  for (uint8_t clause = 0x4C; clause <= 0x4D; clause++) { /* (describes x)? (descriptor y)? */
    uint32_t x;
    if (b == clause && (!kite_read_u32(r, &x) || !kite_read_u8(r, &b))) return false;
  }
  switch (b) {
  case 0x60: return skip_valtypes(r) && skip_valtypes(r);
  case 0x5F: {
    uint32_t n;
    if (!kite_read_u32(r, &n)) return false;
    while (n--)
      if (!skip_fieldtype(r)) return false;
    return true;
  }
  case 0x5E: return skip_fieldtype(r);
  default: return false;
  }
}

static bool scan_types(printer *p) {
  kite_error scratch = {0};
  kite_reader r;
  if (!section_reader(p, KITE_SEC_TYPE, &r, &scratch)) return true;
  uint32_t ngroups, next = 0;
  if (!kite_read_u32(&r, &ngroups)) return false;
  for (uint32_t g = 0; g < ngroups; g++) {
    recgroup rg = {next, 1, false};
    if (r.p < r.end && *r.p == 0x4E) {
      r.p++;
      rg.explicit_rec = true;
      if (!kite_read_u32(&r, &rg.count)) return false;
    }
    for (uint32_t i = 0; i < rg.count; i++) {
      bool has_sub;
      if (!skip_subtype(&r, &has_sub)) return false;
      if (next + i < p->m->ntypes) p->type_sub[next + i] = has_sub;
    }
    next += rg.count;
    if (!kite_vec_push(p->a, &p->groups, rg)) {
      p->oom = true;
      return false;
    }
  }
  return next == p->m->ntypes;
}

/* Fall back on the IR's groups when the bytes say something we did not expect. */
static bool groups_from_ir(printer *p) {
  p->groups.len = 0;
  memset(p->type_sub, 0, p->m->ntypes);
  for (uint32_t i = 0; i < p->m->ntypes;) {
    const kite_subtype *st = &p->m->types[i];
    uint32_t count = st->rec_count ? st->rec_count : 1;
    recgroup rg = {i, count, count != 1};
    if (!kite_vec_push(p->a, &p->groups, rg)) return false;
    i += count;
  }
  return true;
}

static bool skip_expr(kite_reader *r) {
  uint32_t depth = 0;
  for (;;) {
    kite_insn insn;
    if (!kite_read_insn(r, KITE_FEATURES_ALL, &insn)) return false;
    switch (kite_opinfo_table[insn.op].imm) {
    case IMM_BLOCK:
    case IMM_TRY_TABLE: depth++; break;
    default: break;
    }
    if (insn.op == OP_END) {
      if (depth == 0) return true;
      depth--;
    }
  }
}

static void scan_elems(printer *p) {
  kite_error scratch = {0};
  kite_reader r;
  if (!section_reader(p, KITE_SEC_ELEMENT, &r, &scratch)) return;
  uint32_t n;
  if (!kite_read_u32(&r, &n)) return;
  for (uint32_t i = 0; i < n && i < p->m->nelems; i++) {
    uint32_t flags, idx, count;
    if (!kite_read_u32(&r, &flags) || flags > 7) return;
    p->elem_flags[i] = (uint8_t)flags;
    if (!(flags & 1)) {
      if ((flags & 2) && !kite_read_u32(&r, &idx)) return;
      if (!skip_expr(&r)) return;
    }
    if (flags & 3) {
      if (flags & 4) {
        if (!skip_valtype(&r)) return;
      } else {
        uint8_t kind;
        if (!kite_read_u8(&r, &kind)) return;
      }
    }
    if (!kite_read_u32(&r, &count)) return;
    for (uint32_t j = 0; j < count; j++)
      if ((flags & 4) ? !skip_expr(&r) : !kite_read_u32(&r, &idx)) return;
  }
}

static void scan_datas(printer *p) {
  kite_error scratch = {0};
  kite_reader r;
  if (!section_reader(p, KITE_SEC_DATA, &r, &scratch)) return;
  uint32_t n;
  if (!kite_read_u32(&r, &n)) return;
  for (uint32_t i = 0; i < n && i < p->m->ndatas; i++) {
    uint32_t flags, idx, len;
    if (!kite_read_u32(&r, &flags) || flags > 2) return;
    p->data_flags[i] = (uint8_t)flags;
    if (flags == 2 && !kite_read_u32(&r, &idx)) return;
    if (flags != 1 && !skip_expr(&r)) return;
    if (!kite_read_u32(&r, &len) || (size_t)(r.end - r.p) < len) return;
    r.p += len;
  }
}

/* Limits; returns the flags byte through *flags. */
static bool skip_limits(kite_reader *r, uint8_t *flags) {
  uint64_t v;
  uint32_t log2;
  if (!kite_read_u8(r, flags)) return false;
  if (!kite_read_u64(r, &v)) return false;
  if ((*flags & 1) && !kite_read_u64(r, &v)) return false;
  if ((*flags & 8) && !kite_read_u32(r, &log2)) return false;
  return true;
}

static bool skip_name(kite_reader *r) {
  uint32_t len;
  if (!kite_read_u32(r, &len) || (size_t)(r->end - r->p) < len) return false;
  r->p += len;
  return true;
}

static void scan_memories(printer *p) {
  kite_error scratch = {0};
  kite_reader r;
  uint32_t n, memidx = 0, idx;
  uint8_t b, flags;
  if (section_reader(p, KITE_SEC_IMPORT, &r, &scratch)) {
    if (!kite_read_u32(&r, &n)) return;
    for (uint32_t i = 0; i < n; i++) {
      if (!skip_name(&r) || !skip_name(&r) || !kite_read_u8(&r, &b)) return;
      switch (b) {
      case KITE_EXTERN_FUNC:
        if (!kite_read_u32(&r, &idx)) return;
        break;
      case KITE_EXTERN_TABLE:
        if (!skip_valtype(&r) || !skip_limits(&r, &flags)) return;
        break;
      case KITE_EXTERN_MEMORY:
        if (!skip_limits(&r, &flags)) return;
        if (memidx < p->m->nmemories) p->mem_flags[memidx] = flags;
        memidx++;
        break;
      case KITE_EXTERN_GLOBAL:
        if (!skip_valtype(&r) || !kite_read_u8(&r, &b)) return;
        break;
      case KITE_EXTERN_TAG:
        if (!kite_read_u8(&r, &b) || !kite_read_u32(&r, &idx)) return;
        break;
      default: return;
      }
    }
  }
  if (section_reader(p, KITE_SEC_MEMORY, &r, &scratch)) {
    if (!kite_read_u32(&r, &n)) return;
    for (uint32_t i = 0; i < n; i++) {
      if (!skip_limits(&r, &flags)) return;
      if (memidx < p->m->nmemories) p->mem_flags[memidx] = flags;
      memidx++;
    }
  }
}

/* ------------------------------------------------------------------------------------ */
/* Names                                                                                   */

typedef struct name_entry {
  const kite_name *name;
  uint32_t index;
} name_entry;

static int name_entry_cmp(const void *a, const void *b) {
  const name_entry *x = a, *y = b;
  uint32_t n = x->name->len < y->name->len ? x->name->len : y->name->len;
  int c = n ? memcmp(x->name->ptr, y->name->ptr, n) : 0;
  if (c) return c;
  if (x->name->len != y->name->len) return x->name->len < y->name->len ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

static int name_cmp_bytes(const kite_name *n, const uint8_t *s, size_t len) {
  size_t k = n->len < len ? n->len : len;
  int c = k ? memcmp(n->ptr, s, k) : 0;
  if (c) return c;
  return (n->len > len) - (n->len < len);
}

/* Whether a name is one of the sorted entries or of the names made up so far. */
static bool name_taken(const name_entry *es, uint32_t n, const kite_name *made, uint32_t nmade,
                       const uint8_t *s, size_t len) {
  uint32_t lo = 0, hi = n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int c = name_cmp_bytes(es[mid].name, s, len);
    if (c == 0) return true;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  for (uint32_t i = 0; i < nmade; i++)
    if (name_cmp_bytes(&made[i], s, len) == 0) return true;
  return false;
}

/*
** Fill out[0..size) with the names of a map that can be printed as identifiers: valid
** UTF-8 and non-empty. Identifiers must be unique, so as wabt does, a name shared by
** several indices stays with the lowest and the others get "name.1", "name.2", ...
*/
static bool resolve_names(printer *p, const kite_namemap *map, const kite_name **out,
                          const kite_name ***renamed, uint32_t size) {
  if (map->count == 0) return true;
  name_entry *es = kite_calloc(p->a, map->count, sizeof *es);
  if (!es) return false;
  uint32_t n = 0;
  for (uint32_t i = 0; i < map->count; i++) {
    const kite_naming *nm = &map->names[i];
    if (nm->index >= size || nm->name.len == 0 || !kite_utf8_valid(nm->name.ptr, nm->name.len))
      continue;
    es[n].name = &nm->name;
    es[n].index = nm->index;
    n++;
  }
  qsort(es, n, sizeof *es, name_entry_cmp);
  uint32_t ndups = 0;
  for (uint32_t i = 1; i < n; i++)
    if (name_cmp_bytes(es[i].name, es[i - 1].name->ptr, es[i - 1].name->len) == 0) ndups++;
  kite_name *made = ndups ? kite_arena_array(&p->arena, ndups, sizeof *made) : NULL;
  if (ndups && renamed) *renamed = kite_arena_array(&p->arena, size, sizeof **renamed);
  bool ok = ndups == 0 || (made != NULL && (!renamed || *renamed));
  uint32_t nmade = 0, suffix = 0;
  for (uint32_t i = 0; i < n && ok; i++) {
    bool dup = i > 0 && name_cmp_bytes(es[i].name, es[i - 1].name->ptr, es[i - 1].name->len) == 0;
    if (!dup) {
      out[es[i].index] = es[i].name;
      suffix = 0;
      continue;
    }
    size_t base = es[i].name->len, cap = base + 12;
    uint8_t *buf = kite_arena_alloc(&p->arena, cap);
    if (!buf) {
      ok = false;
      break;
    }
    memcpy(buf, es[i].name->ptr, base);
    size_t len;
    do {
      len = base + (size_t)snprintf((char *)buf + base, cap - base, ".%u", ++suffix);
    } while (name_taken(es, n, made, nmade, buf, len));
    made[nmade].ptr = buf;
    made[nmade].len = (uint32_t)len;
    out[es[i].index] = &made[nmade++];
    if (renamed) (*renamed)[es[i].index] = es[i].name;
  }
  kite_free(p->a, es, map->count * sizeof *es);
  return ok;
}

static uint32_t space_count(const kite_module *m, unsigned space) {
  switch (space) {
  case KITE_NAMES_FUNC: return m->nfuncs;
  case KITE_NAMES_TYPE: return m->ntypes;
  case KITE_NAMES_TABLE: return m->ntables;
  case KITE_NAMES_MEMORY: return m->nmemories;
  case KITE_NAMES_GLOBAL: return m->nglobals;
  case KITE_NAMES_ELEM: return m->nelems;
  case KITE_NAMES_DATA: return m->ndatas;
  case KITE_NAMES_TAG: return m->ntags;
  default: return 0;
  }
}

static bool setup_names(printer *p) {
  if (!p->m->has_names) return true;
  for (size_t i = 0; i < KITE_ARRAY_LEN(name_spaces); i++) {
    unsigned s = name_spaces[i];
    uint32_t size = space_count(p->m, s);
    if (p->m->names.maps[s].count == 0 || size == 0) continue;
    p->names[s] = kite_calloc(p->a, size, sizeof *p->names[s]);
    if (!p->names[s]) return false;
    p->space_size[s] = size;
    if (!resolve_names(p, &p->m->names.maps[s], p->names[s], &p->renamed[s], size)) return false;
  }
  return true;
}

/* Names of the current function's locals (params included). */
static bool setup_local_names(printer *p, uint32_t funcidx, uint32_t nlocals) {
  if (p->locals) kite_free(p->a, p->locals, p->nlocals * sizeof *p->locals);
  p->locals = NULL;
  p->nlocals = 0;
  if (!p->m->has_names || nlocals == 0) return true;
  const kite_indirect_namemap *im = &p->m->names.indirect[KITE_NAMES_LOCAL];
  for (uint32_t i = 0; i < im->count; i++) {
    if (im->entries[i].index != funcidx) continue;
    p->locals = kite_calloc(p->a, nlocals, sizeof *p->locals);
    if (!p->locals) return false;
    p->nlocals = nlocals;
    return resolve_names(p, &im->entries[i].map, p->locals, NULL, nlocals);
  }
  return true;
}

/* ------------------------------------------------------------------------------------ */
/* Instructions                                                                            */

static void put_label(printer *p, uint32_t label, uint32_t depth) {
  putc_(p, ' ');
  putu(p, label);
  put(p, " (;@");
  if (label <= depth) putu(p, depth - label);
  else putc_(p, '?');
  put(p, ";)");
}

static void put_float_comment(printer *p, double v, bool nan, bool neg) {
  char tmp[64];
  if (nan) snprintf(tmp, sizeof tmp, " (;=%snan;)", neg ? "-" : "");
  else snprintf(tmp, sizeof tmp, " (;=%g;)", v);
  put(p, tmp);
}

static void put_f32(printer *p, uint32_t bits) {
  char tmp[KITE_FLOAT_TEXT_MAX];
  float f;
  memcpy(&f, &bits, 4);
  putc_(p, ' ');
  putn(p, tmp, kite_f32_text(bits, tmp));
  put_float_comment(p, f, (bits & 0x7fffffffu) > 0x7f800000u, bits >> 31);
}

static void put_f64(printer *p, uint64_t bits) {
  char tmp[KITE_FLOAT_TEXT_MAX];
  double d;
  memcpy(&d, &bits, 8);
  putc_(p, ' ');
  putn(p, tmp, kite_f64_text(bits, tmp));
  put_float_comment(p, d, (bits & ~((uint64_t)1 << 63)) > 0x7ff0000000000000ull, bits >> 63);
}

static void put_memidx(printer *p, uint32_t mem) {
  if (mem != 0 || name_of(p, KITE_NAMES_MEMORY, mem)) put_ref(p, KITE_NAMES_MEMORY, mem);
}

static void put_memarg(printer *p, const kite_insn *in) {
  put_memidx(p, in->mem.mem);
  if (in->mem.offset) {
    put(p, " offset=");
    putu(p, in->mem.offset);
  }
  if (in->mem.align != kite_opinfo_table[in->op].aux) {
    put(p, " align=");
    putu(p, (uint64_t)1 << (in->mem.align < 63 ? in->mem.align : 63));
  }
}

static void put_blocktype(printer *p, const kite_blocktype *bt) {
  switch (bt->kind) {
  case KITE_BT_VAL:
    put(p, " (result ");
    put_valtype(p, bt->val);
    putc_(p, ')');
    break;
  case KITE_BT_INDEX: put_typeuse(p, bt->index); break;
  default: break;
  }
}

static void put_label_comment(printer *p) {
  put(p, "  ;; label = @");
  putu(p, p->depth);
}

/* The mnemonic and immediates of one instruction (no label comment for block openers). */
static void put_insn(printer *p, const kite_insn *in) {
  const kite_opinfo *info = &kite_opinfo_table[in->op];
  put(p, info->text);
  switch ((kite_imm)info->imm) {
  case IMM_NONE:
  case IMM_ZERO: break;
  case IMM_BLOCK: put_blocktype(p, &in->bt); break;
  case IMM_TRY_TABLE: {
    put_blocktype(p, &in->bt);
    kite_reader r = in->items;
    for (uint32_t i = 0; i < in->count; i++) {
      kite_catch c;
      if (!kite_read_catch(&r, &c)) {
        p->failed = true;
        break;
      }
      static const char *const kw[] = {"catch", "catch_ref", "catch_all", "catch_all_ref"};
      put(p, " (");
      put(p, kw[c.kind & 3]);
      if (c.kind == KITE_CATCH || c.kind == KITE_CATCH_REF) put_ref(p, KITE_NAMES_TAG, c.tag);
      /* Catch labels are resolved outside the try_table. */
      put_label(p, c.label, p->depth);
      putc_(p, ')');
    }
    break;
  }
  case IMM_LABEL:
    /* delegate's label counts from outside the try it ends (already closed). */
    put_label(p, in->idx, p->depth);
    break;
  case IMM_BR_TABLE: {
    kite_reader r = in->items;
    for (uint32_t i = 0; i < in->count; i++) {
      uint32_t l;
      if (!kite_read_u32(&r, &l)) {
        p->failed = true;
        break;
      }
      put_label(p, l, p->depth);
    }
    put_label(p, in->idx, p->depth);
    break;
  }
  case IMM_FUNC: put_ref(p, KITE_NAMES_FUNC, in->idx); break;
  case IMM_CALL_INDIRECT:
    if (in->idx2 != 0 || name_of(p, KITE_NAMES_TABLE, in->idx2))
      put_ref(p, KITE_NAMES_TABLE, in->idx2);
    put(p, " (type");
    put_ref(p, KITE_NAMES_TYPE, in->idx);
    putc_(p, ')');
    break;
  case IMM_TYPE: put_ref(p, KITE_NAMES_TYPE, in->idx); break;
  case IMM_LOCAL: put_local(p, in->idx); break;
  case IMM_GLOBAL: put_ref(p, KITE_NAMES_GLOBAL, in->idx); break;
  case IMM_TABLE: put_ref(p, KITE_NAMES_TABLE, in->idx); break;
  case IMM_MEMORY: put_memidx(p, in->idx); break;
  case IMM_TAG: put_ref(p, KITE_NAMES_TAG, in->idx); break;
  case IMM_MEMARG: put_memarg(p, in); break;
  case IMM_MEMARG_LANE:
    put_memarg(p, in);
    putc_(p, ' ');
    putu(p, in->lane);
    break;
  case IMM_LANE:
    putc_(p, ' ');
    putu(p, in->lane);
    break;
  case IMM_SHUFFLE:
    for (int i = 0; i < 16; i++) {
      putc_(p, ' ');
      putu(p, in->bytes[i]);
    }
    break;
  case IMM_I32:
    putc_(p, ' ');
    puts64(p, in->val.i32);
    break;
  case IMM_I64:
    putc_(p, ' ');
    puts64(p, in->val.i64);
    break;
  case IMM_F32: put_f32(p, in->val.f32); break;
  case IMM_F64: put_f64(p, in->val.f64); break;
  case IMM_V128: {
    char tmp[64];
    snprintf(tmp, sizeof tmp, " i32x4 0x%08x 0x%08x 0x%08x 0x%08x",
             (unsigned)kite_load_u32le(in->bytes), (unsigned)kite_load_u32le(in->bytes + 4),
             (unsigned)kite_load_u32le(in->bytes + 8), (unsigned)kite_load_u32le(in->bytes + 12));
    put(p, tmp);
    break;
  }
  case IMM_SELECT_T:
    put(p, " (result");
    for (uint32_t i = 0; i < in->count; i++) {
      putc_(p, ' ');
      put_valtype(p, in->vt);
    }
    putc_(p, ')');
    break;
  case IMM_HEAPTYPE:
    putc_(p, ' ');
    if (in->op == OP_REF_NULL && in->exact) {
      put(p, "(exact ");
      put_heaptype(p, in->ht);
      putc_(p, ')');
    } else if (in->op == OP_REF_NULL) {
      put_heaptype(p, in->ht);
    } else {
      put_reftype(p, in->ht,
                  in->op == OP_REF_TEST_NULL || in->op == OP_REF_CAST_NULL ||
                      in->op == OP_REF_CAST_DESC_EQ_NULL,
                  in->exact);
    }
    break;
  case IMM_DATA: put_ref(p, KITE_NAMES_DATA, in->idx); break;
  case IMM_ELEM: put_ref(p, KITE_NAMES_ELEM, in->idx); break;
  case IMM_MEMORY_INIT:
    put_memidx(p, in->idx2);
    put_ref(p, KITE_NAMES_DATA, in->idx);
    break;
  case IMM_MEMORY_COPY:
    if (in->idx || in->idx2 || name_of(p, KITE_NAMES_MEMORY, in->idx) ||
        name_of(p, KITE_NAMES_MEMORY, in->idx2)) {
      put_ref(p, KITE_NAMES_MEMORY, in->idx);
      put_ref(p, KITE_NAMES_MEMORY, in->idx2);
    }
    break;
  case IMM_TABLE_INIT:
    if (in->idx2 != 0 || name_of(p, KITE_NAMES_TABLE, in->idx2))
      put_ref(p, KITE_NAMES_TABLE, in->idx2);
    put_ref(p, KITE_NAMES_ELEM, in->idx);
    break;
  case IMM_TABLE_COPY:
    if (in->idx || in->idx2 || name_of(p, KITE_NAMES_TABLE, in->idx) ||
        name_of(p, KITE_NAMES_TABLE, in->idx2)) {
      put_ref(p, KITE_NAMES_TABLE, in->idx);
      put_ref(p, KITE_NAMES_TABLE, in->idx2);
    }
    break;
  case IMM_FIELD: {
    put_ref(p, KITE_NAMES_TYPE, in->idx);
    const kite_name *n = field_name(p, in->idx, in->idx2);
    putc_(p, ' ');
    if (n) put_id(p, n);
    else putu(p, in->idx2);
    break;
  }
  case IMM_TYPE_TYPE:
    put_ref(p, KITE_NAMES_TYPE, in->idx);
    put_ref(p, KITE_NAMES_TYPE, in->idx2);
    break;
  case IMM_TYPE_N:
    put_ref(p, KITE_NAMES_TYPE, in->idx);
    putc_(p, ' ');
    putu(p, in->count);
    break;
  case IMM_TYPE_DATA:
    put_ref(p, KITE_NAMES_TYPE, in->idx);
    put_ref(p, KITE_NAMES_DATA, in->idx2);
    break;
  case IMM_TYPE_ELEM:
    put_ref(p, KITE_NAMES_TYPE, in->idx);
    put_ref(p, KITE_NAMES_ELEM, in->idx2);
    break;
  case IMM_BR_ON_CAST:
    put_label(p, in->idx, p->depth);
    putc_(p, ' ');
    put_reftype(p, in->ht, in->flags & 1, in->exact);
    putc_(p, ' ');
    put_reftype(p, in->ht2, (in->flags >> 1) & 1, in->exact2);
    break;
  case IMM_COUNT: break;
  }
}

static bool read_insn(printer *p, kite_reader *r, kite_insn *in) {
  if (kite_read_insn(r, KITE_FEATURES_ALL, in)) return true;
  p->failed = true;
  return false;
}

static bool opens_block(kite_opcode op) {
  return op == OP_BLOCK || op == OP_LOOP || op == OP_IF || op == OP_TRY || op == OP_TRY_TABLE;
}

/* A function body as a flat instruction sequence, the final `end` left out. */
static void print_flat_body(printer *p, kite_reader *r) {
  p->depth = 0;
  while (r->p < r->end) {
    kite_insn in;
    if (!read_insn(p, r, &in)) return;
    switch (in.op) {
    case OP_END:
      if (p->depth == 0) return;
      p->depth--;
      p->indent--;
      newline(p);
      put(p, "end");
      break;
    case OP_ELSE:
    case OP_CATCH:
    case OP_CATCH_ALL:
      p->indent--;
      newline(p);
      put_insn(p, &in);
      p->indent++;
      break;
    case OP_DELEGATE:
      p->depth--;
      p->indent--;
      newline(p);
      put_insn(p, &in);
      break;
    default:
      newline(p);
      if (in.op == OP_TRY_TABLE) {
        put_insn(p, &in); /* catch labels at the outer depth */
        p->depth++;
        put_label_comment(p);
        p->indent++;
      } else if (opens_block(in.op)) {
        p->depth++;
        put_insn(p, &in);
        put_label_comment(p);
        p->indent++;
      } else {
        put_insn(p, &in);
      }
      break;
    }
  }
}

/* ---- folded expressions ---- */

static uint32_t sig_count(const char *s, char stop) {
  uint32_t n = 0;
  while (*s && *s != stop) n++, s++;
  return n;
}

static uint32_t label_arity(printer *p, uint32_t label) {
  if (label >= p->labels.len) return 0;
  return p->labels.data[p->labels.len - 1 - label];
}

static void block_arity(printer *p, const kite_blocktype *bt, uint32_t *np, uint32_t *nr) {
  *np = *nr = 0;
  if (bt->kind == KITE_BT_VAL) *nr = 1;
  if (bt->kind == KITE_BT_INDEX && bt->index < p->m->ntypes &&
      p->m->types[bt->index].comp == KITE_COMP_FUNC) {
    *np = p->m->types[bt->index].u.func.nparams;
    *nr = p->m->types[bt->index].u.func.nresults;
  }
}

static const kite_functype *func_type_at(printer *p, uint32_t typeidx) {
  if (typeidx >= p->m->ntypes || p->m->types[typeidx].comp != KITE_COMP_FUNC) return NULL;
  return &p->m->types[typeidx].u.func;
}

/*
** How many values an instruction pops and pushes, for folding only: a wrong guess
** changes how the text nests, never the instruction order. False when unknown.
*/
static bool insn_arity(printer *p, const kite_insn *in, uint32_t *np, uint32_t *nr) {
  const kite_opinfo *info = &kite_opinfo_table[in->op];
  const kite_functype *ft = NULL;
  if (info->sig[0] != '\0') {
    *np = sig_count(info->sig, ':');
    const char *colon = strchr(info->sig, ':');
    *nr = colon ? sig_count(colon + 1, '\0') : 0;
    return true;
  }
  *np = *nr = 0;
  switch (in->op) {
  case OP_UNREACHABLE:
  case OP_NOP:
  case OP_DATA_DROP:
  case OP_ELEM_DROP:
  case OP_RETHROW: return true;
  case OP_BR: *np = label_arity(p, in->idx); return true;
  case OP_BR_IF:
    *nr = label_arity(p, in->idx);
    *np = *nr + 1;
    return true;
  case OP_BR_TABLE: *np = label_arity(p, in->idx) + 1; return true;
  case OP_RETURN: *np = p->labels.len ? p->labels.data[0] : 0; return true;
  case OP_BR_ON_NULL:
    *np = label_arity(p, in->idx) + 1;
    *nr = *np;
    return true;
  case OP_BR_ON_NON_NULL:
  case OP_BR_ON_CAST:
  case OP_BR_ON_CAST_FAIL: *np = *nr = label_arity(p, in->idx); return true;
  case OP_BR_ON_CAST_DESC_EQ:
  case OP_BR_ON_CAST_DESC_EQ_FAIL:
    *nr = label_arity(p, in->idx);
    *np = *nr + 1;
    return true;
  case OP_CALL:
  case OP_RETURN_CALL:
    if (in->idx >= p->m->nfuncs) return false;
    ft = func_type_at(p, p->m->funcs[in->idx].type);
    if (!ft) return false;
    *np = ft->nparams;
    *nr = in->op == OP_CALL ? ft->nresults : 0;
    return true;
  case OP_CALL_INDIRECT:
  case OP_RETURN_CALL_INDIRECT:
  case OP_CALL_REF:
  case OP_RETURN_CALL_REF:
    ft = func_type_at(p, in->idx);
    if (!ft) return false;
    *np = ft->nparams + 1;
    *nr = (in->op == OP_CALL_INDIRECT || in->op == OP_CALL_REF) ? ft->nresults : 0;
    return true;
  case OP_THROW:
    if (in->idx >= p->m->ntags) return false;
    ft = func_type_at(p, p->m->tags[in->idx].type);
    if (!ft) return false;
    *np = ft->nparams;
    return true;
  case OP_THROW_REF:
  case OP_DROP:
  case OP_LOCAL_SET:
  case OP_GLOBAL_SET: *np = 1; return true;
  case OP_SELECT:
  case OP_SELECT_T: *np = 3, *nr = 1; return true;
  case OP_LOCAL_GET:
  case OP_GLOBAL_GET:
  case OP_MEMORY_SIZE:
  case OP_TABLE_SIZE:
  case OP_REF_NULL:
  case OP_REF_FUNC:
  case OP_STRUCT_NEW_DEFAULT: *nr = 1; return true;
  case OP_LOCAL_TEE:
  case OP_MEMORY_GROW:
  case OP_TABLE_GET:
  case OP_REF_IS_NULL:
  case OP_REF_AS_NON_NULL:
  case OP_REF_TEST:
  case OP_REF_TEST_NULL:
  case OP_REF_CAST:
  case OP_REF_CAST_NULL:
  case OP_REF_GET_DESC:
  case OP_STRUCT_NEW_DEFAULT_DESC:
  case OP_ANY_CONVERT_EXTERN:
  case OP_EXTERN_CONVERT_ANY:
  case OP_REF_I31:
  case OP_I31_GET_S:
  case OP_I31_GET_U:
  case OP_STRUCT_GET:
  case OP_STRUCT_GET_S:
  case OP_STRUCT_GET_U:
  case OP_ARRAY_NEW_DEFAULT:
  case OP_ARRAY_LEN: *np = 1, *nr = 1; return true;
  case OP_TABLE_SET:
  case OP_STRUCT_SET: *np = 2; return true;
  case OP_REF_EQ:
  case OP_REF_CAST_DESC_EQ:
  case OP_REF_CAST_DESC_EQ_NULL:
  case OP_TABLE_GROW:
  case OP_ARRAY_NEW:
  case OP_ARRAY_NEW_DATA:
  case OP_ARRAY_NEW_ELEM:
  case OP_ARRAY_GET:
  case OP_ARRAY_GET_S:
  case OP_ARRAY_GET_U: *np = 2, *nr = 1; return true;
  case OP_MEMORY_FILL:
  case OP_MEMORY_COPY:
  case OP_MEMORY_INIT:
  case OP_TABLE_FILL:
  case OP_TABLE_COPY:
  case OP_TABLE_INIT:
  case OP_ARRAY_SET: *np = 3; return true;
  case OP_ARRAY_FILL:
  case OP_ARRAY_INIT_DATA:
  case OP_ARRAY_INIT_ELEM: *np = 4; return true;
  case OP_ARRAY_COPY: *np = 5; return true;
  case OP_ARRAY_NEW_FIXED: *np = in->count, *nr = 1; return true;
  case OP_STRUCT_NEW:
  case OP_STRUCT_NEW_DESC:
    if (in->idx >= p->m->ntypes || p->m->types[in->idx].comp != KITE_COMP_STRUCT) return false;
    *np = p->m->types[in->idx].u.strukt.nfields + (in->op == OP_STRUCT_NEW_DESC), *nr = 1;
    return true;
  default: return false;
  }
}

static void fold_print_node(printer *p, uint32_t node);

/* Print the trees on the stack in order and pop them. */
static void fold_flush(printer *p, u32_vec *stack) {
  for (size_t i = 0; i < stack->len; i++) fold_print_node(p, stack->data[i]);
  stack->len = 0;
}

/*
** Fold the instructions from `start` up to the end/else/catch/delegate that ends the
** sequence at this nesting level; returns that instruction's index. Trees go on a
** stack and are printed whenever an instruction leaves nothing on it to consume.
*/
static uint32_t fold_seq(printer *p, uint32_t start);

/*
** An `if` whose `else` is present but empty prints flat (its condition and then-branch
** still folded): `(else)` and a bare `else` are the same abstract syntax, and an encoder
** may drop the else opcode for the first; the flat form keeps the bytes either way.
*/
static void fold_print_if_flat(printer *p, uint32_t at, uint32_t nkids, uint32_t kids,
                               uint32_t results) {
  kite_insn *in = &p->insns.data[at];
  for (uint32_t k = 0; k < nkids; k++) fold_print_node(p, p->kids.data[kids + k]);
  newline(p);
  p->depth++;
  put_insn(p, in);
  put_label_comment(p);
  if (!kite_vec_push(p->a, &p->labels, results)) p->oom = true;
  p->indent++;
  fold_seq(p, at + 1);
  p->indent--;
  newline(p);
  put(p, "else");
  newline(p);
  put(p, "end");
  p->labels.len--;
  p->depth--;
}

static void fold_print_block(printer *p, uint32_t at, uint32_t nkids, uint32_t kids) {
  kite_insn *in = &p->insns.data[at];
  uint32_t np, nr;
  block_arity(p, &in->bt, &np, &nr);
  uint32_t end = p->partner.data[at];
  if (in->op == OP_IF && end > at + 1 && p->insns.data[end - 1].op == OP_ELSE) {
    fold_print_if_flat(p, at, nkids, kids, nr);
    return;
  }
  newline(p);
  putc_(p, '(');
  if (in->op == OP_TRY_TABLE) {
    put_insn(p, in);
    p->depth++;
  } else {
    p->depth++;
    put_insn(p, in);
  }
  put_label_comment(p);
  size_t after_comment = p->out->len;
  p->indent++;
  /* An if's condition runs outside the if: its labels count from the outer depth. */
  p->depth--;
  for (uint32_t k = 0; k < nkids; k++) fold_print_node(p, p->kids.data[kids + k]);
  p->depth++;
  if (!kite_vec_push(p->a, &p->labels, in->op == OP_LOOP ? np : nr)) p->oom = true;

  if (in->op == OP_IF) {
    newline(p);
    put(p, "(then");
    p->indent++;
    uint32_t t = fold_seq(p, at + 1);
    p->indent--;
    putc_(p, ')');
    if (t < p->insns.len && p->insns.data[t].op == OP_ELSE) {
      newline(p);
      put(p, "(else");
      p->indent++;
      fold_seq(p, t + 1);
      p->indent--;
      putc_(p, ')');
    }
  } else if (in->op == OP_TRY) {
    newline(p);
    put(p, "(do");
    p->indent++;
    uint32_t t = fold_seq(p, at + 1);
    p->indent--;
    putc_(p, ')');
    while (t < p->insns.len &&
           (p->insns.data[t].op == OP_CATCH || p->insns.data[t].op == OP_CATCH_ALL)) {
      newline(p);
      putc_(p, '(');
      put_insn(p, &p->insns.data[t]);
      p->indent++;
      t = fold_seq(p, t + 1);
      p->indent--;
      putc_(p, ')');
    }
    if (t < p->insns.len && p->insns.data[t].op == OP_DELEGATE) {
      p->depth--;
      newline(p);
      putc_(p, '(');
      put_insn(p, &p->insns.data[t]);
      putc_(p, ')');
      p->depth++;
    }
  } else {
    fold_seq(p, at + 1);
  }
  p->labels.len--;
  p->depth--;
  /* The label comment runs to the end of its line: an empty block closes on the next. */
  p->indent--;
  if (p->out->len == after_comment) newline(p);
  putc_(p, ')');
}

static void fold_print_node(printer *p, uint32_t node) {
  fold_node n = p->nodes.data[node];
  kite_insn *in = &p->insns.data[n.insn];
  p->fold_nest++;
  if (opens_block(in->op)) {
    fold_print_block(p, n.insn, n.nkids, n.kids);
  } else {
    newline(p);
    putc_(p, '(');
    put_insn(p, in);
    p->indent++;
    for (uint32_t k = 0; k < n.nkids; k++) fold_print_node(p, p->kids.data[n.kids + k]);
    p->indent--;
    putc_(p, ')');
  }
  p->fold_nest--;
}

static uint32_t fold_seq(printer *p, uint32_t start) {
  u32_vec stack = {0};
  size_t nodes_mark = p->nodes.len, kids_mark = p->kids.len;
  uint32_t i = start;
  while (i < p->insns.len && !stopped(p)) {
    kite_insn *in = &p->insns.data[i];
    if (in->op == OP_END || in->op == OP_ELSE || in->op == OP_CATCH || in->op == OP_CATCH_ALL ||
        in->op == OP_DELEGATE)
      break;
    uint32_t np = 0, nr = 0;
    bool known;
    uint32_t next = i + 1;
    if (opens_block(in->op)) {
      block_arity(p, &in->bt, &np, &nr);
      /* Only `if` takes an operand inside its parentheses: its condition. Block
         parameters stay before the block as trees of their own. */
      if (np > 0) fold_flush(p, &stack);
      np = in->op == OP_IF && np == 0 ? 1 : 0;
      known = true;
      next = p->partner.data[i] + 1;
    } else {
      known = insn_arity(p, in, &np, &nr);
    }
    fold_node node = {i, (uint32_t)p->kids.len, 0, nr, 1};
    /* Take the trees that supply exactly np values, if the stack holds them. */
    size_t take = 0;
    uint32_t have = 0;
    while (known && have < np && take < stack.len) {
      const fold_node *kid = &p->nodes.data[stack.data[stack.len - 1 - take]];
      have += kid->nresults;
      if (kid->height + 1 > node.height) node.height = kid->height + 1;
      take++;
    }
    if (known && have == np && p->fold_nest + node.height <= MAX_FOLD_DEPTH) {
      if (!kite_vec_reserve_(p->a, (void **)&p->kids.data, &p->kids.cap, p->kids.len + take,
                             sizeof *p->kids.data)) {
        p->oom = true;
        break;
      }
      for (size_t k = stack.len - take; k < stack.len; k++)
        p->kids.data[p->kids.len++] = stack.data[k];
      node.nkids = (uint32_t)take;
      stack.len -= take;
    } else {
      fold_flush(p, &stack);
    }
    if (!kite_vec_push(p->a, &p->nodes, node) ||
        !kite_vec_push(p->a, &stack, (uint32_t)(p->nodes.len - 1))) {
      p->oom = true;
      break;
    }
    if (!known || nr == 0) fold_flush(p, &stack);
    i = next;
  }
  fold_flush(p, &stack);
  kite_vec_free(p->a, &stack);
  p->nodes.len = nodes_mark;
  p->kids.len = kids_mark;
  return i;
}

static void print_folded_body(printer *p, kite_reader *r, const kite_functype *ft) {
  p->insns.len = 0;
  p->partner.len = 0;
  kite_reader start = *r;
  size_t max_open = 0;
  u32_vec open = {0};
  while (r->p < r->end && !stopped(p)) {
    kite_insn in;
    if (!read_insn(p, r, &in)) break;
    uint32_t at = (uint32_t)p->insns.len;
    if (!kite_vec_push(p->a, &p->insns, in) || !kite_vec_push(p->a, &p->partner, at)) {
      p->oom = true;
      break;
    }
    if (opens_block(in.op)) {
      if (!kite_vec_push(p->a, &open, at)) p->oom = true;
      if (open.len > max_open) max_open = open.len;
    } else if ((in.op == OP_END || in.op == OP_DELEGATE) && open.len > 0) {
      p->partner.data[open.data[--open.len]] = at;
    }
  }
  kite_vec_free(p->a, &open);
  if (stopped(p)) return;
  if (max_open > MAX_FOLD_DEPTH) {
    print_flat_body(p, &start);
    return;
  }
  p->fold_nest = 0;
  p->depth = 0;
  p->labels.len = 0;
  if (!kite_vec_push(p->a, &p->labels, ft ? ft->nresults : 0)) {
    p->oom = true;
    return;
  }
  fold_seq(p, 0);
}

/* A constant expression: each instruction in parentheses, " (i32.const 1)". */
static void print_const_expr(printer *p, kite_expr e) {
  kite_error scratch = {0};
  kite_reader r = {p->m->bytes, p->m->bytes + e.offset, p->m->bytes + e.offset + e.len, &scratch};
  p->depth = 0;
  while (r.p < r.end) {
    kite_insn in;
    if (!kite_read_insn(&r, KITE_FEATURES_ALL, &in)) {
      p->failed = true;
      return;
    }
    if (in.op == OP_END && r.p == r.end) return;
    put(p, " (");
    put_insn(p, &in);
    putc_(p, ')');
  }
}

/* Number of instructions in a constant expression, its final `end` not counted. */
static uint32_t const_expr_length(const printer *p, kite_expr e) {
  kite_error scratch = {0};
  kite_reader r = {p->m->bytes, p->m->bytes + e.offset, p->m->bytes + e.offset + e.len, &scratch};
  uint32_t n = 0;
  while (r.p < r.end) {
    kite_insn in;
    if (!kite_read_insn(&r, KITE_FEATURES_ALL, &in)) return 0;
    n++;
  }
  return n ? n - 1 : 0;
}

/* ------------------------------------------------------------------------------------ */
/* Module fields                                                                           */

static void put_limits(printer *p, const kite_limits *l) {
  if (l->is64) put(p, " i64");
  putc_(p, ' ');
  putu(p, l->min);
  if (l->has_max) {
    putc_(p, ' ');
    putu(p, l->max);
  }
}

static void put_tabletype(printer *p, const kite_table *t) {
  put_limits(p, &t->limits);
  putc_(p, ' ');
  put_valtype(p, t->elem);
}

static void put_memtype(printer *p, uint32_t memidx, const kite_memory *mem) {
  put_limits(p, &mem->limits);
  if (mem->limits.shared) put(p, " shared");
  uint8_t flags = p->mem_flags ? p->mem_flags[memidx] : 0xFF;
  bool explicit_page = flags != 0xFF && (flags & 8);
  if (mem->limits.page_size_log2 != 16 || explicit_page) {
    put(p, " (pagesize ");
    putu(p, (uint64_t)1 << (mem->limits.page_size_log2 & 63));
    putc_(p, ')');
  }
}

static void put_globaltype(printer *p, const kite_globaltype *g) {
  putc_(p, ' ');
  if (g->mut) put(p, "(mut ");
  put_valtype(p, g->type);
  if (g->mut) putc_(p, ')');
}

static void put_tagtype(printer *p, uint32_t typeidx) {
  put(p, " (type");
  put_ref(p, KITE_NAMES_TYPE, typeidx);
  putc_(p, ')');
  const kite_functype *ft = func_type_at(p, typeidx);
  if (ft) put_functype_sig(p, ft);
}

static void print_imports(printer *p) {
  uint32_t counts[5] = {0};
  for (uint32_t i = 0; i < p->m->nimports; i++) {
    const kite_import *im = &p->m->imports[i];
    newline(p);
    put(p, "(import ");
    put_string(p, im->module.ptr, im->module.len);
    putc_(p, ' ');
    put_string(p, im->field.ptr, im->field.len);
    uint32_t idx = im->kind < 5 ? counts[im->kind]++ : 0;
    switch (im->kind) {
    case KITE_EXTERN_FUNC:
      put(p, " (func");
      put_def(p, KITE_NAMES_FUNC, idx);
      put(p, im->exact ? " (exact (type" : " (type");
      put_ref(p, KITE_NAMES_TYPE, im->u.func);
      put(p, im->exact ? ")))" : "))");
      break;
    case KITE_EXTERN_TABLE:
      put(p, " (table");
      put_def(p, KITE_NAMES_TABLE, idx);
      put_tabletype(p, &im->u.table);
      putc_(p, ')');
      break;
    case KITE_EXTERN_MEMORY:
      put(p, " (memory");
      put_def(p, KITE_NAMES_MEMORY, idx);
      put_memtype(p, idx, &im->u.memory);
      putc_(p, ')');
      break;
    case KITE_EXTERN_GLOBAL:
      put(p, " (global");
      put_def(p, KITE_NAMES_GLOBAL, idx);
      put_globaltype(p, &im->u.global);
      putc_(p, ')');
      break;
    case KITE_EXTERN_TAG:
      put(p, " (tag");
      put_def(p, KITE_NAMES_TAG, idx);
      put_tagtype(p, im->u.tag.type);
      putc_(p, ')');
      break;
    default: break;
    }
    putc_(p, ')');
  }
}

/* "(param $a i32) (param i64 f32)": named entries alone, unnamed runs grouped. */
static void put_params(printer *p, const kite_functype *ft) {
  uint32_t i = 0;
  while (i < ft->nparams) {
    const kite_name *n = i < p->nlocals && p->locals ? p->locals[i] : NULL;
    put(p, " (param");
    if (n) {
      putc_(p, ' ');
      put_id(p, n);
      putc_(p, ' ');
      put_valtype(p, ft->params[i++]);
    } else {
      while (i < ft->nparams && !(i < p->nlocals && p->locals && p->locals[i])) {
        putc_(p, ' ');
        put_valtype(p, ft->params[i++]);
      }
    }
    putc_(p, ')');
  }
}

/*
** Locals as wabt writes them: unnamed ones in one `(local ...)` list, named ones alone.
** A list is also split where the binary has two adjacent groups of the same type, so an
** encoder that writes one group per run of equal types gives back the same grouping.
*/
static void put_locals(printer *p, const kite_func *f, uint32_t first) {
  uint32_t idx = first;
  bool any = false, open = false;
  for (uint32_t g = 0; g < f->nlocalgroups; g++) {
    const kite_localgroup *lg = &f->localgroups[g];
    if (open && g > 0 && kite_vt_eq(f->localgroups[g - 1].type, lg->type)) {
      putc_(p, ')');
      open = false;
    }
    for (uint32_t k = 0; k < lg->count; k++, idx++) {
      const kite_name *n = idx < p->nlocals && p->locals ? p->locals[idx] : NULL;
      if (n || !open) {
        if (open) putc_(p, ')');
        if (!any) newline(p);
        else putc_(p, ' ');
        any = true;
        put(p, "(local");
        open = true;
      }
      putc_(p, ' ');
      if (n) {
        put_id(p, n);
        putc_(p, ' ');
      }
      put_valtype(p, lg->type);
      if (n) {
        putc_(p, ')');
        open = false;
      }
    }
  }
  if (open) putc_(p, ')');
}

static void print_func(printer *p, uint32_t funcidx) {
  const kite_func *f = &p->m->funcs[funcidx];
  const kite_functype *ft = func_type_at(p, f->type);
  uint32_t nparams = ft ? ft->nparams : 0;
  if (!setup_local_names(p, funcidx, nparams + f->nlocals)) {
    p->oom = true;
    return;
  }
  newline(p);
  put(p, "(func");
  put_def(p, KITE_NAMES_FUNC, funcidx);
  put(p, " (type");
  put_ref(p, KITE_NAMES_TYPE, f->type);
  putc_(p, ')');
  if (ft) {
    put_params(p, ft);
    put_valtypes(p, "result", ft->results, ft->nresults);
  }
  p->indent++;
  put_locals(p, f, nparams);
  kite_error scratch = {0};
  kite_reader r = {p->m->bytes, p->m->bytes + f->code_offset, p->m->bytes + f->code_end, &scratch};
  if (p->fold) print_folded_body(p, &r, ft);
  else print_flat_body(p, &r);
  p->indent--;
  putc_(p, ')');
}

static void print_tables(printer *p) {
  for (uint32_t i = p->m->nimported_tables; i < p->m->ntables; i++) {
    const kite_table *t = &p->m->tables[i];
    newline(p);
    put(p, "(table");
    put_def(p, KITE_NAMES_TABLE, i);
    put_tabletype(p, t);
    if (t->has_init) print_const_expr(p, t->init);
    putc_(p, ')');
  }
}

static void print_memories(printer *p) {
  for (uint32_t i = p->m->nimported_memories; i < p->m->nmemories; i++) {
    newline(p);
    put(p, "(memory");
    put_def(p, KITE_NAMES_MEMORY, i);
    put_memtype(p, i, &p->m->memories[i]);
    putc_(p, ')');
  }
}

static void print_tags(printer *p) {
  for (uint32_t i = p->m->nimported_tags; i < p->m->ntags; i++) {
    newline(p);
    put(p, "(tag");
    put_def(p, KITE_NAMES_TAG, i);
    put_tagtype(p, p->m->tags[i].type);
    putc_(p, ')');
  }
}

static void print_globals(printer *p) {
  for (uint32_t i = p->m->nimported_globals; i < p->m->nglobals; i++) {
    const kite_global *g = &p->m->globals[i];
    newline(p);
    put(p, "(global");
    put_def(p, KITE_NAMES_GLOBAL, i);
    put_globaltype(p, &g->type);
    print_const_expr(p, g->init);
    putc_(p, ')');
  }
}

static void print_exports(printer *p) {
  static const char *const kinds[] = {"func", "table", "memory", "global", "tag"};
  static const uint8_t spaces[] = {KITE_NAMES_FUNC, KITE_NAMES_TABLE, KITE_NAMES_MEMORY,
                                   KITE_NAMES_GLOBAL, KITE_NAMES_TAG};
  for (uint32_t i = 0; i < p->m->nexports; i++) {
    const kite_export *e = &p->m->exports[i];
    if (e->kind >= 5) continue;
    newline(p);
    put(p, "(export ");
    put_string(p, e->name.ptr, e->name.len);
    put(p, " (");
    put(p, kinds[e->kind]);
    put_ref(p, spaces[e->kind], e->index);
    put(p, "))");
  }
}

/* An offset expression: " (i32.const 0)" or " (offset (...) (...))". */
static void put_offset(printer *p, kite_expr e) {
  if (const_expr_length(p, e) == 1) {
    print_const_expr(p, e);
    return;
  }
  put(p, " (offset");
  print_const_expr(p, e);
  putc_(p, ')');
}

static void print_elems(printer *p) {
  for (uint32_t i = 0; i < p->m->nelems; i++) {
    const kite_elem *el = &p->m->elems[i];
    uint8_t flags = p->elem_flags ? p->elem_flags[i] : 0xFF;
    newline(p);
    put(p, "(elem");
    put_def(p, KITE_NAMES_ELEM, i);
    if (el->mode == KITE_SEG_DECLARATIVE) put(p, " declare");
    if (el->mode == KITE_SEG_ACTIVE) {
      bool explicit_table = flags != 0xFF ? (flags & 2) != 0 : el->table != 0;
      /* Form 4 implies the element type funcref; any other needs form 6. */
      if (el->exprs &&
          !(el->type.kind == KITE_VT_REF && el->type.nullable && el->type.ht == KITE_HT_FUNC))
        explicit_table = true;
      if (explicit_table) {
        put(p, " (table");
        put_ref(p, KITE_NAMES_TABLE, el->table);
        putc_(p, ')');
      }
      put_offset(p, el->offset);
    }
    if (el->exprs) {
      putc_(p, ' ');
      put_valtype(p, el->type);
      for (uint32_t j = 0; j < el->count; j++) {
        if (const_expr_length(p, el->exprs[j]) == 1) {
          print_const_expr(p, el->exprs[j]);
        } else {
          put(p, " (item");
          print_const_expr(p, el->exprs[j]);
          putc_(p, ')');
        }
      }
    } else {
      put(p, " func");
      for (uint32_t j = 0; j < el->count; j++) put_ref(p, KITE_NAMES_FUNC, el->funcs[j]);
    }
    putc_(p, ')');
  }
}

static void print_datas(printer *p) {
  for (uint32_t i = 0; i < p->m->ndatas; i++) {
    const kite_data *d = &p->m->datas[i];
    uint8_t flags = p->data_flags ? p->data_flags[i] : 0xFF;
    newline(p);
    put(p, "(data");
    put_def(p, KITE_NAMES_DATA, i);
    if (d->mode == KITE_SEG_ACTIVE) {
      bool explicit_mem = flags != 0xFF ? flags == 2 : d->memory != 0;
      if (explicit_mem) {
        put(p, " (memory");
        put_ref(p, KITE_NAMES_MEMORY, d->memory);
        putc_(p, ')');
      }
      put_offset(p, d->offset);
    }
    putc_(p, ' ');
    put_string(p, p->m->bytes + d->offset_in_bytes, d->len);
    putc_(p, ')');
  }
}

/* ---- custom sections ---- */

static const char *section_keyword(uint8_t id) {
  switch (id) {
  case KITE_SEC_TYPE: return "type";
  case KITE_SEC_IMPORT: return "import";
  case KITE_SEC_FUNCTION: return "func";
  case KITE_SEC_TABLE: return "table";
  case KITE_SEC_MEMORY: return "memory";
  case KITE_SEC_GLOBAL: return "global";
  case KITE_SEC_EXPORT: return "export";
  case KITE_SEC_START: return "start";
  case KITE_SEC_ELEMENT: return "elem";
  case KITE_SEC_CODE: return "code";
  case KITE_SEC_DATA: return "data";
  case KITE_SEC_DATACOUNT: return "datacount";
  case KITE_SEC_TAG: return "tag";
  default: return NULL;
  }
}

static bool custom_is_printed_as_names(const printer *p, const kite_custom *c) {
  return p->m->has_names && c->name.len == 4 && memcmp(c->name.ptr, "name", 4) == 0;
}

/* Custom sections that follow section `after`, as (@custom ...) annotations. */
static void print_customs(printer *p, uint8_t after) {
  for (uint32_t i = 0; i < p->m->ncustoms; i++) {
    const kite_custom *c = &p->m->customs[i];
    if (c->after != after || custom_is_printed_as_names(p, c)) continue;
    newline(p);
    put(p, "(@custom ");
    put_string(p, c->name.ptr, c->name.len);
    const char *kw = section_keyword(after);
    if (kw) {
      put(p, " (after ");
      put(p, kw);
      putc_(p, ')');
    } else {
      put(p, " (before first)");
    }
    putc_(p, ' ');
    put_string(p, p->m->bytes + c->offset, c->len);
    putc_(p, ')');
  }
}

/* ------------------------------------------------------------------------------------ */

static bool setup(printer *p) {
  const kite_module *m = p->m;
  if (m->ntypes && !(p->type_sub = kite_calloc(p->a, m->ntypes, 1))) return false;
  if (m->nelems && !(p->elem_flags = kite_malloc(p->a, m->nelems))) return false;
  if (m->ndatas && !(p->data_flags = kite_malloc(p->a, m->ndatas))) return false;
  if (m->nmemories && !(p->mem_flags = kite_malloc(p->a, m->nmemories))) return false;
  if (p->elem_flags) memset(p->elem_flags, 0xFF, m->nelems);
  if (p->data_flags) memset(p->data_flags, 0xFF, m->ndatas);
  if (p->mem_flags) memset(p->mem_flags, 0xFF, m->nmemories);
  if (!scan_types(p)) {
    if (p->oom || !groups_from_ir(p)) return false;
  }
  scan_elems(p);
  scan_datas(p);
  scan_memories(p);
  return setup_names(p);
}

static void teardown(printer *p) {
  const kite_module *m = p->m;
  kite_arena_free(&p->arena);
  for (unsigned s = 0; s < KITE_NAMES_COUNT; s++)
    if (p->names[s]) kite_free(p->a, p->names[s], p->space_size[s] * sizeof *p->names[s]);
  if (p->locals) kite_free(p->a, p->locals, p->nlocals * sizeof *p->locals);
  kite_free(p->a, p->type_sub, p->type_sub ? m->ntypes : 0);
  kite_free(p->a, p->elem_flags, p->elem_flags ? m->nelems : 0);
  kite_free(p->a, p->data_flags, p->data_flags ? m->ndatas : 0);
  kite_free(p->a, p->mem_flags, p->mem_flags ? m->nmemories : 0);
  kite_vec_free(p->a, &p->groups);
  kite_vec_free(p->a, &p->insns);
  kite_vec_free(p->a, &p->partner);
  kite_vec_free(p->a, &p->nodes);
  kite_vec_free(p->a, &p->kids);
  kite_vec_free(p->a, &p->labels);
}

bool kite_wasm_to_wat(const kite_module *m, const kite_print_options *opt, kite_buf *out,
                      kite_error *err) {
  printer p;
  memset(&p, 0, sizeof p);
  p.m = m;
  p.a = out->alloc ? out->alloc : m->alloc;
  p.out = out;
  p.err = err;
  p.fold = opt && opt->fold;
  kite_arena_init(&p.arena, p.a);
  if (!setup(&p)) {
    teardown(&p);
    return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  }

  put(&p, "(module");
  if (m->has_names && m->names.has_module && m->names.module.len > 0 &&
      kite_utf8_valid(m->names.module.ptr, m->names.module.len)) {
    putc_(&p, ' ');
    put_id(&p, &m->names.module);
  }
  p.indent = 1;
  print_customs(&p, 0);
  print_types(&p);
  print_customs(&p, KITE_SEC_TYPE);
  print_imports(&p);
  print_customs(&p, KITE_SEC_IMPORT);
  for (uint32_t i = m->nimported_funcs; i < m->nfuncs && !stopped(&p); i++) print_func(&p, i);
  print_customs(&p, KITE_SEC_FUNCTION);
  print_tables(&p);
  print_customs(&p, KITE_SEC_TABLE);
  print_memories(&p);
  print_customs(&p, KITE_SEC_MEMORY);
  print_tags(&p);
  print_customs(&p, KITE_SEC_TAG);
  print_globals(&p);
  print_customs(&p, KITE_SEC_GLOBAL);
  print_exports(&p);
  print_customs(&p, KITE_SEC_EXPORT);
  if (m->has_start) {
    newline(&p);
    put(&p, "(start");
    put_ref(&p, KITE_NAMES_FUNC, m->start);
    putc_(&p, ')');
  }
  print_customs(&p, KITE_SEC_START);
  print_elems(&p);
  print_customs(&p, KITE_SEC_ELEMENT);
  print_customs(&p, KITE_SEC_DATACOUNT);
  print_customs(&p, KITE_SEC_CODE);
  print_datas(&p);
  print_customs(&p, KITE_SEC_DATA);
  put(&p, ")\n");

  bool failed = p.failed;
  bool oom = p.oom;
  teardown(&p);
  if (out->oom || oom) return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  if (failed)
    return kite_fail(err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, 0,
                     "cannot print a malformed function body");
  return true;
}

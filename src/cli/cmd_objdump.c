/*
** cmd_objdump.c: `kite objdump -h|-x|-d FILE...`: what a module contains, in the manner
** of wabt's wasm-objdump. -h lists the sections with their file offsets; -x prints each
** section's entries (types, imports, functions with their names, segments, ...); -d
** disassembles the function bodies (src/text/disasm.c).
** The module is decoded but not validated, so an invalid module can still be inspected;
** every index printed is therefore checked before it is used to look anything up.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "text.h"

typedef struct dump {
  const kite_module *m;
  kite_features features;
  kite_buf tmp; /* scratch for type text */
} dump;

static void usage(FILE *f) {
  fprintf(f, "usage: kite objdump [-h] [-x] [-d] [--features=2.0|3.0|all] FILE...\n\n"
             "Show what WebAssembly modules contain. The module is decoded, not validated.\n\n"
             "  -h, --headers   section headers: id, file offsets, size, entry count (the\n"
             "                  default when neither -h nor -x is given)\n"
             "  -x, --details   every section's entries: types, imports, functions with\n"
             "                  their names, tables, memories, globals, exports, start,\n"
             "                  element and data segments, custom sections\n"
             "  -d, --disassemble  every function body, instruction by instruction, with\n"
             "                  file offsets and bytes\n"
             "  --features=SET  2.0, 3.0 (the default: 3.0 plus threads) or all\n");
}

/* ---- small printers ---- */

static const char *section_title(uint8_t id) {
  static const char *const titles[] = {"Custom", "Type",   "Import",    "Function", "Table",
                                       "Memory", "Global", "Export",    "Start",    "Elem",
                                       "Code",   "Data",   "DataCount", "Tag"};
  return id < KITE_ARRAY_LEN(titles) ? titles[id] : "Unknown";
}

static void print_valtype(dump *d, kite_valtype t) {
  d->tmp.len = 0;
  kite_valtype_text(d->m, t, &d->tmp);
  if (d->tmp.len) fwrite(d->tmp.data, 1, d->tmp.len, stdout);
}

static void print_heaptype(dump *d, uint32_t ht) {
  d->tmp.len = 0;
  kite_heaptype_text(d->m, ht, &d->tmp);
  if (d->tmp.len) fwrite(d->tmp.data, 1, d->tmp.len, stdout);
}

static const kite_name *name_of(const dump *d, unsigned subsection, uint32_t index) {
  if (!d->m->has_names) return NULL;
  return kite_namemap_find(&d->m->names.maps[subsection], index);
}

/* " <name>" from the name section, or for an import without one, " <module.field>". */
static void print_entity_name(const dump *d, unsigned subsection, uint8_t kind, uint32_t index) {
  const kite_name *name = name_of(d, subsection, index);
  if (name) {
    fputs(" <", stdout);
    cli_print_name(stdout, *name);
    fputc('>', stdout);
    return;
  }
  uint32_t seen = 0;
  for (uint32_t i = 0; i < d->m->nimports; i++) {
    const kite_import *imp = &d->m->imports[i];
    if (imp->kind != kind) continue;
    if (seen++ == index) {
      fputs(" <", stdout);
      cli_print_name(stdout, imp->module);
      fputc('.', stdout);
      cli_print_name(stdout, imp->field);
      fputc('>', stdout);
      return;
    }
  }
}

static void print_func_name(const dump *d, uint32_t index) {
  print_entity_name(d, KITE_NAMES_FUNC, KITE_EXTERN_FUNC, index);
}

static void print_limits(const kite_limits *l, const char *unit) {
  if (unit) printf(" %s:", unit);
  printf(" initial=%llu", (unsigned long long)l->min);
  if (l->has_max) printf(" max=%llu", (unsigned long long)l->max);
  if (l->shared) printf(" shared");
  if (l->is64) printf(" i64");
}

static void print_memory_limits(const kite_limits *l) {
  print_limits(l, "pages");
  if (l->page_size_log2 != 16) printf(" pagesize=%llu", 1ull << l->page_size_log2);
}

/* Floats as the text format writes them, exactly: the shortest round trip is not needed
   here, only no loss, so 9 (f32) or 17 (f64) significant digits. */
static void print_float(uint64_t bits, bool is64) {
  unsigned mant_bits = is64 ? 52 : 23;
  uint64_t sign = bits >> (is64 ? 63 : 31);
  uint64_t exp = (bits >> mant_bits) & (is64 ? 0x7FF : 0xFF);
  uint64_t mant = bits & ((1ull << mant_bits) - 1);
  if (exp == (is64 ? 0x7FFu : 0xFFu)) {
    fputs(sign ? "-" : "", stdout);
    if (mant == 0) fputs("inf", stdout);
    else if (mant == 1ull << (mant_bits - 1)) fputs("nan", stdout);
    else printf("nan:0x%llx", (unsigned long long)mant);
    return;
  }
  if (is64) {
    double v;
    memcpy(&v, &bits, sizeof v);
    printf("%.17g", v);
  } else {
    uint32_t b32 = (uint32_t)bits;
    float v;
    memcpy(&v, &b32, sizeof v);
    printf("%.9g", (double)v);
  }
}

/* One instruction of a constant expression, in the text format. */
static void print_insn(dump *d, const kite_insn *insn) {
  const kite_opinfo *info = &kite_opinfo_table[insn->op];
  fputs(info->text, stdout);
  switch (info->imm) {
  case IMM_NONE:
  case IMM_ZERO: break;
  case IMM_I32: printf(" %d", insn->val.i32); break;
  case IMM_I64: printf(" %lld", (long long)insn->val.i64); break;
  case IMM_F32: fputc(' ', stdout), print_float(insn->val.f32, false); break;
  case IMM_F64: fputc(' ', stdout), print_float(insn->val.f64, true); break;
  case IMM_V128:
    fputs(" i32x4", stdout);
    for (int i = 0; i < 16; i += 4) printf(" 0x%08x", kite_load_u32le(insn->bytes + i));
    break;
  case IMM_HEAPTYPE:
    fputs(insn->exact ? " exact " : " ", stdout);
    print_heaptype(d, insn->ht);
    break;
  case IMM_FUNC:
    printf(" %u", insn->idx);
    print_func_name(d, insn->idx);
    break;
  case IMM_GLOBAL:
    printf(" %u", insn->idx);
    print_entity_name(d, KITE_NAMES_GLOBAL, KITE_EXTERN_GLOBAL, insn->idx);
    break;
  case IMM_LABEL:
  case IMM_TYPE:
  case IMM_LOCAL:
  case IMM_TABLE:
  case IMM_MEMORY:
  case IMM_TAG:
  case IMM_DATA:
  case IMM_ELEM: printf(" %u", insn->idx); break;
  case IMM_TYPE_N: printf(" %u %u", insn->idx, insn->count); break;
  case IMM_CALL_INDIRECT:
  case IMM_FIELD:
  case IMM_TYPE_TYPE:
  case IMM_TYPE_DATA:
  case IMM_TYPE_ELEM:
  case IMM_MEMORY_INIT:
  case IMM_MEMORY_COPY:
  case IMM_TABLE_INIT:
  case IMM_TABLE_COPY: printf(" %u %u", insn->idx, insn->idx2); break;
  default: fputs(" ...", stdout); break; /* not constant instructions */
  }
}

/* A constant expression as "i32.const 16" or "global.get 0 i32.const 4 i32.add". Sets
   *value to the constant when the expression is a single i32.const or i64.const. */
static void print_expr(dump *d, kite_expr e, bool *is_const, uint64_t *value) {
  kite_error err;
  kite_error_clear(&err);
  kite_reader r = {d->m->bytes, d->m->bytes + e.offset, d->m->bytes + e.offset + e.len, &err};
  kite_insn insn;
  unsigned count = 0;
  if (is_const) *is_const = false;
  while (r.p < r.end) {
    if (!kite_read_insn(&r, d->features, &insn)) {
      fputs(count ? " <malformed>" : "<malformed>", stdout);
      return;
    }
    if (insn.op == OP_END) break;
    if (count++) fputc(' ', stdout);
    print_insn(d, &insn);
    if (is_const && count == 1 && (insn.op == OP_I32_CONST || insn.op == OP_I64_CONST)) {
      *is_const = true;
      *value = insn.op == OP_I32_CONST ? (uint64_t)(uint32_t)insn.val.i32 : (uint64_t)insn.val.i64;
    } else if (is_const) {
      *is_const = false;
    }
  }
}

static void print_functype_brief(dump *d, uint32_t typeidx) {
  if (typeidx >= d->m->ntypes || d->m->types[typeidx].comp != KITE_COMP_FUNC) return;
  const kite_functype *ft = &d->m->types[typeidx].u.func;
  fputc('(', stdout);
  for (uint32_t i = 0; i < ft->nparams; i++) {
    if (i) fputs(", ", stdout);
    print_valtype(d, ft->params[i]);
  }
  fputs(") -> ", stdout);
  if (ft->nresults == 0) fputs("nil", stdout);
  if (ft->nresults > 1) fputc('(', stdout);
  for (uint32_t i = 0; i < ft->nresults; i++) {
    if (i) fputs(", ", stdout);
    print_valtype(d, ft->results[i]);
  }
  if (ft->nresults > 1) fputc(')', stdout);
}

static void print_fieldtype(dump *d, const kite_fieldtype *f) {
  if (f->mut) fputs("(mut ", stdout);
  print_valtype(d, f->type);
  if (f->mut) fputc(')', stdout);
}

/* ---- section details ---- */

static void dump_types(dump *d) {
  const kite_module *m = d->m;
  for (uint32_t i = 0; i < m->ntypes; i++) {
    const kite_subtype *t = &m->types[i];
    if (t->rec_count > 1 && t->rec_first == i)
      printf(" - rec group: type[%u..%u]\n", i, i + t->rec_count - 1);
    printf(" - type[%u]", i);
    if (!t->final || t->super != KITE_NO_INDEX) {
      fputs(t->final ? " sub final" : " sub", stdout);
      if (t->super != KITE_NO_INDEX) printf(" super=%u", t->super);
    }
    fputc(' ', stdout);
    switch (t->comp) {
    case KITE_COMP_FUNC: print_functype_brief(d, i); break;
    case KITE_COMP_STRUCT:
      fputs("(struct", stdout);
      for (uint32_t f = 0; f < t->u.strukt.nfields; f++) {
        fputs(" (field ", stdout);
        print_fieldtype(d, &t->u.strukt.fields[f]);
        fputc(')', stdout);
      }
      fputc(')', stdout);
      break;
    case KITE_COMP_ARRAY:
      fputs("(array ", stdout);
      print_fieldtype(d, &t->u.array);
      fputc(')', stdout);
      break;
    }
    print_entity_name(d, KITE_NAMES_TYPE, 0xFF, i);
    fputc('\n', stdout);
  }
}

static void print_table_type(dump *d, const kite_table *t) {
  fputs(" type=", stdout);
  print_valtype(d, t->elem);
  print_limits(&t->limits, NULL);
}

static void dump_imports(dump *d) {
  const kite_module *m = d->m;
  uint32_t counts[KITE_EXTERN_TAG + 1] = {0};
  for (uint32_t i = 0; i < m->nimports; i++) {
    const kite_import *imp = &m->imports[i];
    uint32_t index = imp->kind <= KITE_EXTERN_TAG ? counts[imp->kind]++ : 0;
    printf(" - %s[%u]", kite_externkind_text(imp->kind), index);
    switch (imp->kind) {
    case KITE_EXTERN_FUNC:
      printf(" sig=%u", imp->u.func);
      print_func_name(d, index);
      break;
    case KITE_EXTERN_TABLE: print_table_type(d, &imp->u.table); break;
    case KITE_EXTERN_MEMORY: print_memory_limits(&imp->u.memory.limits); break;
    case KITE_EXTERN_GLOBAL:
      fputc(' ', stdout);
      print_valtype(d, imp->u.global.type);
      printf(" mutable=%d", imp->u.global.mut ? 1 : 0);
      break;
    case KITE_EXTERN_TAG: printf(" sig=%u", imp->u.tag.type); break;
    }
    fputs(" <- ", stdout);
    cli_print_name(stdout, imp->module);
    fputc('.', stdout);
    cli_print_name(stdout, imp->field);
    fputc('\n', stdout);
  }
}

static void dump_functions(dump *d) {
  for (uint32_t i = d->m->nimported_funcs; i < d->m->nfuncs; i++) {
    printf(" - func[%u] sig=%u", i, d->m->funcs[i].type);
    print_func_name(d, i);
    fputc('\n', stdout);
  }
}

static void dump_tables(dump *d) {
  for (uint32_t i = d->m->nimported_tables; i < d->m->ntables; i++) {
    const kite_table *t = &d->m->tables[i];
    printf(" - table[%u]", i);
    print_table_type(d, t);
    print_entity_name(d, KITE_NAMES_TABLE, KITE_EXTERN_TABLE, i);
    if (t->has_init) {
      fputs(" - init ", stdout);
      print_expr(d, t->init, NULL, NULL);
    }
    fputc('\n', stdout);
  }
}

static void dump_memories(dump *d) {
  for (uint32_t i = d->m->nimported_memories; i < d->m->nmemories; i++) {
    printf(" - memory[%u]", i);
    print_memory_limits(&d->m->memories[i].limits);
    print_entity_name(d, KITE_NAMES_MEMORY, KITE_EXTERN_MEMORY, i);
    fputc('\n', stdout);
  }
}

static void dump_globals(dump *d) {
  for (uint32_t i = d->m->nimported_globals; i < d->m->nglobals; i++) {
    const kite_global *g = &d->m->globals[i];
    printf(" - global[%u] ", i);
    print_valtype(d, g->type.type);
    printf(" mutable=%d", g->type.mut ? 1 : 0);
    print_entity_name(d, KITE_NAMES_GLOBAL, KITE_EXTERN_GLOBAL, i);
    fputs(" - init ", stdout);
    print_expr(d, g->init, NULL, NULL);
    fputc('\n', stdout);
  }
}

static void dump_tags(dump *d) {
  for (uint32_t i = d->m->nimported_tags; i < d->m->ntags; i++) {
    printf(" - tag[%u] sig=%u", i, d->m->tags[i].type);
    print_entity_name(d, KITE_NAMES_TAG, KITE_EXTERN_TAG, i);
    fputc('\n', stdout);
  }
}

static void dump_exports(dump *d) {
  static const unsigned subsections[] = {KITE_NAMES_FUNC, KITE_NAMES_TABLE, KITE_NAMES_MEMORY,
                                         KITE_NAMES_GLOBAL, KITE_NAMES_TAG};
  for (uint32_t i = 0; i < d->m->nexports; i++) {
    const kite_export *e = &d->m->exports[i];
    printf(" - %s[%u]", kite_externkind_text(e->kind), e->index);
    if (e->kind <= KITE_EXTERN_TAG) print_entity_name(d, subsections[e->kind], e->kind, e->index);
    fputs(" -> \"", stdout);
    cli_print_name(stdout, e->name);
    fputs("\"\n", stdout);
  }
}

static void dump_start(dump *d) {
  printf(" - start function: %u", d->m->start);
  print_func_name(d, d->m->start);
  fputc('\n', stdout);
}

static void dump_elems(dump *d) {
  static const char *const modes[] = {"active", "passive", "declarative"};
  for (uint32_t i = 0; i < d->m->nelems; i++) {
    const kite_elem *e = &d->m->elems[i];
    printf(" - segment[%u] %s", i, e->mode <= KITE_SEG_DECLARATIVE ? modes[e->mode] : "?");
    if (e->mode == KITE_SEG_ACTIVE) printf(" table=%u", e->table);
    printf(" count=%u type=", e->count);
    print_valtype(d, e->type);
    bool is_const = false;
    uint64_t slot = 0;
    if (e->mode == KITE_SEG_ACTIVE) {
      fputs(" - init ", stdout);
      print_expr(d, e->offset, &is_const, &slot);
    }
    fputc('\n', stdout);
    if (!is_const) slot = 0;
    for (uint32_t k = 0; k < e->count; k++) {
      printf("  - elem[%llu] = ", (unsigned long long)(slot + k));
      if (e->funcs) {
        printf("func[%u]", e->funcs[k]);
        print_func_name(d, e->funcs[k]);
      } else if (e->exprs) {
        print_expr(d, e->exprs[k], NULL, NULL);
      }
      fputc('\n', stdout);
    }
  }
}

static void dump_code(dump *d) {
  const kite_module *m = d->m;
  for (uint32_t i = m->nimported_funcs; i < m->nfuncs; i++) {
    const kite_func *f = &m->funcs[i];
    uint64_t size = 0;
    size_t n;
    if (kite_read_uleb(m->bytes + f->body_offset, m->bytes + m->len, 32, &size, &n) != KITE_LEB_OK)
      size = f->code_end - f->body_offset;
    printf(" - func[%u] size=%llu", i, (unsigned long long)size);
    print_func_name(d, i);
    fputc('\n', stdout);
  }
}

/* At most this many bytes of each data segment are shown. */
#define DATA_PREVIEW 64

static void print_hex_lines(const uint8_t *p, uint32_t len, uint64_t address) {
  for (uint32_t at = 0; at < len; at += 16) {
    uint32_t n = len - at < 16 ? len - at : 16;
    printf("  - %07llx:", (unsigned long long)(address + at));
    for (uint32_t k = 0; k < 16; k++) {
      if (k % 2 == 0) fputc(' ', stdout);
      if (k < n) printf("%02x", p[at + k]);
      else fputs("  ", stdout);
    }
    fputs("  ", stdout);
    for (uint32_t k = 0; k < n; k++)
      fputc(p[at + k] >= 0x20 && p[at + k] < 0x7F ? p[at + k] : '.', stdout);
    fputc('\n', stdout);
  }
}

static void dump_datas(dump *d) {
  for (uint32_t i = 0; i < d->m->ndatas; i++) {
    const kite_data *s = &d->m->datas[i];
    bool is_const = false;
    uint64_t address = 0;
    printf(" - segment[%u]", i);
    print_entity_name(d, KITE_NAMES_DATA, 0xFF, i);
    if (s->mode == KITE_SEG_ACTIVE) printf(" memory=%u", s->memory);
    else fputs(" passive", stdout);
    printf(" size=%u", s->len);
    if (s->mode == KITE_SEG_ACTIVE) {
      fputs(" - init ", stdout);
      print_expr(d, s->offset, &is_const, &address);
    }
    fputc('\n', stdout);
    uint32_t shown = s->len < DATA_PREVIEW ? s->len : DATA_PREVIEW;
    print_hex_lines(d->m->bytes + s->offset_in_bytes, shown, is_const ? address : 0);
    if (shown < s->len) printf("  - ... %u more bytes\n", s->len - shown);
  }
}

static void dump_namemap(const char *what, const kite_namemap *map) {
  for (uint32_t k = 0; k < map->count; k++) {
    printf("  - %s[%u] <", what, map->names[k].index);
    cli_print_name(stdout, map->names[k].name);
    fputs(">\n", stdout);
  }
}

static void dump_name_section(const dump *d) {
  static const char *const direct[KITE_NAMES_COUNT] = {
      [KITE_NAMES_FUNC] = "func",     [KITE_NAMES_TYPE] = "type",     [KITE_NAMES_TABLE] = "table",
      [KITE_NAMES_MEMORY] = "memory", [KITE_NAMES_GLOBAL] = "global", [KITE_NAMES_ELEM] = "elem",
      [KITE_NAMES_DATA] = "data",     [KITE_NAMES_TAG] = "tag"};
  static const char *const indirect[KITE_NAMES_COUNT] = {
      [KITE_NAMES_LOCAL] = "local", [KITE_NAMES_LABEL] = "label", [KITE_NAMES_FIELD] = "field"};
  const kite_names *names = &d->m->names;
  if (names->has_module) {
    fputs("  - module <", stdout);
    cli_print_name(stdout, names->module);
    fputs(">\n", stdout);
  }
  for (unsigned s = 0; s < KITE_NAMES_COUNT; s++) {
    if (direct[s]) dump_namemap(direct[s], &names->maps[s]);
    if (indirect[s] && names->indirect[s].count)
      printf("  - %s names in %u entries\n", indirect[s], names->indirect[s].count);
  }
}

static void dump_custom(const dump *d, const kite_section *sec) {
  for (uint32_t i = 0; i < d->m->ncustoms; i++) {
    const kite_custom *c = &d->m->customs[i];
    if (c->section_offset != sec->offset) continue;
    fputs(" - name: \"", stdout);
    cli_print_name(stdout, c->name);
    printf("\" size=%u\n", c->len);
    if (c->name.len == 4 && memcmp(c->name.ptr, "name", 4) == 0 && d->m->has_names)
      dump_name_section(d);
  }
}

/* ---- the two views ---- */

static void print_headers(const kite_module *m) {
  printf("\nSections:\n\n");
  for (uint32_t i = 0; i < m->nsections; i++) {
    const kite_section *sec = &m->sections[i];
    printf("%9s start=0x%08x end=0x%08x (size=0x%08x)", section_title(sec->id), sec->start,
           sec->start + sec->size, sec->size);
    if (sec->id == KITE_SEC_CUSTOM) {
      for (uint32_t k = 0; k < m->ncustoms; k++) {
        if (m->customs[k].section_offset != sec->offset) continue;
        fputs(" \"", stdout);
        cli_print_name(stdout, m->customs[k].name);
        fputc('"', stdout);
      }
    } else if (sec->id == KITE_SEC_START) {
      printf(" start: %u", m->start);
    } else {
      printf(" count: %u", sec->count);
    }
    fputc('\n', stdout);
  }
}

static void print_details(dump *d) {
  const kite_module *m = d->m;
  printf("\nSection Details:\n\n");
  for (uint32_t i = 0; i < m->nsections; i++) {
    const kite_section *sec = &m->sections[i];
    if (sec->id == KITE_SEC_CUSTOM || sec->id == KITE_SEC_START)
      printf("%s:\n", section_title(sec->id));
    else printf("%s[%u]:\n", section_title(sec->id), sec->count);
    switch (sec->id) {
    case KITE_SEC_CUSTOM: dump_custom(d, sec); break;
    case KITE_SEC_TYPE: dump_types(d); break;
    case KITE_SEC_IMPORT: dump_imports(d); break;
    case KITE_SEC_FUNCTION: dump_functions(d); break;
    case KITE_SEC_TABLE: dump_tables(d); break;
    case KITE_SEC_MEMORY: dump_memories(d); break;
    case KITE_SEC_GLOBAL: dump_globals(d); break;
    case KITE_SEC_EXPORT: dump_exports(d); break;
    case KITE_SEC_START: dump_start(d); break;
    case KITE_SEC_ELEMENT: dump_elems(d); break;
    case KITE_SEC_CODE: dump_code(d); break;
    case KITE_SEC_DATA: dump_datas(d); break;
    case KITE_SEC_DATACOUNT: printf(" - data count: %u\n", m->datacount); break;
    case KITE_SEC_TAG: dump_tags(d); break;
    default: break;
    }
  }
}

static bool objdump_file(kite_alloc *a, const char *path, kite_features features, bool headers,
                         bool details, bool disassemble) {
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = cli_load_module(a, path, features, &err);
  if (!m) {
    cli_print_error(path, &err);
    return false;
  }
  dump d = {m, features, {0}};
  kite_buf_init(&d.tmp, a);
  printf("\n%s:\tfile format wasm 0x%x\n", path, kite_load_u32le(m->bytes + 4));
  if (m->has_names && m->names.has_module) {
    fputs("module name: <", stdout);
    cli_print_name(stdout, m->names.module);
    fputs(">\n", stdout);
  }
  if (headers) print_headers(m);
  if (details) print_details(&d);
  if (disassemble) {
    d.tmp.len = 0;
    if (kite_disassemble(m, &d.tmp, &err)) fwrite(d.tmp.data, 1, d.tmp.len, stdout);
    else if (err.kind != KITE_ERR_OOM) cli_print_error(path, &err);
  }
  bool ok = !d.tmp.oom && err.kind == KITE_OK;
  if (!ok) fprintf(stderr, "kite: out of memory while printing %s\n", path);
  kite_buf_free(&d.tmp);
  kite_module_free(m);
  return ok;
}

int cmd_objdump(int argc, char **argv) {
  kite_features features = CLI_DEFAULT_FEATURES;
  bool headers = false, details = false, disassemble = false, only_files = false;
  int nfiles = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (only_files || arg[0] != '-' || arg[1] == '\0') {
      argv[1 + nfiles++] = argv[i]; /* files move to the front, in order */
    } else if (strcmp(arg, "--") == 0) {
      only_files = true;
    } else if (cli_is_help(arg)) {
      usage(stdout);
      return CLI_OK;
    } else if (strcmp(arg, "--headers") == 0) {
      headers = true;
    } else if (strcmp(arg, "--details") == 0) {
      details = true;
    } else if (strcmp(arg, "--disassemble") == 0) {
      disassemble = true;
    } else if (strncmp(arg, "--features=", 11) == 0) {
      if (!cli_parse_features(arg + 11, &features))
        return cli_usage_error("objdump", "unknown feature set '%s'", arg + 11);
    } else if (arg[1] != '-') {
      for (const char *c = arg + 1; *c; c++) { /* grouped short options: -hx */
        if (*c == 'h') headers = true;
        else if (*c == 'x') details = true;
        else if (*c == 'd') disassemble = true;
        else return cli_usage_error("objdump", "unknown option '-%c'", *c);
      }
    } else {
      return cli_usage_error("objdump", "unknown option '%s'", arg);
    }
  }
  if (nfiles == 0) return cli_usage_error("objdump", "no input files");
  if (!headers && !details && !disassemble) headers = true;

  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  int status = CLI_OK;
  for (int i = 1; i <= nfiles; i++) {
    if (!objdump_file(&a, argv[i], features, headers, details, disassemble)) status = CLI_FAIL;
    fflush(stdout);
  }
  return status;
}

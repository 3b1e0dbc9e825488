/*
** module.h: the Module IR, built for WebAssembly 3.0.
**
** A decoded module lives in one arena (module->arena) and owns a copy of its binary
** (module->bytes). Code, constant expressions, data segment contents and custom
** sections are kept as byte ranges of that copy, so the decoder copies nothing twice
** and later stages re-read instructions with the same reader. After decoding (and
** validation) a module is immutable and may be shared by threads.
*/
#ifndef KITE_MODULE_H
#define KITE_MODULE_H

#include "base.h"
#include "opcodes.h"

/* ---- value types ---- */

/* Binary codes of number, vector and packed types; KITE_VT_REF marks a reference type. */
enum {
  KITE_VT_I32 = 0x7F,
  KITE_VT_I64 = 0x7E,
  KITE_VT_F32 = 0x7D,
  KITE_VT_F64 = 0x7C,
  KITE_VT_V128 = 0x7B,
  KITE_VT_I8 = 0x78,  /* packed, storage types only */
  KITE_VT_I16 = 0x77, /* packed, storage types only */
  KITE_VT_REF = 0x64,
  KITE_VT_BOT = 0x00 /* the validator's unknown type in unreachable code */
};

/*
** Heap types: a type index, or an abstract heap type. Abstract ones are
** KITE_HT_ABSTRACT | binary code, so every type index (< 2^31) is distinct from them.
*/
#define KITE_HT_ABSTRACT 0x80000000u
enum {
  KITE_HT_EXN = KITE_HT_ABSTRACT | 0x69,
  KITE_HT_ARRAY = KITE_HT_ABSTRACT | 0x6A,
  KITE_HT_STRUCT = KITE_HT_ABSTRACT | 0x6B,
  KITE_HT_I31 = KITE_HT_ABSTRACT | 0x6C,
  KITE_HT_EQ = KITE_HT_ABSTRACT | 0x6D,
  KITE_HT_ANY = KITE_HT_ABSTRACT | 0x6E,
  KITE_HT_EXTERN = KITE_HT_ABSTRACT | 0x6F,
  KITE_HT_FUNC = KITE_HT_ABSTRACT | 0x70,
  KITE_HT_NONE = KITE_HT_ABSTRACT | 0x71,
  KITE_HT_NOEXTERN = KITE_HT_ABSTRACT | 0x72,
  KITE_HT_NOFUNC = KITE_HT_ABSTRACT | 0x73,
  KITE_HT_NOEXN = KITE_HT_ABSTRACT | 0x74,
  KITE_HT_BOT = KITE_HT_ABSTRACT | 0xFF /* the validator's bottom heap type */
};
static inline bool kite_ht_is_index(uint32_t ht) { return !(ht & KITE_HT_ABSTRACT); }

/* A value type (or storage type): 8 bytes, compared field by field. */
typedef struct kite_valtype {
  uint8_t kind;     /* KITE_VT_* */
  uint8_t nullable; /* references only */
  uint8_t exact;    /* references only: custom descriptors' exact type (ht an index) */
  uint8_t pad;
  uint32_t ht; /* references only: heap type (type index or KITE_HT_*) */
} kite_valtype;

static inline kite_valtype kite_vt(uint8_t kind) {
  kite_valtype t = {kind, 0, 0, 0, 0};
  return t;
}
static inline kite_valtype kite_vt_ref(uint32_t ht, bool nullable) {
  kite_valtype t = {KITE_VT_REF, (uint8_t)nullable, 0, 0, ht};
  return t;
}
static inline bool kite_vt_eq(kite_valtype a, kite_valtype b) {
  return a.kind == b.kind && (a.kind != KITE_VT_REF ||
                              (a.nullable == b.nullable && a.ht == b.ht && a.exact == b.exact));
}

/* ---- defined types: recursive groups, subtypes, composite types ---- */

typedef enum { KITE_COMP_FUNC, KITE_COMP_STRUCT, KITE_COMP_ARRAY } kite_compkind;

typedef struct kite_fieldtype {
  kite_valtype type; /* may be a packed KITE_VT_I8 / KITE_VT_I16 */
  bool mut;
} kite_fieldtype;

typedef struct kite_functype {
  uint32_t nparams, nresults;
  kite_valtype *params, *results;
} kite_functype;

typedef struct kite_subtype {
  uint8_t comp;                  /* kite_compkind */
  bool final;                    /* no `sub` or `sub final` */
  uint32_t super;                /* supertype index, or KITE_NO_INDEX */
  uint32_t rec_first, rec_count; /* the recursion group this type belongs to */
  /* Custom descriptors: the type this one describes and the type of its descriptor
     (structs only), when the flags say there is one. */
  bool has_describes, has_descriptor;
  uint32_t describes, descriptor;
  union {
    kite_functype func;
    struct {
      uint32_t nfields;
      kite_fieldtype *fields;
    } strukt;
    kite_fieldtype array;
  } u;
} kite_subtype;

#define KITE_NO_INDEX 0xFFFFFFFFu

/* ---- limits, tables, memories, globals, tags ---- */

typedef struct kite_limits {
  uint64_t min, max; /* in pages (memories) or elements (tables) */
  bool has_max;
  bool shared;
  bool is64;              /* address type i64 (memory64 / table64) */
  uint8_t page_size_log2; /* memories: 16 by default; custom-page-sizes allows 0 */
} kite_limits;

/* A constant expression: a byte range of module->bytes ending with `end` (0x0B). */
typedef struct kite_expr {
  uint32_t offset, len;
} kite_expr;

typedef struct kite_table {
  kite_valtype elem; /* a reference type */
  kite_limits limits;
  bool has_init;
  kite_expr init; /* 3.0 table initialiser; only when has_init */
} kite_table;

typedef struct kite_memory {
  kite_limits limits;
} kite_memory;

typedef struct kite_globaltype {
  kite_valtype type;
  bool mut;
} kite_globaltype;

typedef struct kite_global {
  kite_globaltype type;
  kite_expr init;
} kite_global;

typedef struct kite_tag {
  uint32_t type; /* function type index; its results must be empty */
} kite_tag;

/* ---- imports and exports ---- */

/* kite_externkind (KITE_EXTERN_FUNC ... KITE_EXTERN_TAG) is public: see kite.h. */

/* A name: bytes of module->bytes (not NUL-terminated, may contain NULs). */
typedef struct kite_name {
  const uint8_t *ptr;
  uint32_t len;
} kite_name;

typedef struct kite_import {
  kite_name module, field;
  uint8_t kind; /* kite_externkind */
  union {
    uint32_t func; /* type index */
    kite_table table;
    kite_memory memory;
    kite_globaltype global;
    kite_tag tag;
  } u;
  bool exact; /* functions: custom descriptors' exact import (kind byte 0x20) */
} kite_import;

typedef struct kite_export {
  kite_name name;
  uint8_t kind; /* kite_externkind */
  uint32_t index;
} kite_export;

/* ---- functions ---- */

typedef struct kite_localgroup {
  uint32_t count;
  kite_valtype type;
} kite_localgroup;

typedef struct kite_func {
  uint32_t type; /* type index */
  /* defined functions only (index >= nimported funcs): */
  uint32_t nlocalgroups;
  kite_localgroup *localgroups;
  uint32_t nlocals;     /* declared locals, not counting parameters */
  uint32_t code_offset; /* first instruction, in module->bytes */
  uint32_t code_end;    /* one past the final `end` */
  uint32_t body_offset; /* start of the body (its size LEB), for objdump and backtraces */
  bool exact;           /* references to it are exact: defined functions and exact imports */
} kite_func;

/* ---- element and data segments ---- */

typedef enum { KITE_SEG_ACTIVE, KITE_SEG_PASSIVE, KITE_SEG_DECLARATIVE } kite_segmode;

typedef struct kite_elem {
  uint8_t mode; /* kite_segmode */
  uint32_t table;
  kite_expr offset;  /* active only */
  kite_valtype type; /* a reference type */
  uint32_t count;
  /* Exactly one of these is set: function indices (the legacy forms 0-3) or one
     constant expression per item (forms 4-7). */
  uint32_t *funcs;
  kite_expr *exprs;
} kite_elem;

typedef struct kite_data {
  uint8_t mode; /* KITE_SEG_ACTIVE or KITE_SEG_PASSIVE */
  uint32_t memory;
  kite_expr offset;              /* active only */
  uint32_t offset_in_bytes, len; /* contents: module->bytes + offset_in_bytes */
} kite_data;

/* ---- custom sections and names ---- */

typedef struct kite_custom {
  kite_name name;
  uint32_t section_offset; /* of the section id byte */
  uint32_t offset, len;    /* contents after the name */
  uint8_t after;           /* id of the last non-custom section before it (0: none) */
} kite_custom;

typedef struct kite_naming {
  uint32_t index;
  kite_name name;
} kite_naming;

typedef struct kite_namemap {
  uint32_t count;
  kite_naming *names; /* sorted by index, no duplicates */
} kite_namemap;

typedef struct kite_indirect_namemap {
  uint32_t count;
  struct kite_indirect_naming {
    uint32_t index;
    kite_namemap map;
  } * entries; /* sorted by index */
} kite_indirect_namemap;

/* Name-section subsection ids (extended name section included). */
enum {
  KITE_NAMES_MODULE = 0,
  KITE_NAMES_FUNC = 1,
  KITE_NAMES_LOCAL = 2,
  KITE_NAMES_LABEL = 3,
  KITE_NAMES_TYPE = 4,
  KITE_NAMES_TABLE = 5,
  KITE_NAMES_MEMORY = 6,
  KITE_NAMES_GLOBAL = 7,
  KITE_NAMES_ELEM = 8,
  KITE_NAMES_DATA = 9,
  KITE_NAMES_FIELD = 10,
  KITE_NAMES_TAG = 11,
  KITE_NAMES_COUNT
};

typedef struct kite_names {
  bool has_module;
  kite_name module;
  /* Direct maps for FUNC, TYPE, TABLE, MEMORY, GLOBAL, ELEM, DATA, TAG (by subsection id). */
  kite_namemap maps[KITE_NAMES_COUNT];
  /* Indirect maps for LOCAL, LABEL, FIELD (by subsection id). */
  kite_indirect_namemap indirect[KITE_NAMES_COUNT];
} kite_names;

/* ---- sections as they appear (for objdump and diagnostics) ---- */

typedef struct kite_section {
  uint8_t id;
  uint32_t offset; /* of the id byte */
  uint32_t start;  /* first content byte */
  uint32_t size;   /* content size */
  uint32_t count;  /* number of entries, when the section is a vector; else 0 */
} kite_section;

/* ---- the module ---- */

/*
** State a later stage attaches to a shared, otherwise immutable module (the
** interpreter's lowered code): published once with an atomic compare-and-swap and
** released with the module by its own release function.
*/
typedef struct kite_module_ext {
  void (*release)(struct kite_module_ext *ext, kite_alloc *a);
} kite_module_ext;

typedef struct kite_module {
  kite_arena arena;
  kite_alloc *alloc;
  uint8_t *bytes; /* the whole binary: in the arena, or adopted (release_bytes) */
  size_t len;
  /* Adopted bytes (a mapped file): given back through this when the module is freed. */
  void (*release_bytes)(void *ud, uint8_t *bytes, size_t len);
  void *release_ud;

  uint32_t ntypes;
  kite_subtype *types;

  uint32_t nimports;
  kite_import *imports;

  /* Index spaces: imported entries come first, in import order. */
  uint32_t nfuncs, nimported_funcs;
  kite_func *funcs;
  uint32_t ntables, nimported_tables;
  kite_table *tables;
  uint32_t nmemories, nimported_memories;
  kite_memory *memories;
  uint32_t nglobals, nimported_globals;
  kite_global *globals; /* imported ones have an empty init */
  uint32_t ntags, nimported_tags;
  kite_tag *tags;

  uint32_t nexports;
  kite_export *exports;

  bool has_start;
  uint32_t start;

  uint32_t nelems;
  kite_elem *elems;

  bool has_datacount;
  uint32_t datacount;
  uint32_t ndatas;
  kite_data *datas;

  uint32_t ncustoms;
  kite_custom *customs;

  uint32_t nsections;
  kite_section *sections;

  bool has_names; /* a well-formed "name" section was decoded */
  kite_names names;

  /* Functions referenced outside function bodies (elements, exports, globals):
     the declared set that ref.func in code may use. Sorted, unique. */
  uint32_t ndeclared_funcs;
  uint32_t *declared_funcs;

  /* Attached by src/exec on first instantiation; NULL until then (zeroed by the arena). */
  _Atomic(kite_module_ext *) ext;

  /* References taken beyond the first (the public kite_module_retain); the module is
     freed by the release that finds it 0. Zero after decoding. */
  _Atomic(uint32_t) extra_refs;
} kite_module;

/* Free a module and everything it owns. NULL is fine. */
void kite_module_free(kite_module *m);

/* Helpers used by every stage. */
static inline const kite_functype *kite_module_functype(const kite_module *m, uint32_t typeidx) {
  return &m->types[typeidx].u.func;
}
static inline const kite_functype *kite_module_func_type(const kite_module *m, uint32_t funcidx) {
  return &m->types[m->funcs[funcidx].type].u.func;
}
/* Look up a name in a name map; NULL when absent. */
const kite_name *kite_namemap_find(const kite_namemap *map, uint32_t index);

/*
** Recursion groups as token sequences (type_tokens.c): two groups are equivalent exactly
** when their sequences are equal, given equal sequences for the types outside them. The
** caller writes those outside references (`outside`, for a type index ht not in the group
** that starts at `first`), e.g. as a canonical index; `ctx` is for it. Zero the struct,
** set a, m (NULL when only kite_typetok_functype is used), outside and ctx. An
** allocation failure sets oom and stops adding tokens.
*/
typedef struct kite_typetok kite_typetok;
struct kite_typetok {
  kite_alloc *a;
  const kite_module *m;
  KITE_VEC(uint32_t) tokens;
  bool oom;
  void (*outside)(kite_typetok *t, uint32_t ht, uint32_t first);
  void *ctx;
};
void kite_typetok_put(kite_typetok *t, uint32_t word);
/* Appends the group of count types starting at type index first of t->m. */
void kite_typetok_group(kite_typetok *t, uint32_t first, uint32_t count);
/* Appends a function type's parameters and results, as inside a group. */
void kite_typetok_functype(kite_typetok *t, const kite_functype *ft, uint32_t first,
                           uint32_t count);
uint32_t kite_typetok_hash(const uint32_t *p, size_t n);
void kite_typetok_free(kite_typetok *t);

/*
** Types as text (types_text.c), in the text format with its abbreviations: i32, v128,
** funcref, (ref null 3), (ref $name), (ref (exact 2)). With m non-NULL, a type index
** whose name-section name is a valid identifier prints as $name, else as its number;
** pass m NULL for numbers only. The buffer functions return false when out ran out of
** memory (out->oom).
*/
const char *kite_numtype_text(uint8_t kind);          /* "i32" ... "i16"; NULL otherwise */
const char *kite_abstract_heaptype_text(uint32_t ht); /* "func", "any"...; NULL for indices */
const char *kite_externkind_text(uint8_t kind);       /* "func", "table", "memory", ... */
bool kite_heaptype_text(const kite_module *m, uint32_t ht, kite_buf *out);
bool kite_valtype_text(const kite_module *m, kite_valtype t, kite_buf *out);
/* True when a name can be written as $name (non-empty, only the text format's idchars). */
bool kite_name_is_id(kite_name name);

#endif

/*
** text.h: the text format. The lexer (shared by the module parser and the .wast script
** parser), the module parser that emits binary through the encoder, and the printer.
** Positions are 1-based line:col; errors carry them in kite_error.line/col.
*/
#ifndef KITE_TEXT_H
#define KITE_TEXT_H

#include "binary.h"

/* ---- lexer ---- */

typedef enum kite_tokkind {
  KITE_TOK_EOF,
  KITE_TOK_LPAREN,
  KITE_TOK_RPAREN,
  KITE_TOK_ANNOT,    /* "(@name": an annotation opener; text is the name after '@' */
  KITE_TOK_KEYWORD,  /* module, i32.add, offset=4, align=8, ... */
  KITE_TOK_ID,       /* $x or $"quoted": text is the name without '$' (quoted: still escaped) */
  KITE_TOK_NAT,      /* unsigned integer literal (decimal or hex, underscores) */
  KITE_TOK_INT,      /* signed integer literal: + or - followed by a nat */
  KITE_TOK_FLOAT,    /* float literal incl. inf, nan, nan:0x... (with optional sign) */
  KITE_TOK_STRING,   /* "..." : text includes the quotes, escapes not yet decoded */
  KITE_TOK_RESERVED  /* any other run of idchars: an error wherever it is used */
} kite_tokkind;

typedef struct kite_token {
  kite_tokkind kind;
  const char *text; /* points into the source */
  size_t len;
  uint32_t line, col;
} kite_token;

typedef struct kite_lexer {
  const char *src, *p, *end;
  uint32_t line;
  const char *line_start;
  kite_error *err;
  bool has_peek;
  kite_token peek;
} kite_lexer;

void kite_lexer_init(kite_lexer *lx, const char *src, size_t len, kite_error *err);
/* Next token, skipping white space and comments (line, nested block). Returns false
   (and sets *lx->err) on a lexical error such as an unclosed comment or string. */
bool kite_lex_next(kite_lexer *lx, kite_token *t);
bool kite_lex_peek(kite_lexer *lx, kite_token *t);
/* Skip the rest of an s-expression after its opening token was read (balanced
   parentheses, strings and comments respected): for unknown annotations. */
bool kite_lex_skip_sexpr(kite_lexer *lx);

/* Literal decoding. Each returns false when the token is not of that form or the value
   is out of range (the caller reports "i32 constant out of range", "unknown operator",
   ...). Integer forms accept both signed and unsigned spellings where the text format
   allows (i32.const accepts -1 and 0xffffffff). */
bool kite_tok_u32(const kite_token *t, uint32_t *out);
bool kite_tok_u64(const kite_token *t, uint64_t *out);
bool kite_tok_i32(const kite_token *t, uint32_t *out); /* iN: -2^31 .. 2^32-1 */
bool kite_tok_i64(const kite_token *t, uint64_t *out);
bool kite_tok_f32(const kite_token *t, uint32_t *bits);
bool kite_tok_f64(const kite_token *t, uint64_t *bits);
/* Decode a string token's escapes into raw bytes appended to out. */
bool kite_tok_string(const kite_token *t, kite_buf *out);
bool kite_tok_is(const kite_token *t, const char *keyword);

/* ---- module parser: text to binary ---- */

/*
** Parse a whole .wat text (a `(module ...)` form, or bare module fields) to binary.
** Errors: KITE_ERR_COMPILE with code KITE_COMPILE_MALFORMED and the position in
** err->line/col, worded as the suite's assert_malformed texts ("unknown operator X",
** "unexpected token", "unknown label $l", "constant out of range", ...: compare them as
** prefixes); KITE_ERR_OOM. The module is not validated. The bytes equal wabt's
** wat2wasm output except where tests/cli/wat2wasm_wabt.sh explains why not.
*/
bool kite_wat_to_wasm(kite_alloc *a, const char *src, size_t len, kite_features f, kite_buf *out,
                      kite_error *err);

typedef struct kite_wat_options {
  bool debug_names; /* emit a "name" section for the identifiers (as wat2wasm --debug-names) */
} kite_wat_options;

/* kite_wat_to_wasm with options; opt may be NULL (the defaults: no name section, so the
   bytes compare equal to wabt's wat2wasm). */
bool kite_wat_to_wasm_ex(kite_alloc *a, const char *src, size_t len, kite_features f,
                         const kite_wat_options *opt, kite_buf *out, kite_error *err);

/* Parse the fields of one module from a lexer positioned just after `(module` and the
   optional $id (which the caller consumed), through the closing ')'. Emits the binary
   into out. Used by the .wast script parser. */
bool kite_wat_parse_module_fields(kite_lexer *lx, kite_alloc *a, kite_features f, kite_buf *out,
                                  kite_error *err);

/*
** ---- module parser internals: shared by the wat*.c files only ----
** The module is tokenized once into an array (annotations other than @name and
** @custom are dropped there), so the parser can look ahead and revisit fields freely.
** Passes: collect the fields and their names in every index space; parse the type
** definitions; walk every type use in text order to append the implicit function
** types; emit the sections.
*/

typedef struct wat_map_entry {
  const char *name; /* NULL: empty slot */
  uint32_t len, index;
} wat_map_entry;

/* Identifier -> index (open addressing). */
typedef struct wat_map {
  wat_map_entry *slots;
  uint32_t cap, count;
} wat_map;

enum {
  WAT_TYPES,
  WAT_FUNCS,
  WAT_TABLES,
  WAT_MEMORIES,
  WAT_GLOBALS,
  WAT_TAGS,
  WAT_ELEMS,
  WAT_DATAS,
  WAT_NSPACES
};

typedef struct wat_space {
  wat_map names;
  uint32_t count;
} wat_space;

typedef struct wat_name {
  const char *name; /* NULL: anonymous */
  uint32_t len;
} wat_name;

typedef struct wat_type {
  kite_subtype st;  /* value types refer to type indices */
  uint32_t nsupers; /* st.super is the only one kept; more are an error */
  wat_map fields;   /* struct field names */
  KITE_VEC(wat_name) field_names;
  wat_name name;
  bool rec;         /* written inside (rec ...) */
  bool sub;         /* written as (sub ...), kept in the binary even when final */
} wat_type;

/* An inline function type (params and results of a type use). */
typedef struct wat_sig {
  bool has_type; /* (type x) was written */
  KITE_VEC(kite_valtype) params;
  KITE_VEC(kite_valtype) results;
  KITE_VEC(wat_name) names; /* one per param */
} wat_sig;

typedef struct wat_field {
  uint8_t kind;        /* WAT_F_* (wat.c) */
  uint32_t start, end; /* token indices of '(' and its ')' */
  uint32_t index;      /* in the field's index space (type: first of the group) */
  bool import;
} wat_field;

enum { WAT_ANNOT_NAME, WAT_ANNOT_CUSTOM, WAT_ANNOT_BRANCH_HINT };

typedef struct wat_annot {
  uint8_t kind;        /* WAT_ANNOT_* */
  bool used;
  uint32_t pos;        /* index of the main token it precedes */
  uint32_t first, end; /* its tokens in annot_toks: after the opener, up to its ')' */
  uint32_t line, col;
} wat_annot;

/* A custom section from an @custom annotation. */
typedef struct wat_custom {
  uint8_t place; /* insertion point among the sections (wat.c) */
  kite_buf bytes; /* name and contents */
} wat_custom;

typedef struct wat_hint {
  uint32_t offset; /* of the instruction, in the function's body */
  uint8_t value;
} wat_hint;

typedef struct wat_ctx {
  kite_alloc *alloc;
  kite_error *err;
  kite_features feat;
  bool debug_names;
  kite_arena arena;
  KITE_VEC(kite_token) toks; /* ends with an EOF token */
  KITE_VEC(uint32_t) match;  /* for '(' tokens: the index of the matching ')' */
  KITE_VEC(kite_token) annot_toks;
  KITE_VEC(wat_annot) annots;
  uint32_t pos;
  KITE_VEC(wat_field) fields;
  wat_space spaces[WAT_NSPACES];
  KITE_VEC(wat_type) types;
  bool types_done; /* implicit types may be appended while this is false */
  /* plain function types by signature: the smallest index of each (open addressing;
     slots hold index + 1, 0 is empty) */
  uint32_t *sig_slots;
  uint32_t sig_cap, sig_count;
  bool sig_built;
  /* the function being parsed */
  wat_map locals;
  uint32_t nlocals; /* params and locals */
  KITE_VEC(wat_name) local_names;
  KITE_VEC(wat_name) labels;
  uint32_t depth; /* nesting of folded instructions, bounded against stack overflow */
  bool uses_data_index; /* memory.init / data.drop: the data count section is emitted */
  /* names for the name section */
  KITE_VEC(wat_name) names[WAT_NSPACES];
  kite_buf local_names_out; /* the local names subsection's entries, by function */
  uint32_t nlocal_names_out;
  /* annotations */
  KITE_VEC(wat_custom) customs;
  bool in_func;                /* branch hints apply */
  KITE_VEC(wat_hint) hints;    /* of the function being parsed */
  kite_buf hints_out;          /* the branch hint section's entries */
  uint32_t nhints_out;
  kite_opcode opnames[OP_COUNT];
} wat_ctx;

/* wat.c: tokens and errors */
static inline const kite_token *kite_wat_tok(const wat_ctx *c) { return &c->toks.data[c->pos]; }
static inline const kite_token *kite_wat_tok_at(const wat_ctx *c, uint32_t i) {
  return &c->toks.data[i < c->toks.len ? i : c->toks.len - 1];
}
bool kite_wat_fail(wat_ctx *c, const kite_token *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
bool kite_wat_unexpected(wat_ctx *c, const kite_token *t);
bool kite_wat_is_keyword(const kite_token *t, const char *kw);
bool kite_wat_at_lparen_kw(const wat_ctx *c, const char *kw); /* '(' kw at pos */
bool kite_wat_expect_lparen_kw(wat_ctx *c, const char *kw);
bool kite_wat_expect_rparen(wat_ctx *c);
bool kite_wat_opt_id(wat_ctx *c, wat_name *out); /* an $id at pos, if any */
bool kite_wat_u32(wat_ctx *c, uint32_t *out);
bool kite_wat_u64(wat_ctx *c, uint64_t *out);
bool kite_wat_map_put(wat_ctx *c, wat_map *m, wat_name name, uint32_t index, bool *dup);
bool kite_wat_map_get(const wat_map *m, const char *name, uint32_t len, uint32_t *index);
/* An index in a space: a nat, or an $id resolved by name ("unknown <what>"). */
bool kite_wat_index(wat_ctx *c, int space, uint32_t *out);
bool kite_wat_at_index(const wat_ctx *c); /* the token at pos is a nat or an $id */
/* Types */
bool kite_wat_valtype(wat_ctx *c, kite_valtype *out);
bool kite_wat_reftype(wat_ctx *c, kite_valtype *out);
/* A heap type; *exact: it was custom descriptors' (exact typeidx). */
bool kite_wat_heaptype(wat_ctx *c, uint32_t *out, bool *exact);
bool kite_wat_at_valtype(const wat_ctx *c);
/* A type use: (type x)? (param ...)* (result ...)*. Param names are allowed when
   `names` (functions); elsewhere a named param is an unexpected token. Sets *typeidx and
   sig->has_type when (type x) is written; sig holds the inline params and results. */
bool kite_wat_typeuse(wat_ctx *c, bool names, uint32_t *typeidx, wat_sig *sig);
/* Resolve a type use to a type index: check an explicit index against the inline type
   ("inline function type"), or find (and before emission, append) the implicit type. */
bool kite_wat_resolve_typeuse(wat_ctx *c, const kite_token *at, uint32_t typeidx,
                              const wat_sig *sig, uint32_t *out);
void kite_wat_sig_free(wat_ctx *c, wat_sig *sig);
/* The function type of a type index, NULL when it is not one. */
const kite_functype *kite_wat_functype(const wat_ctx *c, uint32_t typeidx);

/* wat_instr.c: instructions */
/* Instructions up to the closing ')' of the enclosing form (not consumed). */
bool kite_wat_instrs(wat_ctx *c, kite_buf *out);
/* A constant expression up to the ')' (not consumed), with its final `end`. */
bool kite_wat_expr(wat_ctx *c, kite_buf *out);
/* One folded instruction (an offset or element item abbreviation), with `end`. */
bool kite_wat_folded_expr(wat_ctx *c, kite_buf *out);
/* Walk tokens [from, to) for the type uses of block instructions and call_indirect,
   in order, resolving each (which appends implicit types). */
bool kite_wat_scan_typeuses(wat_ctx *c, uint32_t from, uint32_t to);
/* wat.c: the branch hint annotation right before token `pos` of a function body, if
   any: its value (0 or 1), or -1. Reports duplicates. */
int kite_wat_take_hint(wat_ctx *c, uint32_t pos);
/* Whether a keyword names any instruction. */
bool kite_wat_is_opcode(const wat_ctx *c, const kite_token *t);

/* ---- printer: binary to text ---- */

typedef struct kite_print_options {
  bool fold; /* folded expressions instead of flat instructions */
} kite_print_options;

/* Print a decoded module as text, laid out as wabt's wasm2wat does. Parsing the text
   (kite_wat_to_wasm) gives back the module's bytes, provided they use minimal LEB128s.
   Meant for valid modules; an invalid one that decodes still prints without harm.
   Fails when allocation fails (KITE_ERR_OOM) or a function body cannot be read
   (KITE_ERR_COMPILE, malformed). */
bool kite_wasm_to_wat(const kite_module *m, const kite_print_options *opt, kite_buf *out,
                      kite_error *err);

/* The exact text of a float constant, as wabt writes it: a hex float ("0x1.8p+1"),
   "inf", "nan" or "nan:0x" payload, with '-' when the sign bit is set. Parsing it gives
   back the same bits. buf needs KITE_FLOAT_TEXT_MAX bytes; returns the length. */
#define KITE_FLOAT_TEXT_MAX 32
size_t kite_f32_text(uint32_t bits, char *buf);
size_t kite_f64_text(uint64_t bits, char *buf);

/* Disassemble every function body with byte offsets, like `wasm-objdump -d`. */
bool kite_disassemble(const kite_module *m, kite_buf *out, kite_error *err);

/* ---- .wast scripts (the spec suite's script format) ---- */

/*
** A script is a list of commands. Text modules are encoded to binary while parsing
** (through kite_wat_parse_module_fields), so a runner only ever sees bytes; quoted
** modules keep their text, which the runner parses when the command runs (their
** errors are what assert_malformed checks). Everything lives in the script's arena.
*/

typedef enum kite_wast_cmdkind {
  KITE_WAST_MODULE,           /* module; also `module definition` (no instance) */
  KITE_WAST_INSTANCE,         /* (module instance $I? $M?) */
  KITE_WAST_REGISTER,         /* (register "name" $I?) */
  KITE_WAST_ACTION,           /* a bare invoke or get */
  KITE_WAST_ASSERT_RETURN,
  KITE_WAST_ASSERT_TRAP,      /* on an action, or on a module when on_module */
  KITE_WAST_ASSERT_EXHAUSTION,
  KITE_WAST_ASSERT_EXCEPTION,
  KITE_WAST_ASSERT_INVALID,
  KITE_WAST_ASSERT_MALFORMED,
  KITE_WAST_ASSERT_UNLINKABLE,
  KITE_WAST_ASSERT_UNINSTANTIABLE,
  KITE_WAST_ASSERT_INVALID_CUSTOM,   /* a custom section's contents are invalid */
  KITE_WAST_ASSERT_MALFORMED_CUSTOM, /* a custom annotation is malformed */
  KITE_WAST_THREAD,           /* (thread $T (shared (module $M))* command*) */
  KITE_WAST_WAIT              /* (wait $T) */
} kite_wast_cmdkind;

typedef enum kite_wast_modkind {
  KITE_WAST_MOD_BINARY, /* bytes: (module binary ...) or a text module already encoded */
  KITE_WAST_MOD_QUOTE,  /* bytes are text: (module quote ...) */
  KITE_WAST_MOD_ERROR   /* a text module that did not parse: `error` says why */
} kite_wast_modkind;

typedef struct kite_wast_module {
  uint8_t kind;       /* kite_wast_modkind */
  bool is_text;       /* written as text (the bytes come from the text parser) */
  bool definition;    /* (module definition ...) */
  kite_name name;     /* $id without '$'; len 0 and ptr NULL when absent */
  const uint8_t *bytes;
  size_t len;
  kite_error error;   /* KITE_WAST_MOD_ERROR */
} kite_wast_module;

/* Values: constants for arguments, patterns for results. */
typedef enum kite_wast_valkind {
  KITE_WAST_I32,
  KITE_WAST_I64,
  KITE_WAST_F32,
  KITE_WAST_F64,
  KITE_WAST_V128,
  KITE_WAST_REF_NULL,   /* ht: heap type named (KITE_HT_*), KITE_WAST_HT_ANY when absent,
                           KITE_WAST_HT_INDEX for a type index or $id */
  KITE_WAST_REF_EXTERN, /* (ref.extern N); in results without N: any non-null externref */
  KITE_WAST_REF_HOST,   /* (ref.host N) */
  KITE_WAST_REF_FUNC,   /* results: any non-null function reference */
  KITE_WAST_REF,        /* results: (ref) any non-null reference */
  KITE_WAST_REF_ANY,    /* results: (ref.any) and the kinds below, non-null of that kind */
  KITE_WAST_REF_EQ,
  KITE_WAST_REF_I31,
  KITE_WAST_REF_STRUCT,
  KITE_WAST_REF_ARRAY,
  KITE_WAST_REF_EXN,
  KITE_WAST_EITHER      /* results: any one of `alts` */
} kite_wast_valkind;

#define KITE_WAST_HT_ANY 0xFFFFFFFFu
#define KITE_WAST_HT_INDEX 0xFFFFFFFEu

/* NaN patterns of float results (and of v128 float lanes). */
enum { KITE_WAST_NAN_NONE, KITE_WAST_NAN_CANONICAL, KITE_WAST_NAN_ARITHMETIC };

/* v128 shapes, as written after v128.const. */
enum {
  KITE_WAST_I8X16,
  KITE_WAST_I16X8,
  KITE_WAST_I32X4,
  KITE_WAST_I64X2,
  KITE_WAST_F32X4,
  KITE_WAST_F64X2
};

typedef struct kite_wast_value {
  uint8_t kind;        /* kite_wast_valkind */
  uint8_t shape;       /* v128: KITE_WAST_I8X16 ... */
  uint8_t nan[4];      /* f32, f64: nan[0]; v128 f32x4 / f64x2: one per lane */
  bool has_payload;    /* ref.extern, ref.host, ref.func (results may omit it) */
  uint32_t ht;         /* ref.null */
  union {
    uint32_t i32;      /* also f32 bits */
    uint64_t i64;      /* also f64 bits */
    uint8_t v128[16];  /* little-endian lanes */
    uint64_t payload;  /* ref.extern, ref.host */
  } u;
  uint32_t nalts;      /* KITE_WAST_EITHER */
  struct kite_wast_value *alts;
} kite_wast_value;

typedef enum { KITE_WAST_INVOKE, KITE_WAST_GET } kite_wast_actkind;

typedef struct kite_wast_action {
  uint8_t kind;        /* kite_wast_actkind */
  kite_name instance;  /* $id; ptr NULL: the latest instance */
  kite_name field;     /* export name (decoded bytes) */
  uint32_t nargs;
  kite_wast_value *args;
} kite_wast_action;

typedef struct kite_wast_cmd {
  uint8_t kind;          /* kite_wast_cmdkind */
  bool on_module;        /* ASSERT_TRAP on a module rather than an action */
  uint32_t line, col;    /* of the command's '(' */
  kite_wast_module module;  /* MODULE and the module assertions */
  kite_wast_action action;  /* ACTION and the action assertions */
  kite_name name;        /* INSTANCE: the instance; REGISTER: the registered name;
                            THREAD, WAIT: the thread */
  kite_name ref;         /* INSTANCE: the module; REGISTER: the instance (ptr NULL: latest) */
  kite_name text;        /* expected failure message */
  uint32_t nresults;     /* ASSERT_RETURN */
  kite_wast_value *results;
  uint32_t nshared;      /* THREAD: modules shared with the thread */
  kite_name *shared;
  uint32_t ncmds;        /* THREAD: its commands */
  struct kite_wast_cmd *cmds;
} kite_wast_cmd;

typedef struct kite_wast_script {
  kite_arena arena;
  uint32_t ncmds;
  kite_wast_cmd *cmds;
} kite_wast_script;

/* Parse a script. Text modules are parsed with features `f`. On a syntax error returns
   false with *err set (kind KITE_ERR_COMPILE, line:col of the offending token); *out
   then holds nothing. A text module whose own parse fails does not stop the script: its
   command gets a KITE_WAST_MOD_ERROR module, so a runner can report it at that line. */
bool kite_wast_parse(kite_alloc *a, const char *src, size_t len, kite_features f,
                     kite_wast_script *out, kite_error *err);
void kite_wast_free(kite_wast_script *s);

#endif

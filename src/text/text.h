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

/* Parse a whole .wat text (a `(module ...)` form, or bare module fields) to binary. */
bool kite_wat_to_wasm(kite_alloc *a, const char *src, size_t len, kite_features f, kite_buf *out,
                      kite_error *err);

/* Parse the fields of one module from a lexer positioned just after `(module` and the
   optional $id (which the caller consumed), through the closing ')'. Emits the binary
   into out. Used by the .wast script parser. */
bool kite_wat_parse_module_fields(kite_lexer *lx, kite_alloc *a, kite_features f, kite_buf *out,
                                  kite_error *err);

/* ---- printer: binary to text ---- */

typedef struct kite_print_options {
  bool fold; /* folded expressions instead of flat instructions */
} kite_print_options;

/* Print a decoded (and valid) module as text. */
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

#endif

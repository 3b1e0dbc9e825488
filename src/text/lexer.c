/*
** lexer.c: tokens of the text format (spec, Text Format, Lexical Format) and the
** decoding of their literals.
**
** A token is the longest run of characters that can form one: a run of idchars,
** strings and the reserved punctuation , ; [ ] { } is one token, classified afterwards
** as a keyword, identifier, number or, when it fits none of them, a reserved token
** (`0drop`, `$l"a"`, `"a""b"`) that the parser rejects with "unknown operator".
** The source must be valid UTF-8; outside strings and comments only ASCII is legal.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "text.h"

void kite_lexer_init(kite_lexer *lx, const char *src, size_t len, kite_error *err) {
  memset(lx, 0, sizeof *lx);
  lx->src = lx->p = lx->line_start = src;
  lx->end = src + len;
  lx->line = 1;
  lx->err = err;
}

static bool fail_here(kite_lexer *lx, const char *at, const char *msg) {
  return kite_fail_at(lx->err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, lx->line,
                      (uint32_t)(at - lx->line_start) + 1, "%s", msg);
}

static bool is_idchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  switch (c) {
  case '!':
  case '#':
  case '$':
  case '%':
  case '&':
  case '\'':
  case '*':
  case '+':
  case '-':
  case '.':
  case '/':
  case ':':
  case '<':
  case '=':
  case '>':
  case '?':
  case '@':
  case '\\':
  case '^':
  case '_':
  case '`':
  case '|':
  case '~': return true;
  default: return false;
  }
}

/* Characters that may join a reserved token besides idchars and strings. */
static bool is_reserved_punct(const kite_lexer *lx, const char *p) {
  switch (*p) {
  case ',':
  case '[':
  case ']':
  case '{':
  case '}': return true;
  case ';': return !(p + 1 < lx->end && p[1] == ';'); /* ";;" starts a comment */
  default: return false;
  }
}

/* Length of the well-formed UTF-8 sequence at p (>= 0x80), or 0 if malformed. */
static size_t utf8_len(const char *p, const char *end) {
  size_t avail = (size_t)(end - p);
  const uint8_t *s = (const uint8_t *)p;
  size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;
  if (n > avail) n = avail;
  for (size_t k = n; k >= 2; k--)
    if (kite_utf8_valid(s, k)) return k;
  return 0;
}

/* A character outside strings and comments that starts no token. */
static bool illegal_char(kite_lexer *lx, const char *p) {
  if ((unsigned char)*p >= 0x80 && utf8_len(p, lx->end) == 0)
    return fail_here(lx, p, "malformed UTF-8 encoding");
  return fail_here(lx, p, "illegal character");
}

static void newline(kite_lexer *lx, const char *p) {
  lx->line++;
  lx->line_start = p + 1;
}

/* Comment text may hold any character but must be well-formed UTF-8. */
static bool comment_char(kite_lexer *lx, const char **pp) {
  const char *p = *pp;
  if ((unsigned char)*p < 0x80) {
    if (*p == '\n' || (*p == '\r' && !(p + 1 < lx->end && p[1] == '\n'))) newline(lx, p);
    *pp = p + 1;
    return true;
  }
  size_t n = utf8_len(p, lx->end);
  if (!n) return fail_here(lx, p, "malformed UTF-8 encoding");
  *pp = p + n;
  return true;
}

static bool skip_space(kite_lexer *lx) {
  const char *p = lx->p;
  while (p < lx->end) {
    char c = *p;
    if (c == ' ' || c == '\t') {
      p++;
    } else if (c == '\r') { /* a lone CR is a newline too; CRLF counts once */
      if (!(p + 1 < lx->end && p[1] == '\n')) newline(lx, p);
      p++;
    } else if (c == '\n') {
      newline(lx, p);
      p++;
    } else if (c == ';' && p + 1 < lx->end && p[1] == ';') {
      p += 2;
      while (p < lx->end && *p != '\n' && *p != '\r')
        if (!comment_char(lx, &p)) return false;
    } else if (c == '(' && p + 1 < lx->end && p[1] == ';') {
      const char *start = p;
      uint32_t sline = lx->line;
      const char *sline_start = lx->line_start;
      int depth = 1;
      p += 2;
      while (depth > 0) {
        if (p >= lx->end) {
          lx->line = sline;
          lx->line_start = sline_start;
          lx->p = p;
          return fail_here(lx, start, "unclosed comment");
        }
        if (*p == '(' && p + 1 < lx->end && p[1] == ';') {
          depth++;
          p += 2;
        } else if (*p == ';' && p + 1 < lx->end && p[1] == ')') {
          depth--;
          p += 2;
        } else if (!comment_char(lx, &p)) {
          return false;
        }
      }
    } else {
      break;
    }
  }
  lx->p = p;
  return true;
}

static bool is_hex(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned hex_val(unsigned char c) {
  return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* Scan a string starting at the opening quote. On success *pp is past the closing quote. */
static bool scan_string(kite_lexer *lx, const char **pp) {
  const char *p = *pp + 1;
  for (;;) {
    if (p >= lx->end || *p == '\n') return fail_here(lx, *pp, "unclosed string");
    unsigned char c = (unsigned char)*p;
    if (c == '"') break;
    if (c == '\\') {
      const char *esc = p;
      p++;
      if (p >= lx->end) return fail_here(lx, *pp, "unclosed string");
      c = (unsigned char)*p;
      if (c == 't' || c == 'n' || c == 'r' || c == '"' || c == '\'' || c == '\\') {
        p++;
      } else if (c == 'u') {
        p++;
        if (p >= lx->end || *p != '{') return fail_here(lx, esc, "illegal escape");
        p++;
        uint32_t cp = 0;
        size_t digits = 0;
        while (p < lx->end && (is_hex((unsigned char)*p) || (*p == '_' && digits))) {
          if (*p != '_') {
            if (cp > 0x10FFFF) return fail_here(lx, esc, "illegal escape");
            cp = cp * 16 + hex_val((unsigned char)*p);
            digits++;
          } else if (p + 1 >= lx->end || !is_hex((unsigned char)p[1])) {
            return fail_here(lx, esc, "illegal escape");
          }
          p++;
        }
        if (!digits || p >= lx->end || *p != '}' || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
          return fail_here(lx, esc, "illegal escape");
        p++;
      } else if (is_hex(c) && p + 1 < lx->end && is_hex((unsigned char)p[1])) {
        p += 2;
      } else {
        return fail_here(lx, esc, "illegal escape");
      }
    } else if (c < 0x20 || c == 0x7F) {
      return fail_here(lx, p, "illegal character");
    } else if (c >= 0x80) {
      size_t n = utf8_len(p, lx->end);
      if (!n) return fail_here(lx, p, "malformed UTF-8 encoding");
      p += n;
    } else {
      p++;
    }
  }
  *pp = p + 1;
  return true;
}

/* Whether a scanned string's bytes, escapes decoded, are UTF-8 (annotation ids are
   short; longer ones are accepted unchecked). */
static bool quoted_name_utf8(const char *q, const char *s) {
  uint8_t small[256];
  size_t len = 0;
  for (const char *r = q + 1; r < s - 1;) {
    uint8_t one[4];
    size_t k = 1;
    if (*r == '\\') {
      r++;
      char e = *r;
      if (e == 'u') {
        uint32_t cp = 0;
        for (r += 2; *r != '}'; r++)
          if (*r != '_') cp = cp * 16 + hex_val((unsigned char)*r);
        r++;
        k = kite_utf8_encode(cp, one);
      } else if (is_hex((unsigned char)e)) {
        one[0] = (uint8_t)(hex_val((unsigned char)e) * 16 + hex_val((unsigned char)r[1]));
        r += 2;
      } else {
        one[0] = (uint8_t)(e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e);
        r++;
      }
    } else {
      one[0] = (uint8_t)*r++;
    }
    if (len + k > sizeof small) return true;
    memcpy(small + len, one, k);
    len += k;
  }
  return kite_utf8_valid(small, len);
}

/* Scan a string without reporting its errors: false if it is not well-formed. */
static bool try_scan_string(kite_lexer *lx, const char **pp) {
  kite_error *saved = lx->err;
  kite_error scratch;
  kite_error_clear(&scratch);
  lx->err = &scratch;
  bool ok = scan_string(lx, pp);
  lx->err = saved;
  return ok;
}

/* ---- number syntax ---- */

/* digit ('_'? digit)*: advances *i past it; false if no digit at *i. */
static bool scan_num(const char *s, size_t n, size_t *i, bool hex) {
  size_t k = *i;
  if (k >= n || !(hex ? is_hex((unsigned char)s[k]) : (s[k] >= '0' && s[k] <= '9'))) return false;
  k++;
  for (;;) {
    size_t j = k;
    if (j < n && s[j] == '_') j++;
    if (j < n && (hex ? is_hex((unsigned char)s[j]) : (s[j] >= '0' && s[j] <= '9'))) k = j + 1;
    else break;
  }
  *i = k;
  return true;
}

/* Classify a run of idchars as a number token; KITE_TOK_RESERVED if it is none. */
static kite_tokkind classify_number(const char *s, size_t n) {
  size_t i = 0;
  bool sign = n > 0 && (s[0] == '+' || s[0] == '-');
  if (sign) i++;
  size_t rest = n - i;
  if ((rest == 3 && !memcmp(s + i, "inf", 3)) || (rest == 3 && !memcmp(s + i, "nan", 3)))
    return KITE_TOK_FLOAT;
  if (rest > 6 && !memcmp(s + i, "nan:0x", 6)) {
    i += 6;
    return scan_num(s, n, &i, true) && i == n ? KITE_TOK_FLOAT : KITE_TOK_RESERVED;
  }
  bool hex = rest > 2 && s[i] == '0' && s[i + 1] == 'x';
  if (hex) i += 2;
  if (!scan_num(s, n, &i, hex)) return KITE_TOK_RESERVED;
  if (i == n) return sign ? KITE_TOK_INT : KITE_TOK_NAT;
  if (s[i] == '.') {
    i++;
    if (i < n && s[i] != '_') scan_num(s, n, &i, hex);
  }
  if (i < n && (hex ? (s[i] == 'p' || s[i] == 'P') : (s[i] == 'e' || s[i] == 'E'))) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (!scan_num(s, n, &i, false)) return KITE_TOK_RESERVED;
  }
  return i == n ? KITE_TOK_FLOAT : KITE_TOK_RESERVED;
}

/*
** One token. In an annotation's body `(@` without a name is just `(` (the body is
** any balanced token sequence), elsewhere it is an error.
*/
static bool lex_token(kite_lexer *lx, kite_token *t, bool in_annotation) {
  if (!skip_space(lx)) return false;
  const char *p = lx->p;
  t->text = p;
  t->len = 0;
  t->line = lx->line;
  t->col = (uint32_t)(p - lx->line_start) + 1;
  if (p >= lx->end) {
    t->kind = KITE_TOK_EOF;
    return true;
  }
  unsigned char c = (unsigned char)*p;
  if (c == '(') {
    if (p + 1 < lx->end && p[1] == '@') {
      const char *q = p + 2;
      if (q < lx->end && *q == '"') {
        const char *s = q;
        if (try_scan_string(lx, &s) && s - q > 2) {
          if (!quoted_name_utf8(q, s)) return fail_here(lx, q, "malformed UTF-8");
          t->kind = KITE_TOK_ANNOT;
          t->text = q + 1;
          t->len = (size_t)(s - q) - 2;
          lx->p = s;
          return true;
        }
      } else {
        const char *s = q;
        while (s < lx->end && is_idchar((unsigned char)*s)) s++;
        if (s > q) {
          t->kind = KITE_TOK_ANNOT;
          t->text = q;
          t->len = (size_t)(s - q);
          lx->p = s;
          return true;
        }
      }
      if (!in_annotation) return fail_here(lx, p, "empty annotation id");
    }
    t->kind = KITE_TOK_LPAREN;
    t->len = 1;
    lx->p = p + 1;
    return true;
  }
  if (c == ')') {
    t->kind = KITE_TOK_RPAREN;
    t->len = 1;
    lx->p = p + 1;
    return true;
  }
  if (!is_idchar(c) && c != '"' && !is_reserved_punct(lx, p)) return illegal_char(lx, p);

  if (c == '$' && p + 1 < lx->end && p[1] == '"') { /* $"name": the string must be sound */
    const char *s = p + 1;
    if (!try_scan_string(lx, &s)) return fail_here(lx, p, "empty identifier");
  }
  /* The longest run of idchars, strings and reserved punctuation. */
  const char *q = p;
  size_t strings = 0;
  bool other = false; /* anything but idchars and strings */
  while (q < lx->end) {
    if (*q == '"') {
      if (!scan_string(lx, &q)) return false;
      strings++;
    } else if (is_idchar((unsigned char)*q)) {
      q++;
    } else if (is_reserved_punct(lx, q)) {
      other = true;
      q++;
    } else {
      break;
    }
  }
  lx->p = q;
  t->len = (size_t)(q - p);
  bool one_string = strings == 1 && !other && q[-1] == '"';
  if (c == '"' && one_string) {
    t->kind = KITE_TOK_STRING;
    return true;
  }
  if (c == '$') {
    if (t->len == 1 || (one_string && p[1] == '"' && t->len == 3))
      return fail_here(lx, p, "empty identifier");
    if ((!strings && !other) || (one_string && p[1] == '"')) {
      t->kind = KITE_TOK_ID;
      t->text = p + 1;
      t->len--;
      return true;
    }
    t->kind = KITE_TOK_RESERVED;
    return true;
  }
  if (strings || other) {
    t->kind = KITE_TOK_RESERVED;
    return true;
  }
  kite_tokkind num = classify_number(p, t->len);
  if (num != KITE_TOK_RESERVED) {
    t->kind = num;
    return true;
  }
  t->kind = (c >= 'a' && c <= 'z') ? KITE_TOK_KEYWORD : KITE_TOK_RESERVED;
  return true;
}

bool kite_lex_next(kite_lexer *lx, kite_token *t) {
  if (lx->has_peek) {
    *t = lx->peek;
    lx->has_peek = false;
    return true;
  }
  if (kite_failed(lx->err)) return false;
  return lex_token(lx, t, false);
}

bool kite_lex_peek(kite_lexer *lx, kite_token *t) {
  if (!lx->has_peek) {
    if (kite_failed(lx->err) || !lex_token(lx, &lx->peek, false)) return false;
    lx->has_peek = true;
  }
  *t = lx->peek;
  return true;
}

bool kite_lex_skip_sexpr(kite_lexer *lx) {
  int depth = 1;
  kite_token t;
  if (lx->has_peek) {
    lx->has_peek = false;
    t = lx->peek;
    goto have_token;
  }
  for (;;) {
    if (kite_failed(lx->err) || !lex_token(lx, &t, true)) return false;
  have_token:
    if (t.kind == KITE_TOK_EOF)
      return kite_fail_at(lx->err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, t.line, t.col,
                          "unclosed annotation");
    if (t.kind == KITE_TOK_LPAREN || t.kind == KITE_TOK_ANNOT) depth++;
    if (t.kind == KITE_TOK_RPAREN && --depth == 0) return true;
  }
}

bool kite_tok_is(const kite_token *t, const char *keyword) {
  size_t n = strlen(keyword);
  return t->kind == KITE_TOK_KEYWORD && t->len == n && !memcmp(t->text, keyword, n);
}

/* ---- integer literals ---- */

/* Magnitude of a nat (after an optional sign); false on overflow of 64 bits. */
static bool parse_mag(const char *s, size_t n, uint64_t *out) {
  bool hex = n > 2 && s[0] == '0' && s[1] == 'x';
  size_t i = hex ? 2 : 0;
  uint64_t v = 0;
  unsigned base = hex ? 16 : 10;
  for (; i < n; i++) {
    if (s[i] == '_') continue;
    unsigned d = hex_val((unsigned char)s[i]);
    if (v > (UINT64_MAX - d) / base) return false;
    v = v * base + d;
  }
  *out = v;
  return true;
}

bool kite_tok_u64(const kite_token *t, uint64_t *out) {
  return t->kind == KITE_TOK_NAT && parse_mag(t->text, t->len, out);
}

bool kite_tok_u32(const kite_token *t, uint32_t *out) {
  uint64_t v;
  if (!kite_tok_u64(t, &v) || v > UINT32_MAX) return false;
  *out = (uint32_t)v;
  return true;
}

/* iN: a nat below 2^N, or a signed int in [-2^(N-1), 2^(N-1)). */
static bool tok_int(const kite_token *t, unsigned bits, uint64_t *out) {
  uint64_t v, half = (uint64_t)1 << (bits - 1);
  uint64_t mask = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
  if (t->kind == KITE_TOK_NAT) {
    if (!parse_mag(t->text, t->len, &v) || v > mask) return false;
    *out = v;
    return true;
  }
  if (t->kind != KITE_TOK_INT || !parse_mag(t->text + 1, t->len - 1, &v)) return false;
  if (t->text[0] == '-') {
    if (v > half) return false;
    *out = (0 - v) & mask;
  } else {
    if (v >= half) return false;
    *out = v;
  }
  return true;
}

bool kite_tok_i32(const kite_token *t, uint32_t *out) {
  uint64_t v;
  if (!tok_int(t, 32, &v)) return false;
  *out = (uint32_t)v;
  return true;
}

bool kite_tok_i64(const kite_token *t, uint64_t *out) { return tok_int(t, 64, out); }

/* ---- float literals ---- */

typedef struct float_format {
  unsigned prec;    /* significand bits including the implicit one: 24 or 53 */
  int emin, emax;   /* unbiased exponent range of normal numbers */
  unsigned expbits; /* 8 or 11 */
} float_format;

static const float_format F32 = {24, -126, 127, 8};
static const float_format F64 = {53, -1022, 1023, 11};

static unsigned bit_length(uint64_t m) {
  unsigned n = 0;
  while (m) {
    n++;
    m >>= 1;
  }
  return n;
}

/*
** Round m * 2^exp (plus a sticky nonzero tail below m's last bit) to the format,
** ties to even. False when the result rounds to infinity: out of range.
** m < 2^60, so every shift below stays inside 64 bits.
*/
static bool round_binary(uint64_t m, int64_t exp, bool sticky, const float_format *f,
                         uint64_t *bits) {
  if (m == 0) {
    *bits = 0;
    return true;
  }
  int64_t e = (int64_t)bit_length(m) - 1 + exp; /* exponent of the leading bit */
  if (e > f->emax + 1) return false;
  int64_t keep = e >= f->emin ? (int64_t)f->prec : (int64_t)f->prec - (f->emin - e);
  if (keep < 0) {
    *bits = 0;
    return true;
  }
  int64_t shift = (int64_t)bit_length(m) - keep;
  if (shift > 0) {
    uint64_t rem = m & (((uint64_t)1 << shift) - 1);
    uint64_t half = (uint64_t)1 << (shift - 1);
    m >>= shift;
    exp += shift;
    if (rem > half || (rem == half && (sticky || (m & 1)))) m++;
  } else if (shift < 0) {
    m <<= -shift;
    exp += shift;
  }
  if (m == 0) {
    *bits = 0;
    return true;
  }
  unsigned nb = bit_length(m);
  e = (int64_t)nb - 1 + exp;
  if (e > f->emax) return false;
  uint64_t frac_mask = ((uint64_t)1 << (f->prec - 1)) - 1;
  if (e < f->emin) { /* subnormal: exp is emin - prec + 1 here */
    *bits = m & frac_mask;
    return true;
  }
  if (nb > f->prec) m >>= nb - f->prec; /* the carry made one more bit; it is a 0 */
  else m <<= f->prec - nb;
  uint64_t biased = (uint64_t)(e + ((1 << (f->expbits - 1)) - 1));
  *bits = biased << (f->prec - 1) | (m & frac_mask);
  return true;
}

/* Decimal exponent digits, saturated so absurd exponents stay in range of int64. */
static int64_t parse_exp(const char *s, size_t n, size_t *i) {
  bool neg = false;
  if (*i < n && (s[*i] == '+' || s[*i] == '-')) neg = s[(*i)++] == '-';
  int64_t v = 0;
  for (; *i < n; (*i)++) {
    if (s[*i] == '_') continue;
    if (v < 100000000) v = v * 10 + (s[*i] - '0');
  }
  return neg ? -v : v;
}

static bool hex_float(const char *s, size_t n, const float_format *f, uint64_t *bits) {
  size_t i = 2; /* past 0x */
  uint64_t m = 0;
  int64_t exp = 0;
  bool sticky = false, frac = false;
  for (; i < n; i++) {
    char c = s[i];
    if (c == '_') continue;
    if (c == '.') {
      frac = true;
      continue;
    }
    if (c == 'p' || c == 'P') break;
    unsigned d = hex_val((unsigned char)c);
    if (m < ((uint64_t)1 << 56)) { /* keep prec + 2 bits at least; m stays below 2^60 */
      m = m * 16 + d;
      if (frac) exp -= 4;
    } else {
      sticky |= d != 0;
      if (!frac) exp += 4;
    }
  }
  if (i < n) {
    i++;
    exp += parse_exp(s, n, &i);
  }
  return round_binary(m, exp, sticky, f, bits);
}

/*
** Decimal: normalise to "<digits>e<exp>" (no decimal point, so the C library's
** locale cannot matter) and let strtof/strtod round it correctly. Beyond 780
** significant digits only whether the tail is zero can change the rounding, so the
** tail becomes one sticky digit.
*/
static bool dec_float(const char *s, size_t n, bool f32, uint64_t *bits) {
  enum { MAX_DIGITS = 780 };
  char buf[MAX_DIGITS + 40];
  size_t len = 0, i = 0;
  int64_t exp = 0;
  bool frac = false, sticky = false;
  for (; i < n; i++) {
    char c = s[i];
    if (c == '_') continue;
    if (c == '.') {
      frac = true;
      continue;
    }
    if (c == 'e' || c == 'E') break;
    if (len == 0 && c == '0') { /* leading zero */
      if (frac) exp--;
      continue;
    }
    if (len < MAX_DIGITS) {
      buf[len++] = c;
      if (frac) exp--;
    } else {
      sticky |= c != '0';
      if (!frac) exp++;
    }
  }
  if (i < n) {
    i++;
    exp += parse_exp(s, n, &i);
  }
  if (len == 0) {
    *bits = 0;
    return true;
  }
  if (sticky) {
    buf[len++] = '1';
    exp--;
  }
  if (exp > 100000) exp = 100000;
  if (exp < -100000) exp = -100000;
  snprintf(buf + len, sizeof buf - len, "e%lld", (long long)exp);
  if (f32) {
    float v = strtof(buf, NULL);
    if (isinf(v)) return false;
    uint32_t b;
    memcpy(&b, &v, 4);
    *bits = b;
  } else {
    double v = strtod(buf, NULL);
    if (isinf(v)) return false;
    memcpy(bits, &v, 8);
  }
  return true;
}

static bool tok_float(const kite_token *t, const float_format *f, uint64_t *bits) {
  if (t->kind != KITE_TOK_NAT && t->kind != KITE_TOK_INT && t->kind != KITE_TOK_FLOAT) return false;
  const char *s = t->text;
  size_t n = t->len;
  bool neg = false;
  if (n && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s++;
    n--;
  }
  unsigned width = f->prec + f->expbits; /* 32 or 64 bits */
  uint64_t sign = neg ? (uint64_t)1 << (width - 1) : 0;
  uint64_t exp_all = (((uint64_t)1 << f->expbits) - 1) << (f->prec - 1);
  uint64_t frac_mask = ((uint64_t)1 << (f->prec - 1)) - 1;
  uint64_t v;
  if (n == 3 && !memcmp(s, "inf", 3)) {
    v = exp_all;
  } else if (n == 3 && !memcmp(s, "nan", 3)) {
    v = exp_all | ((uint64_t)1 << (f->prec - 2));
  } else if (n > 4 && !memcmp(s, "nan:", 4)) {
    uint64_t payload;
    if (!parse_mag(s + 4, n - 4, &payload) || payload == 0 || payload > frac_mask) return false;
    v = exp_all | payload;
  } else if (n > 2 && s[0] == '0' && s[1] == 'x') {
    if (!hex_float(s, n, f, &v)) return false;
  } else {
    if (!dec_float(s, n, f->prec == 24, &v)) return false;
  }
  *bits = sign | v;
  return true;
}

bool kite_tok_f32(const kite_token *t, uint32_t *bits) {
  uint64_t v;
  if (!tok_float(t, &F32, &v)) return false;
  *bits = (uint32_t)v;
  return true;
}

bool kite_tok_f64(const kite_token *t, uint64_t *bits) { return tok_float(t, &F64, bits); }

/* ---- strings ---- */

bool kite_tok_string(const kite_token *t, kite_buf *out) {
  if (t->len < 2 || t->text[0] != '"' || t->text[t->len - 1] != '"') return false;
  const char *p = t->text + 1, *end = t->text + t->len - 1;
  while (p < end) {
    const char *run = p;
    while (p < end && *p != '\\') p++;
    if (p > run && !kite_buf_put(out, run, (size_t)(p - run))) return false;
    if (p >= end) break;
    p++;
    char e = *p++;
    uint8_t c;
    switch (e) {
    case 't': c = '\t'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case '"': c = '"'; break;
    case '\'': c = '\''; break;
    case '\\': c = '\\'; break;
    case 'u': {
      uint32_t cp = 0;
      p++; /* { */
      while (p < end && *p != '}') {
        if (*p != '_') cp = cp * 16 + hex_val((unsigned char)*p);
        if (cp > 0x10FFFF) return false;
        p++;
      }
      p++;
      uint8_t enc[4];
      size_t k = kite_utf8_encode(cp, enc);
      if (!k || !kite_buf_put(out, enc, k)) return false;
      continue;
    }
    default:
      if (p >= end + 1 || !is_hex((unsigned char)e) || !is_hex((unsigned char)*p)) return false;
      c = (uint8_t)(hex_val((unsigned char)e) * 16 + hex_val((unsigned char)*p));
      p++;
      break;
    }
    if (!kite_buf_byte(out, c)) return false;
  }
  return !out->oom;
}

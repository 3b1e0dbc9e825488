/*
** cmd_wast.c: `kite wast [-v] FILE...`, the spec suite runner. Parses each .wast script,
** runs it (wast_run.c) with the features its folder of the suite needs, and counts the
** outcomes, setting aside the known failures: a data file of `PATH[:LINE]  # reason`
** lines, PATH relative to the suite's directory. A listed command is run but counts as
** skipped; a listed file is not run. With --check-known-failures the listed ones run
** too and the exit status says whether any of them passes now (so the list only
** shrinks).
*/
#define _XOPEN_SOURCE 700 /* realpath */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "text.h"

typedef struct known_entry {
  char *path;
  uint32_t line; /* 0: the whole file */
  char *reason;
  bool seen;   /* a command (or the file) it names was found */
  bool passed; /* check mode: it ran and passed */
} known_entry;

typedef struct wast_options {
  bool verbose;
  bool check_known;
  bool have_features;
  kite_features features;
  const char *suite_dir;
  known_entry *known;
  size_t nknown;
} wast_options;

typedef struct file_counts {
  uint64_t passed, failed, skipped;
} file_counts;

/* What the outcome callback needs to know about the file being run. */
typedef struct file_run {
  const wast_options *opt;
  const char *path;    /* as given */
  const char *relpath; /* relative to the suite, for known-failure entries */
  file_counts counts;
} file_run;

static const char *const cmd_names[] = {"module",
                                        "module instance",
                                        "register",
                                        "action",
                                        "assert_return",
                                        "assert_trap",
                                        "assert_exhaustion",
                                        "assert_exception",
                                        "assert_invalid",
                                        "assert_malformed",
                                        "assert_unlinkable",
                                        "assert_uninstantiable",
                                        "assert_invalid_custom",
                                        "assert_malformed_custom",
                                        "thread",
                                        "wait"};

/* ---- the known-failures list ---- */

static char *dup_range(const char *p, size_t n) {
  char *s = malloc(n + 1);
  if (s) {
    memcpy(s, p, n);
    s[n] = 0;
  }
  return s;
}

static void free_known(wast_options *opt) {
  for (size_t i = 0; i < opt->nknown; i++) {
    free(opt->known[i].path);
    free(opt->known[i].reason);
  }
  free(opt->known);
  opt->known = NULL;
  opt->nknown = 0;
}

static bool load_known(const char *path, wast_options *opt) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_buf b;
  kite_buf_init(&b, &a);
  kite_error err;
  kite_error_clear(&err);
  if (!cli_read_file(path, &b, &err)) {
    cli_print_error(path, &err);
    kite_buf_free(&b);
    return false;
  }
  size_t cap = 0;
  bool ok = true;
  const char *p = (const char *)b.data, *end = p + b.len;
  for (uint32_t lineno = 1; ok && p < end; lineno++) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) eol = end;
    const char *hash = memchr(p, '#', (size_t)(eol - p));
    const char *stop = hash ? hash : eol;
    while (p < stop && (*p == ' ' || *p == '\t')) p++;
    const char *q = p;
    while (q < stop && *q != ' ' && *q != '\t' && *q != '\r') q++;
    if (q > p) {
      known_entry e = {0};
      const char *colon = memchr(p, ':', (size_t)(q - p));
      const char *pend = colon ? colon : q;
      if (colon) {
        char *num_end;
        unsigned long line = strtoul(colon + 1, &num_end, 10);
        if (num_end != q || line == 0 || line > UINT32_MAX) {
          fprintf(stderr, "%s:%" PRIu32 ": error: expected PATH or PATH:LINE\n", path, lineno);
          ok = false;
          break;
        }
        e.line = (uint32_t)line;
      }
      const char *r = hash ? hash + 1 : eol;
      while (r < eol && *r == ' ') r++;
      const char *rend = eol;
      while (rend > r && (rend[-1] == ' ' || rend[-1] == '\r')) rend--;
      e.path = dup_range(p, (size_t)(pend - p));
      e.reason = dup_range(r, (size_t)(rend - r));
      if (opt->nknown == cap) {
        cap = cap ? cap * 2 : 64;
        known_entry *nk = realloc(opt->known, cap * sizeof *nk);
        if (!nk) ok = false;
        else opt->known = nk;
      }
      if (!ok || !e.path || !e.reason) {
        free(e.path);
        free(e.reason);
        fprintf(stderr, "kite: out of memory\n");
        ok = false;
        break;
      }
      opt->known[opt->nknown++] = e;
    }
    p = eol < end ? eol + 1 : end;
  }
  kite_buf_free(&b);
  return ok;
}

static known_entry *find_known(const wast_options *opt, const char *relpath, uint32_t line) {
  for (size_t i = 0; i < opt->nknown; i++)
    if (opt->known[i].line == line && strcmp(opt->known[i].path, relpath) == 0)
      return &opt->known[i];
  return NULL;
}

/* ---- paths and features ---- */

/* The path relative to the suite's directory when the file lies beneath it. */
static const char *relative_path(const char *path, const char *suite_dir, char *buf, size_t size) {
  if (!suite_dir) return path;
  char *rfile = realpath(path, NULL), *rsuite = realpath(suite_dir, NULL);
  const char *rel = path;
  size_t n = rsuite ? strlen(rsuite) : 0;
  if (rfile && rsuite && strncmp(rfile, rsuite, n) == 0 && rfile[n] == '/' &&
      strlen(rfile + n + 1) < size) {
    memcpy(buf, rfile + n + 1, strlen(rfile + n + 1) + 1);
    rel = buf;
  }
  free(rfile);
  free(rsuite);
  return rel;
}

/* True when the path starts with the folder, or has it as a component (a file given
   by a path outside --suite). */
static bool in_folder(const char *path, const char *folder) {
  size_t n = strlen(folder);
  if (strncmp(path, folder, n) == 0) return true;
  for (const char *p = strstr(path, folder); p; p = strstr(p + 1, folder))
    if (p > path && p[-1] == '/') return true;
  return false;
}

/* The features a script of the suite needs, from its folder. The threads proposal's
   scripts predate reference types and multi-memory (they expect "multiple tables" and
   "multiple memories"), so they run on the base they were written against. */
static kite_features features_for(const char *relpath) {
  kite_features f = KITE_FEATURES_3_0;
  if (in_folder(relpath, "proposals/threads/"))
    f = (KITE_FEATURES_2_0 & ~KITE_FEATURE_BIT(FEAT_REF_TYPES)) | KITE_FEATURE_BIT(FEAT_THREADS);
  else if (in_folder(relpath, "proposals/wide-arithmetic/")) f |= KITE_FEATURE_BIT(FEAT_WIDE_ARITH);
  else if (in_folder(relpath, "proposals/custom-page-sizes/"))
    f |= KITE_FEATURE_BIT(FEATX_CUSTOM_PAGE_SIZES);
  else if (in_folder(relpath, "legacy/")) f |= KITE_FEATURE_BIT(FEAT_LEGACY_EH);
  else if (in_folder(relpath, "proposals/custom-descriptors/"))
    f |= KITE_FEATURE_BIT(FEAT_CUSTOM_DESC);
  return f;
}

/* ---- running files ---- */

static void outcome(void *ud, const kite_wast_cmd *cmd, int result, const char *why) {
  file_run *fr = ud;
  known_entry *k = find_known(fr->opt, fr->relpath, cmd->line);
  const char *name = cmd->kind < KITE_ARRAY_LEN(cmd_names) ? cmd_names[cmd->kind] : "command";
  if (k) {
    k->seen = true;
    if (result == WAST_PASSED) k->passed = true;
    fr->counts.skipped++;
    return;
  }
  switch (result) {
  case WAST_PASSED: fr->counts.passed++; break;
  case WAST_SKIPPED:
    fr->counts.skipped++;
    if (fr->opt->verbose)
      printf("%s:%" PRIu32 ": %s: skipped: %s\n", fr->path, cmd->line, name, why);
    break;
  default:
    fr->counts.failed++;
    if (fr->opt->verbose) printf("%s:%" PRIu32 ": %s: %s\n", fr->path, cmd->line, name, why);
    break;
  }
}

static uint64_t count_commands(const kite_wast_cmd *cmds, uint32_t n) {
  uint64_t total = n;
  for (uint32_t i = 0; i < n; i++) total += count_commands(cmds[i].cmds, cmds[i].ncmds);
  return total;
}

static void run_file(const wast_options *opt, const char *path, file_counts *total) {
  char relbuf[4096];
  file_run fr;
  memset(&fr, 0, sizeof fr);
  fr.opt = opt;
  fr.path = path;
  fr.relpath = relative_path(path, opt->suite_dir, relbuf, sizeof relbuf);
  known_entry *whole = find_known(opt, fr.relpath, 0);
  if (whole) whole->seen = true;
  kite_features features = opt->have_features ? opt->features : features_for(fr.relpath);

  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_buf src;
  kite_buf_init(&src, &a);
  kite_error err;
  kite_error_clear(&err);
  kite_wast_script script;
  bool parsed = false;
  if (!cli_read_file(path, &src, &err)) {
    cli_print_error(path, &err);
  } else if (!kite_wast_parse(&a, (const char *)src.data, src.len, features, &script, &err)) {
    if (!whole || opt->verbose) cli_print_error(path, &err);
  } else {
    parsed = true;
  }
  if (!parsed) {
    if (whole) fr.counts.skipped++;
    else fr.counts.failed++;
  } else if (whole && !opt->check_known) {
    fr.counts.skipped += count_commands(script.cmds, script.ncmds);
  } else {
    if (!wast_run_script(&script, features, outcome, &fr, &err)) {
      cli_print_error(path, &err);
      fr.counts.failed++;
    }
    if (whole) {
      if (fr.counts.failed == 0) whole->passed = true;
      fr.counts.skipped += fr.counts.passed + fr.counts.failed;
      fr.counts.passed = fr.counts.failed = 0;
    }
  }
  if (parsed) kite_wast_free(&script);
  kite_buf_free(&src);
  printf("%s: %" PRIu64 " passed, %" PRIu64 " failed, %" PRIu64 " skipped\n", path,
         fr.counts.passed, fr.counts.failed, fr.counts.skipped);
  fflush(stdout);
  total->passed += fr.counts.passed;
  total->failed += fr.counts.failed;
  total->skipped += fr.counts.skipped;
}

/* Check mode: entries that pass now, or no longer name anything, must leave the list. */
static bool report_stale_entries(const wast_options *opt, char **files, int nfiles) {
  char relbuf[4096];
  bool clean = true;
  for (size_t i = 0; i < opt->nknown; i++) {
    const known_entry *k = &opt->known[i];
    bool file_ran = false;
    for (int f = 0; f < nfiles && !file_ran; f++)
      file_ran =
          strcmp(relative_path(files[f], opt->suite_dir, relbuf, sizeof relbuf), k->path) == 0;
    if (!file_ran) continue;
    if (k->passed) {
      if (k->line)
        printf("%s:%" PRIu32 ": known failure passes now (%s): remove it from the list\n", k->path,
               k->line, k->reason);
      else
        printf("%s: known failure passes now (%s): remove it from the list\n", k->path, k->reason);
      clean = false;
    } else if (!k->seen) {
      printf("%s:%" PRIu32 ": known failure names no command: remove it from the list\n", k->path,
             k->line);
      clean = false;
    }
  }
  return clean;
}

static int usage(void) {
  printf("usage: kite wast [OPTIONS] FILE...\n\n"
         "Run .wast scripts of the WebAssembly spec suite. Prints, for each file,\n"
         "`FILE: P passed, F failed, S skipped`, then the totals.\n\n"
         "options:\n"
         "  -v                         show each failure with FILE:LINE and why\n"
         "  --known-failures=LIST      entries `PATH[:LINE]  # reason` (PATH relative to the\n"
         "                             suite) count as skipped instead of failed\n"
         "  --suite=DIR                the suite's directory (default: $KITE_TESTSUITE)\n"
         "  --check-known-failures     also run the listed entries; fail when one passes\n"
         "  --features=2.0|3.0|all     instead of the features each suite folder needs\n\n"
         "Exit status: 1 when anything not listed fails (with --check-known-failures: when a\n"
         "listed entry passes or names nothing), 0 otherwise.\n");
  return CLI_OK;
}

int cmd_wast(int argc, char **argv) {
  wast_options opt;
  memset(&opt, 0, sizeof opt);
  opt.suite_dir = getenv("KITE_TESTSUITE");
  const char *known_path = NULL;
  char **files = malloc(sizeof *files * (size_t)(argc > 0 ? argc : 1));
  if (!files) return CLI_FAIL;
  int nfiles = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (cli_is_help(arg)) {
      free(files);
      return usage();
    }
    if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) opt.verbose = true;
    else if (strcmp(arg, "--check-known-failures") == 0) opt.check_known = true;
    else if (strncmp(arg, "--known-failures=", 17) == 0) known_path = arg + 17;
    else if (strncmp(arg, "--suite=", 8) == 0) opt.suite_dir = arg + 8;
    else if (strncmp(arg, "--features=", 11) == 0) {
      if (!cli_parse_features(arg + 11, &opt.features)) {
        free(files);
        return cli_usage_error("wast", "unknown feature set '%s'", arg + 11);
      }
      opt.have_features = true;
    } else if (arg[0] == '-' && arg[1]) {
      free(files);
      return cli_usage_error("wast", "unknown option '%s'", arg);
    } else {
      files[nfiles++] = argv[i];
    }
  }
  if (nfiles == 0) {
    free(files);
    return cli_usage_error("wast", "no .wast file given");
  }
  if (known_path && !load_known(known_path, &opt)) {
    free_known(&opt);
    free(files);
    return CLI_FAIL;
  }
  file_counts total = {0, 0, 0};
  for (int i = 0; i < nfiles; i++) run_file(&opt, files[i], &total);
  bool clean = opt.check_known ? report_stale_entries(&opt, files, nfiles) : total.failed == 0;
  printf("%" PRIu64 " passed, %" PRIu64 " failed, %" PRIu64 " skipped\n", total.passed,
         total.failed, total.skipped);
  free_known(&opt);
  free(files);
  return clean ? CLI_OK : CLI_FAIL;
}

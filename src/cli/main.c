/*
** main.c: `kite SUBCOMMAND ARGS...`. The table below is the whole dispatch: one row per
** subcommand, in the order `kite help` lists them.
*/
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

typedef struct cli_command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} cli_command;

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const cli_command commands[] = {
    {"help", cmd_help, "show this list, or `kite help COMMAND` for one command's usage"},
    {"version", cmd_version, "print Kite's version"},
    {"validate", cmd_validate, "check that modules are valid"},
    {"objdump", cmd_objdump, "show a module's sections and their contents"},
    {"run", cmd_run, "run a WebAssembly module with WASI (also: kite FILE [ARGS...])"},
    {"wat2wasm", cmd_wat2wasm, "translate a text module (.wat) to a binary module (.wasm)"},
    {"wasm2wat", cmd_wasm2wat, "print a binary module in the text format"},
    {"wast", cmd_wast, "run .wast scripts of the WebAssembly spec suite"},
};

static const cli_command *find_command(const char *name) {
  for (size_t i = 0; i < KITE_ARRAY_LEN(commands); i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

static void print_overview(FILE *f) {
  fprintf(f,
          "usage: kite COMMAND [ARGS...]\n\nKite %s, a WebAssembly engine and toolkit.\n\n"
          "commands:\n",
          KITE_VERSION);
  for (size_t i = 0; i < KITE_ARRAY_LEN(commands); i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nRun `kite help COMMAND` for a command's options.\n");
}

static int cmd_help(int argc, char **argv) {
  if (argc < 2 || cli_is_help(argv[1])) {
    print_overview(stdout);
    return CLI_OK;
  }
  const cli_command *c = find_command(argv[1]);
  if (!c) return cli_usage_error("help", "unknown command '%s'", argv[1]);
  if (c->run == cmd_help) {
    print_overview(stdout);
    return CLI_OK;
  }
  char help_flag[] = "--help";
  char *sub_argv[] = {argv[1], help_flag, NULL};
  return c->run(2, sub_argv);
}

static int cmd_version(int argc, char **argv) {
  if (argc > 1 && !cli_is_help(argv[1]))
    return cli_usage_error("version", "unexpected argument '%s'", argv[1]);
  if (argc > 1) {
    printf("usage: kite version\n\nPrint Kite's version.\n");
    return CLI_OK;
  }
  printf("kite %s\n", KITE_VERSION);
  return CLI_OK;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_overview(stderr);
    return CLI_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) return cmd_help(1, argv);
  if (strcmp(argv[1], "--version") == 0) return cmd_version(1, argv);
  const cli_command *c = find_command(argv[1]);
  /* `kite FILE ARGS...` is `kite run FILE ARGS...` when FILE names a file. */
  struct stat st;
  if (!c && stat(argv[1], &st) == 0 && S_ISREG(st.st_mode)) return cmd_run(argc, argv);
  if (!c) {
    fprintf(stderr, "kite: unknown command '%s'\n", argv[1]);
    fprintf(stderr, "Run `kite help` for the list of commands.\n");
    return CLI_USAGE;
  }
  return c->run(argc - 1, argv + 1);
}

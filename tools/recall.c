/* recall: the authority and operator tool (keys, anchors, notices, feeds). See recall(1). */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cmds.h"
#include "util.h"

/* One row per subcommand; add a row (and a declaration in cmds.h) to add one. */
static const struct subcmd commands[] = {
    {"keygen", cmd_keygen, "make an Ed25519 key pair (NAME.key, NAME.pub)"},
    {"anchors", cmd_anchors, "trust anchor sets and key rotation statements"},
    {"notice", cmd_notice, "write, sign, merge, verify and show recall notices"},
    {"feed", cmd_feed, "build, verify, show and search signed feeds"},
    {"import", cmd_import, "notice drafts from NVD, CVE 5 and CISA KEV records"},
    {"query", cmd_query, "send one check-in to a responder and show the answer"},
    {"log", cmd_log, "transparency log: create, append, checkpoint, proofs, verify"},
    {"publish", cmd_publish, "write a publication for mirrors; verify one (publish verify)"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	fputs("usage: recall COMMAND [OPTIONS] [ARGS]\n"
	      "       recall --version\n\n"
	      "commands:\n",
	      f);
	for (const struct subcmd *c = commands; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->summary);
	fputs("\n'recall COMMAND --help' describes a command; the manual is recall(1).\n", f);
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		warnx_("libsodium failed to initialise");
		return EXIT_FAIL;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *c = argv[1];
	if (!strcmp(c, "-h") || !strcmp(c, "--help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(c, "help")) {
		if (argc < 3) {
			usage(stdout);
			return EXIT_OK;
		}
		char *help[] = {argv[2], "--help", NULL};
		for (const struct subcmd *s = commands; s->name; s++)
			if (!strcmp(s->name, argv[2]))
				return s->fn(2, help);
		warnx_("unknown command '%s' (see 'recall --help')", argv[2]);
		return EXIT_USAGE;
	}
	if (!strcmp(c, "--version") || !strcmp(c, "-V")) {
		printf("recall %s\n", RECALL_VERSION_STRING);
		return EXIT_OK;
	}
	for (const struct subcmd *s = commands; s->name; s++)
		if (!strcmp(s->name, c))
			return s->fn(argc - 1, argv + 1);
	warnx_("unknown command '%s' (see 'recall --help')", c);
	return EXIT_USAGE;
}

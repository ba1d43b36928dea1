/* recall-agent: device daemon and its owner commands (recall-agent(8)).
 *   recall-agent [-c FILE] [-f] [-v] run
 *   recall-agent [-c FILE] status [--json]
 *   recall-agent [-c FILE] override NOTICE|all
 *   recall-agent [-c FILE] override --clear
 *   recall-agent -h|--help, -V|--version
 * Exit status: 0 success, 1 error (configuration, daemon, refused), 2 usage. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agentd.h"
#include "log.h"

#ifndef RECALL_VERSION_STRING
#define RECALL_VERSION_STRING "0.1.0"
#endif

static int usage(FILE *f, int status)
{
	fprintf(f, "usage: recall-agent [-c config] [-f] [-v] run\n"
		   "       recall-agent [-c config] status [--json]\n"
		   "       recall-agent [-c config] override NOTICE|all\n"
		   "       recall-agent [-c config] override --clear\n"
		   "       recall-agent -h|--help | -V|--version\n"
		   "  -c, --config FILE  configuration file (default " AGENTD_CONF_DEF ")\n"
		   "  -f, --foreground   run: stay in the foreground, log to stderr\n"
		   "  -v, --verbose      run: debug log lines too\n"
		   "See recall-agent(8) and recall-agent.conf(5).\n");
	return status;
}

int main(int argc, char **argv)
{
	static struct agentd d;
	const char *conf = AGENTD_CONF_DEF;
	bool foreground = false;
	int verbose = 0, c;
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")))
		return usage(stdout, 0);
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'}, {"foreground", no_argument, NULL, 'f'},
	    {"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
	};
	while ((c = getopt_long(argc, argv, "+c:fvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			return usage(stdout, 0);
		case 'V':
			printf("recall-agent %s\n", RECALL_VERSION_STRING);
			return 0;
		default:
			return usage(stderr, 2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage(stderr, 2);
	const char *cmd = argv[0];
	bool json = argc == 2 && !strcmp(argv[1], "--json");
	bool clear = argc == 2 && !strcmp(argv[1], "--clear");
	if (strcmp(cmd, "run") && strcmp(cmd, "status") && strcmp(cmd, "override")) {
		fprintf(stderr,
			"recall-agent: unknown command '%s': give run, status or override\n", cmd);
		return usage(stderr, 2);
	}
	if (!((!strcmp(cmd, "run") && argc == 1) ||
	      (!strcmp(cmd, "status") && (argc == 1 || json)) ||
	      (!strcmp(cmd, "override") && argc == 2))) {
		fprintf(stderr, "recall-agent: %s: %s\n", cmd,
			!strcmp(cmd, "run")      ? "takes no arguments (options go before 'run')"
			: !strcmp(cmd, "status") ? "takes only --json"
						 : "give one NOTICE id, 'all' or --clear");
		return usage(stderr, 2);
	}
	char err[CONF_ERR_MAX];
	if (agentd_config_load(&d, conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%srecall-agent: %s\n", log_stderr_is_journal() ? "<3>" : "", err);
		return 1;
	}
	int rc;
	if (!strcmp(cmd, "run"))
		rc = cmd_run(&d, foreground, verbose);
	else if (!strcmp(cmd, "status"))
		rc = cmd_status(&d, json);
	else
		rc = cmd_override(&d, argv[1], clear);
	agentd_config_free(&d);
	return rc;
}

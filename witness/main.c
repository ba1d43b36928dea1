/* recall-witness: see recall-witness(8). The main thread loads the configuration, the key and
 * the state, starts the HTTP threads and waits for SIGTERM or SIGINT; it stays in the
 * foreground and logs to stderr (systemd's journal). */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keyfile.h"
#include "witness.h"

#ifndef RECALL_VERSION_STRING
#define RECALL_VERSION_STRING "0.1.0"
#endif
#define DEFAULT_CONFIG "/etc/recall/recall-witness.conf"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: recall-witness [-dt] [-c CONFIG]\n"
		"       recall-witness --vkey [-c CONFIG]\n"
		"       recall-witness --help | --version\n"
		"\n"
		"A C2SP tlog-witness: cosigns the checkpoints of the logs it is configured for,\n"
		"only when they extend the last checkpoint it cosigned (recall-witness(8)).\n"
		"  -c, --config CONFIG  configuration file (default " DEFAULT_CONFIG ")\n"
		"  -d, --debug          debug logging\n"
		"  -t, --test           check the configuration, the key and the state, then exit\n"
		"      --vkey           print the witness's verifier key (cosignature/v1, 0x04)\n"
		"  -V, --version        print the version; -h, --help: this text\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"debug", no_argument, NULL, 'd'},
	    {"test", no_argument, NULL, 't'},
	    {"vkey", no_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = DEFAULT_CONFIG;
	bool test = false, vkey = false, debug = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:dtVh", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 't':
			test = true;
			break;
		case 'k':
			vkey = true;
			break;
		case 'V':
			printf("recall-witness %s\n", RECALL_VERSION_STRING);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	static struct wt_config cfg;
	char err[CONF_ERR_MAX + 512];
	if (wt_config_load(&cfg, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "recall-witness: %s\n", err);
		wt_config_free(&cfg);
		return 1;
	}
	log_init("recall-witness", true, debug || cfg.debug);
	if (sodium_init() < 0)
		fatalx("libsodium failed to initialise");
	struct seckey sk;
	if (key_load_secret(cfg.key, &sk) < 0)
		fatalx("key %s: cannot load the witness's secret key", cfg.key);
	if (vkey) {
		struct rc_note_key k;
		char s[RC_NOTE_KEY_MAX];
		rc_note_key_init(&k, cfg.name, strlen(cfg.name), RC_NOTE_ALG_COSIG, sk.pk);
		rc_note_key_format(s, sizeof(s), &k);
		printf("%s\n", s);
		key_free(&sk);
		wt_config_free(&cfg);
		return 0;
	}
	static struct wt w;
	int ret = wt_open(&w, &cfg, sk.sk, sk.pk, err, sizeof(err));
	key_free(&sk);
	if (ret < 0)
		fatalx("%s", err);
	for (size_t i = 0; i < w.nlogs; i++)
		log_info("log %s (%zu keys): %s%" PRIu64, w.logs[i].origin, w.logs[i].nkeys,
			 w.logs[i].have ? "cosigned up to size " : "nothing cosigned yet, size ",
			 w.logs[i].size);
	if (test) {
		printf("recall-witness: %s: configuration OK; %s+%08x, %zu logs\n", path,
		       w.key.name, (unsigned)w.key.keyid, w.nlogs);
		wt_close(&w);
		wt_config_free(&cfg);
		return 0;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if (wt_http_start(&w, err, sizeof(err)) < 0)
		fatalx("%s", err);
	char a[80];
	conf_addr_format(&cfg.listen.v[0], a, sizeof(a));
	log_info("recall-witness %s started: %s+%08x on %s%s, %zu logs", RECALL_VERSION_STRING,
		 w.key.name, (unsigned)w.key.keyid, a, cfg.listen.n > 1 ? " and more" : "",
		 w.nlogs);
	while (!stop)
		pause();
	log_info("stopping: %" PRIu64 " requests, %" PRIu64 " cosigned, %" PRIu64 " forks, %" PRIu64
		 " rollbacks, %" PRIu64 " bad proofs",
		 w.count[WT_REQUESTS], w.count[WT_COSIGNED], w.count[WT_FORK], w.count[WT_ROLLBACK],
		 w.count[WT_BAD_PROOF]);
	wt_http_stop();
	wt_close(&w);
	wt_config_free(&cfg);
	return 0;
}

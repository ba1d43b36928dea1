/* recall keygen: an Ed25519 key pair in NAME.key (secret, 0600, never overwritten) and NAME.pub. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cmds.h"
#include "keyfile.h"
#include "signed.h"
#include "p11key.h"
#include "util.h"

static const char usage[] =
    "usage: recall keygen [-C COMMENT] [--json] NAME\n"
    "       recall keygen [-C COMMENT] [-p PUBFILE] [--json] pkcs11:URI\n"
    "\n"
    "Make an Ed25519 key pair: NAME.key (the secret key, mode 0600) and NAME.pub (the public\n"
    "key, to share). Existing files are never overwritten. Prints the key id (kid: first 8\n"
    "bytes of SHA-256 of the public key, hex), which signatures carry.\n"
    "Given a pkcs11: URI (RFC 7512) the key pair is made in that PKCS#11 token instead, named\n"
    "by the URI's object=, its private key not extractable; the public key line is printed\n"
    "(and written to PUBFILE). PIN: the URI's pin-value= or pin-source=, $" P11_PIN_ENV ",\n"
    "or a prompt.\n"
    "\n"
    "  -C, --comment TEXT  text appended to the public key line (e.g. who holds the key)\n"
    "  -p, --pub FILE      (token keys) write the public key line to FILE too\n"
    "  -j, --json          print the kid, the files written and the public key as JSON\n"
    "  -h, --help          this text\n";

/* Create path exclusively with mode and write all of buf; on failure removes it. */
static int write_new(const char *path, const char *buf, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		warnx_("%s: %s", path,
		       errno == EEXIST ? "already exists; not overwriting a key" : strerror(errno));
		return -1;
	}
	if (fd_write_all(fd, buf, strlen(buf), mode) < 0) {
		warnx_("%s: write: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

static bool keygen_json; /* --json */

/* What was made: the kid, the public key line, and the files written (NULL: none). */
static void report(const uint8_t kid[static RC_KID_LEN], const char *pub, const char *secpath,
		   const char *pubpath, const char *uri)
{
	char kidhex[2 * RC_KID_LEN + 1];
	hex(kidhex, kid, RC_KID_LEN);
	if (!keygen_json) {
		if (uri)
			printf("kid %s\nsecret key in the token (not extractable)\n%s", kidhex,
			       pub);
		else
			printf("kid %s\nsecret key %s (keep it offline)\npublic key %s\n", kidhex,
			       secpath, pubpath);
		return;
	}
	json_t *j = json_pack("{s:s, s:s%}", "kid", kidhex, "public_key", pub, strcspn(pub, "\n"));
	json_object_set_new(j, "secret_key_file", secpath ? json_string(secpath) : json_null());
	json_object_set_new(j, "public_key_file", pubpath ? json_string(pubpath) : json_null());
	json_object_set_new(j, "in_token", json_boolean(uri != NULL));
	json_print(j);
}

/* The key pair made in a token: print the kid and the public key line (and write it). */
static int keygen_token(const char *uri, const char *comment, const char *pubpath)
{
	uint8_t pk[RC_PK_LEN], kid[RC_KID_LEN];
	char pub[KEY_LINE_MAX];
	if (pubpath && access(pubpath, F_OK) == 0) {
		warnx_("%s: already exists; not overwriting a key", pubpath);
		return EXIT_FAIL;
	}
	if (p11_keygen(uri, pk) < 0)
		return EXIT_FAIL;
	rc_kid(kid, pk);
	key_format_public(pub, pk, comment);
	if (pubpath && write_new(pubpath, pub, 0644) < 0)
		return EXIT_FAIL;
	report(kid, pub, NULL, pubpath, uri);
	return EXIT_OK;
}

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"comment", required_argument, NULL, 'C'},
	    {"pub", required_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *comment = NULL, *pubpath = NULL;
	int c;
	optind = 1;
	keygen_json = false;
	while ((c = getopt_long(argc, argv, "+C:c:p:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': /* the old letter: -c is --config in every other program */
			warnx_(
			    "-c is an old spelling of -C, --comment, kept for old scripts: use -C");
			/* fall through */
		case 'C':
			comment = optarg;
			break;
		case 'p':
			pubpath = optarg;
			break;
		case 'j':
			keygen_json = true;
			break;
		default:
			return usage_opt(c, usage);
		}
	}
	if (argc - optind != 1)
		return usage_fail(usage, "keygen: give exactly one NAME");
	const char *name = argv[optind];
	if (!*name)
		return usage_fail(usage, "keygen: NAME is empty");
	if (comment) {
		for (const char *p = comment; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return usage_fail(usage,
						  "keygen: the comment has a control character");
		if (strlen(comment) > 160)
			return usage_fail(usage, "keygen: the comment is longer than 160 bytes");
	}
	if (p11_is_uri(name))
		return keygen_token(name, comment, pubpath);
	if (pubpath)
		return usage_fail(usage, "keygen: --pub is for keys made in a token (pkcs11:)");
	size_t nl = strlen(name);
	char *kpath = malloc(nl + 5), *ppath = malloc(nl + 5);
	char *sec = sodium_malloc(KEY_LINE_MAX);
	uint8_t *seed = sodium_malloc(32), *sk = sodium_malloc(RC_SK_LEN);
	int ret = EXIT_FAIL;
	if (!kpath || !ppath || !sec || !seed || !sk) {
		warnx_("keygen: cannot allocate (protected) memory");
		goto out;
	}
	snprintf(kpath, nl + 5, "%s.key", name);
	snprintf(ppath, nl + 5, "%s.pub", name);

	uint8_t pk[RC_PK_LEN], kid[RC_KID_LEN];
	char pub[KEY_LINE_MAX];
	randombytes_buf(seed, 32);
	crypto_sign_seed_keypair(pk, sk, seed);
	rc_kid(kid, pk);
	key_format(sec, pub, seed, pk, comment);

	/* Both names must be free before either is written; the secret goes first (O_EXCL). */
	if (access(ppath, F_OK) == 0) {
		warnx_("%s: already exists; not overwriting a key", ppath);
		goto out;
	}
	if (write_new(kpath, sec, 0600) < 0)
		goto out;
	if (write_new(ppath, pub, 0644) < 0) {
		unlink(kpath);
		goto out;
	}
	report(kid, pub, kpath, ppath, NULL);
	ret = EXIT_OK;
out:
	free(kpath);
	free(ppath);
	sodium_free(sec);
	sodium_free(seed);
	sodium_free(sk);
	return ret;
}

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
#include "p11key.h"
#include "util.h"

static const char usage[] =
    "usage: recall keygen [-c COMMENT] NAME\n"
    "       recall keygen [-c COMMENT] [-p PUBFILE] pkcs11:URI\n"
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

/* The key pair made in a token: print the kid and the public key line (and write it). */
static int keygen_token(const char *uri, const char *comment, const char *pubpath)
{
	uint8_t pk[RC_PK_LEN], kid[RC_KID_LEN];
	char pub[KEY_LINE_MAX], kidhex[2 * RC_KID_LEN + 1];
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
	printf("kid %s\nsecret key in the token (not extractable)\n%s",
	       hex(kidhex, kid, RC_KID_LEN), pub);
	return EXIT_OK;
}

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"comment", required_argument, NULL, 'C'},
	    {"pub", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *comment = NULL, *pubpath = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+C:c:p:h", opts, NULL)) != -1) {
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
	char pub[KEY_LINE_MAX], kidhex[2 * RC_KID_LEN + 1];
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
	printf("kid %s\nsecret key %s (keep it offline)\npublic key %s\n",
	       hex(kidhex, kid, RC_KID_LEN), kpath, ppath);
	ret = EXIT_OK;
out:
	free(kpath);
	free(ppath);
	sodium_free(sec);
	sodium_free(seed);
	sodium_free(sk);
	return ret;
}

/* recall-gate-nft: runs one nftables script for recall-gate (gate/nft.c), never by hand. The
 * script comes on standard input (at most GATE_NFT_SCRIPT_MAX bytes); on failure libnftables'
 * error text goes to standard output. Exit 0 done, 1 refused by nftables, 2 bad input. It
 * holds the daemon's CAP_NET_ADMIN for the moment of the transaction only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "check.h"

int main(int argc, char **argv)
{
	(void)argv;
	static char script[GATE_NFT_SCRIPT_MAX + 1];
	size_t n = 0;
	if (argc != 1 || isatty(0)) {
		fprintf(stderr, "recall-gate-nft: started by recall-gate only\n");
		return 2;
	}
	for (;;) {
		ssize_t k = read(0, script + n, sizeof(script) - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return 2;
		if (k == 0)
			break;
		n += (size_t)k;
		if (n == sizeof(script)) {
			fputs("script too long", stdout);
			return 2;
		}
	}
	script[n] = 0;
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft) {
		fputs("out of memory", stdout);
		return 1;
	}
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	int rc = nft_run_cmd_from_buffer(nft, script);
	if (rc) {
		const char *e = nft_ctx_get_error_buffer(nft);
		fputs(e && *e ? e : "failed", stdout);
	}
	nft_ctx_free(nft);
	return rc ? 1 : 0;
}

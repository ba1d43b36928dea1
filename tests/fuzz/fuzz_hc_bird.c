/* recall-healthcheck's reader of BIRD's control socket replies (health/bird.c): the input is
 * what BIRD sends, greeting and replies, on a socket pair; the commands go to the other end. */
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	if (size > 65536 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	int big = 1 << 20;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (write(sv[1], data, size) == (ssize_t)size) {
		shutdown(sv[1], SHUT_WR); /* the end of the input: BIRD closed */
		const char *const p[2] = {"anycast4", "anycast6"};
		char err[256];
		hc_bird_exchange(sv[0], p, 2, size & 1, err, sizeof(err));
	}
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* A UDP socket on 127.0.0.1 standing in for a responder in recall-gate's checkin-mode tests
 * (test_gate_check, test_gate_checkin_private; include after cmocka.h). */
#ifndef RECALL_TEST_GATE_LOOPBACK_H
#define RECALL_TEST_GATE_LOOPBACK_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

/* Bound to an ephemeral port (into *port), receives time out after 2 s. */
static inline int udp_loopback(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &l);
	*port = ntohs(a.sin_port);
	struct timeval tv = {2, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

#endif

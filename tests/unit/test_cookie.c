// SPDX-License-Identifier: GPL-2.0-or-later
/* The keyed SYN-ACK cookie: recognises our own handshakes and recovers the peer's snd_una. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cookie.h"

static void fill(struct pkt *p, uint32_t seq)
{
	static const uint8_t s[4] = {198, 51, 100, 10};
	static const uint8_t d[4] = {192, 0, 2, 1};

	memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	memcpy(p->saddr, s, 4);
	memcpy(p->daddr, d, 4);
	p->sport = 40000;
	p->dport = 25;
	p->seq = seq;
}

/* For every low byte of the peer's ISN, probes and pure ACKs map back to ISN + 1. */
static void test_una_recovered_for_every_isn(void **state)
{
	struct cookie_key key;
	uint32_t base;
	int i;

	memset(&key, 7, sizeof(key));
	for (base = 0xfffffe00u, i = 0; i < 1024; i++, base += 0x01010101u) {
		struct pkt syn;
		struct pkt ack;
		uint32_t isn;
		uint32_t una;

		fill(&syn, base + (uint32_t)i);
		isn = cookie_isn(&key, &syn);
		/* Probe: seq = snd_una - 1 = peer ISN. */
		fill(&ack, syn.seq);
		ack.ack = isn + 1;
		assert_true(cookie_check(&key, &ack, &una));
		assert_int_equal(una, syn.seq + 1);
		/* Pure ACK or data: seq = snd_una. */
		ack.seq = syn.seq + 1;
		assert_true(cookie_check(&key, &ack, &una));
		assert_int_equal(una, syn.seq + 1);
	}
}

static void test_wrong_key_or_tuple_rejected(void **state)
{
	struct cookie_key k1;
	struct cookie_key k2;
	struct pkt syn;
	struct pkt ack;
	uint32_t una;
	uint32_t isn;
	int rejected = 0;
	int i;

	memset(&k1, 1, sizeof(k1));
	memset(&k2, 2, sizeof(k2));
	for (i = 0; i < 256; i++) {
		fill(&syn, (uint32_t)i * 7919u);
		isn = cookie_isn(&k1, &syn);
		fill(&ack, syn.seq + 1);
		ack.ack = isn + 1;
		assert_true(cookie_check(&k1, &ack, &una));
		if (!cookie_check(&k2, &ack, &una))
			rejected++;
		ack.sport++;
		if (!cookie_check(&k1, &ack, &una))
			rejected++;
	}
	/* 24 keyed bits: a false match is a 1 in 16 million event. */
	assert_int_equal(rejected, 512);
}

/* The ISN is deterministic per SYN (retransmits get the same SYN-ACK) and varies per tuple. */
static void test_isn_stable_and_spread(void **state)
{
	struct cookie_key key;
	struct pkt a;
	struct pkt b;

	memset(&key, 3, sizeof(key));
	fill(&a, 1000);
	fill(&b, 1000);
	assert_int_equal(cookie_isn(&key, &a), cookie_isn(&key, &b));
	b.sport = 40001;
	assert_int_not_equal(cookie_isn(&key, &a) & 0xffffff00u,
			     cookie_isn(&key, &b) & 0xffffff00u);
}

static void test_random_key_differs(void **state)
{
	struct cookie_key a;
	struct cookie_key b;

	assert_int_equal(cookie_key_random(&a), 0);
	assert_int_equal(cookie_key_random(&b), 0);
	assert_memory_not_equal(a.k, b.k, sizeof(a.k));
}

/* A key file is created once (0600) and read back the same; a wrong size is refused. */
static void test_key_file(void **state)
{
	char path[] = "/tmp/nftarpit-key-XXXXXX";
	struct cookie_key a;
	struct cookie_key b;
	struct stat st;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	assert_int_equal(cookie_key_load(path, &a), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, COOKIE_KEY_LEN);
	assert_int_equal(cookie_key_load(path, &b), 0);
	assert_memory_equal(a.k, b.k, sizeof(a.k));
	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_int_equal(cookie_key_load(path, &b), -1);
	assert_int_equal(errno, EINVAL);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_una_recovered_for_every_isn),
		cmocka_unit_test(test_wrong_key_or_tuple_rejected),
		cmocka_unit_test(test_isn_stable_and_spread),
		cmocka_unit_test(test_random_key_differs),
		cmocka_unit_test(test_key_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

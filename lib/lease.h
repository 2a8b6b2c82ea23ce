/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The lease of nftarpitd's netlink socket, owner of table inet nftarpit: the protocol. */
#ifndef NFTARPIT_LEASE_H
#define NFTARPIT_LEASE_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

/*
 * An abstract UNIX socket name (doc/DESIGN.md, "The table owned by nftarpitd"): it lives
 * in the network namespace, as the table does, so every program that can change the table
 * finds it without a path, whatever user it runs as. nftarpitd checks each peer's
 * credentials itself (root or CAP_NET_ADMIN).
 *
 * The client writes "lease\n". The daemon answers one line: "lease portid=N\n" with the
 * socket attached (SCM_RIGHTS), or "error TEXT\n". A lease is held until the client closes
 * its connection; a second client waits for it (up to LEASE_WAIT_MS, then "error busy").
 */
#define LEASE_NAME    "nftarpit-lease"
#define LEASE_WAIT_MS 30000
/* A holder is dropped after this long: a stuck one must not stop every later change. */
#define LEASE_HOLD_MS 300000

struct lease {
	int conn;	 /* the connection to nftarpitd, -1 when none */
	int fd;		 /* the lent netlink socket, -1 when none */
	uint32_t portid; /* its port id */
	char why[192];	 /* why there is no lease, "" when no daemon listens */
};

/* The abstract address; returns the length to pass to bind() or connect(). */
socklen_t lease_addr(struct sockaddr_un *sun);

/*
 * Ask nftarpitd for the lease. 0: l->fd is the lent socket (close-on-exec), until
 * lease_return(). 1: no lease, change the table directly: no daemon listens (why "") or it
 * said why not (a table it does not own, ownership off). -1 with errno and why: the daemon
 * answered something else, or not in time.
 */
int lease_take(struct lease *l);

/*
 * Ask for the lease and give it back at once: nftarpitd looks at the table at every request
 * and claims it if it is an orphan (one we made persistent ourselves and let go of). 0 when a
 * daemon answered, -1 when none did.
 */
int lease_nudge(void);

/* Close the lent socket and the connection: the next client gets the lease. */
void lease_return(struct lease *l);

#endif

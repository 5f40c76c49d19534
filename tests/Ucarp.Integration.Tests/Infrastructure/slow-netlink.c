/* A kernel whose address changes are slow, for BlockingIoTests: preloaded into the
 * daemon (LD_PRELOAD), it delays every sendto() to netlink by SLOW_NETLINK_MS
 * milliseconds (default 1500) for each RTM_NEWADDR or RTM_DELADDR request the datagram
 * holds (the daemon sends several in one), as a kernel whose rtnl_lock is held by
 * something else would. Every other call goes through untouched. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

static ssize_t (*real_sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen)
{
    if (!real_sendto)
        real_sendto = (ssize_t (*)(int, const void *, size_t, int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "sendto");
    if (to && to->sa_family == AF_NETLINK) {
        const char *ms = getenv("SLOW_NETLINK_MS");
        long delay = ms ? atol(ms) : 1500;
        int remaining = (int)len;
        for (const struct nlmsghdr *h = buf; NLMSG_OK(h, remaining); h = NLMSG_NEXT(h, remaining)) {
            if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR) {
                struct timespec t = { delay / 1000, (delay % 1000) * 1000000L };
                while (nanosleep(&t, &t) != 0)
                    ;
            }
        }
    }
    return real_sendto(fd, buf, len, flags, to, tolen);
}

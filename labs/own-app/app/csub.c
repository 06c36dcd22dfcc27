/*
 * A C subscriber against libzmq: connect (from a chosen source address), subscribe, count.
 *
 *   csub CONNECT [--count N] [--topic T] [--wait S]
 *
 * CONNECT may name the source, "tcp://SRC:0;DST:PORT", which libzmq binds the connection's
 * local end to. A source the node does not own raises no error: the socket retries quietly,
 * so the bound on the wait is what turns it into a failure.
 *
 * Prints "received N from SRC" and exits 0 once N messages arrived within the wait;
 * otherwise prints "received X of N" and exits 1. Exit 64: bad arguments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int usage(void) {
    fprintf(stderr, "usage: csub CONNECT [--count N] [--topic T] [--wait SECONDS]\n");
    return 64;
}

/* The source address of "tcp://SRC:PORT;DST:PORT" into out, or "any" without one. */
static void source_of(const char *endpoint, char *out, size_t size) {
    const char *rest = strstr(endpoint, "//");
    rest = rest ? rest + 2 : endpoint;
    const char *semi = strchr(rest, ';');
    if (!semi) {
        snprintf(out, size, "any");
        return;
    }
    const char *colon = semi;
    while (colon > rest && *colon != ':') colon--;
    if (colon == rest) colon = semi;
    const char *start = rest, *end = colon;
    if (*start == '[' && end > start && end[-1] == ']') start++, end--;
    snprintf(out, size, "%.*s", (int)(end - start), start);
}

int main(int argc, char **argv) {
    const char *endpoint = NULL, *topic = "q";
    long count = 500;
    double wait_s = 15.0;
    for (int i = 1; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
            count = strtol(argv[++i], &end, 10);
            if (*end || count < 0) return usage();
        } else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc) {
            topic = argv[++i];
        } else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
            wait_s = strtod(argv[++i], &end);
            if (*end || wait_s <= 0) return usage();
        } else if (argv[i][0] == '-' || endpoint) {
            return usage();
        } else {
            endpoint = argv[i];
        }
    }
    if (!endpoint) return usage();
    setvbuf(stdout, NULL, _IOLBF, 0);

    char source[256];
    source_of(endpoint, source, sizeof source);
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int zero = 0, one = 1;
    zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_RCVHWM, &zero, sizeof zero);
    if (strchr(endpoint, '[')) zmq_setsockopt(sub, ZMQ_IPV6, &one, sizeof one);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, topic, strlen(topic));
    if (zmq_connect(sub, endpoint) != 0) {
        printf("cannot connect %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        zmq_close(sub);
        zmq_ctx_term(ctx);
        return 1;
    }
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    printf("connecting %s from %s with libzmq %d.%d.%d, expecting %ld\n", endpoint, source, major, minor, patch, count);

    long received = 0;
    long long deadline = now_ms() + (long long)(wait_s * 1000);
    while (received < count) {
        long long left = deadline - now_ms();
        if (left <= 0) break;
        zmq_pollitem_t item = { sub, 0, ZMQ_POLLIN, 0 };
        int n = zmq_poll(&item, 1, (long)left);
        if (n < 0 && zmq_errno() == EINTR) continue;
        if (n <= 0) break;
        /* One message: the topic frame and the payload frame. */
        int more = 1;
        while (more) {
            zmq_msg_t part;
            zmq_msg_init(&part);
            if (zmq_msg_recv(&part, sub, 0) < 0) {
                zmq_msg_close(&part);
                break;
            }
            more = zmq_msg_more(&part);
            zmq_msg_close(&part);
        }
        received++;
    }
    zmq_close(sub);
    zmq_ctx_term(ctx);
    if (received < count) {
        printf("received %ld of %ld from %s within %g s%s\n", received, count, source, wait_s,
               received == 0 ? " (nothing at all: is the source an address this node owns, and is the publisher up?)" : "");
        return 1;
    }
    printf("received %ld from %s\n", received, source);
    return 0;
}

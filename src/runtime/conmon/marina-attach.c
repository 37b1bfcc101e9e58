/*
 * marina-attach [-n] <attach socket>
 *
 * Bridges conmon's attach socket (SOCK_SEQPACKET, which Node cannot open) to stdio:
 *   - each packet from conmon is <stream id byte: 2 stdout, 3 stderr><payload>; it is written to stdout
 *     framed like Docker's multiplexed stream: [1|2, 0, 0, 0, payload length uint32 BE] + payload;
 *   - stdin is forwarded raw; at stdin EOF the socket's write side is shut down, which makes conmon
 *     close the container's stdin (unless it runs with --leave-stdin-open).
 * With -n stdin is not read at all, so attaching without stdin never closes the container's stdin.
 * Once connected it writes one empty stdout frame: the caller knows it may start the process without
 * missing output.
 * Exits 0 when conmon closes the socket, 1 on errors (message on stderr).
 */
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* conmon sends at most 8192 payload bytes per packet; a larger buffer guarantees no truncation. */
#define PACKET_MAX 65536
/* Stdin chunks stay well below conmon's read buffer so a packet is never truncated on its side. */
#define STDIN_CHUNK 4096

static int write_all(int fd, const unsigned char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int connect_attach(const char *path) {
    /* sun_path is only 108 bytes; connecting relative to the socket's directory avoids that limit. */
    char dir_buf[4096], base_buf[4096];
    if (strlen(path) >= sizeof(dir_buf)) return -1;
    strcpy(dir_buf, path);
    strcpy(base_buf, path);
    const char *base = basename(base_buf);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(base) >= sizeof(addr.sun_path) || chdir(dirname(dir_buf)) != 0) return -1;
    strcpy(addr.sun_path, base);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Returns 1 to keep going, 0 when the socket closed, -1 on error. */
static int forward_packet(int sock) {
    static unsigned char packet[PACKET_MAX];
    ssize_t n = recv(sock, packet, sizeof(packet), 0);
    if (n < 0) return errno == EINTR || errno == EAGAIN ? 1 : -1;
    if (n == 0) return 0;
    if (n == 1) return 1;
    unsigned char stream = packet[0] == 3 ? 2 : 1;
    uint32_t len = (uint32_t)(n - 1);
    unsigned char header[8] = {stream, 0, 0, 0, len >> 24, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff};
    if (write_all(STDOUT_FILENO, header, sizeof(header)) != 0) return -1;
    return write_all(STDOUT_FILENO, packet + 1, len) == 0 ? 1 : -1;
}

/* Returns 1 to keep reading stdin, 0 once stdin is done, -1 on error. */
static int forward_stdin(int sock) {
    unsigned char buf[STDIN_CHUNK];
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0) return errno == EINTR || errno == EAGAIN ? 1 : -1;
    if (n == 0) {
        shutdown(sock, SHUT_WR);
        return 0;
    }
    return write_all(sock, buf, (size_t)n) == 0 ? 1 : -1;
}

int main(int argc, char **argv) {
    int use_stdin = 1;
    if (argc == 3 && strcmp(argv[1], "-n") == 0) {
        use_stdin = 0;
    } else if (argc != 2) {
        fprintf(stderr, "usage: marina-attach [-n] <attach socket>\n");
        return 2;
    }
    /* A closed stdout must surface as EPIPE from write(), not kill us before we can report it. */
    signal(SIGPIPE, SIG_IGN);
    const char *path = argv[argc - 1];
    int sock = connect_attach(path);
    if (sock < 0) {
        fprintf(stderr, "marina-attach: cannot connect to %s: %s\n", path, strerror(errno));
        return 1;
    }
    static const unsigned char connected[8] = {1, 0, 0, 0, 0, 0, 0, 0};
    if (write_all(STDOUT_FILENO, connected, sizeof(connected)) != 0) return 1;
    for (;;) {
        struct pollfd fds[2] = {{.fd = sock, .events = POLLIN}, {.fd = STDIN_FILENO, .events = POLLIN}};
        if (poll(fds, use_stdin ? 2 : 1, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            int r = forward_packet(sock);
            if (r <= 0) return r == 0 ? 0 : 1;
        }
        if (use_stdin && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            int r = forward_stdin(sock);
            if (r < 0) break;
            if (r == 0) use_stdin = 0;
        }
    }
    fprintf(stderr, "marina-attach: %s\n", strerror(errno));
    return 1;
}

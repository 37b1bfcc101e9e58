/*
 * marina-spawn: runs commands for marinad, many at once, so that marinad never forks itself.
 *
 * Forking marinad (a large Node process) and waiting for the child's exec blocks its main thread for
 * milliseconds per command; this helper is small, so its forks are cheap, and it waits for nothing:
 * one poll() loop serves the requests, every child's pipes and the children's exits.
 *
 * Framing (all integers are 32-bit little-endian; `len` counts the bytes after itself):
 *   request  (stdin):  len, id, argc, envc, has_cwd, input_len,
 *                      then argc + envc (+ 1 if has_cwd) NUL-terminated strings (argv, "K=V" env, cwd),
 *                      then input_len bytes written to the command's stdin (closed after them).
 *   response (stdout): len, id, kind, value, stdout_len, stderr_len, then the stdout and stderr bytes.
 *     kind 0 EXITED     value = exit code
 *     kind 1 SIGNALED   value = signal number
 *     kind 2 NOT_FOUND  exec failed with ENOENT: the command is not installed
 *     kind 3 FAILED     it could not be started, or its output went over the limit (and it was killed);
 *                       value = errno or 0, and stderr ends with the reason.
 * The command runs with exactly the request's environment; its PATH is the one execvp searches.
 *
 * Responses come in completion order, not request order. When stdin closes (marinad is gone) no new
 * commands start, but running ones are left to finish (runc may be midway through a container) and
 * reaped; the helper exits after the last one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Per stream, as marinad's execFile maxBuffer was. */
#define OUTPUT_MAX (64u * 1024 * 1024)
/* A request is argv, env, cwd and stdin input; anything this big is a broken peer, not a command. */
#define REQUEST_MAX (256u * 1024 * 1024)
#define READ_CHUNK 65536

enum { EXITED = 0, SIGNALED = 1, NOT_FOUND = 2, FAILED = 3 };

struct buf {
    unsigned char *data;
    size_t start, len, cap; /* bytes [start, start + len) are live */
};

struct job {
    uint32_t id;
    pid_t pid;
    int in_fd, out_fd, err_fd, report_fd; /* parent ends; -1 once closed */
    unsigned char *input;
    size_t input_len, input_done;
    struct buf out, err;
    int reaped, wait_status;
    int start_errno;  /* from the child's report: chdir or exec failed */
    int exec_stage;   /* that failure was exec's (else chdir's) */
    int overflow;     /* output went over OUTPUT_MAX; the child was killed */
    char what[256];   /* argv[0] and cwd, for messages */
};

extern char **environ;

static struct job **jobs;
static size_t njobs, jobs_cap;
static struct buf requests, responses;
static int stdin_open = 1, stdout_broken = 0;
static int sigchld_pipe[2];

static void die(const char *what) {
    fprintf(stderr, "marina-spawn: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) die("out of memory");
    return p;
}

/* Makes room for `extra` more bytes after the live data, moving it to the front when that suffices. */
static unsigned char *buf_reserve(struct buf *b, size_t extra) {
    if (b->start > 0 && b->start + b->len + extra > b->cap) {
        memmove(b->data, b->data + b->start, b->len);
        b->start = 0;
    }
    if (b->len + extra > b->cap) {
        size_t cap = b->cap ? b->cap : READ_CHUNK;
        while (cap < b->len + extra) cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    return b->data + b->start + b->len;
}

static void buf_append(struct buf *b, const void *data, size_t n) {
    memcpy(buf_reserve(b, n), data, n);
    b->len += n;
}

static void buf_consume(struct buf *b, size_t n) {
    b->start += n;
    b->len -= n;
    if (b->len == 0) b->start = 0;
}

static void buf_free(struct buf *b) {
    free(b->data);
    memset(b, 0, sizeof(*b));
}

static uint32_t get_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(unsigned char *p, uint32_t v) {
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = v >> 24;
}

static void set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die("fcntl");
}

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* Queues one response; it goes out as stdout accepts it (see flush_responses). */
static void respond(uint32_t id, uint32_t kind, int32_t value, const struct buf *out, const struct buf *err,
                    const char *reason) {
    if (stdout_broken) return;
    size_t out_len = out ? out->len : 0, err_len = (err ? err->len : 0) + (reason ? strlen(reason) : 0);
    unsigned char header[24];
    put_u32(header, (uint32_t)(20 + out_len + err_len));
    put_u32(header + 4, id);
    put_u32(header + 8, kind);
    put_u32(header + 12, (uint32_t)value);
    put_u32(header + 16, (uint32_t)out_len);
    put_u32(header + 20, (uint32_t)err_len);
    buf_append(&responses, header, sizeof(header));
    if (out) buf_append(&responses, out->data + out->start, out->len);
    if (err) buf_append(&responses, err->data + err->start, err->len);
    if (reason) buf_append(&responses, reason, strlen(reason));
}

static void flush_responses(void) {
    while (responses.len > 0 && !stdout_broken) {
        ssize_t n = write(STDOUT_FILENO, responses.data + responses.start, responses.len);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return;
            /* marinad is gone (EPIPE: SIGPIPE is ignored); the children still get reaped. */
            stdout_broken = 1;
            buf_free(&responses);
            return;
        }
        buf_consume(&responses, (size_t)n);
    }
}

/*
 * In the child: undo what the helper set up (ignored SIGPIPE, the SIGCHLD handler, any blocked signals:
 * ignored dispositions and the mask survive exec), wire the pipes to 0/1/2 and exec. All other
 * descriptors are close-on-exec; `report` tells the parent why the exec did not happen.
 */
static void run_child(char **argv, char **envp, const char *cwd, int in, int out, int err, int report) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL); /* fails harmlessly for KILL, STOP */
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(127);
    int failure[2] = {0, 0};
    if (cwd && chdir(cwd) != 0) {
        failure[1] = errno;
    } else {
        environ = envp; /* execvp searches this environment's PATH, as Node's spawn does */
        execvp(argv[0], argv);
        failure[0] = 1;
        failure[1] = errno;
    }
    ssize_t ignored = write(report, failure, sizeof(failure));
    (void)ignored;
    _exit(127);
}

static void add_job(struct job *job) {
    if (njobs == jobs_cap) {
        jobs_cap = jobs_cap ? jobs_cap * 2 : 64;
        jobs = xrealloc(jobs, jobs_cap * sizeof(*jobs));
    }
    jobs[njobs++] = job;
}

/* Starts one parsed request; a failure to start is answered at once. */
static void start_job(uint32_t id, char **argv, char **envp, const char *cwd, const unsigned char *input,
                      size_t input_len) {
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, report[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
        pipe2(report, O_CLOEXEC) < 0) {
        int saved = errno;
        char reason[128];
        snprintf(reason, sizeof(reason), "marina-spawn: cannot create pipes: %s\n", strerror(saved));
        for (int i = 0; i < 2; i++) {
            close_fd(&in[i]);
            close_fd(&out[i]);
            close_fd(&err[i]);
            close_fd(&report[i]);
        }
        respond(id, FAILED, saved, NULL, NULL, reason);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) run_child(argv, envp, cwd, in[0], out[1], err[1], report[1]);
    int saved = errno;
    close(in[0]);
    close(out[1]);
    close(err[1]);
    close(report[1]);
    if (pid < 0) {
        char reason[128];
        snprintf(reason, sizeof(reason), "marina-spawn: cannot fork: %s\n", strerror(saved));
        close(in[1]);
        close(out[0]);
        close(err[0]);
        close(report[0]);
        respond(id, FAILED, saved, NULL, NULL, reason);
        return;
    }
    struct job *job = calloc(1, sizeof(*job));
    if (!job) die("out of memory");
    job->id = id;
    job->pid = pid;
    job->in_fd = in[1];
    job->out_fd = out[0];
    job->err_fd = err[0];
    job->report_fd = report[0];
    snprintf(job->what, sizeof(job->what), "%s%s%s", argv[0], cwd ? " in " : "", cwd ? cwd : "");
    set_nonblocking(job->in_fd);
    set_nonblocking(job->out_fd);
    set_nonblocking(job->err_fd);
    if (input_len == 0) {
        close_fd(&job->in_fd);
    } else {
        job->input = xrealloc(NULL, input_len);
        memcpy(job->input, input, input_len);
        job->input_len = input_len;
    }
    add_job(job);
}

/* Splits n NUL-terminated strings off the front of [*pos, end) into out; 0 when they are not all there. */
static int take_strings(unsigned char **pos, unsigned char *end, char **out, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        unsigned char *nul = memchr(*pos, 0, (size_t)(end - *pos));
        if (!nul) return 0;
        out[i] = (char *)*pos;
        *pos = nul + 1;
    }
    return 1;
}

/* Parses one request frame (after its length) and starts it. A malformed frame means a broken peer. */
static void handle_request(unsigned char *frame, size_t len) {
    uint32_t id = 0, argc = 0, envc = 0, has_cwd = 0, input_len = 0;
    if (len >= 20) {
        id = get_u32(frame);
        argc = get_u32(frame + 4);
        envc = get_u32(frame + 8);
        has_cwd = get_u32(frame + 12);
        input_len = get_u32(frame + 16);
    }
    /* Each string takes at least its NUL, which bounds the counts before anything is allocated. */
    if (len < 20 || argc == 0 || input_len > len - 20 || (size_t)argc + envc + (has_cwd != 0) > len - 20 - input_len) {
        fprintf(stderr, "marina-spawn: malformed request\n");
        exit(2);
    }
    unsigned char *pos = frame + 20, *strings_end = frame + len - input_len;
    char **argv = xrealloc(NULL, (argc + 1) * sizeof(char *));
    char **envp = xrealloc(NULL, (envc + 1) * sizeof(char *));
    char *cwd = NULL;
    int ok = take_strings(&pos, strings_end, argv, argc) && take_strings(&pos, strings_end, envp, envc) &&
             (!has_cwd || take_strings(&pos, strings_end, &cwd, 1)) && pos == strings_end;
    if (!ok) {
        fprintf(stderr, "marina-spawn: malformed request\n");
        exit(2);
    }
    argv[argc] = NULL;
    envp[envc] = NULL;
    start_job(id, argv, envp, cwd, strings_end, input_len);
    free(argv);
    free(envp);
}

static void read_requests(void) {
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf_reserve(&requests, READ_CHUNK), READ_CHUNK);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        if (n <= 0) {
            stdin_open = 0; /* fd 0 stays open (unpolled) so no new pipe can take its number */
            buf_free(&requests);
            return;
        }
        requests.len += (size_t)n;
    }
    while (requests.len >= 4) {
        uint32_t len = get_u32(requests.data + requests.start);
        if (len > REQUEST_MAX) {
            fprintf(stderr, "marina-spawn: request of %u bytes is too large\n", len);
            exit(2);
        }
        if (requests.len < 4 + (size_t)len) break;
        handle_request(requests.data + requests.start + 4, len);
        buf_consume(&requests, 4 + (size_t)len);
    }
}

/* Drains one of a child's output pipes; past OUTPUT_MAX the child is killed and the rest discarded. */
static void read_output(struct job *job, int *fd, struct buf *b) {
    static unsigned char discard[READ_CHUNK];
    for (;;) {
        size_t room = OUTPUT_MAX - b->len;
        int keep = !job->overflow && room > 0;
        size_t want = keep && room < READ_CHUNK ? room : READ_CHUNK;
        ssize_t n = read(*fd, keep ? buf_reserve(b, want) : discard, want);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) {
            close_fd(fd);
            return;
        }
        if (keep) {
            b->len += (size_t)n;
        } else if (!job->overflow) {
            job->overflow = 1;
            if (!job->reaped) kill(job->pid, SIGTERM); /* what execFile's maxBuffer did */
        }
    }
}

static void write_input(struct job *job) {
    while (job->input_done < job->input_len) {
        ssize_t n = write(job->in_fd, job->input + job->input_done, job->input_len - job->input_done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n < 0) break; /* EPIPE: it stopped reading; its exit status says what went wrong */
        job->input_done += (size_t)n;
    }
    close_fd(&job->in_fd);
}

static void read_report(struct job *job) {
    int failure[2];
    ssize_t n = read(job->report_fd, failure, sizeof(failure));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n == (ssize_t)sizeof(failure)) {
        job->exec_stage = failure[0];
        job->start_errno = failure[1];
    }
    close_fd(&job->report_fd); /* EOF: the exec happened */
}

static void reap_children(void) {
    char drain[64];
    while (read(sigchld_pipe[0], drain, sizeof(drain)) > 0) {
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < njobs; i++) {
            if (jobs[i]->pid == pid) {
                jobs[i]->reaped = 1;
                jobs[i]->wait_status = status;
                break;
            }
        }
    }
}

/* A job is done when its child has exited and closed both output pipes, as with Node's 'close'. */
static void finish_job(struct job *job) {
    char reason[512] = "";
    if (job->start_errno == ENOENT && job->exec_stage) {
        respond(job->id, NOT_FOUND, ENOENT, NULL, NULL, NULL);
    } else if (job->start_errno) {
        snprintf(reason, sizeof(reason), "marina-spawn: cannot %s %s: %s\n", job->exec_stage ? "run" : "change directory for",
                 job->what, strerror(job->start_errno));
        respond(job->id, FAILED, job->start_errno, NULL, NULL, reason);
    } else if (job->overflow) {
        snprintf(reason, sizeof(reason), "\nmarina-spawn: output of %s went over %u MiB; it was killed\n", job->what,
                 OUTPUT_MAX >> 20);
        respond(job->id, FAILED, 0, &job->out, &job->err, reason);
    } else if (WIFSIGNALED(job->wait_status)) {
        respond(job->id, SIGNALED, WTERMSIG(job->wait_status), &job->out, &job->err, NULL);
    } else {
        respond(job->id, EXITED, WEXITSTATUS(job->wait_status), &job->out, &job->err, NULL);
    }
    close_fd(&job->in_fd);
    free(job->input);
    buf_free(&job->out);
    buf_free(&job->err);
    free(job);
}

static void on_sigchld(int sig) {
    (void)sig;
    int saved = errno;
    ssize_t ignored = write(sigchld_pipe[1], "", 1); /* non-blocking: a full pipe already says "reap" */
    (void)ignored;
    errno = saved;
}

int main(void) {
    /*
     * Descriptors marinad's own parent left open without close-on-exec would pass through Node's spawn
     * and ours into every command; the helper needs only 0-2, and everything it opens is close-on-exec.
     */
    if (close_range(3, ~0U, 0) < 0) fprintf(stderr, "marina-spawn: close_range: %s\n", strerror(errno));
    /* A child or marinad closing its end must surface as EPIPE, not end the helper. */
    signal(SIGPIPE, SIG_IGN);
    if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) < 0) die("pipe2");
    struct sigaction sa = {.sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGCHLD, &sa, NULL) < 0) die("sigaction");
    set_nonblocking(STDIN_FILENO);
    set_nonblocking(STDOUT_FILENO);

    struct pollfd *fds = NULL;
    struct job **owners = NULL; /* owners[i]: the job whose pipe fds[i] is, NULL for the helper's own */
    size_t fds_cap = 0;
    while (stdin_open || njobs > 0) {
        size_t need = 3 + 4 * njobs, n = 0;
        if (need > fds_cap) {
            fds_cap = need * 2;
            fds = xrealloc(fds, fds_cap * sizeof(*fds));
            owners = xrealloc(owners, fds_cap * sizeof(*owners));
        }
#define WATCH(fd_, events_, owner_) \
    (fds[n] = (struct pollfd){.fd = (fd_), .events = (events_)}, owners[n++] = (owner_))
        WATCH(sigchld_pipe[0], POLLIN, NULL);
        if (stdin_open) WATCH(STDIN_FILENO, POLLIN, NULL);
        if (responses.len > 0) WATCH(STDOUT_FILENO, POLLOUT, NULL);
        for (size_t i = 0; i < njobs; i++) {
            struct job *job = jobs[i];
            if (job->in_fd >= 0) WATCH(job->in_fd, POLLOUT, job);
            if (job->out_fd >= 0) WATCH(job->out_fd, POLLIN, job);
            if (job->err_fd >= 0) WATCH(job->err_fd, POLLIN, job);
            if (job->report_fd >= 0) WATCH(job->report_fd, POLLIN, job);
        }
#undef WATCH
        if (poll(fds, n, -1) < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        for (size_t i = 0; i < n; i++) {
            if (!fds[i].revents) continue;
            struct job *job = owners[i];
            int fd = fds[i].fd;
            if (!job) {
                if (fd == sigchld_pipe[0]) reap_children();
                else if (fd == STDIN_FILENO) read_requests();
                else flush_responses();
            } else if (fd == job->in_fd) {
                write_input(job);
            } else if (fd == job->out_fd) {
                read_output(job, &job->out_fd, &job->out);
            } else if (fd == job->err_fd) {
                read_output(job, &job->err_fd, &job->err);
            } else if (fd == job->report_fd) {
                read_report(job);
            }
        }
        /* Jobs finish in place; the survivors are compacted without reordering. */
        size_t kept = 0;
        for (size_t i = 0; i < njobs; i++) {
            struct job *job = jobs[i];
            if (job->reaped && job->out_fd < 0 && job->err_fd < 0 && job->report_fd < 0) finish_job(job);
            else jobs[kept++] = job;
        }
        njobs = kept;
        flush_responses();
    }
    /* Give marinad what is still queued; it may be reading our last answers. */
    while (responses.len > 0 && !stdout_broken) {
        struct pollfd out = {.fd = STDOUT_FILENO, .events = POLLOUT};
        if (poll(&out, 1, -1) < 0 && errno != EINTR) break;
        flush_responses();
    }
    return 0;
}

/**
 * Marina's default seccomp profile, with Docker's semantics: everything not listed fails with EPERM;
 * the ordinary syscalls of programs are allowed; the ones that reach the kernel as a whole (mounts,
 * modules, clocks, keyrings, namespaces, io_uring, bpf…) are allowed only when the container holds the
 * capability that guards them. Those conditions are resolved here, when the spec is built, so the
 * profile written to config.json is plain OCI that any runtime understands.
 */
import type { OciSeccomp, OciSeccompArg, OciSeccompSyscall } from './oci-spec.ts';

interface ProfileRule {
  names: string[];
  args?: OciSeccompArg[];
  /** Returned instead of allowing (e.g. ENOSYS so libc falls back to an older syscall). */
  errnoRet?: number;
  /** The rule applies when the container holds at least one of these capabilities. */
  anyCap?: string[];
  /** The rule does not apply when the container holds this capability. */
  unlessCap?: string;
  arches?: NodeJS.Architecture[];
}

const EPERM = 1;
const ENOSYS = 38;
const AF_VSOCK = 40;
/** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET */
const CLONE_NAMESPACE_FLAGS = 0x7e020000;

// The ordinary syscalls of programs. Names unknown on an architecture are skipped by the runtime.
const ordinarySyscalls = [
  // files and directories
  'access', 'chdir', 'chmod', 'chown', 'chown32', 'close', 'close_range', 'copy_file_range', 'creat', 'dup', 'dup2', 'dup3',
  'faccessat', 'faccessat2', 'fadvise64', 'fadvise64_64', 'fallocate', 'fchdir', 'fchmod', 'fchmodat', 'fchmodat2', 'fchown',
  'fchown32', 'fchownat', 'fcntl', 'fcntl64', 'fdatasync', 'fgetxattr', 'flistxattr', 'flock', 'fremovexattr', 'fsetxattr',
  'fstat', 'fstat64', 'fstatat64', 'fstatfs', 'fstatfs64', 'fsync', 'ftruncate', 'ftruncate64', 'getcwd', 'getdents',
  'getdents64', 'getxattr', 'inotify_add_watch', 'inotify_init', 'inotify_init1', 'inotify_rm_watch', 'lchown', 'lchown32',
  'lgetxattr', 'link', 'linkat', 'listxattr', 'llistxattr', 'lremovexattr', 'lseek', '_llseek', 'lsetxattr', 'lstat',
  'lstat64', 'mkdir', 'mkdirat', 'mknod', 'mknodat', 'newfstatat', 'open', 'openat', 'openat2', 'pread64', 'preadv',
  'preadv2', 'pwrite64', 'pwritev', 'pwritev2', 'read', 'readahead', 'readlink', 'readlinkat', 'readv', 'removexattr',
  'rename', 'renameat', 'renameat2', 'rmdir', 'sendfile', 'sendfile64', 'setxattr', 'splice', 'stat', 'stat64', 'statfs',
  'statfs64', 'statx', 'symlink', 'symlinkat', 'sync', 'sync_file_range', 'syncfs', 'tee', 'truncate', 'truncate64',
  'umask', 'unlink', 'unlinkat', 'utime', 'utimensat', 'utimensat_time64', 'utimes', 'vmsplice', 'write', 'writev',
  'fanotify_mark', 'memfd_create', 'memfd_secret', 'landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self',
  // polling and events
  'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_pwait', 'epoll_pwait2', 'epoll_wait', 'epoll_wait_old',
  'eventfd', 'eventfd2', 'io_cancel', 'io_destroy', 'io_getevents', 'io_pgetevents', 'io_pgetevents_time64', 'io_setup',
  'io_submit', 'ioctl', 'poll', 'ppoll', 'ppoll_time64', 'pselect6', 'pselect6_time64', 'select', '_newselect',
  'signalfd', 'signalfd4', 'timerfd_create', 'timerfd_gettime', 'timerfd_gettime64', 'timerfd_settime', 'timerfd_settime64',
  'pipe', 'pipe2', 'futex', 'futex_time64', 'futex_waitv', 'get_robust_list', 'set_robust_list', 'rseq',
  // processes, identity, scheduling
  'capget', 'capset', 'execve', 'execveat', 'exit', 'exit_group', 'fork', 'vfork', 'getegid', 'getegid32', 'geteuid',
  'geteuid32', 'getgid', 'getgid32', 'getgroups', 'getgroups32', 'getitimer', 'getpgid', 'getpgrp', 'getpid', 'getppid',
  'getpriority', 'getresgid', 'getresgid32', 'getresuid', 'getresuid32', 'getrlimit', 'ugetrlimit', 'getrusage', 'getsid',
  'gettid', 'getuid', 'getuid32', 'ioprio_get', 'ioprio_set', 'kill', 'tkill', 'tgkill', 'pidfd_open', 'pidfd_send_signal',
  'prctl', 'arch_prctl', 'prlimit64', 'sched_get_priority_max', 'sched_get_priority_min', 'sched_getaffinity',
  'sched_getattr', 'sched_getparam', 'sched_getscheduler', 'sched_rr_get_interval', 'sched_rr_get_interval_time64',
  'sched_setaffinity', 'sched_setattr', 'sched_setparam', 'sched_setscheduler', 'sched_yield', 'setfsgid', 'setfsgid32',
  'setfsuid', 'setfsuid32', 'setgid', 'setgid32', 'setgroups', 'setgroups32', 'setitimer', 'setpgid', 'setpriority',
  'setregid', 'setregid32', 'setresgid', 'setresgid32', 'setresuid', 'setresuid32', 'setreuid', 'setreuid32', 'setrlimit',
  'setsid', 'setuid', 'setuid32', 'set_tid_address', 'set_thread_area', 'get_thread_area', 'times', 'wait4', 'waitid',
  'waitpid', 'uname', 'sysinfo', 'getrandom', 'getcpu', 'membarrier', 'restart_syscall', 'seccomp', 'ptrace',
  // signals
  'alarm', 'pause', 'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn', 'rt_sigsuspend',
  'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_tgsigqueueinfo', 'sigaction', 'sigaltstack', 'signal', 'sigpending',
  'sigprocmask', 'sigreturn', 'sigsuspend',
  // memory
  'brk', 'madvise', 'mincore', 'mlock', 'mlock2', 'mlockall', 'mmap', 'mmap2', 'mprotect', 'mremap', 'msync', 'munlock',
  'munlockall', 'munmap', 'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'remap_file_pages',
  // time (reading it; setting it needs CAP_SYS_TIME)
  'clock_getres', 'clock_getres_time64', 'clock_gettime', 'clock_gettime64', 'clock_nanosleep', 'clock_nanosleep_time64',
  'gettimeofday', 'nanosleep', 'time', 'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime',
  'timer_gettime64', 'timer_settime', 'timer_settime64', 'adjtimex',
  // sockets and IPC
  'accept', 'accept4', 'bind', 'connect', 'getpeername', 'getsockname', 'getsockopt', 'listen', 'recv', 'recvfrom',
  'recvmmsg', 'recvmmsg_time64', 'recvmsg', 'send', 'sendmmsg', 'sendmsg', 'sendto', 'setsockopt', 'shutdown',
  'socketcall', 'socketpair', 'ipc', 'mq_getsetattr', 'mq_notify', 'mq_open', 'mq_timedreceive', 'mq_timedreceive_time64',
  'mq_timedsend', 'mq_timedsend_time64', 'mq_unlink', 'msgctl', 'msgget', 'msgrcv', 'msgsnd', 'semctl', 'semget', 'semop',
  'semtimedop', 'semtimedop_time64', 'shmat', 'shmctl', 'shmdt', 'shmget',
];

const rules: ProfileRule[] = [
  { names: ordinarySyscalls },
  // AF_VSOCK reaches the hypervisor, outside the container's network namespace.
  { names: ['socket'], args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }] },
  // Execution domains other than Linux (and the two flags programs use) enable old, less audited kernel paths.
  ...[0x0, 0x8, 0x20000, 0x20008, 0xffffffff].map(
    (persona): ProfileRule => ({ names: ['personality'], args: [{ index: 0, value: persona, op: 'SCMP_CMP_EQ' }] }),
  ),
  // Threads and processes yes, new namespaces no: only CAP_SYS_ADMIN may create them.
  {
    names: ['clone'],
    args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    unlessCap: 'CAP_SYS_ADMIN',
  },
  // clone3 passes its flags in memory seccomp cannot inspect; ENOSYS makes libc fall back to clone.
  { names: ['clone3'], errnoRet: ENOSYS, unlessCap: 'CAP_SYS_ADMIN' },
  { names: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'], arches: ['arm', 'arm64'] },
  {
    names: [
      'clone', 'clone3', 'unshare', 'setns', 'mount', 'mount_setattr', 'umount', 'umount2', 'move_mount', 'open_tree',
      'fsconfig', 'fsmount', 'fsopen', 'fspick', 'pivot_root', 'sethostname', 'setdomainname', 'quotactl', 'quotactl_fd',
      'lookup_dcookie', 'name_to_handle_at', 'fanotify_init', 'bpf', 'perf_event_open', 'syslog',
    ],
    anyCap: ['CAP_SYS_ADMIN'],
  },
  { names: ['bpf'], anyCap: ['CAP_BPF'] },
  { names: ['perf_event_open'], anyCap: ['CAP_PERFMON'] },
  { names: ['syslog'], anyCap: ['CAP_SYSLOG'] },
  { names: ['chroot'], anyCap: ['CAP_SYS_CHROOT'] },
  { names: ['reboot', 'kexec_load', 'kexec_file_load'], anyCap: ['CAP_SYS_BOOT'] },
  { names: ['init_module', 'finit_module', 'delete_module'], anyCap: ['CAP_SYS_MODULE'] },
  { names: ['acct'], anyCap: ['CAP_SYS_PACCT'] },
  { names: ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev'], anyCap: ['CAP_SYS_PTRACE'] },
  { names: ['iopl', 'ioperm'], anyCap: ['CAP_SYS_RAWIO'] },
  { names: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64', 'clock_adjtime', 'clock_adjtime64'], anyCap: ['CAP_SYS_TIME'] },
  { names: ['vhangup'], anyCap: ['CAP_SYS_TTY_CONFIG'] },
  { names: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node', 'move_pages', 'migrate_pages'], anyCap: ['CAP_SYS_NICE'] },
  { names: ['open_by_handle_at'], anyCap: ['CAP_DAC_READ_SEARCH'] },
];
// Never allowed by default, whatever the capabilities: keyctl/add_key/request_key (the keyring is not
// namespaced), io_uring_* (a large attack surface that bypasses seccomp), userfaultfd, swapon/swapoff,
// uselib, ustat, sysfs, _sysctl, nfsservctl, vm86, modify_ldt.

const seccompArchitectures: Partial<Record<NodeJS.Architecture, string[]>> = {
  x64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  ia32: ['SCMP_ARCH_X86'],
  arm64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
  arm: ['SCMP_ARCH_ARM'],
};

function applies(rule: ProfileRule, caps: ReadonlySet<string>, arch: NodeJS.Architecture): boolean {
  if (rule.arches && !rule.arches.includes(arch)) return false;
  if (rule.anyCap && !rule.anyCap.some((cap) => caps.has(cap))) return false;
  return rule.unlessCap === undefined || !caps.has(rule.unlessCap);
}

/**
 * The default profile for a container holding `capabilities` (CAP_-prefixed names, as in the spec's
 * bounding set), on `arch` (Node's naming; defaults to this machine's).
 */
export function defaultSeccompProfile(capabilities: readonly string[], arch: NodeJS.Architecture = process.arch): OciSeccomp {
  const caps = new Set(capabilities);
  const syscalls: OciSeccompSyscall[] = rules
    .filter((rule) => applies(rule, caps, arch))
    .map((rule) => ({
      names: rule.names,
      ...(rule.errnoRet === undefined
        ? { action: 'SCMP_ACT_ALLOW' as const }
        : { action: 'SCMP_ACT_ERRNO' as const, errnoRet: rule.errnoRet }),
      ...(rule.args ? { args: rule.args } : {}),
    }));
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    architectures: seccompArchitectures[arch] ?? [],
    syscalls,
  };
}

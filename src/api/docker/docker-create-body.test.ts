import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import { parseDockerCreate } from './docker-create-body.ts';

/** What docker CLI 28 sends for `run -d busybox`: every field, nearly all zero. */
const cliBody = (config: Record<string, unknown> = {}, hostConfig: Record<string, unknown> = {}) => ({
  Hostname: '',
  Domainname: '',
  User: '',
  AttachStdin: false,
  AttachStdout: true,
  AttachStderr: true,
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: [],
  Cmd: null,
  Image: 'busybox',
  Volumes: {},
  WorkingDir: '',
  Entrypoint: null,
  OnBuild: null,
  Labels: {},
  ...config,
  HostConfig: {
    Binds: null,
    ContainerIDFile: '',
    LogConfig: { Type: '', Config: {} },
    NetworkMode: 'default',
    PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    AutoRemove: false,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: [0, 0],
    CapAdd: null,
    CapDrop: null,
    CgroupnsMode: '',
    Dns: [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: null,
    IpcMode: '',
    OomScoreAdj: 0,
    PidMode: '',
    Privileged: false,
    PublishAllPorts: false,
    ReadonlyRootfs: false,
    SecurityOpt: null,
    ShmSize: 0,
    Memory: 0,
    NanoCpus: 0,
    MemorySwappiness: -1,
    OomKillDisable: false,
    PidsLimit: null,
    Ulimits: null,
    CpuQuota: 0,
    CpuPeriod: 0,
    MaskedPaths: null,
    ReadonlyPaths: null,
    ...hostConfig,
  },
  NetworkingConfig: { EndpointsConfig: { default: {} } },
});

test('the CLI zero body is a bare request with no warnings', () => {
  assert.deepEqual(parseDockerCreate(cliBody(), undefined), { request: { image: 'busybox' }, warnings: [] });
});

test('process, identity and stdio fields map one to one', () => {
  const { request, warnings } = parseDockerCreate(
    cliBody({
      Cmd: ['sh', '-c', 'echo hi'],
      Entrypoint: [''],
      Env: ['A=1'],
      WorkingDir: '/tmp',
      User: '1000:1000',
      Hostname: 'h1',
      Tty: true,
      OpenStdin: true,
      StdinOnce: true,
      Labels: { 'com.docker.compose.project': 'p' },
      StopSignal: 'SIGINT',
      StopTimeout: 3,
      Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 2e9, Timeout: 1e9, StartPeriod: 0, Retries: 4 },
    }),
    '/web',
  );
  assert.deepEqual(warnings, []);
  assert.deepEqual(request, {
    image: 'busybox',
    name: 'web',
    cmd: ['sh', '-c', 'echo hi'],
    entrypoint: [],
    env: ['A=1'],
    workingDir: '/tmp',
    user: '1000:1000',
    hostname: 'h1',
    tty: true,
    openStdin: true,
    stdinOnce: true,
    labels: { 'com.docker.compose.project': 'p' },
    stopSignal: 'SIGINT',
    stopTimeout: 3,
    healthcheck: { test: ['CMD-SHELL', 'true'], intervalMs: 2000, timeoutMs: 1000, retries: 4, onFailure: 'none' },
  });
});

test('binds, mounts, tmpfs and anonymous Volumes become mounts', () => {
  const { request } = parseDockerCreate(
    cliBody(
      { Volumes: { '/anon': {}, '/data': {} } },
      {
        Binds: ['data:/data:rw', '/srv:/srv:ro'],
        Mounts: [{ Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 1024 } }],
        Tmpfs: { '/run': 'size=64m,mode=1777' },
      },
    ),
    undefined,
  );
  assert.deepEqual(request.mounts, [
    { type: 'volume', name: 'data', target: '/data', readOnly: false },
    { type: 'bind', source: '/srv', target: '/srv', readOnly: true },
    { type: 'tmpfs', target: '/scratch', sizeBytes: 1024 },
    { type: 'tmpfs', target: '/run', sizeBytes: 64 * 1024 * 1024, mode: 0o1777 },
    { type: 'volume', target: '/anon' },
  ]);
});

test('ports, networking, restart policy and resources', () => {
  const { request, warnings } = parseDockerCreate(
    cliBody(
      { ExposedPorts: { '80/tcp': {}, '53/udp': {}, '9000/tcp': {} } },
      {
        PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostIp: '', HostPort: '' }] },
        PublishAllPorts: true,
        NetworkMode: 'proj_default',
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
        AutoRemove: true,
        Memory: 64 * 1024 * 1024,
        CpuQuota: 50_000,
        CpuPeriod: 100_000,
        PidsLimit: -1,
        CapAdd: ['NET_ADMIN'],
        SecurityOpt: ['no-new-privileges:true', 'seccomp=unconfined', 'apparmor=x'],
        ExtraHosts: ['db:10.0.0.2', 'cache=10.0.0.3'],
        Dns: ['10.0.0.53'],
        ConsoleSize: [40, 120],
      },
    ),
    'proj_web_1',
  );
  assert.deepEqual(request.ports, [
    { protocol: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPort: 8080 },
    { protocol: 'udp', containerPort: 53 },
    { protocol: 'tcp', containerPort: 9000 },
  ]);
  assert.equal(request.publishAll, true);
  assert.equal(request.networkMode, 'proj_default');
  assert.deepEqual(request.restartPolicy, { name: 'on-failure', maximumRetryCount: 3 });
  assert.equal(request.autoRemove, true);
  assert.deepEqual(request.resources, { memoryBytes: 64 * 1024 * 1024, nanoCpus: 500_000_000 });
  assert.deepEqual(request.capAdd, ['NET_ADMIN']);
  assert.deepEqual(request.securityOpt, { noNewPrivileges: true, seccomp: 'unconfined' });
  assert.deepEqual(request.extraHosts, ['db:10.0.0.2', 'cache:10.0.0.3']);
  assert.deepEqual(request.dns, ['10.0.0.53']);
  assert.deepEqual(request.consoleSize, { height: 40, width: 120 });
  // The `default` endpoint is the CLI's name for the NetworkMode network; apparmor is not honoured.
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, /apparmor=x/);
});

test('compose puts the network aliases in EndpointsConfig of its network; other networks are warned about', () => {
  const body = (endpoints: Record<string, unknown>) => ({
    ...cliBody({}, { NetworkMode: 'proj_default' }),
    NetworkingConfig: { EndpointsConfig: endpoints },
  });
  const { request, warnings } = parseDockerCreate(body({ proj_default: { Aliases: ['web'] } }), undefined);
  assert.deepEqual(request.networkAliases, ['web']);
  assert.deepEqual(warnings, []);
  const other = parseDockerCreate(body({ proj_default: {}, backend: { Aliases: ['api'] } }), undefined);
  assert.equal(other.request.networkAliases, undefined);
  assert.match(other.warnings.join('\n'), /EndpointsConfig\.backend was ignored/);
});

test('non-zero fields Marina cannot honour come back as a warning, defaults do not', () => {
  const { warnings } = parseDockerCreate(
    cliBody({ Domainname: 'example.com' }, { ShmSize: 1 << 20, Ulimits: [{ Name: 'nofile', Soft: 1, Hard: 2 }], LogConfig: { Type: 'json-file' } }),
    undefined,
  );
  assert.deepEqual(warnings, ['Marina does not support Domainname, HostConfig.ShmSize, HostConfig.Ulimits: ignored']);
});

test('bad input is refused with the field named', () => {
  const cases: [unknown, RegExp][] = [
    [{}, /Image/],
    [cliBody({}, { Binds: ['nocolon'] }), /invalid bind "nocolon"/],
    [cliBody({}, { PortBindings: { '80/tcp': [{ HostPort: '80-90' }] } }), /invalid host port "80-90"/],
    [cliBody({}, { PortBindings: { 'http/tcp': [] } }), /invalid port "http\/tcp"/],
    [cliBody({}, { RestartPolicy: { Name: 'sometimes' } }), /invalid restart policy "sometimes"/],
    [cliBody({}, { Tmpfs: { '/run': 'size=lots' } }), /invalid tmpfs option "size=lots"/],
    [cliBody({}, { Mounts: [{ Type: 'npipe', Target: '/x' }] }), /mount type "npipe"/],
  ];
  for (const [body, message] of cases) {
    assert.throws(() => parseDockerCreate(body, undefined), (err) => isMarinaError(err, 'Invalid') && message.test(err.message));
  }
  assert.equal(parseDockerCreate(cliBody({}, { NetworkMode: 'container:other' }), undefined).request.networkMode, 'container:other');
});

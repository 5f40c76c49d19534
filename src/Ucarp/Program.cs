using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Etcd;
using Ucarp.Interop;
using Ucarp.Linux;
using Ucarp.Monitoring;

namespace Ucarp;

/// <summary>
/// ucarp.c:main and carp.c:docarp: parse, validate, detach, set up the interface,
/// then hand over to the event loop. Exit statuses are ucarp's: 0 for usage and for a
/// vanished interface, 1 for a bad command line, 2 when setup fails.
/// </summary>
internal static class Program
{
    /// <summary>Set in the environment of the re-executed daemon (-B); scripts never see it.</summary>
    const string DetachedMarker = "UCARP_NET_DETACHED";

    static int Main()
    {
        var log = new Logger();
        try
        {
            return Run(log);
        }
        finally
        {
            // Lines still queued are written before the process ends (a stuck console or syslog: a bounded wait).
            log.Flush(Logger.ExitFlush);
        }
    }

    static int Run(Logger log)
    {
        string[] argv = CStrings.CommandLine();
        string[] environment = CStrings.Environment().Where(e => !e.StartsWith(DetachedMarker + "=", StringComparison.Ordinal)).ToArray();
        bool detached = Environment.GetEnvironmentVariable(DetachedMarker) == "1";

        if (detached)
        {
            // The parent already parsed, validated and reported; say nothing twice.
            log.ConsoleEnabled = false;
            log.Muted = true;
            log.PasswordFromStdin = true;
        }
        CliOutcome outcome = CommandLine.Parse(argv[0], argv[1..], Environment.GetEnvironmentVariable("POSIXLY_CORRECT") is not null, log);
        if (outcome.ShouldExit)
        {
            return outcome.ExitCode;
        }
        Configuration config = outcome.Configuration!;
        log.DebugEnabled = config.Debug;
        if (!config.NoSyslog)
        {
            log.OpenSyslog(config.SyslogFacility);
        }
        int status = CommandLine.Validate(config, log, InterfaceInfo.DefaultInterface);
        if (status != 0)
        {
            return status;
        }
        // The files are named relative to where the command was typed; the daemon under
        // -B starts there too and only then moves to /, as ucarp's daemonize does.
        config.StateFile = FullPath(config.StateFile);
        config.MetricsFile = FullPath(config.MetricsFile);
        config.PidFile = FullPath(config.PidFile);
        config.EtcdCaCert = FullPath(config.EtcdCaCert);
        config.EtcdCert = FullPath(config.EtcdCert);
        config.EtcdKey = FullPath(config.EtcdKey);
        config.EtcdPasswordFile = FullPath(config.EtcdPasswordFile);
        // Read here, before -B detaches: the daemon could not read /dev/stdin or <(...); it is handed over as -o's password is.
        string? etcdPassword = null;
        if (config.EtcdPasswordFile is not null)
        {
            etcdPassword = detached ? log.HandedOver(1) : EtcdSetup.ReadPassword(config.EtcdPasswordFile, log);
            if (etcdPassword is null)
            {
                return 2;
            }
        }
        EtcdSetup.WarnReadableKey(config, log);
        if (detached)
        {
            Directory.SetCurrentDirectory("/");
            StdinToDevNull();
        }
        else if (config.PidFile is not null && PidFile.RunningOwner(config.PidFile) is int owner)
        {
            log.Write(LogLevel.Error, Messages.PidfileInUse(config.PidFile, owner));
            return 2;
        }

        if (config.Daemonize)
        {
            if (!detached)
            {
                int pid = Detach(argv, [.. environment, DetachedMarker + "=1"], config.Password!, etcdPassword);
                if (pid > 0)
                {
                    return 0;
                }
                // ucarp carries on in the foreground when it cannot fork.
                log.Write(LogLevel.Error, Messages.Background(Libc.StrError(-pid)));
            }
            log.Muted = false;
            log.ConsoleEnabled = false;
        }
        if (config.PidFile is not null && PidFile.Write(config.PidFile) is string pidError)
        {
            log.Write(LogLevel.Warning, Messages.FileWriteFailed(config.PidFile, pidError));
        }
        try
        {
            return DoCarp(config, log, environment, etcdPassword);
        }
        finally
        {
            if (config.PidFile is not null)
            {
                PidFile.Remove(config.PidFile);
            }
        }
    }

    static string? FullPath(string? path) => path is null ? null : Path.GetFullPath(path);

    /// <summary>
    /// -B: starts the daemon, which parses the same command line again, and hands it the
    /// passwords read here (CARP's, then etcd's if any, a line each) on its stdin (a pipe),
    /// never in argv or the environment, so a password file that cannot be read twice
    /// (/dev/stdin, &lt;(...)) still works.
    /// By its real path, not /proc/self/exe: the process name stays "ucarp" for ps,
    /// pidof and killall. Returns the pid or -errno.
    /// </summary>
    static unsafe int Detach(string[] argv, string[] environment, string password, string? etcdPassword)
    {
        int* fds = stackalloc int[2];
        if (Libc.Pipe2(fds, Libc.O_CLOEXEC) != 0)
        {
            return -Libc.LastErrno;
        }
        using var reader = new FileDescriptor(fds[0]);
        using (var writer = new FileDescriptor(fds[1]))
        {
            // Two lines of at most 512 bytes: far below a pipe's capacity, so this never blocks.
            byte[] line = [.. CStrings.Bytes(password), (byte)'\n', .. CStrings.Bytes(etcdPassword ?? ""), (byte)'\n'];
            fixed (byte* p = line)
            {
                Libc.Write(writer.Fd, p, (nuint)line.Length);
            }
        }
        return NativeSpawn.Spawn(Environment.ProcessPath ?? "/proc/self/exe", argv, environment,
                                 new NativeSpawn.Options(NewSession: true, StdioToDevNull: true, StdinFrom: reader.Fd));
    }

    /// <summary>The daemon's stdin held the handed-over password; from now on it is /dev/null, as ucarp's.</summary>
    static unsafe void StdinToDevNull()
    {
        fixed (byte* devnull = "/dev/null\0"u8)
        {
            int fd = Libc.Open(devnull, Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (fd >= 0)
            {
                Libc.Dup2(fd, 0);
                Libc.Close(fd);
            }
        }
    }

    static int DoCarp(Configuration config, Logger log, string[] environment, string? etcdPassword)
    {
        string iface = config.Interface!;
        byte[] password = CStrings.Bytes(config.Password!);
        if (password.Length > Core.Wire.CarpHmac.MaxPasswordBytes)
        {
            log.Write(LogLevel.Error, Messages.PasswordTooLong);
            return 2;
        }

        // fillmac.c asks for the MAC on a packet socket, so without CAP_NET_RAW ucarp
        // stops here, with these two lines; so do we. The socket then serves every
        // interface ioctl (it receives nothing): closing a packet socket waits for an RCU
        // grace period, about 13 ms of start-up.
        using FileDescriptor? control = InterfaceInfo.RawDevice(out int socketErrno);
        if (control is null)
        {
            log.Write(LogLevel.Error, Messages.RawDevice(Libc.StrError(socketErrno)));
            log.Write(LogLevel.Error, Messages.NoMacAddress(iface));
            return 2;
        }
        byte[]? mac = InterfaceInfo.HardwareAddress(control, iface, out ushort hardwareType, out string? macError);
        if (mac is null)
        {
            log.Write(LogLevel.Error, macError is null ? Messages.InterfaceNameTooLong : Messages.HardwareInfo(macError));
            log.Write(LogLevel.Error, Messages.NoMacAddress(iface));
            return 2;
        }
        if (hardwareType != Libc.ARPHRD_ETHER && hardwareType != Libc.ARPHRD_IEEE802)
        {
            log.Write(LogLevel.Error, Messages.UnknownHardwareType(hardwareType));
        }
        log.Write(LogLevel.Info, Messages.LocalMac(mac));

        int ifIndex = InterfaceInfo.Index(control, iface);
        string openError = ifIndex < 0 ? Libc.StrError(-ifIndex) : "";
        if (ifIndex >= 0 && InterfaceInfo.TryFlags(control, iface, out short flags) && (flags & Libc.IFF_UP) == 0)
        {
            // libpcap refuses a device that is administratively down, and so does ucarp.
            ifIndex = -1;
            openError = Messages.DeviceNotUp(iface);
        }
        bool etcdMode = config.EtcdEndpoints.Count != 0;
        // With etcd the socket only sends the announcements: it receives nothing.
        PacketSocket? socket = ifIndex < 0 ? null : PacketSocket.Open(ifIndex, config.SourceAddress, out openError, receive: !etcdMode);
        if (socket is null)
        {
            log.Write(LogLevel.Error, Messages.OpenInterface(iface, openError));
            return 2;
        }
        // The kernel filter below is what ucarp's pcap rule says; -D shows the rule as ucarp does.
        log.Write(LogLevel.Debug, Messages.BpfRule(config.SourceAddress.ToString()));
        StatusPublisher? publisher = null;
        using (socket)
        using (var signals = new SignalRelay(config.ShutdownAtExit, () => BeforeDeath(config, publisher, log)))
        {
            string unicastError = "";
            using UnicastSocket? unicast = config.Peers.Count == 0 ? null : UnicastSocket.Open(config.Peers, ifIndex, out unicastError);
            if (config.Peers.Count != 0 && unicast is null)
            {
                log.Write(LogLevel.Error, Messages.OpenPeerSocket(unicastError));
                return 2;
            }
            EtcdConnection? connection = etcdMode ? EtcdSetup.Load(config, log, etcdPassword) : null;
            if (etcdMode && connection is null)
            {
                return 2;
            }
            using EtcdClient? etcd = connection is null ? null : new EtcdClient(connection);
            if (etcd is not null && !EtcdSetup.Probe(etcd, connection!, log))
            {
                return 2;
            }
            var host = new DaemonHost(log, socket, unicast, environment, iface, etcd);
            CarpSettings settings = CarpSettings.From(config, password, mac);
            IElection machine = etcd is null
                ? new CarpMachine(settings, host, new SystemCarpRandom())
                : new Core.Etcd.EtcdElection(settings, new Core.Etcd.EtcdSettings { Key = EtcdOptions.Key(config), Host = Environment.MachineName }, host);
            using HealthCheckRunner? health = config.Check is null ? null
                : new HealthCheckRunner(config, log, environment, MonotonicClock.NowMicroseconds);
            health?.Policy.Begin(machine, MonotonicClock.NowMicroseconds);
            machine.Start(MonotonicClock.NowMicroseconds);

            // With peers no group is joined: nothing is sent to it.
            bool joins = !config.NoMulticast && config.Peers.Count == 0 && !etcdMode;
            using FileDescriptor? membership = !joins ? null
                : config.MulticastAddress.IsV6 ? JoinGroup6(config, ifIndex, log) : JoinGroup(config, log);
            if (joins && membership is null)
            {
                host.Scripts.WaitForAll();
                return 2;
            }
            using SystemdNotifier notifier = SystemdNotifier.FromEnvironment();
            if (config.StateFile is not null || config.MetricsFile is not null || notifier.Enabled)
            {
                publisher = new StatusPublisher(config, machine, host.Scripts, health, log, notifier, MonotonicClock.NowMicroseconds);
                publisher.Start(MonotonicClock.NowMicroseconds);
            }
            // Start-up is over: what it read of the executable and will not use again goes back.
            ImagePages.DropUnused();
            if (config.RealtimePriority is int priority)
            {
                Realtime.Enter(priority, log);
            }
            int exit = new EventLoop(config, machine, host, socket, control, signals, health, publisher, etcd).Run();
            publisher?.Stop(MonotonicClock.NowMicroseconds);
            return exit;
        }
    }

    /// <summary>Without -z a termination signal kills the daemon, as ucarp's: what it leaves behind is cleaned first, queued log lines written.</summary>
    static void BeforeDeath(Configuration config, StatusPublisher? publisher, Logger log)
    {
        publisher?.Stop(MonotonicClock.NowMicroseconds);
        if (config.PidFile is not null)
        {
            PidFile.Remove(config.PidFile);
        }
        log.Flush(Logger.ExitFlush);
    }

    /// <summary>
    /// IPV6_ADD_MEMBERSHIP on the interface: the NIC then accepts 33:33:00:00:00:12 and
    /// MLD-snooping switches forward the group, as IGMP does for IPv4.
    /// </summary>
    static unsafe FileDescriptor? JoinGroup6(Configuration config, int ifIndex, Logger log)
    {
        FileDescriptor? fd = InterfaceInfo.DatagramSocket(out int errno, Libc.AF_INET6);
        if (fd is null)
        {
            log.Write(LogLevel.Error, Messages.OpenSocket(config.Interface!, Libc.StrError(errno)));
            return null;
        }
        var request = new Ipv6Mreq { IfIndex = ifIndex };
        config.MulticastAddress.CopyTo(new Span<byte>(request.MultiAddr, 16));
        if (Libc.SetSockOpt(fd.Fd, Libc.IPPROTO_IPV6, Libc.IPV6_ADD_MEMBERSHIP, &request, (uint)sizeof(Ipv6Mreq)) != 0)
        {
            errno = Libc.LastErrno;
            log.Write(LogLevel.Error, Messages.AddMembership6(Libc.StrError(errno), errno));
            fd.Dispose();
            return null;
        }
        return fd;
    }

    /// <summary>IP_ADD_MEMBERSHIP on a datagram socket, as ucarp does, so that IGMP-snooping switches forward the group.</summary>
    static unsafe FileDescriptor? JoinGroup(Configuration config, Logger log)
    {
        FileDescriptor? fd = InterfaceInfo.DatagramSocket(out int errno);
        if (fd is null)
        {
            log.Write(LogLevel.Error, Messages.OpenSocket(config.Interface!, Libc.StrError(errno)));
            return null;
        }
        Span<byte> group = stackalloc byte[4];
        Span<byte> local = stackalloc byte[4];
        config.MulticastAddress.CopyTo(group);
        config.SourceAddress.CopyTo(local);
        var request = new IpMreq
        {
            MultiAddr = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(group),
            Interface = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(local),
        };
        if (Libc.SetSockOpt(fd.Fd, Libc.IPPROTO_IP, Libc.IP_ADD_MEMBERSHIP, &request, (uint)sizeof(IpMreq)) != 0)
        {
            errno = Libc.LastErrno;
            log.Write(LogLevel.Error, Messages.AddMembership(Libc.StrError(errno), errno));
            fd.Dispose();
            return null;
        }
        return fd;
    }
}

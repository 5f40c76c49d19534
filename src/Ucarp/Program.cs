using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Etcd;
using Ucarp.Interop;
using Ucarp.Linux;
using Ucarp.Control;
using Ucarp.Core.Config;
using Ucarp.Daemon;
using Ucarp.Core.Monitoring;
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
        string[] environment = Array.FindAll(CStrings.Environment(), e => !e.StartsWith(DetachedMarker + "=", StringComparison.Ordinal));
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
        if (config.FromKeepalived is not null)
        {
            return FromKeepalived.Run(config, log);
        }
        log.DebugEnabled = config.Debug;
        if (!config.NoSyslog)
        {
            log.OpenSyslog(config.SyslogFacility);
        }
        if (config.ConfigFile is not null || config.CheckConfig)
        {
            return ConfigMode.Run(argv, config, log, environment, detached);
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
        config.ControlSocket = FullPath(config.ControlSocket);
        config.DemotionFile = FullPath(config.DemotionFile);
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

        return Daemonized(argv, config, log, environment, detached, config.Password ?? "", etcdPassword,
                          () => DoCarp(config, log, environment, etcdPassword));
    }

    /// <summary>
    /// -B (the daemon goes on in a process of its own, or ucarp's foreground fallback), the
    /// pidfile, then <paramref name="run"/>; the pidfile is removed when it returns.
    /// </summary>
    internal static int Daemonized(string[] argv, Configuration config, Logger log, string[] environment, bool detached,
                                   string password, string? etcdPassword, Func<int> run)
    {
        if (config.Daemonize)
        {
            if (!detached)
            {
                if (TryDetach(argv, [.. environment, DetachedMarker + "=1"], password, etcdPassword, out SysError error))
                {
                    return 0;
                }
                // ucarp carries on in the foreground when it cannot fork.
                log.Write(LogLevel.Error, Messages.Background(error.Text));
            }
            log.Muted = false;
            log.ConsoleEnabled = false;
        }
        if (config.PidFile is not null && !PidFile.TryWrite(config.PidFile, out SysError pidError))
        {
            log.Write(LogLevel.Warning, Messages.FileWriteFailed(config.PidFile, pidError.Text));
        }
        try
        {
            return run();
        }
        finally
        {
            if (config.PidFile is not null)
            {
                PidFile.Remove(config.PidFile);
            }
        }
    }

    internal static string? FullPath(string? path) => path is null ? null : Path.GetFullPath(path);

    /// <summary>
    /// -B: starts the daemon, which parses the same command line again, and hands it the
    /// passwords read here (CARP's, then etcd's if any, a line each) on its stdin (a pipe),
    /// never in argv or the environment, so a password file that cannot be read twice
    /// (/dev/stdin, &lt;(...)) still works.
    /// By its real path, not /proc/self/exe: the process name stays "ucarp" for ps,
    /// pidof and killall. False when the daemon could not be started.
    /// </summary>
    static unsafe bool TryDetach(string[] argv, string[] environment, string password, string? etcdPassword, out SysError error)
    {
        int* fds = stackalloc int[2];
        if (Libc.Pipe2(fds, Libc.O_CLOEXEC) != 0)
        {
            error = SysError.Last();
            return false;
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
        return NativeSpawn.TrySpawn(Environment.ProcessPath ?? "/proc/self/exe", argv, environment,
                                    new NativeSpawn.Options(NewSession: true, StdioToDevNull: true, StdinFrom: reader.Fd), out _, out error);
    }

    /// <summary>The daemon's stdin held the handed-over password; from now on it is /dev/null, as ucarp's.</summary>
    internal static unsafe void StdinToDevNull()
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
        if (CStrings.Bytes(config.Password ?? "").Length > Core.Wire.CarpHmac.MaxPasswordBytes)
        {
            log.Write(LogLevel.Error, Messages.PasswordTooLong);
            return 2;
        }
        // fillmac.c asks for the MAC on a packet socket, so without CAP_NET_RAW ucarp
        // stops here, with these two lines; so do we. The socket then serves every
        // interface ioctl (it receives nothing): closing a packet socket waits for an RCU
        // grace period, about 13 ms of start-up.
        using FileDescriptor? control = RawDevice(config.Interface!, log);
        if (control is null)
        {
            return 2;
        }
        StatusPublisher? publisher = null;
        ControlServer? controlServer = null;
        using var interfaces = new HostInterfaces(control, dispatch: false);
        using var signals = new SignalRelay(config.ShutdownAtExit, () =>
        {
            // Killed without -z: the control socket's file goes with the daemon.
            controlServer?.RemoveSocketFile();
            // A --vmac child never outlives the daemon (its addresses go with it).
            interfaces.Vmacs.RemoveAll(log);
            BeforeDeath(config, publisher, log);
        });
        using var daemon = new DaemonLoop(log, DaemonOptions.From(config), many: false, interfaces, signals, environment);
        if (config.ControlSocket is string path && (controlServer = OpenControl(path, daemon, log)) is null)
        {
            return 2;
        }
        if (!TryOpenMetrics(config.MetricsListen, log, out MetricsEndpoint? endpoint))
        {
            return 2;
        }
        using MetricsEndpoint? metrics = endpoint;
        int status = daemon.StartAll(DaemonConfiguration.FromCommandLine(config).Groups, _ => etcdPassword, probeEtcd: true,
                                     MonotonicClock.NowMicroseconds);
        if (status != 0)
        {
            return status;
        }
        using SystemdNotifier notifier = SystemdNotifier.FromEnvironment();
        if (config.StateFile is not null || config.MetricsFile is not null || metrics is not null || notifier.Enabled)
        {
            GroupRuntime g = daemon.Groups[0];
            publisher = new StatusPublisher(config, g.Gate, g.Frames, g.Scripts, g.Health, log, notifier, MonotonicClock.NowMicroseconds, g.VrrpView)
            {
                Endpoint = metrics,
            };
            metrics?.Start();
            daemon.Attach(publisher);
            publisher.Start(MonotonicClock.NowMicroseconds);
        }
        return RunLoop(daemon, config.RealtimePriority, publisher, log);
    }

    /// <summary>The packet socket every interface ioctl goes through; null after ucarp's two lines when it cannot be had.</summary>
    internal static FileDescriptor? RawDevice(string iface, Logger log)
    {
        if (!InterfaceInfo.TryRawDevice(out FileDescriptor? control, out SysError error))
        {
            log.Write(LogLevel.Error, Messages.RawDevice(error.Text));
            log.Write(LogLevel.Error, Messages.NoMacAddress(iface));
        }
        return control;
    }

    /// <summary>--metrics-listen's socket, bound before any group starts (false after logging why not); null without the option.</summary>
    internal static bool TryOpenMetrics(string? listen, Logger log, out MetricsEndpoint? endpoint)
    {
        endpoint = null;
        if (listen is null)
        {
            return true;
        }
        ListenAddress.TryParse(listen, out ListenAddress at, out _);   // checked with the command line
        if (!MetricsEndpoint.TryOpen(at, out endpoint, out SysError error))
        {
            log.Write(LogLevel.Error, Messages.MetricsListenFailed(at.ToString(), error.Perror));
            return false;
        }
        return true;
    }

    /// <summary>ucarpctl's socket, served by <paramref name="loop"/>; null after logging why not.</summary>
    internal static ControlServer? OpenControl(string path, DaemonLoop loop, Logger log)
    {
        if (!ControlServer.TryOpen(path, loop.Control, out ControlServer? server, out ControlSocketFault fault, out SysError error))
        {
            log.Write(LogLevel.Error, ControlSocketLine(path, fault, error));
            return null;
        }
        loop.Attach(server);
        return server;
    }

    /// <summary>Why the control socket at <paramref name="path"/> could not be had, in the message catalogue's words.</summary>
    internal static string ControlSocketLine(string path, ControlSocketFault fault, SysError error) => fault switch
    {
        ControlSocketFault.Directory => Messages.ControlDirectory(ControlSocketFile.DirectoryOf(path), error.Text),
        ControlSocketFault.DirectoryIsLink => Messages.ControlDirectory(ControlSocketFile.DirectoryOf(path), Messages.ControlDirectoryIsLink),
        ControlSocketFault.DirectoryUnsafe => Messages.ControlDirectory(ControlSocketFile.DirectoryOf(path), error.Text),
        ControlSocketFault.NotSocket => Messages.ControlNotSocket(path),
        ControlSocketFault.InUse => Messages.ControlInUse(path),
        _ => Messages.ControlListen(path, error.Text),
    };

    /// <summary>Start-up is over: the loop runs until the daemon ends.</summary>
    internal static int RunLoop(DaemonLoop daemon, int? realtimePriority, StatusPublisher? publisher, Logger log)
    {
        // What start-up read of the executable and will not use again goes back.
        ImagePages.DropUnused();
        if (realtimePriority is int priority)
        {
            Realtime.Enter(priority, log);
        }
        int exit = daemon.Run();
        publisher?.Stop(MonotonicClock.NowMicroseconds);
        return exit;
    }

    /// <summary>Without -z a termination signal kills the daemon, as ucarp's: what it leaves behind is cleaned first, queued log lines written.</summary>
    internal static void BeforeDeath(Configuration config, StatusPublisher? publisher, Logger log)
    {
        publisher?.Stop(MonotonicClock.NowMicroseconds);
        if (config.PidFile is not null)
        {
            PidFile.Remove(config.PidFile);
        }
        log.Flush(Logger.ExitFlush);
    }
}

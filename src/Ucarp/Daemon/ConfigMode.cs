using Ucarp.Core;
using Ucarp.Core.Cli;
using Ucarp.Core.Config;
using Ucarp.Core.Logging;
using Ucarp.Etcd;
using Ucarp.Interop;
using Ucarp.Linux;
using Ucarp.Monitoring;

namespace Ucarp.Daemon;

/// <summary>
/// `ucarp --config=FILE`: every group FILE declares, in one daemon. The command line then
/// holds only process-wide options; the file is checked whole before anything is done on
/// the host, so a bad file (or --check-config) changes nothing. Exit statuses: 0, 1 for a
/// bad command line or file, 2 when setup fails, as for a plain command line.
/// </summary>
internal static class ConfigMode
{
    public static int Run(string[] argv, Configuration cmd, Logger log, string[] environment, bool detached)
    {
        if (cmd.ConfigFile is null)
        {
            log.Write(LogLevel.Error, Messages.CheckConfigNeedsConfig);
            return 1;
        }
        // A group option beside --config would belong to no group: refused, not ignored.
        IReadOnlyList<string> groupOptions = GroupOptions.Given(cmd);
        if (groupOptions.Count != 0)
        {
            log.Write(LogLevel.Error, Messages.GroupOptionWithConfig(groupOptions[0].Split(' ')[0]));
            return 1;
        }
        string path = Program.FullPath(cmd.ConfigFile)!;
        cmd.ConfigFile = path;
        cmd.StateFile = Program.FullPath(cmd.StateFile);
        cmd.MetricsFile = Program.FullPath(cmd.MetricsFile);
        cmd.PidFile = Program.FullPath(cmd.PidFile);
        cmd.ControlSocket = Program.FullPath(cmd.ControlSocket);
        cmd.DemotionFile = Program.FullPath(cmd.DemotionFile);
        // Taken before the daemon under -B moves to /: relative names in the file are found here, at every reload too.
        string startDirectory = Environment.CurrentDirectory;
        ConfigReadResult result = ConfigFile.Load(path, startDirectory);
        if (cmd.CheckConfig)
        {
            foreach (string line in ConfigFile.Lines(result, path))
            {
                log.WriteStderr(line + "\n");
            }
            // What start-up binds, tried too: an address not on this host fails the start.
            bool listenFails = cmd.MetricsListen is string listen && !CheckListen(listen, log);
            return result.HasErrors || listenFails ? 1 : 0;
        }
        foreach (ConfigDiagnostic d in Lists.SortedBy(result.Diagnostics, d => d.Line))
        {
            log.Write(d.IsError ? LogLevel.Error : LogLevel.Warning, d.Format(path));
        }
        if (result.HasErrors)
        {
            log.Write(LogLevel.Error, Messages.ConfigRefused(Lists.Count(result.Diagnostics, d => d.IsError)));
            return 1;
        }
        var etcdPasswords = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (GroupOptions g in result.Groups)
        {
            if (g.Settings.EtcdPasswordFile is string file)
            {
                string? password = EtcdSetup.ReadPassword(file, new GroupLog(log, g.Name));
                if (password is null)
                {
                    return 2;
                }
                etcdPasswords[g.Name] = password;
            }
            EtcdSetup.WarnReadableKey(g.Settings, new GroupLog(log, g.Name));
        }
        if (detached)
        {
            Directory.SetCurrentDirectory("/");
            Program.StdinToDevNull();
        }
        else if (cmd.PidFile is not null && PidFile.RunningOwner(cmd.PidFile) is int owner)
        {
            log.Write(LogLevel.Error, Messages.PidfileInUse(cmd.PidFile, owner));
            return 2;
        }
        // The daemon under -B reads the file (and its passfiles) again itself: nothing to hand over.
        return Program.Daemonized(argv, cmd, log, environment, detached, "", null,
                                  () => RunGroups(cmd, result.Groups, etcdPasswords, log, environment, startDirectory));
    }

    static int RunGroups(Configuration cmd, IReadOnlyList<GroupOptions> groups, Dictionary<string, string?> etcdPasswords,
                         Logger log, string[] environment, string startDirectory)
    {
        using FileDescriptor? control = Program.RawDevice(groups[0].Settings.Interface!, log);
        if (control is null)
        {
            return 2;
        }
        var options = DaemonOptions.From(cmd);
        using var interfaces = new HostInterfaces(control, dispatch: true);
        // Termination signals always end the daemon cleanly: each group's -z decides its downscript.
        using var signals = new SignalRelay(shutdownSignals: true, reloadOnHangup: true);
        using var loop = new DaemonLoop(log, options, many: true, interfaces, signals, environment, startDirectory);
        // Before any group starts: a second daemon on the same socket changes nothing on the host.
        if (options.ControlSocketPath() is string path && Program.OpenControl(path, loop, log) is null)
        {
            return 2;
        }
        if (!Program.TryOpenMetrics(cmd.MetricsListen, log, out MetricsEndpoint? endpoint))
        {
            return 2;
        }
        using MetricsEndpoint? metrics = endpoint;
        int status = loop.StartAll(groups, g => etcdPasswords.GetValueOrDefault(g.Name), probeEtcd: true, MonotonicClock.NowMicroseconds);
        if (status != 0)
        {
            return status;
        }
        using SystemdNotifier notifier = SystemdNotifier.FromEnvironment();
        StatusPublisher? publisher = null;
        if (cmd.StateFile is not null || cmd.MetricsFile is not null || metrics is not null || notifier.Enabled)
        {
            publisher = new StatusPublisher(options, manyGroups: true, log, notifier, MonotonicClock.NowMicroseconds) { Endpoint = metrics };
            metrics?.Start();
            loop.Attach(publisher);
            publisher.Start(MonotonicClock.NowMicroseconds);
        }
        return Program.RunLoop(loop, cmd.RealtimePriority, publisher, log);
    }

    /// <summary>
    /// --check-config's try of --metrics-listen: bound and closed at once. In use is only a
    /// warning (the running daemon holds it while its file is checked); anything else an error.
    /// </summary>
    static bool CheckListen(string listen, Logger log)
    {
        Core.Monitoring.ListenAddress.TryParse(listen, out Core.Monitoring.ListenAddress at, out _);
        if (MetricsEndpoint.TryOpen(at, out MetricsEndpoint? endpoint, out SysError error))
        {
            endpoint.Dispose();
            return true;
        }
        bool inUse = error.Errno == Libc.EADDRINUSE;
        log.WriteStderr((inUse ? "Warning: " : "") + Messages.MetricsListenFailed(at.ToString(), error.Perror)
                        + (inUse ? " (a running daemon's, if one runs)" : "") + "\n");
        return inUse;
    }
}

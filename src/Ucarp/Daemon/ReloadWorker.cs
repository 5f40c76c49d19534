using System.Diagnostics.CodeAnalysis;
using Ucarp.Core.Cli;
using Ucarp.Core.Config;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Daemon;

/// <summary>
/// What a reload read: the file, the --etcd-password-file of each group that names one,
/// and the TLS files of each https:// group (read again at every reload: certificates
/// rotated on disk are picked up).
/// </summary>
internal sealed record ReloadRead(ConfigReadResult Config, IReadOnlyDictionary<string, PassfileRead> EtcdPasswords,
                                  IReadOnlyDictionary<Etcd.TlsFiles, Etcd.TlsRead> Tls)
{
    /// <summary>What made the --vmac children this read's groups need ahead of them: what none takes is removed after.</summary>
    public object Ticket { get; init; } = new();

    /// <summary>A read that could not be made: its failure is the file's one problem, so the reload is refused with it.</summary>
    public static ReloadRead Failed(string problem) =>
        new(new ConfigReadResult([], [ConfigDiagnostic.Error(0, problem)], false), new Dictionary<string, PassfileRead>(),
            new Dictionary<Etcd.TlsFiles, Etcd.TlsRead>());

    /// <summary>A read not applied (the daemon is stopping): the TLS contexts it made are freed.</summary>
    public void DisposeTls()
    {
        foreach (Etcd.TlsRead read in Tls.Values)
        {
            read.Context?.Dispose();
        }
    }
}

/// <summary>
/// Reads the config file again off the event loop's thread (a hung disk, a slow -o
/// passfile or --etcd-password-file must not delay an advert) and wakes the loop through
/// an eventfd when the result is there. One read at a time. The --vmac children the
/// file's groups will need are made then too (off the loop: rtnetlink may be slow).
/// </summary>
internal sealed class ReloadWorker : IDisposable
{
    readonly FileDescriptor _wake;
    readonly string _path;
    readonly string _directory;
    readonly Lock _lock = new();
    readonly Action<ConfigReadResult, object> _prepare;
    ReloadRead? _result;
    bool _running;

    ReloadWorker(string path, string directory, FileDescriptor wake, Action<ConfigReadResult, object> prepare)
    {
        _path = path;
        _directory = directory;
        _wake = wake;
        _prepare = prepare;
    }

    /// <summary>A worker; false when there is no eventfd to wake the loop by (descriptors run out, say).</summary>
    /// <param name="prepare">Run on the worker's thread with a file read without errors, before the loop hears of it.</param>
    public static bool TryCreate(string path, string directory, Action<ConfigReadResult, object> prepare,
                                 [NotNullWhen(true)] out ReloadWorker? worker, out SysError error)
    {
        int fd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        error = fd < 0 ? SysError.Last("eventfd") : SysError.None;
        worker = fd < 0 ? null : new ReloadWorker(path, directory, new FileDescriptor(fd), prepare);
        return worker is not null;
    }

    public int Fd => _wake.Fd;
    public bool Busy { get { lock (_lock) { return _running; } } }

    public void Start()
    {
        lock (_lock)
        {
            if (_running)
            {
                return;
            }
            _running = true;
        }
        var thread = new Thread(Read) { IsBackground = true, Name = "config reload" };
        thread.Start();
    }

    void Read()
    {
        ReloadRead result;
        object ticket = new();
        try
        {
            ConfigReadResult config = ConfigFile.Load(_path, _directory);
            var passwords = new Dictionary<string, PassfileRead>(StringComparer.Ordinal);
            var tls = new Dictionary<Etcd.TlsFiles, Etcd.TlsRead>();
            foreach (GroupOptions g in config.Groups)
            {
                if (g.Settings.EtcdPasswordFile is string file && !passwords.ContainsKey(file))
                {
                    passwords[file] = Passfile.ReadFirstLine(file);
                }
                if (Etcd.TlsFiles.Of(g.Settings) is Etcd.TlsFiles files && !tls.ContainsKey(files))
                {
                    tls[files] = files.Read();
                }
            }
            if (!config.HasErrors)
            {
                _prepare(config, ticket);
            }
            result = new ReloadRead(config, passwords, tls) { Ticket = ticket };
        }
        catch (Exception e)
        {
            result = ReloadRead.Failed(e.Message) with { Ticket = ticket };
        }
        lock (_lock)
        {
            _result = result;
        }
        _wake.Notify();
    }

    /// <summary>The finished read, once (the loop calls this when <see cref="Fd"/> polls readable).</summary>
    public unsafe ReloadRead? Take()
    {
        ulong value;
        Libc.Read(_wake.Fd, &value, sizeof(ulong));
        lock (_lock)
        {
            ReloadRead? result = _result;
            if (result is not null)
            {
                _result = null;
                _running = false;
            }
            return result;
        }
    }

    public void Dispose() => _wake.Dispose();
}

using System.Diagnostics.CodeAnalysis;
using Ucarp.Core.Config;
using Ucarp.Interop;

namespace Ucarp.Daemon;

/// <summary>
/// Reads the config file again off the event loop's thread (a hung disk or a slow -o
/// passfile must not delay an advert) and wakes the loop through an eventfd when the
/// result is there. One read at a time: requests made meanwhile share its result.
/// </summary>
internal sealed class ReloadWorker : IDisposable
{
    readonly FileDescriptor _wake;
    readonly string _path;
    readonly string _directory;
    readonly Lock _lock = new();
    ConfigReadResult? _result;
    bool _running;

    ReloadWorker(string path, string directory, FileDescriptor wake)
    {
        _path = path;
        _directory = directory;
        _wake = wake;
    }

    /// <summary>A worker; false when there is no eventfd to wake the loop by (descriptors run out, say).</summary>
    public static bool TryCreate(string path, string directory, [NotNullWhen(true)] out ReloadWorker? worker, out SysError error)
    {
        int fd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        error = fd < 0 ? SysError.Last("eventfd") : SysError.None;
        worker = fd < 0 ? null : new ReloadWorker(path, directory, new FileDescriptor(fd));
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
        ConfigReadResult result;
        try
        {
            result = ConfigFile.Load(_path, _directory);
        }
        catch (Exception e)
        {
            result = new ConfigReadResult([], [ConfigDiagnostic.Error(0, e.Message)], false);
        }
        lock (_lock)
        {
            _result = result;
        }
        _wake.Notify();
    }

    /// <summary>The finished read, once (the loop calls this when <see cref="Fd"/> polls readable).</summary>
    public unsafe ConfigReadResult? Take()
    {
        ulong value;
        Libc.Read(_wake.Fd, &value, sizeof(ulong));
        lock (_lock)
        {
            ConfigReadResult? result = _result;
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

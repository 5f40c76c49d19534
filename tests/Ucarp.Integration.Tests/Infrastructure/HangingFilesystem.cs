using System.Diagnostics;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>
/// A FUSE filesystem (python3-fusepy) whose create() and open() never answer: a write to
/// it blocks as on a hung hard NFS mount. Killing the server aborts the connection, and
/// the blocked calls then fail with ENOTCONN.
/// </summary>
sealed class HangingFilesystem : IDisposable
{
    const string Server = """
        import errno, stat, sys, threading
        from fusepy import FUSE, Operations, FuseOSError
        class Hang(Operations):
            def getattr(self, path, fh=None):
                if path == '/':
                    return dict(st_mode=stat.S_IFDIR | 0o777, st_nlink=2)
                raise FuseOSError(errno.ENOENT)
            def readdir(self, path, fh):
                return ['.', '..']
            def create(self, path, mode, fi=None):
                threading.Event().wait()
            def open(self, path, flags):
                threading.Event().wait()
        FUSE(Hang(), sys.argv[1], foreground=True, allow_other=True)
        """;

    readonly Process _server;

    public static void Require()
    {
        int code = -1;
        if (File.Exists("/dev/fuse") && File.Exists("/usr/bin/python3"))
        {
            Shell.RunAllowingFailure("/usr/bin/python3", ["-c", "import fusepy"], out code);
        }
        if (code != 0)
        {
            Assert.Ignore("no /dev/fuse or no python3-fusepy (tests/install-deps.sh installs fuse3 and python3-fusepy)");
        }
    }

    public HangingFilesystem(string directory)
    {
        Mountpoint = Path.Combine(directory, "hang");
        Directory.CreateDirectory(Mountpoint);
        string script = Path.Combine(directory, "hang.py");
        File.WriteAllText(script, Server);
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(Mountpoint);
        _server = Process.Start(info)!;
        if (!Wait.Until(() => File.ReadAllText("/proc/self/mounts").Contains(" " + Mountpoint + " fuse", StringComparison.Ordinal), TimeSpan.FromSeconds(5)))
        {
            Dispose();
            throw new InvalidOperationException("the FUSE server did not mount");
        }
    }

    public string Mountpoint { get; }

    public void Dispose()
    {
        if (!_server.HasExited)
        {
            _server.Kill();
            _server.WaitForExit(5000);
        }
        _server.Dispose();
        Shell.RunAllowingFailure("umount", ["-l", Mountpoint], out _);
    }
}

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>
/// In-process tests of the daemon's own kernel calls: <see cref="Run"/> gives a body a
/// thread of its own that has entered a network namespace made for it (its lo up, the
/// namespace deleted afterwards). A thread's sockets belong to the namespace it is in,
/// and threads it starts begin there too, so nothing the body does reaches the host's
/// interfaces. Root, for the namespace.
/// </summary>
static class ThreadNamespace
{
    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    static extern int setns(int fd, int nstype);

    const int CloneNewNet = 0x40000000;
    static int _namespaces;

    public static void RequireRoot()
    {
        if (Ucarp.Interop.Libc.GetEuid() != 0)
        {
            Assert.Ignore("a network namespace needs root");
        }
    }

    /// <summary>Runs <paramref name="body"/> with the namespace's name, on a thread inside it.</summary>
    public static void Run(string what, Action<string> body)
    {
        RequireRoot();
        string name = $"ucarpnet-t{Environment.ProcessId}-{what}{Interlocked.Increment(ref _namespaces)}";
        Shell.Run("ip", "netns", "add", name);
        try
        {
            Shell.Run("ip", "-n", name, "link", "set", "lo", "up");
            System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
            var thread = new Thread(() =>
            {
                try
                {
                    using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle("/run/netns/" + name);
                    if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                    {
                        throw new InvalidOperationException("setns: errno " + System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
                    }
                    string? here = new FileInfo("/proc/thread-self/ns/net").LinkTarget;
                    string? host = new FileInfo($"/proc/{Environment.ProcessId}/task/{Environment.ProcessId}/ns/net").LinkTarget;
                    Assert.That(here, Is.Not.Null.And.Not.EqualTo(host), "this thread is in the namespace made for it");
                    body(name);
                }
                catch (Exception e)
                {
                    failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
                }
            });
            thread.Start();
            thread.Join();
            failure?.Throw();
        }
        finally
        {
            Shell.RunAllowingFailure("ip", ["netns", "del", name], out _);
        }
    }
}

using System.Runtime.InteropServices;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>kill(2) straight from the test process: thousands of signals without thousands of processes.</summary>
static class Signals
{
    public const int SIGUSR1 = 10;
    public const int SIGUSR2 = 12;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static extern int Kill(int pid, int signal);
}

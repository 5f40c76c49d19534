using System.Runtime.InteropServices;

namespace Ucarp.Interop;

internal static partial class Libc
{
    // sched.h (linux/sched.h for the flag)
    internal const int SCHED_OTHER = 0;
    internal const int SCHED_RR = 2;
    /// <summary>Or-ed into the policy: children (scripts, checks, threads) start at SCHED_OTHER.</summary>
    internal const int SCHED_RESET_ON_FORK = 0x40000000;

    /// <summary>sched_setscheduler(2); pid 0 is the calling thread.</summary>
    [LibraryImport(Name, EntryPoint = "sched_setscheduler", SetLastError = true)]
    internal static unsafe partial int SchedSetScheduler(int pid, int policy, SchedParam* param);

    // sys/mman.h
    internal const int MCL_CURRENT = 1;
    internal const int MCL_FUTURE = 2;
    internal const int MCL_ONFAULT = 4;

    [LibraryImport(Name, EntryPoint = "mlockall", SetLastError = true)]
    internal static partial int MLockAll(int flags);
}

/// <summary>struct sched_param.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SchedParam
{
    public int Priority;
}

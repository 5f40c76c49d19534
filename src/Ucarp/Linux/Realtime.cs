using Ucarp.Core.Logging;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// --realtime (keepalived's vrrp_rt_priority and vrrp_no_swap): the event loop thread
/// runs SCHED_RR, so adverts leave on time while other processes keep every core busy,
/// and the daemon's pages stay in memory. SCHED_RESET_ON_FORK: scripts, checks and any
/// thread started later (the etcd client's) run at the normal priority. Memory is locked
/// as it is touched (MCL_ONFAULT), after start-up gave back the pages it will not use,
/// so resident memory does not grow.
/// </summary>
internal static class Realtime
{
    public static unsafe void Enter(int priority, Logger log)
    {
        var param = new SchedParam { Priority = priority };
        bool scheduled = Libc.SchedSetScheduler(0, Libc.SCHED_RR | Libc.SCHED_RESET_ON_FORK, &param) == 0;
        if (!scheduled)
        {
            log.Write(LogLevel.Warning, Messages.RealtimeFailed(priority, SysError.Last().Text));
        }
        bool locked = Libc.MLockAll(Libc.MCL_CURRENT | Libc.MCL_FUTURE | Libc.MCL_ONFAULT) == 0;
        if (!locked)
        {
            log.Write(LogLevel.Warning, Messages.MemoryLockFailed(SysError.Last().Text));
        }
        if (scheduled && locked)
        {
            log.Write(LogLevel.Info, Messages.Realtime(priority));
        }
    }
}

using Ucarp.Core;
using Ucarp.Daemon;
using Ucarp.Linux;
using Ucarp.Loop;

namespace Ucarp.Processes;

/// <summary>
/// The one reaper of the daemon's children: every group's state script (its end goes to
/// the group's follower, which may start the next) and health check (its verdict goes to
/// the health policy and through it to the group's gate), polled by pidfd; and the check
/// schedule itself, starting each run when due and killing one past its timeout.
/// </summary>
internal sealed class ChildReaper(GroupSet groups) : ILoopSource
{
    const long PollEvery = 50_000;   // µs between looks at a child whose exit cannot be polled

    public void AddTo(PollSet set, long now)
    {
        for (int i = 0; i < groups.Count; i++)
        {
            GroupRuntime g = groups[i];
            // Readable descriptors only wake the loop; each child is reaped after.
            g.ScriptPoll = g.Scripts.ExitFd >= 0 ? set.Add(g.Scripts.ExitFd) : -1;
            g.HealthPoll = g.Health?.ExitFd is int fd and >= 0 ? set.Add(fd) : -1;
        }
    }

    public long? NextDeadline(long now)
    {
        long? wake = null;
        for (int i = 0; i < groups.Count; i++)
        {
            GroupRuntime g = groups[i];
            if (g.Scripts.NeedsPolling || g.Health?.NeedsPolling == true)
            {
                wake = Deadlines.Min(wake, now + PollEvery);
            }
            if (!g.Stopping && !groups.Stopping && g.Health?.NextDeadline is long check)
            {
                wake = Deadlines.Min(wake, check);
            }
        }
        return wake;
    }

    public void Dispatch(PollSet set, long now)
    {
        for (int i = 0; i < groups.Count; i++)
        {
            GroupRuntime g = groups[i];
            if (set.Readable(g.ScriptPoll) || g.Scripts.NeedsPolling)
            {
                g.ReapScript();
            }
        }
        foreach (GroupRuntime g in groups.Running)   // List<T>'s enumerator is a struct: no allocation
        {
            if (!g.Stopping && g.Health is HealthCheckRunner health)
            {
                RunHealthCheck(g, health, now, set.Readable(g.HealthPoll));
            }
        }
    }

    /// <summary>Reaps a finished check, starts or kills one when due, and tells the election what a result changed.</summary>
    static void RunHealthCheck(GroupRuntime g, HealthCheckRunner health, long now, bool exited)
    {
        if (exited || health.NeedsPolling)
        {
            Apply(g, health, health.TryReap(now), now);
        }
        if (health.NextDeadline <= now)
        {
            Apply(g, health, health.OnTimer(now), now);
        }
    }

    static void Apply(GroupRuntime g, HealthCheckRunner health, Core.Health.HealthVerdict? verdict, long now)
    {
        if (verdict is Core.Health.HealthVerdict v)
        {
            health.Policy.Apply(v, g.Gate, now);
        }
    }

}

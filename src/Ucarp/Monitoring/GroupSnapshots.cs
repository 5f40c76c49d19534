using Ucarp.Core.Cli;
using Ucarp.Core.Election;
using Ucarp.Core.Logging;
using Ucarp.Core.Monitoring;
using Ucarp.Core.Wire;
using Ucarp.Linux;

namespace Ucarp.Monitoring;

/// <summary>
/// One group's description at a moment, the one the state file, the metrics, `ucarpctl
/// status --json` and `watch` are all cut from: the same names, values and precision.
/// Taken on the loop's thread (it reads the election); what is made of it is text.
/// </summary>
internal static class GroupSnapshots
{
    /// <param name="since">The publisher's own "since", used when the group keeps none.</param>
    /// <param name="ended">The daemon has ended: every group is STOPPED.</param>
    public static StatusSnapshot Of(PublishedGroup g, long since, long now, long wall, bool ended)
    {
        (string name, Configuration config, IElection machine, IFrameInput? frames, ScriptRunner? scripts, HealthCheckRunner? health, bool held) = g;
        bool stopped = ended || (g.Stopping?.Invoke() ?? false);
        // Out while its link is down, as much as while a check, ucarpctl or its sync set keeps it out.
        bool inElection = machine.Eligible && !machine.LinkIsDown && !stopped;
        return new StatusSnapshot
        {
            Name = name,
            Mode = config.FollowKey is not null ? "follow" : config.EtcdEndpoints.Count != 0 ? "etcd" : config.Vrrp != 0 ? "vrrp" : "carp",
            Vrrp = g.Vrrp?.Invoke(now),
            State = machine.State,
            Stopped = stopped,
            Waiting = held,
            InElection = inElection,
            ElectionReason = inElection ? null : machine.LinkIsDown ? Messages.StatusLinkDown : machine.EligibilityReason,
            LinkUp = !machine.LinkIsDown,
            SinceUnixMicros = ended ? wall : g.Since?.Invoke() ?? since,
            NowUnixMicros = wall,
            Interface = config.Interface!,
            Vhid = config.Vhid,
            VirtualAddress = config.VirtualAddressText ?? config.VirtualAddress.ToString(),
            Addresses = [config.VirtualAddressText ?? config.VirtualAddress.ToString(), .. config.ExtraAddresses.ConvertAll(a => a.ToString())],
            Source = config.SourceAddress,
            AdvBase = config.AdvBase,
            AdvSkew = config.AdvSkew,
            Skew = machine.Skew,
            Preempt = config.Preempt,
            Master = stopped ? null : machine.MasterAddress(now),
            // A group held back has a check that has not run yet: pending, not none.
            Health = health is not null ? HealthSnapshot.From(config.Check!, health.Policy)
                : config.Check is string check ? new HealthSnapshot(check, false, null, 0, 0, 0, 0, config.CheckWeight) : null,
            Etcd = g.Etcd?.Invoke(now),
            Transitions = machine.Counters.Transitions,
            AdvertsSent = machine.Counters.AdvertsSent,
            AdvertSendErrors = machine.Counters.AdvertSendErrors,
            AdvertsReceived = machine.Counters.AdvertsReceived,
            ScriptRuns = scripts?.Runs ?? 0,
            ScriptFailures = scripts?.Failures ?? 0,
            // A copy: the text is made on the writer's thread while the machine goes on counting.
            Rejected = frames is null ? [] : new Dictionary<Rejection, long>(frames.Rejections),
            Pid = Environment.ProcessId,
        };
    }
}

using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Election;
using Ucarp.Core.Etcd;
using Ucarp.Core.Follow;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Tests.Etcd;

// Everything the etcd unit tests build and every host they record through is in this one
// file: when the elections' constructors or host interfaces change, only this file does.
// The tests see behaviour only: requests sent (when, and whether after the scripts), log
// lines, scripts started, announcements, State and NextDeadline, on a virtual clock in µs.

/// <summary>
/// One request as it left: when, the deadline it waited for the scripts until (null: sent at
/// once), and how many scripts had been started by then (what it waited for).
/// </summary>
sealed record SentRequest(long At, EtcdRequest Request, long? AfterScriptsBy, int ScriptsBefore);

/// <summary>
/// What one group did: its log lines, the scripts its follower started ("up", "down") and its
/// announcements. A script runs until the rig ends it (<see cref="RoleFollower.ScriptEnded"/>)
/// once the step that started it has returned, as the daemon's loop reaps it; what waited goes then.
/// </summary>
sealed class RigGroup(EtcdRig rig) : IEtcdHost
{
    public ElectionBase Election { get; set; } = null!;
    public List<string> Log { get; } = [];
    public List<string> Scripts { get; } = [];
    public int Announcements { get; private set; }
    public bool DebugEnabled => true;

    long? _waitedUntil;     // while the follower is told a script ended or a deadline came: what waited, until when

    /// <summary>Tells the follower; what waited for the scripts and goes now is recorded with the deadline it waited until.</summary>
    internal void Follow(Action<RoleFollower> step)
    {
        _waitedUntil = Election.Follower.NextDeadline;
        step(Election.Follower);
        _waitedUntil = null;
    }

    public void Write(LogLevel level, string message)
    {
        Log.Add(message);
        rig.Log.Add(message);
    }

    public void SendAnnouncement(ReadOnlySpan<byte> frame) => Announcements++;

    public bool StartScript(ScriptInvocation script)
    {
        Scripts.Add(script.Kind == ScriptKind.Up ? "up" : "down");
        rig.ScriptsAsked++;
        return true;
    }

    public void Send(in EtcdRequest request) => rig.Record(request, null);

    public void SendAfterScripts(in Deferred effect)
    {
        if (effect.IsBowOut)
        {
            throw new AssertionException("an etcd election sent a bow-out");
        }
        // Null only when no script ran or waited: the follower sent it at once.
        rig.Record(effect.Request, _waitedUntil);
    }
}

/// <summary>
/// The virtual clock, the requests sent and the replies handed back. Replies are handed
/// back, and the scripts started end, only once the call that sent or started them has
/// returned, as the daemon's loop does.
/// </summary>
abstract class EtcdRig
{
    public const long Ms = 1_000;
    public const long S = 1_000_000;
    /// <summary>How long the session gathers campaigns before sending them in one transaction.</summary>
    public const long Flush = 2 * Ms;

    readonly Queue<EtcdReply> _replies = new();

    public long Now { get; private set; }
    /// <summary>Scripts started so far, by every group.</summary>
    public int ScriptsAsked { get; internal set; }
    public List<SentRequest> Sent { get; } = [];
    /// <summary>Every log line, the session's and every group's, in order.</summary>
    public List<string> Log { get; } = [];
    public List<RigGroup> Groups { get; } = [];
    public ElectionBase Election => Groups[0].Election;
    public RigGroup Group => Groups[0];

    /// <summary>Answers requests as they leave (null from it: left for the test to answer).</summary>
    public Func<EtcdRequest, EtcdReply?>? Serve { get; set; }

    /// <summary>When anything wants the clock next: the session's, every group's and its follower's deadline.</summary>
    public long? NextDeadline => Groups.Select(g => g.Election.Follower.NextDeadline).Append(ElectionDeadline).Min();
    protected abstract long? ElectionDeadline { get; }
    protected abstract void Fire(long now);
    protected abstract void Deliver(in EtcdReply reply, long now);

    internal void Record(in EtcdRequest request, long? afterScriptsBy)
    {
        Sent.Add(new SentRequest(Now, request, afterScriptsBy, ScriptsAsked));
        if (Serve?.Invoke(request) is EtcdReply answer)
        {
            _replies.Enqueue(answer);
        }
    }

    /// <summary>Runs every timer due up to <paramref name="until"/>, in order; the clock then reads <paramref name="until"/>.</summary>
    public void RunTo(long until)
    {
        Drain();
        for (int fired = 0; NextDeadline is long due && due <= until; fired++)
        {
            if (fired > 100_000)
            {
                throw new AssertionException($"timers keep firing at {due}");
            }
            Now = Math.Max(Now, due);
            foreach (RigGroup g in Groups)
            {
                // What waited for a script that still runs goes at its deadline, as the daemon's loop does it.
                if (g.Election.Follower.NextDeadline <= Now)
                {
                    g.Follow(f => f.OnTimer(Now));
                }
            }
            Fire(Now);
            Drain();
        }
        Now = Math.Max(Now, until);
    }

    public void Reply(EtcdReply reply)
    {
        _replies.Enqueue(reply);
        Drain();
    }

    /// <summary>Acts on a group's election now (a signal, a check): <c>rig.Do((e, now) =&gt; e.Demote(now))</c>.</summary>
    public void Do(Action<ElectionBase, long> action, int group = 0)
    {
        action(Groups[group].Election, Now);
        Drain();
    }

    /// <summary>Hands back the replies, then ends the scripts that run, until neither is left.</summary>
    protected void Drain()
    {
        do
        {
            while (_replies.TryDequeue(out EtcdReply reply))
            {
                Deliver(reply, Now);
            }
            EndScripts();
        }
        while (_replies.Count != 0);
    }

    /// <summary>Every group's running script ends now, and the ones that waited behind it run and end in turn.</summary>
    void EndScripts()
    {
        foreach (RigGroup g in Groups)
        {
            while (g.Election.Follower.Running is not null)
            {
                g.Follow(f => f.ScriptEnded());
            }
        }
    }

    public IEnumerable<SentRequest> Of(EtcdOp op) => Sent.Where(s => s.Request.Op == op);

    /// <summary>The last request of that kind (the test fails when there is none).</summary>
    public EtcdRequest Last(EtcdOp op) => Of(op).LastOrDefault()?.Request ?? throw new AssertionException($"no {op} request was sent");

    /// <summary>When each request of that kind left, in µs.</summary>
    public long[] Times(EtcdOp op) => [.. Of(op).Select(s => s.At)];

    public int Said(string line) => Log.Count(l => l == line);

    /// <summary>Group i's settings: node 192.0.2.1 ("n1") on eth0, the address 192.0.2.(100 + i) with vhid i + 1.</summary>
    protected static CarpSettings Settings(int group, byte advskew, bool preempt) => new()
    {
        Interface = "eth0",
        Vhid = (byte)(group + 1),
        AdvSkew = advskew,
        Preempt = preempt,
        Source = new IpAddress(192, 0, 2, 1),
        VirtualAddress = new IpAddress(192, 0, 2, (byte)(100 + group)),
        Password = "secret"u8.ToArray(),
        Mac = [2, 0, 0, 0, 0, 1],
        UpScript = "/etc/vip-up.sh",
        DownScript = "/etc/vip-down.sh",
    };
}

/// <summary>
/// Lease elections (<see cref="EtcdElection"/>) sharing one <see cref="EtcdSession"/>
/// under the prefix /ucarp/, TTL 3 s (advbase 1 x deadratio 3).
/// </summary>
sealed class LeaseRig : EtcdRig, IEtcdSessionHost
{
    public const string Prefix = "/ucarp/";
    /// <summary>The lease etcd grants the session; another host's lease; our previous run's.</summary>
    public const long Lease = 0x10, OtherLease = 0x20, OldLease = 0x99;
    public const long Ttl = 3 * S;
    /// <summary>A holder's renewal interval, TTL/9.</summary>
    public const long Renew = Ttl / 9;

    readonly EtcdSession _session;

    LeaseRig(params (byte AdvSkew, bool Preempt)[] groups)
    {
        _session = new EtcdSession(this, Prefix, 3);
        for (int i = 0; i < groups.Length; i++)
        {
            var group = new RigGroup(this);
            group.Election = new EtcdElection(Settings(i, groups[i].AdvSkew, groups[i].Preempt), new EtcdSettings { Key = Key(i), Host = "n1" }, group, _session);
            Groups.Add(group);
        }
        foreach (RigGroup g in Groups)
        {
            g.Election.Start(Now);
        }
        Drain();
    }

    /// <summary>One group, started at 0: it has asked for a lease and swept the prefix, unanswered.</summary>
    public static LeaseRig Start(byte advskew = 0, bool preempt = false) => new((advskew, preempt));

    public static LeaseRig StartGroups(params byte[] advskews) => new([.. advskews.Select(s => (s, false))]);

    /// <summary>Started, the lease granted and the prefix found empty (revision 5): the groups campaign advskew ms later.</summary>
    public static LeaseRig Ready(byte advskew = 0, bool preempt = false)
    {
        LeaseRig rig = Start(advskew, preempt);
        rig.Grant();
        rig.Sweep(5);
        return rig;
    }

    /// <summary>Started, the lease granted, and the key found held by another node (advskew 0, revision 4): BACKUP, holding nothing.</summary>
    public static LeaseRig HeldByOther()
    {
        LeaseRig rig = Start();
        rig.Grant();
        rig.Sweep(5, new EtcdKeyValue(Key(), Other(0), OtherLease, 4));
        return rig;
    }

    /// <summary>Ready, renewals answered as they leave, and the campaign won: MASTER.</summary>
    public static LeaseRig Held(byte advskew = 0, bool preempt = false)
    {
        LeaseRig rig = Ready(advskew, preempt);
        rig.Renewing();
        rig.RunTo(rig.Now + advskew * Ms + Flush);
        rig.Won();
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master), string.Join("\n", rig.Log));
        return rig;
    }

    public static string Key(int group = 0) => Prefix + "192.0.2." + (100 + group);
    public static string PreemptKey(int group = 0) => Key(group) + EtcdSettings.PreemptSuffix;

    /// <summary>The holder record this node writes for group i.</summary>
    public static string Ours(int advskew = 0, int group = 0) => new HolderRecord("192.0.2.1", advskew, "n1", "eth0", group + 1).ToJson();

    /// <summary>The record of another node (192.0.2.2, "n2") holding group 0's address.</summary>
    public static string Other(int advskew = 0) => new HolderRecord("192.0.2.2", advskew, "n2", "eth0", 1).ToJson();

    protected override long? ElectionDeadline => Groups.Select(g => g.Election.NextDeadline).Append(_session.NextDeadline).Min();

    protected override void Fire(long now)
    {
        if (_session.NextDeadline <= now)
        {
            _session.OnTimer(now);
        }
        foreach (RigGroup g in Groups)
        {
            if (g.Election.NextDeadline <= now)
            {
                g.Election.OnTimer(now);
            }
        }
    }

    protected override void Deliver(in EtcdReply reply, long now) => _session.OnReply(reply, now);

    public void Write(LogLevel level, string message) => Log.Add(message);
    public void Send(in EtcdRequest request) => Record(request, null);
    public void SendAfterScripts(in EtcdRequest request, long deadline) => Record(request, deadline);

    /// <summary>The daemon's ending, as its loop does it on SIGTERM: the session stops, then every group.</summary>
    public void StopDaemon()
    {
        _session.Stop(Now);
        for (int i = 0; i < Groups.Count; i++)
        {
            Do((e, now) => e.Shutdown(now), i);
        }
    }

    /// <summary>Every renewal answered as it leaves (etcd keeps the lease for TTL).</summary>
    public void Renewing() => Serve = r => r.Op == EtcdOp.KeepAlive ? Renewal(r) : null;

    public static EtcdReply Renewal(in EtcdRequest r, long ttl = 3) => new(r.Id, EtcdOp.KeepAlive, true, Lease: r.Lease, Ttl: ttl);

    public void Grant(long lease = Lease, long ttl = 3) => Reply(new EtcdReply(Last(EtcdOp.Grant).Id, EtcdOp.Grant, true, Lease: lease, Ttl: ttl));

    public void Sweep(long revision, params EtcdKeyValue[] kvs) => Reply(new EtcdReply(Last(EtcdOp.Sweep).Id, EtcdOp.Sweep, true, Revision: revision, Kvs: kvs));

    /// <summary>
    /// A watch event: the key now holds <paramref name="value"/> on <paramref name="lease"/>, at
    /// <paramref name="revision"/>, created at <paramref name="created"/> (0: not said).
    /// </summary>
    public void Put(string key, string value, long lease, long revision, long created = 0) =>
        Reply(new EtcdReply(Last(EtcdOp.Watch).Id, EtcdOp.Watch, true, Key: key, Exists: true, Value: value, ValueLease: lease, Revision: revision,
                            CreateRevision: created));

    public void Deleted(string key, long revision) =>
        Reply(new EtcdReply(Last(EtcdOp.Watch).Id, EtcdOp.Watch, true, Key: key, Value: "", Revision: revision));

    public void WatchEnds() => Reply(new EtcdReply(Last(EtcdOp.Watch).Id, EtcdOp.Watch, true, WatchEnded: true));

    /// <summary>The last campaign (or take-back) of group 0 won, at revision 7; <paramref name="created"/>: the create revision the answer gives (0: none).</summary>
    public void Won(long created = 0) => Reply(new EtcdReply(LastCampaign().Id, LastCampaign().Op, true, Succeeded: true, Revision: 7, CreateRevision: created));

    /// <summary>The last campaign lost: the key holds <paramref name="value"/> on <paramref name="lease"/>.</summary>
    public void Lost(string value, long lease) =>
        Reply(new EtcdReply(LastCampaign().Id, EtcdOp.Campaign, true, Exists: true, Value: value, ValueLease: lease, Revision: 7));

    /// <summary>The last request of that kind failed (no answer, or refused).</summary>
    public void Failed(EtcdOp op) => Reply(new EtcdReply(Last(op).Id, op, false, "timed out", WatchEnded: op == EtcdOp.Watch));

    public void Answered(EtcdOp op, bool succeeded = true) => Reply(new EtcdReply(Last(op).Id, op, true, Succeeded: succeeded, Lease: Last(op).Lease));

    EtcdRequest LastCampaign() =>
        Sent.LastOrDefault(s => s.Request.Op is EtcdOp.Campaign or EtcdOp.TakeBack)?.Request ?? throw new AssertionException("no campaign was sent");
}

/// <summary>One follow-mode election (<see cref="FollowElection"/>) of /service/pg/leader as "pg1", TTL 3 s.</summary>
sealed class FollowRig : EtcdRig
{
    public const string Key = "/service/pg/leader";
    public const string Me = "pg1";
    public const long Ttl = 3 * S;

    FollowRig()
    {
        var group = new RigGroup(this);
        group.Election = new FollowElection(Settings(0, 0, false), new FollowSettings(Key, Me), group);
        Groups.Add(group);
        group.Election.Start(Now);
        Drain();
    }

    /// <summary>Started at 0: the first read is out, unanswered.</summary>
    public static FollowRig Start() => new();

    /// <summary>Started, every read answered as it leaves with the key holding "pg1" (revision 5): MASTER.</summary>
    public static FollowRig Leading()
    {
        FollowRig rig = Start();
        rig.Reads(Me, 5);
        rig.Read(Me, 5);
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master), string.Join("\n", rig.Log));
        return rig;
    }

    protected override long? ElectionDeadline => Election.NextDeadline;

    protected override void Fire(long now)
    {
        if (Election.NextDeadline <= now)
        {
            Election.OnTimer(now);
        }
    }

    protected override void Deliver(in EtcdReply reply, long now) => ((IEtcdReplies)Election).OnReply(reply, now);

    /// <summary>Every read from now on answered as it leaves: the key holds <paramref name="value"/> (null: absent).</summary>
    public void Reads(string? value, long revision) => Serve = r => r.Op == EtcdOp.Get ? ReadAnswer(r.Id, value, revision) : null;

    /// <summary>Answers the last read (or the one numbered <paramref name="id"/>).</summary>
    public void Read(string? value, long revision, int? id = null) => Reply(ReadAnswer(id ?? Last(EtcdOp.Get).Id, value, revision));

    public void Failed(int? id = null) => Reply(new EtcdReply(id ?? Last(EtcdOp.Get).Id, EtcdOp.Get, false, "timed out"));

    static EtcdReply ReadAnswer(int id, string? value, long revision) =>
        new(id, EtcdOp.Get, true, Exists: value is not null, Value: value, Revision: revision);

    public void Event(string? value, long revision) =>
        Reply(new EtcdReply(Last(EtcdOp.Watch).Id, EtcdOp.Watch, true, Key: Key, Exists: value is not null, Value: value ?? "", Revision: revision));

    public void WatchEnds() => Reply(new EtcdReply(Last(EtcdOp.Watch).Id, EtcdOp.Watch, true, WatchEnded: true));
}

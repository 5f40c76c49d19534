using Ucarp.Core.Carp;
using Ucarp.Core.Election;
using Ucarp.Core.Etcd;
using Ucarp.Core.Follow;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>A group as a session sees it; what it is told, in order, one line each.</summary>
sealed class Member(string key) : ISessionMember
{
    public string Key => key;
    public string PreemptKey => key + EtcdSettings.PreemptSuffix;
    public CarpState State { get; set; } = CarpState.Backup;
    public bool Stopped { get; set; }
    public List<string> Told { get; } = [];
    public List<(EtcdReply Reply, long Lease)> Replies { get; } = [];
    public List<IRoleObserver> Observers { get; } = [];

    public void Subscribe(IRoleObserver observer) => Observers.Add(observer);
    public void Unsubscribe(IRoleObserver observer) => Observers.Remove(observer);
    public void KeyChanged(EtcdKeyValue? kv, long now) => Told.Add("key " + Show(kv));
    public void PreemptChanged(EtcdKeyValue? kv, long now) => Told.Add("preempt " + Show(kv));
    public void KeysUnknown(long now) => Told.Add("unknown");
    public void LeaseReady(long now) => Told.Add("lease ready");
    public void LeaseGone(long now) => Told.Add("lease gone");

    public void OnReply(in EtcdReply reply, long lease, long now)
    {
        Replies.Add((reply, lease));
        Told.Add("reply " + reply.Id);
    }

    static string Show(EtcdKeyValue? kv) => kv is EtcdKeyValue k ? $"{k.Value}@{k.Lease}" : "absent";
}

/// <summary>The daemon's side of a session, recorded: what went now, what waits for the scripts, the log.</summary>
sealed class SessionHost : IEtcdSessionHost
{
    public List<EtcdRequest> Sent { get; } = [];
    public List<(EtcdRequest Request, long Deadline)> AfterScripts { get; } = [];
    public List<string> Log { get; } = [];

    public void Send(in EtcdRequest request) => Sent.Add(request);

    public void SendAfterScripts(in EtcdRequest request, long deadline) => AfterScripts.Add((request, deadline));

    public void Write(LogLevel level, string message) => Log.Add(message);

    public EtcdRequest Last(EtcdOp op) => Sent.Last(r => r.Op == op);
}

/// <summary>One group's host (log, follower output, etcd) recorded, and the real session and follower its election's parts use.</summary>
sealed class GroupFixture : IEtcdHost
{
    public GroupFixture(string key = "/ucarp/192.0.2.100")
    {
        Member = new Member(key);
        Session = new EtcdSession(SessionHost, "/ucarp/", 3);
        Follower = new RoleFollower(this);
        Requests = new GroupRequests(Session, Member, this, Follower);
    }

    public SessionHost SessionHost { get; } = new();
    public EtcdSession Session { get; }
    public Member Member { get; }
    public RoleFollower Follower { get; }
    public GroupRequests Requests { get; }
    public List<EtcdRequest> Sent { get; } = [];
    public List<string> Log { get; } = [];

    public bool DebugEnabled => false;
    public void Write(LogLevel level, string message) => Log.Add(message);
    public void Send(in EtcdRequest request) => Sent.Add(request);
    public bool StartScript(ScriptInvocation script) => true;
    public void SendAnnouncement(ReadOnlySpan<byte> frame) { }
    public void SendAfterScripts(in Deferred effect) => Sent.Add(effect.Request);

    /// <summary>A downscript starts and is still running: what waits for the scripts waits.</summary>
    public void ScriptRuns() => Follower.RunScript(new ScriptInvocation(ScriptKind.Down, "/down", ["/down"]));
}

using Ucarp.Core.Etcd;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>
/// The sweep and the watch of the prefix: each group learns its key from the first sweep,
/// then from the watch; a watch that breaks makes every key unknown until a sweep tells
/// them all again, and one that went quiet is left for a new one.
/// </summary>
public class PrefixMirrorTests
{
    const long Ms = 1_000, S = 1_000_000;
    SessionHost _host = null!;
    RequestTracker _requests = null!;
    MemberRouter _members = null!;
    PrefixMirror _mirror = null!;
    Member _a = null!, _b = null!;

    [SetUp]
    public void SetUp()
    {
        _host = new SessionHost();
        _requests = new RequestTracker(_host);
        _members = new MemberRouter();
        _mirror = new PrefixMirror(_requests, _members, "/u/", () => 3 * S);
        _a = new Member("/u/a");
        _b = new Member("/u/b");
        _members.Add(_a);
        _members.Add(_b);
    }

    static EtcdKeyValue Kv(string key, string value, long revision, long lease = 5) => new(key, value, lease, revision);

    /// <summary>The last sweep answered, as the session hands it over.</summary>
    void Swept(long revision, long now, params EtcdKeyValue[] kvs)
    {
        EtcdRequest r = _host.Last(EtcdOp.Sweep);
        _requests.Take(r.Id, out _);
        _mirror.OnReply(new EtcdReply(r.Id, EtcdOp.Sweep, true, Revision: revision, Kvs: kvs), now);
    }

    /// <summary>An event on the running watch.</summary>
    void Event(EtcdKeyValue kv, long now, bool exists = true) =>
        _mirror.OnReply(new EtcdReply(_host.Last(EtcdOp.Watch).Id, EtcdOp.Watch, true, Exists: exists, Value: kv.Value, ValueLease: kv.Lease,
                                      Revision: kv.ModRevision, Key: kv.Key), now);

    void WatchEnds(long now)
    {
        EtcdRequest w = _host.Last(EtcdOp.Watch);
        _requests.Take(w.Id, out _);
        _mirror.OnReply(new EtcdReply(w.Id, EtcdOp.Watch, true, WatchEnded: true), now);
    }

    void Start()
    {
        _mirror.Joined(_a, 0);
        Swept(10, 1 * Ms, Kv("/u/a", "x", 3));
    }

    [Test]
    public void The_first_sweep_tells_every_group_its_keys_and_the_watch_starts_after_it()
    {
        _mirror.Joined(_a, 0);
        Assert.That(_host.Sent.Single(), Is.EqualTo(new EtcdRequest(1, EtcdOp.Sweep, Key: "/u/", Prefix: true)));
        Swept(10, 1 * Ms, Kv("/u/a", "x", 3), Kv("/u/other", "y", 4));
        Assert.That(_a.Told, Is.EqualTo(new[] { "key x@5", "preempt absent" }));
        Assert.That(_b.Told, Is.EqualTo(new[] { "key absent", "preempt absent" }));
        Assert.That(_host.Last(EtcdOp.Watch), Is.EqualTo(new EtcdRequest(2, EtcdOp.Watch, Key: "/u/", Revision: 11, Prefix: true)));
        Assert.That(_mirror.NextDeadline, Is.EqualTo(1 * Ms + 6 * S), "swept again every 2 TTL");
        Assert.That((_mirror.Lookup("/u/a"), _mirror.Lookup("/u/other")), Is.EqualTo(((EtcdKeyValue?)Kv("/u/a", "x", 3), (EtcdKeyValue?)null)));
    }

    /// <summary>
    /// What a group's own transaction wrote or read takes its place in the same order as
    /// the watch's events: an event older than our win is not news, a read older than an
    /// event is not applied, and the last sweep bounds what is news of a key it did not find.
    /// </summary>
    [Test]
    public void A_groups_own_writes_and_reads_are_ordered_with_the_watch_by_revision()
    {
        Start();
        _b.Told.Clear();
        // Our campaign for b won at 12: the watch's late word of an older deletion is not news.
        Assert.That(_mirror.Learn("/u/b", Kv("/u/b", "ours", 12), 12), Is.True);
        Event(Kv("/u/b", "", 11), 2 * Ms, exists: false);
        Event(Kv("/u/b", "ours", 12), 2 * Ms);
        Assert.That(_b.Told, Is.Empty);
        // Deleted at 14; a campaign's read at 13 comes after that and is not applied.
        Event(Kv("/u/b", "", 14), 3 * Ms, exists: false);
        Assert.That(_mirror.Learn("/u/b", Kv("/u/b", "theirs", 13, lease: 9), 13), Is.False);
        Assert.That(_mirror.Lookup("/u/b"), Is.Null);
        // A key the sweep at 10 did not find: an event at 10 or before is older than it.
        Assert.That(_mirror.Learn("/u/c", null, 9), Is.False);
        Assert.That(_mirror.Learn("/u/c", null, 10), Is.True);
    }

    /// <summary>A key deleted and created again, same lease and record, between two sweeps the watch missed: news all the same.</summary>
    [Test]
    public void A_sweep_tells_of_a_key_created_again_with_the_same_lease_and_record()
    {
        _mirror.Joined(_a, 0);
        Swept(10, 1 * Ms, new EtcdKeyValue("/u/a", "x", 5, 3, 3));
        _a.Told.Clear();
        _mirror.OnTimer(1 * Ms + 6 * S);
        Swept(20, 1 * Ms + 6 * S, new EtcdKeyValue("/u/a", "x", 5, 18, 18));
        Assert.That(_a.Told, Is.EqualTo(new[] { "key x@5" }));
    }

    [Test]
    public void A_watch_break_makes_every_key_unknown_until_a_sweep_tells_them_all_again()
    {
        Start();
        _a.Told.Clear();
        _b.Told.Clear();
        WatchEnds(2 * Ms);
        WatchEnds(3 * Ms);
        Assert.That((_a.Told, _b.Told), Is.EqualTo((new List<string> { "unknown" }, new List<string> { "unknown" })), "said once");
        Assert.That(_mirror.NextDeadline, Is.EqualTo(202 * Ms), "swept again after the backoff");
        Event(Kv("/u/b", "late", 11), 100 * Ms);
        Assert.That(_b.Told, Has.Count.EqualTo(1), "nothing told while the keys are unknown");
        _mirror.OnTimer(202 * Ms);
        Swept(12, 203 * Ms, Kv("/u/a", "x", 3), Kv("/u/b", "late", 11));
        Assert.That(_a.Told, Is.EqualTo(new[] { "unknown", "key x@5", "preempt absent" }), "unchanged, told again");
        Assert.That(_b.Told, Is.EqualTo(new[] { "unknown", "key late@5", "preempt absent" }));
        Assert.That(_host.Last(EtcdOp.Watch).Revision, Is.EqualTo(13), "watched afresh after the sweep");
    }

    [Test]
    public void A_watch_event_tells_its_group_once_and_an_older_one_not_at_all()
    {
        Start();
        Event(Kv("/u/a", "y", 12), 2 * Ms);
        Event(Kv("/u/a", "y", 12), 3 * Ms);
        Event(Kv("/u/a", "old", 11), 4 * Ms);
        Event(Kv("/u/a/preempt", "please", 13), 5 * Ms);
        Event(Kv("/u/a", "", 14), 6 * Ms, exists: false);
        Assert.That(_a.Told.Skip(2), Is.EqualTo(new[] { "key y@5", "preempt please@5", "key absent" }));
    }

    [Test]
    public void A_sweep_that_finds_what_the_watch_missed_leaves_the_quiet_watch_for_a_new_one()
    {
        Start();
        int quiet = _host.Last(EtcdOp.Watch).Id;
        _mirror.OnTimer(1 * Ms + 6 * S);
        Swept(20, 7 * S, Kv("/u/a", "x", 3));
        Assert.That(_host.Last(EtcdOp.Watch).Id, Is.EqualTo(quiet), "nothing missed: the watch stays");
        _mirror.OnTimer(13 * S);
        Swept(30, 13 * S, Kv("/u/b", "z", 25));
        Assert.That(_a.Told[^1], Is.EqualTo("key absent"));
        Assert.That(_b.Told[^1], Is.EqualTo("key z@5"));
        Assert.That((_requests.Contains(quiet), _host.Last(EtcdOp.Watch).Revision), Is.EqualTo((false, 31L)));
    }

    /// <summary>
    /// etcd out of reach, then back: the watch's stream may still hold events back (its
    /// member backing off its retransmissions of what we could not acknowledge), so the
    /// sweep sent on the way back replaces it even though it missed nothing; later sweeps
    /// leave the new one alone.
    /// </summary>
    [Test]
    public void The_sweep_after_etcd_was_out_of_reach_replaces_the_watch_that_lived_through_it()
    {
        Start();
        int stalled = _host.Last(EtcdOp.Watch).Id;
        _mirror.Reconnected(9 * S);
        _mirror.OnTimer(9 * S);
        Swept(20, 9 * S + 5 * Ms, Kv("/u/a", "x", 3));
        Assert.That((_requests.Contains(stalled), _host.Last(EtcdOp.Watch).Revision), Is.EqualTo((false, 21L)), "watched afresh after the sweep");
        int fresh = _host.Last(EtcdOp.Watch).Id;
        _mirror.OnTimer(15 * S + 5 * Ms);
        Swept(30, 15 * S + 6 * Ms, Kv("/u/a", "x", 3));
        Assert.That((_requests.Contains(fresh), _host.Last(EtcdOp.Watch).Id), Is.EqualTo((true, fresh)), "the next sweep keeps it");
    }

    [Test]
    public void A_group_joining_a_running_session_is_told_what_is_known_without_a_sweep()
    {
        Start();
        var late = new Member("/u/c");
        _members.Add(late);
        Event(Kv("/u/c", "held", 12), 2 * Ms);
        _mirror.Joined(late, 3 * Ms);
        Assert.That(late.Told, Is.EqualTo(new[] { "key held@5", "key held@5", "preempt absent" }));
        Assert.That(_host.Sent.Count(r => r.Op == EtcdOp.Sweep), Is.EqualTo(1));
    }

    [Test]
    public void A_group_that_left_has_its_keys_forgotten()
    {
        Start();
        _members.Remove(_a);
        _mirror.Left(_a);
        Assert.That(_mirror.Lookup("/u/a"), Is.Null);
    }

    [Test]
    public void A_failed_sweep_is_retried_after_the_backoff_and_at_once_when_etcd_is_back()
    {
        _mirror.Joined(_a, 0);
        EtcdRequest r = _host.Last(EtcdOp.Sweep);
        _requests.Take(r.Id, out _);
        _mirror.OnReply(new EtcdReply(r.Id, EtcdOp.Sweep, false, "timed out"), 700 * Ms);
        Assert.That(_mirror.NextDeadline, Is.EqualTo(900 * Ms));
        _mirror.Reconnected(800 * Ms);
        Assert.That(_mirror.NextDeadline, Is.EqualTo(800 * Ms));
        _mirror.Stop();
        _mirror.OnTimer(800 * Ms);
        Assert.That((_mirror.NextDeadline, _host.Sent.Count), Is.EqualTo(((long?)null, 1)), "stopped: no more sweeps");
    }
}

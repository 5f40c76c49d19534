using FsCheck;
using FsCheck.Fluent;
using Ucarp.Core.Etcd;
using Ucarp.Core.Follow;

namespace Ucarp.Core.Tests.Follow;

public class RoleFollowerTests
{
    sealed class Host : IFollowerOutput
    {
        public List<string> Log { get; } = [];
        public bool FailStarts { get; set; }

        public bool StartScript(ScriptInvocation script)
        {
            Log.Add((FailStarts ? "failed " : "start ") + script.Kind);
            return !FailStarts;
        }

        public void SendAnnouncement(ReadOnlySpan<byte> frame) => Log.Add("frame " + frame[0]);

        public void SendAfterScripts(in Deferred effect) =>
            Log.Add(effect.IsBowOut ? "bowout " + effect.Frame![0] : "request " + effect.Request.Op);
    }

    static readonly ScriptInvocation Up = new(ScriptKind.Up, "/up", ["/up", "eth0", "192.0.2.100"]);
    static readonly ScriptInvocation Down = new(ScriptKind.Down, "/down", ["/down", "eth0", "192.0.2.100"]);

    [Test]
    public void A_refresh_goes_out_only_when_no_script_runs_or_waits()
    {
        var host = new Host();
        var q = new RoleFollower(host);
        q.Refresh([1]);
        q.RunScript(Up);
        for (int i = 0; i < 1000; i++)
        {
            q.Refresh([2]);   // a hung upscript: nothing piles up behind it
        }
        q.RunScript(Down);
        q.Refresh([3]);
        q.ScriptEnded();
        q.ScriptEnded();
        q.Refresh([4]);
        Assert.That(host.Log, Is.EqualTo(new[] { "frame 1", "start Up", "start Down", "frame 4" }));
    }

    [Test]
    public void Scripts_run_one_at_a_time_in_order()
    {
        var host = new Host();
        var q = new RoleFollower(host);
        q.RunScript(Down);
        q.RunScript(Up);
        Assert.That(host.Log, Is.EqualTo(new[] { "start Down" }));
        q.ScriptEnded();
        Assert.That(host.Log, Is.EqualTo(new[] { "start Down", "start Up" }));
        q.ScriptEnded();
        Assert.That(q.Idle, Is.True);
    }

    [Test]
    public void The_announcement_follows_the_upscript()
    {
        var host = new Host();
        var q = new RoleFollower(host);
        q.RunScript(Up);
        q.Announce([1]);
        Assert.That(host.Log, Is.EqualTo(new[] { "start Up" }));
        q.ScriptEnded();
        Assert.That(host.Log, Is.EqualTo(new[] { "start Up", "frame 1" }));
        q.Announce([2]);
        Assert.That(host.Log[^1], Is.EqualTo("frame 2"), "idle: at once");
    }

    [Test]
    public void A_waiting_script_undone_before_it_starts_never_runs()
    {
        var host = new Host();
        var q = new RoleFollower(host);
        q.RunScript(Down);      // running
        q.RunScript(Up);        // waits
        q.Announce([1]);      // waits with it
        q.RunScript(Down);      // undoes the waiting Up
        Assert.That(q.Waiting, Is.EqualTo(0));
        q.ScriptEnded();
        Assert.That(host.Log, Is.EqualTo(new[] { "start Down" }));
    }

    [Test]
    public void A_script_that_cannot_start_counts_as_done()
    {
        var host = new Host { FailStarts = true };
        var q = new RoleFollower(host);
        q.RunScript(Up);
        q.Announce([7]);
        Assert.That(host.Log, Is.EqualTo(new[] { "failed Up", "frame 7" }));
        Assert.That(q.Idle, Is.True);
    }

    [Test]
    public void Flapping_never_queues_more_than_one_and_the_last_run_matches_the_final_state()
    {
        // Any sequence of alternating state changes, with completions at random points.
        Gen<List<bool>> steps = Gen.Elements(true, false).ListOf();
        Prop.ForAll(Arb.From(steps), completeAfter =>
        {
            var host = new Host();
            var q = new RoleFollower(host);
            ScriptKind state = ScriptKind.Down;
            q.RunScript(Down);
            int maxWaiting = 0;
            foreach (bool complete in completeAfter)
            {
                state = state == ScriptKind.Up ? ScriptKind.Down : ScriptKind.Up;
                q.RunScript(state == ScriptKind.Up ? Up : Down);
                maxWaiting = Math.Max(maxWaiting, q.Waiting);
                if (complete && !q.Idle)
                {
                    q.ScriptEnded();
                }
            }
            while (!q.Idle)
            {
                q.ScriptEnded();
            }
            string last = host.Log.Last(l => l.StartsWith("start", StringComparison.Ordinal));
            return maxWaiting <= 1 && last == "start " + state;
        }).Check(FsCheck.Config.QuickThrowOnFailure.WithMaxTest(1000));
    }

    [Test]
    public void The_bow_out_and_a_release_wait_for_the_downscript_then_go_in_order()
    {
        var host = new Host();
        var q = new RoleFollower(host);
        q.RunScript(Down);
        q.AfterScripts(Deferred.BowOut([5]), deadline: 3_000);
        q.AfterScripts(Deferred.Send(new EtcdRequest(1, EtcdOp.Release)), deadline: 9_000);
        Assert.That(q.NextDeadline, Is.EqualTo(3_000));
        Assert.That(q.BowOutPending, Is.True);
        q.OnTimer(2_999);
        Assert.That(host.Log, Is.EqualTo(new[] { "start Down" }), "nothing before the downscript ends or the deadline comes");
        q.ScriptEnded();
        Assert.That(host.Log, Is.EqualTo(new[] { "start Down", "bowout 5", "request Release" }));
        Assert.That(q.Done, Is.True);
        Assert.That(q.NextDeadline, Is.Null);
    }

    [Test]
    public void A_hung_downscript_holds_the_bow_out_only_until_its_deadline()
    {
        var host = new Host();
        var q = new RoleFollower(host);
        q.RunScript(Down);
        q.AfterScripts(Deferred.BowOut([5]), deadline: 3_000);
        q.AfterScripts(Deferred.Send(new EtcdRequest(1, EtcdOp.Release)), deadline: 9_000);
        q.OnTimer(3_000);
        Assert.That(host.Log, Is.EqualTo(new[] { "start Down", "bowout 5" }));
        Assert.That(q.NextDeadline, Is.EqualTo(9_000));
        Assert.That(q.Done, Is.False, "a script still runs and a request waits");
        q.ScriptEnded();
        Assert.That(host.Log[^1], Is.EqualTo("request Release"));
    }

    [Test]
    public void Idle_it_sends_at_once_and_master_again_cancels_a_waiting_bow_out()
    {
        var host = new Host();
        var q = new RoleFollower(host);
        q.AfterScripts(Deferred.BowOut([1]), deadline: 3_000);
        Assert.That(host.Log, Is.EqualTo(new[] { "bowout 1" }), "no script before it: at once");
        q.RunScript(Down);
        q.AfterScripts(Deferred.BowOut([2]), deadline: 3_000);
        q.AfterScripts(Deferred.Send(new EtcdRequest(1, EtcdOp.Release)), deadline: 3_000);
        q.CancelBowOut();
        Assert.That(q.BowOutPending, Is.False);
        q.ScriptEnded();
        Assert.That(host.Log, Is.EqualTo(new[] { "bowout 1", "start Down", "request Release" }), "the cancelled bow-out never goes; the request does");
    }

    [Test]
    public void What_waits_goes_after_every_script_asked_for_before_it_not_only_the_running_one()
    {
        var host = new Host();
        var q = new RoleFollower(host);
        q.RunScript(Up);
        q.RunScript(Down);    // waits behind the upscript
        q.AfterScripts(Deferred.BowOut([3]), deadline: 10_000);
        q.ScriptEnded();      // the upscript ends, the downscript starts
        Assert.That(host.Log, Is.EqualTo(new[] { "start Up", "start Down" }));
        q.ScriptEnded();
        Assert.That(host.Log[^1], Is.EqualTo("bowout 3"));
    }
}

using FsCheck;
using FsCheck.Fluent;
using Ucarp.Core.Carp;
using Ucarp.Core.Scripts;

namespace Ucarp.Core.Tests.Scripts;

public class ScriptQueueTests
{
    sealed class Host : IScriptQueueHost
    {
        public List<string> Log { get; } = [];
        public bool FailStarts { get; set; }

        public bool Start(ScriptInvocation script)
        {
            Log.Add((FailStarts ? "failed " : "start ") + script.Kind);
            return !FailStarts;
        }

        public void SendFrame(ReadOnlySpan<byte> frame) => Log.Add("frame " + frame[0]);
    }

    static readonly ScriptInvocation Up = new(ScriptKind.Up, "/up", ["/up", "eth0", "192.0.2.100"]);
    static readonly ScriptInvocation Down = new(ScriptKind.Down, "/down", ["/down", "eth0", "192.0.2.100"]);

    [Test]
    public void A_refresh_goes_out_only_when_no_script_runs_or_waits()
    {
        var host = new Host();
        var q = new ScriptQueue(host);
        q.Refresh([1]);
        q.Request(Up);
        for (int i = 0; i < 1000; i++)
        {
            q.Refresh([2]);   // a hung upscript: nothing piles up behind it
        }
        q.Request(Down);
        q.Refresh([3]);
        q.Completed();
        q.Completed();
        q.Refresh([4]);
        Assert.That(host.Log, Is.EqualTo(new[] { "frame 1", "start Up", "start Down", "frame 4" }));
    }

    [Test]
    public void Scripts_run_one_at_a_time_in_order()
    {
        var host = new Host();
        var q = new ScriptQueue(host);
        q.Request(Down);
        q.Request(Up);
        Assert.That(host.Log, Is.EqualTo(new[] { "start Down" }));
        q.Completed();
        Assert.That(host.Log, Is.EqualTo(new[] { "start Down", "start Up" }));
        q.Completed();
        Assert.That(q.Idle, Is.True);
    }

    [Test]
    public void The_announcement_follows_the_upscript()
    {
        var host = new Host();
        var q = new ScriptQueue(host);
        q.Request(Up);
        q.Announce([1]);
        Assert.That(host.Log, Is.EqualTo(new[] { "start Up" }));
        q.Completed();
        Assert.That(host.Log, Is.EqualTo(new[] { "start Up", "frame 1" }));
        q.Announce([2]);
        Assert.That(host.Log[^1], Is.EqualTo("frame 2"), "idle: at once");
    }

    [Test]
    public void A_waiting_script_undone_before_it_starts_never_runs()
    {
        var host = new Host();
        var q = new ScriptQueue(host);
        q.Request(Down);      // running
        q.Request(Up);        // waits
        q.Announce([1]);      // waits with it
        q.Request(Down);      // undoes the waiting Up
        Assert.That(q.Waiting, Is.EqualTo(0));
        q.Completed();
        Assert.That(host.Log, Is.EqualTo(new[] { "start Down" }));
    }

    [Test]
    public void A_script_that_cannot_start_counts_as_done()
    {
        var host = new Host { FailStarts = true };
        var q = new ScriptQueue(host);
        q.Request(Up);
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
            var q = new ScriptQueue(host);
            ScriptKind state = ScriptKind.Down;
            q.Request(Down);
            int maxWaiting = 0;
            foreach (bool complete in completeAfter)
            {
                state = state == ScriptKind.Up ? ScriptKind.Down : ScriptKind.Up;
                q.Request(state == ScriptKind.Up ? Up : Down);
                maxWaiting = Math.Max(maxWaiting, q.Waiting);
                if (complete && !q.Idle)
                {
                    q.Completed();
                }
            }
            while (!q.Idle)
            {
                q.Completed();
            }
            string last = host.Log.Last(l => l.StartsWith("start", StringComparison.Ordinal));
            return maxWaiting <= 1 && last == "start " + state;
        }).Check(FsCheck.Config.QuickThrowOnFailure.WithMaxTest(1000));
    }
}

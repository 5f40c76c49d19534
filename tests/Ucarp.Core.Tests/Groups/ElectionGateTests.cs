using Ucarp.Core.Carp;
using Ucarp.Core.Election;
using Ucarp.Core.Groups;

namespace Ucarp.Core.Tests.Groups;

/// <summary>The gates in front of an election: out while any is closed, in when the last opens.</summary>
public class ElectionGateTests
{
    [Test]
    public void The_election_leaves_on_the_first_gate_and_rejoins_on_the_last()
    {
        var election = new FakeElection { State = CarpState.Master };
        var gate = new ElectionGate(election);
        gate.SetEligible(false, "check failed", 1);
        gate.Close(GateReason.Sync, "sync set front: web is out of the election", 2);
        gate.SetEligible(true, "check passed", 3);
        Assert.That(election.Calls, Is.EqualTo(new[] { "out: check failed" }));
        Assert.That(gate.Eligible, Is.False);
        gate.Open(GateReason.Sync, "sync set front: every member is in the election", 4);
        Assert.That(election.Calls.Last(), Is.EqualTo("in: sync set front: every member is in the election"));
    }

    [Test]
    public void The_reason_shown_is_the_gate_still_closed()
    {
        var gate = new ElectionGate(new FakeElection());
        gate.SetEligible(false, "check failed", 1);
        gate.Close(GateReason.Sync, "sync set front: web is out of the election", 2);
        Assert.That(gate.EligibilityReason, Is.EqualTo("check failed"));
        gate.SetEligible(true, "check passed", 3);
        Assert.That(gate.EligibilityReason, Is.EqualTo("sync set front: web is out of the election"));
        gate.Open(GateReason.Sync, "sync set front: every member is in the election", 4);
        Assert.That(gate.EligibilityReason, Is.EqualTo("sync set front: every member is in the election"));
    }

    [Test]
    public void Only_its_own_gates_take_a_group_out_for_its_set()
    {
        var election = new FakeElection();
        var gate = new ElectionGate(election);
        gate.Close(GateReason.Sync, "sync set front: web is out of the election", 1);
        Assert.That(gate.OwnInElection, Is.True);
        gate.Close(GateReason.Control, "demoted by ucarpctl", 2);
        Assert.That(gate.OwnInElection, Is.False);
        gate.Open(GateReason.Control, "promoted by ucarpctl", 3);
        election.LinkIsDown = true;
        Assert.That(gate.OwnInElection, Is.False);
        election.LinkIsDown = false;
        gate.MarkStopping();
        Assert.That(gate.OwnInElection, Is.False);
    }

    sealed class Heard : IStandingWatcher
    {
        public readonly List<IElection> From = [];
        public void StandingChanged(IElection election) => From.Add(election);
    }

    [Test]
    public void Watchers_hear_each_gate_change_even_one_that_leaves_eligibility_as_it_was()
    {
        var election = new FakeElection();
        var gate = new ElectionGate(election);
        var heard = new Heard();
        gate.Watch(heard);

        gate.Close(GateReason.Sync, "sync set front: web is out of the election", 1);
        Assert.That(heard.From, Is.Not.Empty);
        heard.From.Clear();
        // Already out for its set: the check's gate changes what the rule sees (OwnInElection), not eligibility.
        gate.SetEligible(false, "check failed", 2);
        Assert.That(election.Calls, Has.Count.EqualTo(1), "the election was told once, by the first gate");
        Assert.That(heard.From, Is.Not.Empty);
        heard.From.Clear();
        gate.Close(GateReason.Sync, "sync set front: web is out of the election", 3);
        Assert.That(heard.From, Is.Empty, "the same gate, the same words: nothing changed");
        gate.Close(GateReason.Sync, "sync set front: api is out of the election", 4);
        Assert.That(heard.From, Is.Not.Empty, "re-worded");
        heard.From.Clear();
        gate.Open(GateReason.Control, "promoted by ucarpctl", 5);
        Assert.That(heard.From, Is.Empty, "a gate that was open");
        gate.SetEligible(true, "check passed", 6);
        Assert.That(heard.From, Is.Not.Empty);
        heard.From.Clear();
        gate.MarkStopping();
        gate.MarkStopping();
        Assert.That(heard.From, Has.Count.EqualTo(1), "stopping, once");
    }

    [Test]
    public void The_elections_own_changes_are_heard_as_the_gates()
    {
        var election = new FakeElection();
        var gate = new ElectionGate(election);
        var heard = new Heard();
        gate.Watch(heard);
        election.State = CarpState.Master;
        election.LinkIsDown = true;
        Assert.That(heard.From, Has.Count.EqualTo(2));
        Assert.That(heard.From, Has.All.SameAs(gate));
        gate.Unwatch(heard);
        election.State = CarpState.Backup;
        Assert.That(heard.From, Has.Count.EqualTo(2), "no longer watching");
    }
}

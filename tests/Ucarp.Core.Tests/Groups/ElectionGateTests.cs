using Ucarp.Core.Carp;
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
}

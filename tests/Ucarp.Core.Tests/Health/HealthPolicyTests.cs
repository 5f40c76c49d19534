using Ucarp.Core.Carp;
using Ucarp.Core.Health;
using Ucarp.Core.Tests.Carp;

namespace Ucarp.Core.Tests.Health;

public class HealthPolicyTests
{
    /// <summary>Feeds results ("+" pass, "-" fail) and returns the eligibility after each.</summary>
    static string Run(HealthPolicy policy, string results) =>
        new(results.Select(r => policy.Report(r == '+').Passing ? 'E' : 'o').ToArray());

    [Test]
    public void Out_until_the_first_pass_then_fall_failures_in_a_row_take_it_out()
    {
        var policy = new HealthPolicy(fall: 2, rise: 2);
        Assert.That(policy.Passing, Is.False);
        Assert.That(Run(policy, "--+-+--"), Is.EqualTo("ooEEEEo"));
    }

    [Test]
    public void Rise_successes_in_a_row_bring_it_back()
    {
        var policy = new HealthPolicy(fall: 1, rise: 3);
        Assert.That(Run(policy, "+-++-+++"), Is.EqualTo("EooooooE"));
    }

    [Test]
    public void A_verdict_reports_a_change_only_when_eligibility_changes()
    {
        var policy = new HealthPolicy(fall: 2, rise: 2);
        bool[] changed = "++--+-".Select(r => policy.Report(r == '+').Changed).ToArray();
        Assert.That(changed, Is.EqualTo(new[] { true, false, false, true, false, false }));
    }

    [Test]
    public void Failures_are_logged_up_to_the_one_that_takes_the_node_out_then_not_while_they_go_on()
    {
        var policy = new HealthPolicy(fall: 3, rise: 1);
        policy.Report(true);
        bool[] logged = Enumerable.Range(0, 6).Select(_ => policy.Report(false).LogFailure).ToArray();
        Assert.That(logged, Is.EqualTo(new[] { true, true, true, false, false, false }));
        policy.Report(true);
        Assert.That(policy.Report(false).LogFailure, Is.True, "a new run of failures is logged again");
    }

    [Test]
    public void With_a_weight_the_node_starts_degraded_and_fall_rise_move_the_weight_not_the_eligibility()
    {
        var m = new CarpMachine(CarpMachineTests.Settings(advskew: 10), new RecordingCarpHost(), new CountingRandom());
        var policy = new HealthPolicy(fall: 2, rise: 3, weight: 50);
        policy.Begin(m, 0);
        Assert.That((m.Eligible, m.Skew.Value, m.Skew.Why), Is.EqualTo((true, (byte)60, "check not passed yet")));
        var seen = new List<int>();
        foreach (char r in "+--+-++-+++")
        {
            policy.Apply(policy.Report(r == '+'), m, 0);
            Assert.That(m.Eligible, Is.True);
            seen.Add(m.Skew.Value);
        }
        Assert.That(seen, Is.EqualTo(new[] { 10, 10, 60, 60, 60, 60, 60, 60, 60, 60, 10 }));
        Assert.That(m.Skew.Why, Is.EqualTo("check passing"));
    }

    [Test]
    public void Without_a_weight_the_node_starts_out_of_the_election_as_before()
    {
        var m = new CarpMachine(CarpMachineTests.Settings(advskew: 10), new RecordingCarpHost(), new CountingRandom());
        var policy = new HealthPolicy(fall: 2, rise: 2);
        policy.Begin(m, 0);
        Assert.That((m.Eligible, m.Skew.Value, m.Skew.Why), Is.EqualTo((false, (byte)10, (string?)null)));
        policy.Apply(policy.Report(true), m, 0);
        Assert.That((m.Eligible, m.Skew.Why), Is.EqualTo((true, (string?)null)));
    }
}

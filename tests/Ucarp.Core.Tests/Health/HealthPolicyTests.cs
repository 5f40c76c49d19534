using Ucarp.Core.Health;

namespace Ucarp.Core.Tests.Health;

public class HealthPolicyTests
{
    /// <summary>Feeds results ("+" pass, "-" fail) and returns the eligibility after each.</summary>
    static string Run(HealthPolicy policy, string results) =>
        new(results.Select(r => policy.Report(r == '+').Eligible ? 'E' : 'o').ToArray());

    [Test]
    public void Out_until_the_first_pass_then_fall_failures_in_a_row_take_it_out()
    {
        var policy = new HealthPolicy(fall: 2, rise: 2);
        Assert.That(policy.Eligible, Is.False);
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
}

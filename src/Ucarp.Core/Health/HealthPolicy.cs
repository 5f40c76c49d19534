using Ucarp.Core.Election;
using Ucarp.Core.Carp;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Health;

/// <summary>What one check result changed: whether the check counts as passing, and whether the failure is worth a log line.</summary>
public readonly record struct HealthVerdict(bool Changed, bool Passing, string Reason, bool LogFailure);

/// <summary>
/// The --check fall/rise counter. At start the check counts as failing until it first
/// passes: a node must not claim an address for a service it has not yet seen working
/// (a restarted, still broken node would otherwise preempt, then flap). After that,
/// <c>fall</c> failures in a row make it failing and <c>rise</c> successes in a row
/// passing again, so one odd result neither drops nor restores the address.
///
/// What failing means for the election: without a weight the node is out of it (never
/// master); with --check-weight it stays in with advskew + weight, so a healthier node
/// is preferred but the address still lives somewhere when every node fails.
/// </summary>
public sealed class HealthPolicy
{
    readonly int _fall;
    readonly int _rise;
    bool _passedOnce;
    int _failures;
    int _successes;

    public HealthPolicy(int fall, int rise, byte weight = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fall, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rise, 1);
        _fall = fall;
        _rise = rise;
        Weight = weight;
    }

    public bool Passing { get; private set; }

    /// <summary>--check-weight; 0: a failing check takes the node out of the election.</summary>
    public byte Weight { get; }

    /// <summary>
    /// Before the first result: out of the election, or with a weight in it and already
    /// degraded, so a node whose service is unproven never preempts a healthy master but
    /// still takes the address when no one else holds it.
    /// </summary>
    public void Begin(IElection election, long now)
    {
        if (Weight == 0)
        {
            election.SetEligible(false, Messages.NotYetHealthy, now);
        }
        else
        {
            election.SetCheckWeight(Weight, Messages.CheckNotPassedYet, now);
        }
    }

    /// <summary>Tells the election what a result changed: eligibility, or with a weight the advskew in use.</summary>
    public void Apply(in HealthVerdict verdict, IElection election, long now)
    {
        if (!verdict.Changed)
        {
            return;
        }
        if (Weight == 0)
        {
            election.SetEligible(verdict.Passing, verdict.Reason, now);
        }
        else
        {
            election.SetCheckWeight(verdict.Passing ? (byte)0 : Weight, verdict.Passing ? Messages.CheckPassing : Messages.CheckFailing, now);
        }
    }

    /// <summary>The last run's result; null before the first run ends.</summary>
    public bool? LastPassed { get; private set; }
    public int ConsecutiveFailures => _failures;
    public int ConsecutivePasses => _successes;
    public long Runs { get; private set; }
    public long FailuresTotal { get; private set; }

    public HealthVerdict Report(bool passed)
    {
        Runs++;
        LastPassed = passed;
        if (!passed)
        {
            FailuresTotal++;
        }
        if (passed)
        {
            _failures = 0;
            _successes = Math.Min(_successes + 1, int.MaxValue - 1);
            if (!Passing && (!_passedOnce || _successes >= _rise))
            {
                string reason = _passedOnce ? Messages.ChecksPassed(_successes) : Messages.ChecksPassed(1);
                _passedOnce = true;
                Passing = true;
                return new HealthVerdict(true, true, reason, false);
            }
            return new HealthVerdict(false, Passing, "", false);
        }
        _successes = 0;
        _failures = Math.Min(_failures + 1, int.MaxValue - 1);
        // Each failure up to the one that takes the node out is logged; a check that
        // keeps failing for hours after that says nothing more until it passes again.
        bool log = _failures <= _fall;
        if (Passing && _failures >= _fall)
        {
            Passing = false;
            return new HealthVerdict(true, false, Messages.ChecksFailed(_failures), log);
        }
        return new HealthVerdict(false, Passing, "", log);
    }
}

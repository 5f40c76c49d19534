using Ucarp.Core.Logging;

namespace Ucarp.Core.Health;

/// <summary>What one check result changed: the node's eligibility, and whether the failure is worth a log line.</summary>
public readonly record struct HealthVerdict(bool Changed, bool Eligible, string Reason, bool LogFailure);

/// <summary>
/// The --check fall/rise counter. At start the node is out of the election until the
/// check first passes: a node must not claim an address for a service it has not yet
/// seen working (a restarted, still broken node would otherwise preempt, then flap).
/// After that, <c>fall</c> failures in a row take it out and <c>rise</c> successes in a
/// row bring it back, so one odd result neither drops nor restores the address.
/// </summary>
public sealed class HealthPolicy
{
    readonly int _fall;
    readonly int _rise;
    bool _passedOnce;
    int _failures;
    int _successes;

    public HealthPolicy(int fall, int rise)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fall, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rise, 1);
        _fall = fall;
        _rise = rise;
    }

    public bool Eligible { get; private set; }

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
            if (!Eligible && (!_passedOnce || _successes >= _rise))
            {
                string reason = _passedOnce ? Messages.ChecksPassed(_successes) : Messages.ChecksPassed(1);
                _passedOnce = true;
                Eligible = true;
                return new HealthVerdict(true, true, reason, false);
            }
            return new HealthVerdict(false, Eligible, "", false);
        }
        _successes = 0;
        _failures = Math.Min(_failures + 1, int.MaxValue - 1);
        // Each failure up to the one that takes the node out is logged; a check that
        // keeps failing for hours after that says nothing more until it passes again.
        bool log = _failures <= _fall;
        if (Eligible && _failures >= _fall)
        {
            Eligible = false;
            return new HealthVerdict(true, false, Messages.ChecksFailed(_failures), log);
        }
        return new HealthVerdict(false, Eligible, "", log);
    }
}

using System.Globalization;

namespace Ucarp.Core.Carp;

/// <summary>
/// The advskew a node advertises (CARP) or campaigns with (etcd): -k, plus the
/// --check-weight while the health check fails, as keepalived's track_script weight
/// and BSD carp's demotion counter make a failing node less preferred instead of
/// ineligible. <see cref="Why"/> is null without --check-weight.
/// </summary>
public readonly record struct SkewInUse(byte Configured, byte Weight = 0, string? Why = null)
{
    /// <summary>The most a weight raises advskew to: 255 with advbase 255 is the bow-out, "advertise once".</summary>
    public const byte MaxWeighted = 254;

    /// <summary>-k plus the weight, capped at 254; a -k already above the cap is kept, never lowered.</summary>
    public byte Value => Configured >= MaxWeighted ? Configured : (byte)Math.Min(Configured + Weight, MaxWeighted);

    /// <summary>What the weight adds after the cap.</summary>
    public int Added => Value - Configured;

    /// <summary>"advskew 10+50: check failing", "advskew 10: check passing"; null without --check-weight.</summary>
    public string? Describe() => Why is null ? null
        : Added == 0 ? $"advskew {Configured}: {Why}"
        : string.Create(CultureInfo.InvariantCulture, $"advskew {Configured}+{Added}: {Why}");

    /// <summary>VRRP's view of the same weight: "priority 100-50: check failing", "priority 100: check passing".</summary>
    public string DescribePriority(byte configured, byte inUse) =>
        configured == inUse ? $"priority {configured}: {Why}"
        : string.Create(CultureInfo.InvariantCulture, $"priority {configured}-{configured - inUse}: {Why}");
}

using Ucarp.Core.Wire;

namespace Ucarp.Core.Vrrp;

static class VrrpRejections
{
    /// <summary>A rejected VRRP frame as the rate-limited log and the counters take it, with CARP's.</summary>
    public static ReadResult ForLog(this in VrrpReadResult r) => new(r.Rejection, default, r.A, r.B, 0, 0, r.Address);
}

using System.Buffers.Binary;
using System.Globalization;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Wire;

/// <summary>
/// Maps a rejection to ucarp's log line and level; the silent ones map to nothing. ucarp
/// has no VRRP: a VRRP group's lines (<see cref="Message(in VrrpReadResult)"/>) follow
/// keepalived's meaning in ucarp's "What: [value]" shape.
/// </summary>
public static class RejectionLog
{
    public static LogLevel? Level(Rejection why) => why switch
    {
        Rejection.BogusSize or Rejection.OtherVhid or Rejection.OtherGroup or Rejection.NotFromPeer or Rejection.NotToUs => LogLevel.Debug,
        Rejection.BadTtl or Rejection.BadVersion or Rejection.BadChecksum or Rejection.BadDigest
            or Rejection.BadType or Rejection.BadAuth or Rejection.IntervalMismatch => LogLevel.Warning,
        _ => null,
    };

    /// <summary>How the suppression summary names the lines it held back.</summary>
    public static string Label(Rejection why) => why switch
    {
        Rejection.BogusSize => "\"Bogus size\"",
        Rejection.BadTtl => "\"Bad TTL\"",
        Rejection.BadVersion => "\"Bad version\"",
        Rejection.OtherVhid => "\"Ignoring vhid\"",
        Rejection.OtherGroup => "\"Ignoring different multicast ip\"",
        Rejection.BadChecksum => "\"Bad IP checksum\"",
        Rejection.BadDigest => "\"Bad digest\"",
        Rejection.NotFromPeer => "\"Ignoring advert from\"",
        Rejection.NotToUs => "\"Ignoring advert to\"",
        Rejection.BadType => "\"Bad VRRP type\"",
        Rejection.BadAuth => "\"Bad VRRP authentication\"",
        Rejection.IntervalMismatch => "\"Advertisement interval mismatch\"",
        _ => why.ToString(),
    };

    public static string Message(in ReadResult r)
    {
        Span<byte> computed = stackalloc byte[4];
        Span<byte> received = stackalloc byte[4];
        switch (r.Rejection)
        {
            case Rejection.BogusSize:
                return Messages.BogusSize(r.A, r.B, CarpHeader.Size);
            case Rejection.BadTtl:
                return Messages.BadTtl(r.A);
            case Rejection.BadVersion:
                return Messages.BadVersion(r.A);
            case Rejection.OtherVhid:
                return Messages.IgnoringVhid(r.A);
            case Rejection.OtherGroup:
                return Messages.IgnoringMulticast(r.Address.ToString());
            case Rejection.NotFromPeer:
                return Messages.NotFromPeer(r.Address.ToString());
            case Rejection.NotToUs:
                return Messages.NotToUs(r.Address.ToString());
            case Rejection.BadChecksum:
                return Messages.BadChecksum;
            case Rejection.BadDigest:
                BinaryPrimitives.WriteUInt32BigEndian(computed, r.ComputedDigest);
                BinaryPrimitives.WriteUInt32BigEndian(received, r.ReceivedDigest);
                return Messages.BadDigest(computed, received);
            case Rejection.BadType or Rejection.BadAuth or Rejection.IntervalMismatch:
                return Message(new VrrpReadResult(r.Rejection, default, r.A, r.B, r.Address));
            default:
                return r.Rejection.ToString();
        }
    }

    /// <summary>A VRRP group's line for a rejection: CARP's where the check is the same, VRRP's own otherwise.</summary>
    public static string Message(in VrrpReadResult r) => r.Rejection switch
    {
        Rejection.BogusSize => F("Bogus VRRP size: [{0}] bytes, [{1}] expected", r.A, r.B),
        Rejection.BadChecksum => "Bad VRRP checksum",
        Rejection.OtherVhid => F("Ignoring vrid: [{0}]", r.A),
        Rejection.BadType => F("Bad VRRP type: [{0}]", r.A),
        Rejection.BadAuth when r.A == r.B => "Bad VRRP authentication: wrong password",
        Rejection.BadAuth => F("Bad VRRP authentication type: [{0}], expected [{1}]", r.A, r.B),
        Rejection.IntervalMismatch when r.A == 0 => "Advertisement interval of 0",
        Rejection.IntervalMismatch => F("Advertisement interval mismatch: [{0}] s, ours [{1}] s", r.A, r.B),
        _ => Message(new ReadResult(r.Rejection, default, r.A, r.B, 0, 0, r.Address)),
    };

    static string F(string format, params object?[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}

using System.Buffers.Binary;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Wire;

/// <summary>Maps a rejection to ucarp's log line and level; the silent ones map to nothing.</summary>
public static class RejectionLog
{
    public static LogLevel? Level(Rejection why) => why switch
    {
        Rejection.BogusSize or Rejection.OtherVhid or Rejection.OtherGroup or Rejection.NotFromPeer or Rejection.NotToUs => LogLevel.Debug,
        Rejection.BadTtl or Rejection.BadVersion or Rejection.BadChecksum or Rejection.BadDigest => LogLevel.Warning,
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
            default:
                return r.Rejection.ToString();
        }
    }
}

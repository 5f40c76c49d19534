using Ucarp.Core.Etcd;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>A response from a byte array, handed out at most <c>piece</c> bytes per read, as a socket might.</summary>
internal sealed class ByteArraySource(byte[] bytes, int piece = int.MaxValue) : IByteSource
{
    int _at;

    public int Read(Span<byte> into)
    {
        int n = Math.Min(Math.Min(into.Length, piece), bytes.Length - _at);
        bytes.AsSpan(_at, n).CopyTo(into);
        _at += n;
        return n;
    }
}

/// <summary>An endless stream of one byte: what a hostile member can send for ever.</summary>
internal sealed class EndlessSource(byte value) : IByteSource
{
    public int Read(Span<byte> into)
    {
        into.Fill(value);
        return into.Length;
    }
}

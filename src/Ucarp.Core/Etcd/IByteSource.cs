namespace Ucarp.Core.Etcd;

/// <summary>
/// Where <see cref="HttpResponseReader"/> gets its bytes: a socket or TLS session in the
/// daemon, a byte array in the tests and the fuzzer.
/// </summary>
public interface IByteSource
{
    /// <summary>Up to <paramref name="into"/>'s length; 0 at the end of the stream. A failure throws.</summary>
    int Read(Span<byte> into);
}

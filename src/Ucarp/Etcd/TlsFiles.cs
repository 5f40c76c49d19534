using Ucarp.Core.Cli;
using Ucarp.Interop;

namespace Ucarp.Etcd;

/// <summary>The files an https:// client's TLS context is read from: --etcd-cacert, --etcd-cert, --etcd-key (each may be absent).</summary>
internal readonly record struct TlsFiles(string? Ca, string? Cert, string? Key)
{
    /// <summary>The group's files, or null when none of its endpoints is https://.</summary>
    public static TlsFiles? Of(Configuration config) =>
        config.EtcdEndpoints.Exists(u => u.Https) ? new TlsFiles(config.EtcdCaCert, config.EtcdCert, config.EtcdKey) : null;

    /// <summary>A context read from the files now, or the words saying which file could not be used.</summary>
    public TlsRead Read() =>
        TlsContext.TryCreate(Ca, Cert, Key, out TlsContext? context, out SysError error) ? new TlsRead(context, null) : new TlsRead(null, error.Text);
}

/// <summary>What reading one set of <see cref="TlsFiles"/> gave: a context, or why there is none.</summary>
internal sealed record TlsRead(TlsContext? Context, string? Error);

using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;
using Ucarp.Interop;

namespace Ucarp.Etcd;

/// <summary>
/// The OpenSSL context of an https:// client: the authority to trust (--etcd-cacert, else
/// the system's), the client certificate and key, peer verification with the endpoint's
/// host name or IP address checked. Owned by the client it was made for, and freed with
/// it (a reload that replaces an etcd session or follow group used to leak one each
/// time): a handshake still starting on a worker thread holds a use of it, each
/// connection's SSL holds OpenSSL's own reference, so freeing never pulls it from
/// under either.
/// </summary>
internal sealed class TlsContext : IDisposable
{
    readonly nint _ctx;
    int _uses = 1;   // the owner's, and one per handshake starting; freed at 0
    int _disposed;

    TlsContext(nint ctx) => _ctx = ctx;

    /// <summary>
    /// Another owner of the same OpenSSL context (OpenSSL's own count goes up): the
    /// certificates read once for a reload serve every client that uses those files.
    /// </summary>
    public TlsContext Copy()
    {
        if (!TryUse())
        {
            throw new ObjectDisposedException(nameof(TlsContext));
        }
        try
        {
            OpenSsl.CtxUpRef(_ctx);
            return new TlsContext(_ctx);
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Freed: the owner let go and no handshake is starting.</summary>
    public bool IsClosed => Volatile.Read(ref _uses) == 0;

    bool TryUse()
    {
        int uses = Volatile.Read(ref _uses);
        while (uses > 0)
        {
            int seen = Interlocked.CompareExchange(ref _uses, uses + 1, uses);
            if (seen == uses)
            {
                return true;
            }
            uses = seen;
        }
        return false;
    }

    void Release()
    {
        if (Interlocked.Decrement(ref _uses) == 0)
        {
            OpenSsl.CtxFree(_ctx);
        }
    }

    /// <summary>The context; false with OpenSSL's words (no errno) saying which file it could not use.</summary>
    public static bool TryCreate(string? ca, string? cert, string? key, [NotNullWhen(true)] out TlsContext? context, out SysError error)
    {
        context = null;
        nint ctx;
        try
        {
            OpenSsl.ErrClearError();
            ctx = OpenSsl.CtxNew(OpenSsl.TlsClientMethod());
        }
        catch (DllNotFoundException)
        {
            // Not exceptional here: libssl is only loaded for https://, and may not be installed.
            error = new SysError(0, "https:// needs OpenSSL 3 (libssl3)");
            return false;
        }
        if (ctx == 0)
        {
            error = new SysError(0, LastError("SSL_CTX_new failed"));
            return false;
        }
        var created = new TlsContext(ctx);
        OpenSsl.ErrClearError();
        string? refused = null;
        if (ca is not null ? OpenSsl.CtxLoadVerifyLocations(ctx, ca, null) != 1 : OpenSsl.CtxSetDefaultVerifyPaths(ctx) != 1)
        {
            refused = LastError($"--etcd-cacert [{ca}]");
        }
        else if (cert is not null && OpenSsl.CtxUseCertificateChainFile(ctx, cert) != 1)
        {
            refused = LastError($"--etcd-cert [{cert}]");
        }
        else if (key is not null && (OpenSsl.CtxUsePrivateKeyFile(ctx, key, OpenSsl.SSL_FILETYPE_PEM) != 1 || OpenSsl.CtxCheckPrivateKey(ctx) != 1))
        {
            refused = LastError($"--etcd-key [{key}]");
        }
        if (refused is not null)
        {
            created.Dispose();
            error = new SysError(0, refused);
            return false;
        }
        OpenSsl.CtxSetVerify(ctx, OpenSsl.SSL_VERIFY_PEER, 0);
        // A connection kept idle for its next request gives its read and write buffers
        // (about 34 KiB) back to OpenSSL between records.
        OpenSsl.CtxCtrl(ctx, OpenSsl.SSL_CTRL_MODE, OpenSsl.SSL_MODE_RELEASE_BUFFERS, 0);
        context = created;
        error = SysError.None;
        return true;
    }

    /// <summary>
    /// TLS on a connected socket; throws <see cref="HttpFailure"/>, with Tls set only when
    /// the peer's certificate or ours was refused: a handshake cut short by the deadline
    /// (<paramref name="aborted"/> says why) or by the peer going away is "unreachable".
    /// </summary>
    public nint Handshake(int fd, string host, Func<string?> aborted)
    {
        if (!TryUse())
        {
            throw new HttpFailure("the etcd client is closed");
        }
        nint ssl;
        try
        {
            OpenSsl.ErrClearError();
            ssl = OpenSsl.New(_ctx);   // which takes OpenSSL's own reference to the context
        }
        finally
        {
            Release();
        }
        if (ssl == 0)
        {
            throw new HttpFailure(LastError("SSL_new failed"));
        }
        try
        {
            if (OpenSsl.SetFd(ssl, fd) != 1)
            {
                throw new HttpFailure(LastError("SSL_set_fd failed"));
            }
            bool named = !Core.Cli.Inet.TryParse(host, out _);
            // Without the name or address to check, any certificate of the authority would
            // pass: not connecting is the only safe answer.
            if (named ? OpenSsl.Set1Host(ssl, host) != 1 : OpenSsl.VerifyParamSet1IpAsc(OpenSsl.Get0Param(ssl), host) != 1)
            {
                throw new HttpFailure(LastError($"cannot set the peer name to verify [{host}]"), tls: true);
            }
            if (named && OpenSsl.Ctrl(ssl, OpenSsl.SSL_CTRL_SET_TLSEXT_HOSTNAME, 0, host) != 1)
            {
                throw new HttpFailure(LastError($"cannot set the server name [{host}]"), tls: true);
            }
            int result = OpenSsl.Connect(ssl);
            if (result != 1)
            {
                int error = OpenSsl.GetError(ssl, result);
                long verify = OpenSsl.GetVerifyResult(ssl);
                if (aborted() is string reason)
                {
                    throw new HttpFailure("TLS handshake " + reason);
                }
                throw verify != 0 ? new HttpFailure(VerifyError(verify), tls: true)
                                  : new HttpFailure(LastError("handshake failed"), tls: IsTlsError(error));
            }
            return ssl;
        }
        catch
        {
            OpenSsl.Free(ssl);
            throw;
        }
    }

    /// <summary>
    /// Whether a failed TLS operation is the TLS layer saying no (an alert, a protocol
    /// error), rather than the network: a timeout or a closed connection.
    /// </summary>
    public static bool IsTlsError(int sslError) =>
        sslError == OpenSsl.SSL_ERROR_SSL && (OpenSsl.ErrPeekError() & OpenSsl.ERR_REASON_MASK) != OpenSsl.SSL_R_UNEXPECTED_EOF_WHILE_READING;

    /// <summary>
    /// Whether a failed TLS read or write is the member closing or resetting the connection:
    /// its close_notify, an I/O error of the socket (OpenSSL's SSL_ERROR_SYSCALL: a reset, a
    /// broken pipe; a timeout is SSL_ERROR_WANT_READ instead), or the end of the stream
    /// without close_notify.
    /// </summary>
    public static bool IsPeerGone(int sslError) =>
        sslError is OpenSsl.SSL_ERROR_ZERO_RETURN or OpenSsl.SSL_ERROR_SYSCALL
        || (sslError == OpenSsl.SSL_ERROR_SSL && (OpenSsl.ErrPeekError() & OpenSsl.ERR_REASON_MASK) == OpenSsl.SSL_R_UNEXPECTED_EOF_WHILE_READING);

    static unsafe string VerifyError(long code) =>
        "certificate verify failed: " + (Marshal.PtrToStringUTF8((nint)OpenSsl.VerifyCertErrorString(code)) ?? code.ToString(CultureInfo.InvariantCulture));

    /// <summary>OpenSSL's last error, after <paramref name="what"/>.</summary>
    public static unsafe string LastError(string what)
    {
        ulong code = OpenSsl.ErrGetError();
        if (code == 0)
        {
            return what;
        }
        byte* text = stackalloc byte[256];
        OpenSsl.ErrErrorStringN(code, text, 256);
        return what + ": " + Marshal.PtrToStringUTF8((nint)text);
    }

    /// <summary>The owner lets go: freed now, or when the last handshake starting has its SSL.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Release();
        }
    }
}

using System.Runtime.InteropServices;

namespace Ucarp.Interop;

/// <summary>
/// OpenSSL 3 (libssl.so.3, libcrypto.so.3), for https:// etcd endpoints only. Unlike libc
/// these are not linked: the runtime opens them at the first call, so a daemon that
/// never talks TLS (CARP mode, http:// etcd) never loads them.
/// </summary>
internal static partial class OpenSsl
{
    const string Ssl = "libssl.so.3";
    const string Crypto = "libcrypto.so.3";

    internal const int SSL_FILETYPE_PEM = 1;
    internal const int SSL_VERIFY_PEER = 1;
    internal const int SSL_ERROR_SSL = 1;
    internal const int SSL_ERROR_SYSCALL = 5;
    internal const int SSL_ERROR_ZERO_RETURN = 6;
    internal const int SSL_R_UNEXPECTED_EOF_WHILE_READING = 294;   // sslerr.h
    internal const ulong ERR_REASON_MASK = 0x7FFFFF;                  // err.h, OpenSSL 3
    internal const int SSL_CTRL_SET_TLSEXT_HOSTNAME = 55;
    internal const int SSL_CTRL_MODE = 33;                            // ssl.h: SSL_CTX_set_mode is this ctrl
    internal const long SSL_MODE_RELEASE_BUFFERS = 0x10;

    [LibraryImport(Ssl, EntryPoint = "TLS_client_method")]
    internal static partial nint TlsClientMethod();

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_new")]
    internal static partial nint CtxNew(nint method);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_free")]
    internal static partial void CtxFree(nint ctx);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_up_ref")]
    internal static partial int CtxUpRef(nint ctx);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_load_verify_locations", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int CtxLoadVerifyLocations(nint ctx, string? file, string? path);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_default_verify_paths")]
    internal static partial int CtxSetDefaultVerifyPaths(nint ctx);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_use_certificate_chain_file", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int CtxUseCertificateChainFile(nint ctx, string file);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_use_PrivateKey_file", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int CtxUsePrivateKeyFile(nint ctx, string file, int type);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_check_private_key")]
    internal static partial int CtxCheckPrivateKey(nint ctx);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_ctrl")]
    internal static partial long CtxCtrl(nint ctx, int command, long larg, nint parg);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_verify")]
    internal static partial void CtxSetVerify(nint ctx, int mode, nint callback);

    [LibraryImport(Ssl, EntryPoint = "SSL_new")]
    internal static partial nint New(nint ctx);

    [LibraryImport(Ssl, EntryPoint = "SSL_free")]
    internal static partial void Free(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_set_fd")]
    internal static partial int SetFd(nint ssl, int fd);

    [LibraryImport(Ssl, EntryPoint = "SSL_set1_host", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Set1Host(nint ssl, string host);

    [LibraryImport(Ssl, EntryPoint = "SSL_ctrl", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long Ctrl(nint ssl, int command, long larg, string parg);

    [LibraryImport(Ssl, EntryPoint = "SSL_get0_param")]
    internal static partial nint Get0Param(nint ssl);

    [LibraryImport(Crypto, EntryPoint = "X509_VERIFY_PARAM_set1_ip_asc", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int VerifyParamSet1IpAsc(nint param, string ip);

    [LibraryImport(Ssl, EntryPoint = "SSL_connect")]
    internal static partial int Connect(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_read")]
    internal static unsafe partial int Read(nint ssl, byte* buffer, int count);

    [LibraryImport(Ssl, EntryPoint = "SSL_write")]
    internal static unsafe partial int Write(nint ssl, byte* buffer, int count);

    [LibraryImport(Ssl, EntryPoint = "SSL_get_error")]
    internal static partial int GetError(nint ssl, int ret);

    [LibraryImport(Ssl, EntryPoint = "SSL_get_verify_result")]
    internal static partial long GetVerifyResult(nint ssl);

    [LibraryImport(Crypto, EntryPoint = "X509_verify_cert_error_string")]
    internal static unsafe partial byte* VerifyCertErrorString(long error);

    [LibraryImport(Crypto, EntryPoint = "ERR_get_error")]
    internal static partial ulong ErrGetError();

    [LibraryImport(Crypto, EntryPoint = "ERR_peek_error")]
    internal static partial ulong ErrPeekError();

    [LibraryImport(Crypto, EntryPoint = "ERR_clear_error")]
    internal static partial void ErrClearError();

    [LibraryImport(Crypto, EntryPoint = "ERR_error_string_n")]
    internal static unsafe partial void ErrErrorStringN(ulong error, byte* buffer, nuint length);
}

using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Etcd;

/// <summary>
/// Start-up of the etcd mode: the certificates and the password file are read (a file
/// that cannot be used is a setup error, status 2), then etcd is contacted once.
/// Credentials it refuses and a TLS handshake that refuses a certificate are setup errors
/// too; an etcd that cannot be reached (a handshake that times out included) is not: the
/// node starts BACKUP and keeps trying.
/// </summary>
internal static class EtcdSetup
{
    /// <summary>
    /// The first line of --etcd-password-file, or null after logging why not. Read at
    /// start-up, before -B detaches; a file others can read is warned about, as -o's is.
    /// </summary>
    public static string? ReadPassword(string file, ILog log) => Password(Passfile.ReadFirstLine(file), file, log);

    /// <summary>
    /// The password in what was read of <paramref name="file"/> (at a reload, on the reload
    /// worker's thread: a file on a hung mount must not stop the loop), or null after
    /// logging why not.
    /// </summary>
    public static string? Password(in PassfileRead read, string file, ILog log)
    {
        if (read.Status != PassfileStatus.Line)
        {
            string error = read.Status == PassfileStatus.EndOfFile ? Messages.UnexpectedEndOfFile : read.Text;
            log.Write(LogLevel.Error, Messages.EtcdFileUnreadable("--etcd-password-file", file, error));
            return null;
        }
        if (read.ReadableByOthers)
        {
            log.Write(LogLevel.Warning, Messages.PassfileReadable(file));
        }
        int newline = read.Text.IndexOf('\n');
        return newline >= 0 ? read.Text[..newline] : read.Text;
    }

    /// <summary>A private key others can read is warned about, as a password file is.</summary>
    public static void WarnReadableKey(Configuration config, ILog log)
    {
        if (config.EtcdKey is not null && File.Exists(config.EtcdKey) && Passfile.ReadableByOthers(config.EtcdKey))
        {
            log.Write(LogLevel.Warning, Messages.KeyFileReadable(config.EtcdKey));
        }
    }

    /// <summary>
    /// The group's connection: its endpoints, credentials and TLS context (a copy of what
    /// <paramref name="tls"/> read, for https://), or null after logging why not.
    /// </summary>
    public static EtcdConnection? Load(Configuration config, ILog log, string? password, TlsRead? tls)
    {
        TlsContext? context = null;
        if (tls is not null)
        {
            if (tls.Context is null)
            {
                log.Write(LogLevel.Error, Messages.EtcdTlsSetup(tls.Error!));
                return null;
            }
            context = tls.Context.Copy();
        }
        return new EtcdConnection(config.EtcdEndpoints, context, config.EtcdUser, password);
    }

    /// <summary>
    /// The first contact: true to carry on (reached, or not reachable yet), false after
    /// logging a setup error (refused credentials, a failed TLS handshake).
    /// </summary>
    public static bool Probe(EtcdClient client, EtcdConnection connection, ILog log)
    {
        foreach (EtcdEndpoint endpoint in connection.Endpoints)
        {
            try
            {
                if (connection.User is not null)
                {
                    client.Authenticate(endpoint);
                }
                else
                {
                    client.Ping(endpoint);
                }
                return true;
            }
            catch (EtcdException e) when (e.Refused)
            {
                log.Write(LogLevel.Error, Messages.EtcdCredentialsRefused(connection.User!, e.Message));
                return false;
            }
            catch (HttpFailure e) when (e.Tls)
            {
                // Our check of etcd's certificate failed, or etcd refused ours (TLS 1.3
                // says so only at the first read, as an alert). A handshake that timed
                // out is not this: that member is only unreachable.
                log.Write(LogLevel.Error, Messages.EtcdTlsFailed(endpoint.ToString(), e.Message));
                return false;
            }
            catch (Exception)
            {
                // Not reachable now, or it answered nonsense: the next member is tried,
                // and the election says so and retries.
            }
        }
        return true;
    }
}

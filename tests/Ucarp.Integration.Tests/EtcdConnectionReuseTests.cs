using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Ucarp.Core.Cli;
using Ucarp.Core.Etcd;
using Ucarp.Etcd;
using Ucarp.Integration.Tests.Infrastructure;
using Ucarp.Interop;
using static Ucarp.Integration.Tests.EtcdClientMemoryTests;

namespace Ucarp.Integration.Tests;

/// <summary>
/// The etcd client keeps one connection per member for its next request (issue 31): in
/// this process, against scripted members on the loopback that count the connections
/// made to them. Kept only after an answer read whole that allows it; a kept connection
/// the member closed is asked again once on a new one, never after any byte of an answer;
/// each exchange keeps its deadline; an idle one is closed after its time, and one made
/// with certificates a reload replaced is not used again.
/// </summary>
[Category("Etcd")]
[NonParallelizable] // the answers' budget is the process's
public class EtcdConnectionReuseTests
{
    /// <summary>Serves one request (the member's connection number and the request's on it, from 1); false closes the connection.</summary>
    delegate bool Serve(int connection, int request, Stream stream);

    /// <summary>A member that reads request after request on each connection until told to close it, over TLS with a certificate given.</summary>
    sealed class KeepAliveMember : IDisposable
    {
        readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        readonly Serve _serve;
        readonly X509Certificate2? _certificate;
        int _connections, _closed;

        public KeepAliveMember(Serve serve, X509Certificate2? certificate = null)
        {
            _serve = serve;
            _certificate = certificate;
            _listener.Start();
            new Thread(Accept) { IsBackground = true }.Start();
        }

        public int Connections => Volatile.Read(ref _connections);
        /// <summary>Connections ended, by the client or by the member.</summary>
        public int Closed => Volatile.Read(ref _closed);
        /// <summary>"connection/request path" of each request read.</summary>
        public ConcurrentQueue<string> Requests { get; } = new();
        public EtcdEndpoint Endpoint => new(_certificate is not null, "127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port);

        void Accept()
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = _listener.AcceptTcpClient();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                int n = Interlocked.Increment(ref _connections);
                new Thread(() => Connection(client, n)) { IsBackground = true }.Start();
            }
        }

        void Connection(TcpClient client, int n)
        {
            try
            {
                using (client)
                {
                    Stream stream = client.GetStream();
                    if (_certificate is not null)
                    {
                        var tls = new SslStream(stream);
                        tls.AuthenticateAsServer(_certificate);
                        stream = tls;
                    }
                    for (int i = 1; ; i++)
                    {
                        string path = ScriptedMember.ReadRequest(stream);
                        Requests.Enqueue($"{n}/{i} {path}");
                        if (!_serve(n, i, stream))
                        {
                            return;
                        }
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException or IndexOutOfRangeException or ObjectDisposedException or AuthenticationException)
            {
                // The client closed the connection (a request line never came): served.
            }
            finally
            {
                Interlocked.Increment(ref _closed);
            }
        }

        public void Dispose() => _listener.Stop();
    }

    static bool Grant(int connection, int request, Stream stream)
    {
        stream.Write(GrantAnswer);
        return true;
    }

    static EtcdReply Ask(EtcdClient client, int id = 1)
    {
        client.Send(new EtcdRequest(id, EtcdOp.Grant, Ttl: 3));
        return Await(client);
    }

    static void AllGranted(EtcdClient client, int count)
    {
        for (int i = 1; i <= count; i++)
        {
            EtcdReply reply = Ask(client, i);
            Assert.That((reply.Ok, reply.Lease), Is.EqualTo((true, 5L)), reply.Error);
        }
    }

    [Test]
    public void Requests_one_after_the_other_share_one_connection()
    {
        using var member = new KeepAliveMember(Grant);
        using var client = new EtcdClient(new EtcdConnection([member.Endpoint], null, null, null));
        AllGranted(client, 5);
        Assert.That(member.Connections, Is.EqualTo(1), string.Join("\n", member.Requests));
        Assert.That(member.Requests, Has.Count.EqualTo(5));
        Assert.That(MemoryBudget.Answers.Used, Is.Zero);
    }

    [TestCase("HTTP/1.1 200 OK\r\nConnection: close\r\n")]
    [TestCase("HTTP/1.0 200 OK\r\n")]
    [TestCase("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n")]
    public void An_answer_that_does_not_allow_another_request_is_not_kept(string head)
    {
        string body = Encoding.UTF8.GetString(GrantAnswer)[(Encoding.UTF8.GetString(GrantAnswer).IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        byte[] answer = Encoding.UTF8.GetBytes($"{head}Content-Length: {body.Length}\r\n\r\n{body}");
        // The member would serve another request on the connection: only the client's rule keeps it from doing so.
        using var member = new KeepAliveMember((_, _, stream) =>
        {
            stream.Write(answer);
            return true;
        });
        using var client = new EtcdClient(new EtcdConnection([member.Endpoint], null, null, null));
        AllGranted(client, 3);
        Assert.That(member.Connections, Is.EqualTo(3), string.Join("\n", member.Requests));
    }

    /// <summary>
    /// A member closes each connection after its answer (as etcd behind a proxy might after
    /// its idle time; over https without close_notify): each request after the first finds
    /// its kept connection closed and goes again, once, on a new one.
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public void A_kept_connection_the_member_closed_is_asked_again_on_a_new_one(bool https) =>
        WithMember(https, (_, _, stream) =>
        {
            stream.Write(GrantAnswer);
            return false;
        }, (member, client, _) =>
        {
            AllGranted(client, 4);
            Assert.That(member.Connections, Is.EqualTo(4));
            Assert.That(member.Requests, Has.Count.EqualTo(4), "a request the member never read is not one it saw twice");
        });

    /// <summary>Once a byte of the answer came, the member may have done what was asked: the request fails as it always has, and is not sent again on this member.</summary>
    [Test]
    public void A_request_whose_answer_had_begun_is_not_sent_again()
    {
        using var member = new KeepAliveMember((connection, request, stream) =>
        {
            if (connection == 1 && request == 2)
            {
                stream.Write("HTTP/1.1 2"u8);
                return false;
            }
            stream.Write(GrantAnswer);
            return true;
        });
        using var client = new EtcdClient(new EtcdConnection([member.Endpoint], null, null, null));
        AllGranted(client, 1);
        EtcdReply cut = Ask(client, 2);
        Assert.That((cut.Ok, cut.Error), Is.EqualTo((false, "connection closed in a line")));
        Assert.That((member.Connections, member.Requests.Count), Is.EqualTo((1, 2)), string.Join("\n", member.Requests));
        AllGranted(client, 1);
        Assert.That(member.Connections, Is.EqualTo(2), "the next request connects again");
    }

    /// <summary>The deadline bounds each exchange on a kept connection too: an answer trickled a byte at a time is cut at 0.7 s.</summary>
    [Test]
    public void A_trickled_answer_on_a_kept_connection_is_cut_at_the_deadline()
    {
        using var member = new KeepAliveMember((_, request, stream) =>
        {
            if (request == 1)
            {
                stream.Write(GrantAnswer);
                return true;
            }
            foreach (byte b in GrantAnswer)
            {
                stream.Write([b]);
                Thread.Sleep(200);
            }
            return false;
        });
        using var client = new EtcdClient(new EtcdConnection([member.Endpoint], null, null, null));
        AllGranted(client, 1);
        var clock = Stopwatch.StartNew();
        EtcdReply trickled = Ask(client, 2);
        Assert.That((trickled.Ok, trickled.Error), Is.EqualTo((false, "timed out")));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
        Assert.That(member.Connections, Is.EqualTo(1), "a timeout is not asked again");
    }

    /// <summary>An idle connection is closed once its idle time is over (30 s in the daemon; 0.3 s here).</summary>
    [Test]
    public void An_idle_connection_is_closed_after_its_time()
    {
        using var member = new KeepAliveMember(Grant);
        using var idle = new IdleConnections(1, idleMs: 300);
        HttpConnection connection = HttpConnection.Open(member.Endpoint, null, 700);
        connection.Post(member.Endpoint, "/v3/lease/grant", "{}", null, keepAlive: true);
        Assert.That(connection.Response.ReadHead(), Is.EqualTo(200));
        connection.Response.ReadBody();
        idle.Park(0, connection, null);
        Assert.That((idle.Count, member.Closed), Is.EqualTo((1, 0)));
        Assert.That(Wait.Until(() => member.Closed == 1, TimeSpan.FromSeconds(3)), Is.True, "the member saw the connection closed");
        Assert.That(idle.Count, Is.Zero);
        Assert.That(idle.Take(0, null, 700), Is.Null);
    }

    /// <summary>Over https the connection (and its handshake) is kept too; after a reload's new certificates the next request shakes hands again.</summary>
    [Test]
    public void Over_tls_one_connection_serves_until_the_certificates_are_read_again() =>
        WithMember(https: true, Grant, (member, client, ca) =>
        {
            AllGranted(client, 3);
            Assert.That(member.Connections, Is.EqualTo(1));
            Assert.That(client.ReplaceTls(Context(ca!)), Is.True);
            Assert.That(Wait.Until(() => member.Closed == 1, TimeSpan.FromSeconds(3)), Is.True, "the idle connection is closed at once");
            AllGranted(client, 2);
            Assert.That(member.Connections, Is.EqualTo(2), "one new handshake, with the new context, then kept");
        });

    /// <summary>A member serving as told and a client of it; over https, with a certificate of its own that the client trusts (its file given).</summary>
    static void WithMember(bool https, Serve serve, Action<KeepAliveMember, EtcdClient, string?> test)
    {
        using X509Certificate2? certificate = https ? SelfSigned() : null;
        string? ca = https ? Path.Combine(Path.GetTempPath(), $"ucarp-reuse-{Guid.NewGuid():N}.pem") : null;
        try
        {
            if (ca is not null)
            {
                File.WriteAllText(ca, certificate!.ExportCertificatePem());
            }
            using var member = new KeepAliveMember(serve, certificate);
            using var client = new EtcdClient(new EtcdConnection([member.Endpoint], ca is null ? null : Context(ca), null, null));
            test(member, client, ca);
        }
        finally
        {
            if (ca is not null)
            {
                File.Delete(ca);
            }
        }
    }

    static TlsContext Context(string ca)
    {
        if (!TlsContext.TryCreate(ca, null, null, out TlsContext? tls, out SysError error))
        {
            Assert.Ignore("no OpenSSL here: " + error.Text);
        }
        return tls;
    }

    /// <summary>A certificate for 127.0.0.1 that signs itself: the client trusts it as its authority.</summary>
    static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }
}

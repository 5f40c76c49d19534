using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ucarp.Core.Cli;
using Ucarp.Core.Etcd;
using Ucarp.Etcd;

namespace Ucarp.Integration.Tests;

/// <summary>
/// The etcd client in this process against scripted members on the loopback (no namespace,
/// no root): an answer is read, parsed and given back to the answers' budget within its
/// connection; a hostile member's 16 MiB costs a bounded tree and the next member is asked.
/// </summary>
[Category("Etcd")]
[NonParallelizable] // it counts the process's allocations
public class EtcdClientMemoryTests
{
    const string Header = "\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":\"3\",\"raft_term\":\"2\"}";
    internal static readonly byte[] GrantAnswer = Answer("200 OK", "{" + Header + ",\"ID\":\"5\",\"TTL\":\"3\"}");

    internal static byte[] Answer(string status, string body) =>
        Encoding.UTF8.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}");

    /// <summary>A member that answers each request (its path given) as told, then closes the connection.</summary>
    internal sealed class ScriptedMember : IDisposable
    {
        readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        readonly Func<string, byte[]> _answer;

        public ScriptedMember(Func<string, byte[]> answer)
        {
            _answer = answer;
            _listener.Start();
            _ = Task.Run(Serve);
        }

        public ConcurrentQueue<string> Paths { get; } = new();

        public EtcdEndpoint Endpoint => new(false, "127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port);

        async Task Serve()
        {
            while (true)
            {
                using TcpClient client = await _listener.AcceptTcpClientAsync().ConfigureAwait(false);
                try
                {
                    NetworkStream stream = client.GetStream();
                    string path = ReadRequest(stream);
                    Paths.Enqueue(path);
                    await stream.WriteAsync(_answer(path)).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or SocketException)
                {
                    // The client gave up on this exchange (its deadline): the next connection is served.
                }
            }
        }

        /// <summary>The request's path, its head and body read off.</summary>
        internal static string ReadRequest(Stream stream)
        {
            var head = new StringBuilder();
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                int b = stream.ReadByte();
                if (b < 0)
                {
                    break;
                }
                head.Append((char)b);
            }
            string text = head.ToString();
            string length = text.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))?[15..].Trim() ?? "0";
            stream.ReadExactly(new byte[int.Parse(length, CultureInfo.InvariantCulture)]);
            return text.Split(' ')[1];
        }

        public void Dispose() => _listener.Stop();
    }

    internal static EtcdReply Await(EtcdClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (client.TryTake(out EtcdReply reply))
            {
                return reply;
            }
            Thread.Sleep(10);
        }
        throw new TimeoutException("no reply");
    }

    [Test]
    public void A_hostile_answer_costs_a_bounded_tree_and_the_next_member_answers()
    {
        var zeros = new StringBuilder("[0", HttpResponseReader.MaxBody);
        while (zeros.Length < HttpResponseReader.MaxBody - 2)
        {
            zeros.Append(",0");
        }
        byte[] hostileAnswer = Answer("200 OK", zeros.Append(']').ToString());
        zeros.Clear();
        using var hostile = new ScriptedMember(_ => hostileAnswer);
        using var good = new ScriptedMember(_ => GrantAnswer);
        using var client = new EtcdClient(new EtcdConnection([hostile.Endpoint, good.Endpoint], null, null, null));

        long before = GC.GetTotalAllocatedBytes(precise: true);
        client.Send(new EtcdRequest(1, EtcdOp.Grant, Ttl: 3));
        EtcdReply reply = Await(client);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        TestContext.Out.WriteLine($"a {hostileAnswer.Length}-byte answer, then a grant: {allocated} bytes allocated");

        Assert.That((reply.Ok, reply.Lease, reply.Ttl), Is.EqualTo((true, 5L, 3L)), reply.Error);
        Assert.That(hostile.Paths, Is.EqualTo(new[] { "/v3/lease/grant" }));
        // The body as it came (its buffer doubling to 16 MiB) and the tree up to its bound;
        // a tree of everything took 30 times the body.
        Assert.That(allocated, Is.LessThan(2L * HttpResponseReader.MaxBody + Json.MaxKept + (8 << 20)));
        Assert.That(MemoryBudget.Answers.Used, Is.Zero, "every answer's memory given back");
    }

    [Test]
    public void An_expired_token_is_renewed_once_and_the_request_asked_again()
    {
        int logins = 0, grants = 0;
        using var member = new ScriptedMember(path => path switch
        {
            "/v3/auth/authenticate" => Answer("200 OK", "{" + Header + ",\"token\":\"t" + Interlocked.Increment(ref logins) + "\"}"),
            _ when Interlocked.Increment(ref grants) == 1 => Answer("401 Unauthorized", "{\"error\":\"etcdserver: invalid auth token\",\"code\":16,\"message\":\"etcdserver: invalid auth token\"}"),
            _ => GrantAnswer,
        });
        using var client = new EtcdClient(new EtcdConnection([member.Endpoint], null, "ucarp", "secret"));
        client.Send(new EtcdRequest(1, EtcdOp.Grant, Ttl: 3));
        EtcdReply reply = Await(client);
        Assert.That((reply.Ok, reply.Lease), Is.EqualTo((true, 5L)), reply.Error);
        Assert.That(member.Paths, Is.EqualTo(new[] { "/v3/auth/authenticate", "/v3/lease/grant", "/v3/auth/authenticate", "/v3/lease/grant" }));
    }

    [Test]
    public void What_a_member_says_instead_of_an_answer_is_the_error()
    {
        using var member = new ScriptedMember(_ => Answer("503 Service Unavailable", "{\"error\":\"etcdserver: no leader\",\"code\":14,\"message\":\"etcdserver: no leader\"}"));
        using var client = new EtcdClient(new EtcdConnection([member.Endpoint], null, null, null));
        client.Send(new EtcdRequest(1, EtcdOp.Grant, Ttl: 3));
        EtcdReply reply = Await(client);
        Assert.That((reply.Ok, reply.Error), Is.EqualTo((false, "etcdserver: no leader")));
        Assert.That(reply.Refused, Is.True, "a member answered: etcd is within reach");
        Assert.That(MemoryBudget.Answers.Used, Is.Zero);
    }

    [Test]
    public void A_request_no_member_answers_is_not_a_refusal()
    {
        // A port nothing listens on: the connection is refused, nobody answered.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var nobody = new EtcdEndpoint(false, "127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port);
        listener.Stop();
        using var client = new EtcdClient(new EtcdConnection([nobody], null, null, null));
        client.Send(new EtcdRequest(1, EtcdOp.Grant, Ttl: 3));
        EtcdReply reply = Await(client);
        Assert.That((reply.Ok, reply.Refused), Is.EqualTo((false, false)), reply.Error);
    }
}

using System.Buffers.Binary;
using System.Globalization;
using Ucarp.Core.Cli;
using Ucarp.Interop;
using Ucarp.Linux;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// The interface socket's receive ring (issue 31, the flood): frames come in the order
/// sent and whole (one longer than a slot by the socket's queue), a ring the reader does
/// not empty drops what does not fit and goes on, the socket is readable exactly while
/// frames wait, and a socket closed while its frames are handled leaves them readable.
/// In process, on a veth pair inside a namespace made for the test.
/// </summary>
public class ReceiveRingTests
{
    // PACKET_STATISTICS: struct tpacket_stats { tp_packets, tp_drops }, reset when read;
    // tp_packets counts the dropped frames too.
    const int PacketStatistics = 6;
    static readonly IpAddress Own = new(192, 0, 2, 2);

    /// <summary>An IPv4 protocol-112 frame from 192.0.2.1 of <paramref name="length"/> bytes, numbered <paramref name="number"/> (bytes 34-37) and filled after that.</summary>
    static byte[] Frame(int length, int number)
    {
        var frame = new byte[length];
        Convert.FromHexString("01005e000012" + "020000000001" + "0800").CopyTo(frame, 0);
        frame[14] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), (ushort)(length - 14));
        frame[22] = 255;
        frame[23] = 112;
        new byte[] { 192, 0, 2, 1, 224, 0, 0, 18 }.CopyTo(frame, 26);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(34), number);
        for (int i = 38; i < length; i++)
        {
            frame[i] = (byte)(i * 7 + number);
        }
        return frame;
    }

    static int Number(byte[] frame) => BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(34));

    /// <summary>A veth pair d0/d1 in <paramref name="ns"/>: a send-only socket on d0, and the reading socket on d1.</summary>
    static (PacketSocket Sender, PacketSocket Reader) Pair(string ns)
    {
        Shell.Run("ip", "-n", ns, "link", "add", "d0", "type", "veth", "peer", "name", "d1");
        Shell.Run("ip", "-n", ns, "link", "set", "d0", "up");
        Shell.Run("ip", "-n", ns, "link", "set", "d1", "up");
        int index(string name) => int.Parse(Shell.Run("ip", "-n", ns, "-o", "link", "show", name).Split(':')[0], CultureInfo.InvariantCulture);
        Assert.That(PacketSocket.TryOpen(index("d0"), Own, out PacketSocket? sender, out SysError error, receive: false), Is.True, error.Text);
        Assert.That(PacketSocket.TryOpen(index("d1"), Own, out PacketSocket? reader, out error), Is.True, error.Text);
        Assert.That(sender!.RingBytes, Is.Zero, "a socket that takes nothing in maps no ring");
        Assert.That(reader!.RingBytes, Is.GreaterThan(0));
        return (sender, reader);
    }

    static void Send(PacketSocket sender, byte[] frame) => Assert.That(sender.TrySend(frame, out SysError error), Is.True, error.Text);

    /// <summary>Every batch waiting, each frame copied out, the slots released after each batch (at most 4,096: a ring that never empties fails the test, not hangs it).</summary>
    static List<byte[]> Drain(PacketSocket reader)
    {
        var frames = new List<byte[]>();
        while (frames.Count < 4096 && reader.TryReceiveBatch(out int count, out _) && count > 0)
        {
            for (int i = 0; i < count; i++)
            {
                frames.Add(reader.Frame(i).ToArray());
            }
            reader.Release();
        }
        return frames;
    }

    /// <summary>Reads until <paramref name="expected"/> frames came, or 5 s passed (the kernel delivers a veth's frames a moment after the send).</summary>
    static List<byte[]> Receive(PacketSocket reader, int expected)
    {
        var frames = new List<byte[]>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (frames.Count < expected && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            if (Readable(reader, 100))
            {
                frames.AddRange(Drain(reader));
            }
        }
        return frames;
    }

    static unsafe bool Readable(PacketSocket socket, int milliseconds)
    {
        var fd = new PollFd { Fd = socket.Fd, Events = Libc.POLLIN };
        var timeout = new TimeSpec { Seconds = milliseconds / 1000, Nanoseconds = milliseconds % 1000 * 1_000_000L };
        return Libc.PPoll(&fd, 1, &timeout, null) == 1 && (fd.REvents & Libc.POLLIN) != 0;
    }

    /// <summary>What the socket took into its ring and dropped since last asked (the kernel resets the counts when read).</summary>
    static unsafe (long Packets, long Drops) Statistics(PacketSocket socket)
    {
        long* counts = stackalloc long[1];
        uint length = 8;
        Assert.That(Libc.GetSockOpt(socket.Fd, Libc.SOL_PACKET, PacketStatistics, counts, &length), Is.Zero);
        return ((uint)*counts, (uint)(*counts >> 32));
    }

    [Test]
    public void Frames_come_in_order_and_whole_a_long_one_by_the_queue() => ThreadNamespace.Run("ring", ns =>
    {
        (PacketSocket sender, PacketSocket reader) = Pair(ns);
        using (sender)
        using (reader)
        {
            // 70 bytes: a CARP advert; 1000 and the MTU's 1514: longer than a slot.
            byte[][] sent = [Frame(70, 0), Frame(1000, 1), Frame(90, 2), Frame(1514, 3), Frame(70, 4), Frame(200, 5)];
            foreach (byte[] frame in sent)
            {
                Send(sender, frame);
            }
            List<byte[]> got = Receive(reader, sent.Length);
            Assert.That(got.Select(Number), Is.EqualTo(sent.Select(Number)), "in the order sent");
            for (int i = 0; i < sent.Length; i++)
            {
                Assert.That(got[i], Is.EqualTo(sent[i]), $"frame {i}, {sent[i].Length} bytes, whole");
            }
            Assert.That(Readable(reader, 0), Is.False, "nothing waits once every frame was handled");
        }
    });

    [Test]
    public void A_full_ring_drops_what_does_not_fit_and_goes_on() => ThreadNamespace.Run("ring", ns =>
    {
        (PacketSocket sender, PacketSocket reader) = Pair(ns);
        using (sender)
        using (reader)
        {
            int slots = reader.RingBytes / Environment.SystemPageSize * (Environment.SystemPageSize / ReceiveRing.SlotSize);
            int sent = slots + 50;
            for (int i = 0; i < sent; i++)
            {
                Send(sender, Frame(70, i));
            }
            // Every frame either in the ring or dropped before the reader looks.
            long packets = 0, drops = 0;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (packets < sent && clock.Elapsed < TimeSpan.FromSeconds(5))
            {
                (long p, long d) = Statistics(reader);
                packets += p;
                drops += d;
                Thread.Sleep(1);
            }
            Assert.That((packets - drops, drops), Is.EqualTo(((long)slots, 50L)), "the ring's slots taken, the rest dropped");

            List<byte[]> got = Drain(reader);
            Assert.That(got.Select(Number), Is.EqualTo(Enumerable.Range(0, slots)), "the first frames, in order");
            Send(sender, Frame(70, sent));
            Assert.That(Receive(reader, 1).Select(Number), Is.EqualTo(new[] { sent }), "the ring goes on after its drops");
        }
    });

    /// <summary>
    /// The link goes down with a long frame queued: the socket's error (ENETDOWN) comes
    /// first from the queue, and the frame is still read, paired with its slot.
    /// </summary>
    [Test]
    public void A_long_frame_queued_behind_a_socket_error_is_still_read() => ThreadNamespace.Run("ring", ns =>
    {
        (PacketSocket sender, PacketSocket reader) = Pair(ns);
        using (sender)
        using (reader)
        {
            byte[][] sent = [Frame(1000, 0), Frame(70, 1), Frame(600, 2)];
            foreach (byte[] frame in sent)
            {
                Send(sender, frame);
            }
            Assert.That(Wait.Until(() => reader.FramesWaiting == sent.Length, TimeSpan.FromSeconds(5)), Is.True, "the frames in the ring");
            Shell.Run("ip", "-n", ns, "link", "set", "d1", "down");
            List<byte[]> got = Drain(reader);
            Assert.That(got, Is.EqualTo(sent), "every frame whole, in order, after the error");
        }
    });

    [Test]
    public void A_socket_closed_while_its_frames_are_handled_leaves_them_readable() => ThreadNamespace.Run("ring", ns =>
    {
        (PacketSocket sender, PacketSocket reader) = Pair(ns);
        using (sender)
        {
            byte[][] sent = [Frame(70, 0), Frame(1000, 1)];
            foreach (byte[] frame in sent)
            {
                Send(sender, frame);
            }
            // Both slots marked as written (the kernel counts a frame when it takes the slot, and
            // marks the slot after copying the frame in), then one batch of them.
            Assert.That(Wait.Until(() => reader.FramesWaiting == sent.Length, TimeSpan.FromSeconds(5)), Is.True, "both frames in the ring");
            Assert.That(reader.TryReceiveBatch(out int count, out _), Is.True);
            Assert.That(count, Is.EqualTo(2));
            reader.Dispose();
            Assert.That(reader.Frame(0).ToArray(), Is.EqualTo(sent[0]), "a frame in the ring, read after the close");
            Assert.That(reader.Frame(1).ToArray(), Is.EqualTo(sent[1]), "a frame by the queue, read after the close");
            reader.Release();
            Assert.That(reader.TryReceiveBatch(out _, out _), Is.False, "a closed socket takes nothing");
        }
    });
}

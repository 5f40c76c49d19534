using System.Buffers.Binary;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Wire;

/// <summary>garp.c: an ARP request for the virtual address from the interface's own MAC, to broadcast.</summary>
public static class GratuitousArp
{
    public const int FrameSize = 42;

    public static void Build(ReadOnlySpan<byte> mac, IpAddress virtualAddress, Span<byte> frame)
    {
        frame = frame[..FrameSize];
        frame[..6].Fill(0xff);
        mac.CopyTo(frame[6..12]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], CarpHeader.EtherTypeArp);
        Span<byte> arp = frame[14..];
        BinaryPrimitives.WriteUInt16BigEndian(arp, 1);           // hardware: Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(arp[2..], 0x0800); // protocol: IPv4
        arp[4] = 6;
        arp[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(arp[6..], 1);      // request: the most widely honoured form
        mac.CopyTo(arp[8..14]);                                  // sender MAC
        virtualAddress.CopyTo(arp[14..18]);                      // sender IP
        mac.CopyTo(arp[18..24]);                                 // target MAC = sender
        virtualAddress.CopyTo(arp[24..28]);                      // target IP = sender
    }
}

using System.Buffers.Binary;
using System.Text;

namespace Ucarp.Core.Vmac;

/// <summary>What an RTM_NEWLINK message says of a link: enough to tell a child of ours from anything else.</summary>
public readonly record struct LinkFacts(int Index, int Parent, string? Kind, byte[]? Mac, string? Alias = null)
{
    /// <summary>A macvlan of <paramref name="parent"/> with <paramref name="mac"/>: what --vmac makes, so one an earlier run left.</summary>
    public bool IsMacvlan(int parent, ReadOnlySpan<byte> mac) =>
        Kind == LinkRequest.MacvlanKind && Parent == parent && Mac is not null && mac.SequenceEqual(Mac);
}

/// <summary>Reads the kernel's answer to <see cref="LinkRequest.Get"/>, trusting no length.</summary>
public static class LinkReply
{
    /// <summary>False when <paramref name="message"/> is not a whole RTM_NEWLINK.</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out LinkFacts facts)
    {
        facts = default;
        const int Fixed = LinkRequest.HeaderSize + LinkRequest.InfoSize;
        if (message.Length < Fixed || BinaryPrimitives.ReadUInt16LittleEndian(message[4..]) != LinkRequest.RTM_NEWLINK)
        {
            return false;
        }
        int length = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(message), (uint)message.Length);
        if (length < Fixed)
        {
            return false;
        }
        int index = BinaryPrimitives.ReadInt32LittleEndian(message[(LinkRequest.HeaderSize + 4)..]);
        int parent = 0;
        string? kind = null;
        byte[]? mac = null;
        string? alias = null;
        foreach ((ushort type, int start, int size) in Attributes(message[..length], Fixed))
        {
            ReadOnlySpan<byte> payload = message.Slice(start, size);
            switch (type)
            {
                case LinkRequest.IFLA_LINK when size >= 4:
                    parent = BinaryPrimitives.ReadInt32LittleEndian(payload);
                    break;
                case LinkRequest.IFLA_ADDRESS:
                    mac = payload.ToArray();
                    break;
                case LinkRequest.IFLA_IFALIAS:
                    alias = Encoding.ASCII.GetString(payload).TrimEnd('\0');
                    break;
                case LinkRequest.IFLA_LINKINFO:
                    foreach ((ushort inner, int at, int count) in Attributes(message[..(start + size)], start))
                    {
                        if (inner == LinkRequest.IFLA_INFO_KIND)
                        {
                            kind = Encoding.ASCII.GetString(message.Slice(at, count)).TrimEnd('\0');
                        }
                    }
                    break;
            }
        }
        facts = new LinkFacts(index, parent, kind, mac, alias);
        return true;
    }

    /// <summary>The attributes from <paramref name="offset"/> to the end: type (flags masked off), payload's start and size.</summary>
    static List<(ushort Type, int Start, int Size)> Attributes(ReadOnlySpan<byte> message, int offset)
    {
        var found = new List<(ushort, int, int)>();
        while (message.Length - offset >= 4)
        {
            int size = BinaryPrimitives.ReadUInt16LittleEndian(message[offset..]);
            if (size < 4 || size > message.Length - offset)
            {
                break;
            }
            found.Add(((ushort)(BinaryPrimitives.ReadUInt16LittleEndian(message[(offset + 2)..]) & 0x3fff), offset + 4, size - 4));
            offset += (size + 3) & ~3;
        }
        return found;
    }
}
